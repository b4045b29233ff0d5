"""Reading lists of cases within what the actor may see."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from kb_app.db import read_scope
from kb_app.domain.access import Action, Actor, can
from kb_app.domain.overview import OverviewFilter, case_row
from kb_app.errors import AccessDenied
from kb_app.models import Case, Delegation, Unit, User
from kb_app.services.base.conflicts import not_excluded


def _row(case: Case, unit_name: str, responsible: str, now: datetime) -> dict[str, str]:
    return case_row(
        case_id=case.id,
        reference=case.reference,
        reported_at=case.reported_at,
        unit=unit_name,
        class_name=case.class_name,
        grade=case.grade,
        kinds=case.kinds,
        step=case.step,
        responsible=responsible,
        due_at=case.due_at,
        closed_at=case.closed_at,
        staff_involved=case.staff_involved,
        now=now,
    )


def _rows(stmt, now: datetime) -> list[dict[str, str]]:
    with read_scope() as s:
        result = s.exec(stmt).all()
    return [_row(c, unit, resp or "", now) for c, unit, resp in result]


def list_visible(actor: Actor, *, limit: int = 50, now: datetime) -> list[dict[str, str]]:
    """The newest cases the actor may see in the overview (see services/overview.py)."""
    from kb_app.services.overview import query as overview

    if not can(actor, Action.LIST_CASES):
        raise AccessDenied()
    return overview.fetch_page(actor, OverviewFilter(per_page=limit), now=now).rows


def list_delegated(actor: Actor, *, now: datetime) -> list[dict[str, str]]:
    """Cases actively delegated to the actor: "Mina ärenden"."""
    if not can(actor, Action.MY_CASES):
        raise AccessDenied()
    stmt = (
        select(Case, Unit.name, User.name)
        .join(Unit, Unit.id == Case.unit_id)
        .join(Delegation, Delegation.case_id == Case.id)
        .outerjoin(User, User.id == Case.responsible_user_id)
        .where(
            Delegation.investigator_user_id == actor.user_id,
            Delegation.withdrawn_at.is_(None),
            Case.organisation_id == actor.organisation_id,
            not_excluded(actor.user_id),
        )
        .order_by(Case.reported_at.desc())
    )
    return _rows(stmt, now)
