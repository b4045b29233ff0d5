"""Per-organisation step limits (working days), from OrgSetting with GLOSSARY defaults."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from kb_app.domain import deadlines
from kb_app.domain.process import Step, next_step
from kb_app.models import OrgSetting

FIELD_BY_STEP: dict[str, str] = {
    Step.RECEIVED: "limit_received",
    Step.INVESTIGATION_STARTED: "limit_investigation_started",
    Step.INVESTIGATED: "limit_investigated",
    Step.MEASURES_DECIDED: "limit_measures_decided",
    Step.FOLLOWED_UP: "limit_followed_up",
}


def limits_for(session: Session, organisation_id: int) -> dict[str, int]:
    """Working-day limit for each step that has one (step -> days)."""
    row = session.get(OrgSetting, organisation_id)
    if row is None:
        return dict(deadlines.DEFAULT_LIMITS)
    return {step: getattr(row, field) for step, field in FIELD_BY_STEP.items()}


def escalate_after(session: Session, organisation_id: int) -> int:
    row = session.get(OrgSetting, organisation_id)
    return row.escalate_after_days if row else deadlines.ESCALATE_AFTER_DAYS


def due_for_next_step(
    session: Session, organisation_id: int, completed: Step, at: datetime
) -> datetime | None:
    """Due date of the step after ``completed``, counted from ``at`` (None if it has no limit)."""
    nxt = next_step(completed)
    if nxt is None:
        return None
    days = limits_for(session, organisation_id).get(nxt)
    return deadlines.due_at(at, days) if days is not None else None
