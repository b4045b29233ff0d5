"""Access to one case: its facts for the policy, the check, the access log.

``_run`` serves the steps: it loads the case locked for the write (``FOR UPDATE``;
on SQLite the write lock taken at BEGIN), asks the policy and does the work in the
same transaction, so a step always sees the case as it is now. ``_read`` serves
reading: a read transaction that takes no lock, then the read is logged in a short
transaction of its own before anything is returned.

A denied request raises ``AccessDenied``, which says the same as a missing case,
and is written to the access log (allowed=False).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func
from sqlmodel import Session, select

from kb_app.db import read_scope, session_scope
from kb_app.domain.access import Action, Actor, CaseFacts, can_on_case
from kb_app.domain.process import EventKind, ProcessState, Step
from kb_app.errors import AccessDenied
from kb_app.models import AccessLog, Case, CaseEvent, Delegation
from kb_app.services.base import access_log
from kb_app.services.base.conflicts import excluded_user_ids

T = TypeVar("T")

Work = Callable[[Session, Case, CaseFacts, list[Delegation]], T]


def _active_delegations(s: Session, case_id: int) -> list[Delegation]:
    return list(
        s.exec(
            select(Delegation)
            .where(Delegation.case_id == case_id, Delegation.withdrawn_at.is_(None))
            .order_by(Delegation.id)
        )
    )


def _taken_over_by(s: Session, case_id: int) -> int | None:
    """The organiser who took the case over (its "taken_over" event), if any."""
    return s.exec(
        select(CaseEvent.actor_user_id)
        .where(CaseEvent.case_id == case_id, CaseEvent.kind == EventKind.TAKEN_OVER)
        .order_by(CaseEvent.seq.desc())
        .limit(1)
    ).first()


def case_facts(s: Session, case: Case, delegations: Sequence[Delegation]) -> CaseFacts:
    return CaseFacts(
        case_id=case.id,
        organisation_id=case.organisation_id,
        unit_id=case.unit_id,
        delegated_to=frozenset(d.investigator_user_id for d in delegations),
        closed=case.closed_at is not None,
        staff_involved=case.staff_involved,
        responsible_user_id=case.responsible_user_id,
        taken_over_by=_taken_over_by(s, case.id),
        excluded=excluded_user_ids(s, case.id),
    )


def _process_state(case: Case, facts: CaseFacts) -> ProcessState:
    return ProcessState(
        step=Step(case.step),
        delegated=bool(facts.delegated_to),
        staff_involved=case.staff_involved,
        taken_over=facts.taken_over_by is not None,
    )


def _deny(actor: Actor | None, case_id: Any, action: str, now: datetime):
    access_log.deny(actor, action, now=now, case_id=case_id)
    raise AccessDenied()


def _plausible(actor: Actor | None, case_id: Any) -> bool:
    return actor is not None and isinstance(case_id, int) and 0 < case_id < 2**62


def _allowed(
    s: Session, actor: Actor, case_id: int, action: Action, *, lock: bool
) -> tuple[Case, CaseFacts, list[Delegation]] | None:
    """The case, its facts and active delegations, when ``actor`` may do ``action``."""
    stmt = select(Case).where(Case.id == case_id)
    case = s.exec(stmt.with_for_update() if lock else stmt).first()
    if case is None:
        return None
    delegations = _active_delegations(s, case.id)
    facts = case_facts(s, case, delegations)
    return (case, facts, delegations) if can_on_case(actor, action, facts) else None


def _run(actor: Actor | None, case_id: Any, action: Action, now: datetime, work: Work[T]) -> T:
    """Load the case (locked for the write), ask the policy, do ``work`` in the
    same transaction; a missing case and a denied one answer alike."""
    if _plausible(actor, case_id):
        with session_scope() as s:
            found = _allowed(s, actor, case_id, action, lock=True)
            if found is not None:
                access_log.record(s, actor, action, now=now, case_id=case_id)
                return work(s, *found)
    _deny(actor, case_id, action, now)
    raise AssertionError("unreachable")  # _deny raises


def _read(actor: Actor | None, case_id: Any, action: Action, now: datetime, work: Work[T]) -> T:
    """Like ``_run`` for reading: no lock, one consistent snapshot, and the read is
    logged (committed) before the result is handed back."""
    if _plausible(actor, case_id):
        with read_scope() as s:
            if s.get_bind().dialect.name == "postgresql":
                # One snapshot for the whole view (the default is one per statement).
                s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            found = _allowed(s, actor, case_id, action, lock=False)
            result = work(s, *found) if found is not None else None
        if found is not None:
            access_log.record_alone(actor, action, now=now, case_id=case_id)
            return result
    _deny(actor, case_id, action, now)
    raise AssertionError("unreachable")  # _deny raises


def access_count(case_id: int, *, allowed: bool | None = None) -> int:
    """Rows in the access log for a case (tests, audit views)."""
    with read_scope() as s:
        stmt = select(func.count()).select_from(AccessLog).where(AccessLog.case_id == case_id)
        if allowed is not None:
            stmt = stmt.where(AccessLog.allowed.is_(allowed))
        return s.exec(stmt).one()
