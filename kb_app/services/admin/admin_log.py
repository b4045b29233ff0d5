"""The administration log: every change made in the administration (who, when, what).

Written in the caller's transaction, so a change and its log row stand or fall
together. The log never holds case content: only names of units, classes and
users, roles and settings.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Session, select

from kb_app.db import read_scope
from kb_app.domain.access import Action, Actor, can
from kb_app.domain.fmt import sv_datetime
from kb_app.errors import AccessDenied
from kb_app.models import AdminLog


class Kind(StrEnum):
    SETUP = "setup"
    UNIT_CREATED = "unit_created"
    UNIT_CHANGED = "unit_changed"
    UNIT_ARCHIVED = "unit_archived"
    UNIT_RESTORED = "unit_restored"
    CLASS_CREATED = "class_created"
    CLASS_CHANGED = "class_changed"
    CLASS_REMOVED = "class_removed"
    USER_INVITED = "user_invited"
    INVITATION_RESENT = "invitation_resent"
    ROLES_CHANGED = "roles_changed"
    USER_DEACTIVATED = "user_deactivated"
    USER_REACTIVATED = "user_reactivated"
    CASES_HANDED_OVER = "cases_handed_over"
    SETTINGS_CHANGED = "settings_changed"


KIND_LABELS: dict[str, str] = {
    Kind.SETUP: "Installationen skapad",
    Kind.UNIT_CREATED: "Enhet skapad",
    Kind.UNIT_CHANGED: "Enhet ändrad",
    Kind.UNIT_ARCHIVED: "Enhet arkiverad",
    Kind.UNIT_RESTORED: "Enhet återställd",
    Kind.CLASS_CREATED: "Klass/avdelning skapad",
    Kind.CLASS_CHANGED: "Klass/avdelning ändrad",
    Kind.CLASS_REMOVED: "Klass/avdelning borttagen",
    Kind.USER_INVITED: "Användare inbjuden",
    Kind.INVITATION_RESENT: "Inbjudan skickad igen",
    Kind.ROLES_CHANGED: "Roller ändrade",
    Kind.USER_DEACTIVATED: "Användare inaktiverad",
    Kind.USER_REACTIVATED: "Användare återaktiverad",
    Kind.CASES_HANDED_OVER: "Ärenden överlämnade",
    Kind.SETTINGS_CHANGED: "Inställningar ändrade",
}


def record(
    session: Session,
    actor: Actor | None,
    kind: Kind,
    target: str,
    detail: str = "",
    *,
    now: datetime,
    organisation_id: int | None = None,
) -> None:
    session.add(
        AdminLog(
            organisation_id=organisation_id
            if organisation_id is not None
            else actor.organisation_id,
            actor_user_id=actor.user_id if actor is not None else None,
            actor_label=(actor.name if actor is not None else "")[:200],
            at=now,
            action=str(kind),
            target=target[:300],
            detail=detail,
        )
    )


def entries(actor: Actor, *, limit: int = 200) -> list[dict[str, str]]:
    """The organisation's latest administration changes, newest first (admins)."""
    if not can(actor, Action.ADMINISTER):
        raise AccessDenied()
    with read_scope() as s:
        rows = s.exec(
            select(AdminLog)
            .where(AdminLog.organisation_id == actor.organisation_id)
            .order_by(AdminLog.at.desc(), AdminLog.id.desc())
            .limit(limit)
        ).all()
    return [
        {
            "id": str(r.id),
            "at": sv_datetime(r.at),
            "who": r.actor_label or "Installationen",
            "what": KIND_LABELS.get(r.action, r.action),
            "target": r.target,
            "detail": r.detail,
        }
        for r in rows
    ]
