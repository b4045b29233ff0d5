"""Conflict of interest (jäv) on one case: the organiser confirms or rejects a
suspected match. Both are recorded in the timeline; a rejection gives the user
back their access, and the case its usual responsible person."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from kb_app.domain.access import Action, Actor, CaseFacts
from kb_app.domain.conflict import MSG_DECISION, ConflictStatus, decision
from kb_app.domain.process import FORM, EventKind, Step
from kb_app.errors import InvalidInput
from kb_app.models import Case, CaseConflict, User
from kb_app.services.case.access import _run
from kb_app.services.case.steps import _event, _settle

MSG_UNKNOWN = "Jävet finns inte längre. Ladda om sidan."


def resolve(
    actor: Actor | None, case_id: Any, *, conflict_id: Any, answer: Any, now: datetime
) -> None:
    """Confirm (``"confirmed"``) or reject (``"rejected"``) a suspected conflict."""
    status = decision(answer)

    def work(s: Session, case: Case, facts: CaseFacts, _d) -> None:
        if status is None:
            raise InvalidInput({FORM: MSG_DECISION})
        row = (
            s.exec(
                select(CaseConflict).where(
                    CaseConflict.id == conflict_id, CaseConflict.case_id == case.id
                )
            ).first()
            if isinstance(conflict_id, int)
            else None
        )
        if row is None:
            raise InvalidInput({FORM: MSG_UNKNOWN})
        if row.status != ConflictStatus.SUSPECTED:
            raise InvalidInput({FORM: MSG_UNKNOWN})
        user = s.get(User, row.user_id)
        row.status = status
        row.decided_by_user_id = actor.user_id
        row.decided_at = now
        s.add(row)
        s.flush()
        kind = (
            EventKind.CONFLICT_CONFIRMED
            if status == ConflictStatus.CONFIRMED
            else EventKind.CONFLICT_REJECTED
        )
        _event(
            s, case, actor, kind, {"user": user.name if user else "", "user_id": row.user_id}, now
        )
        # A rejection may hand the case back to the unit's principal (and mails them).
        _settle(s, case, actor, Step(case.step), now)

    _run(actor, case_id, Action.RESOLVE_CONFLICT, now, work)
