"""Promptness (skyndsamhet) of each step of a case, from its timeline (pure).

Each step with a limit is due a number of working days after the step before it
was done (GLOSSARY.md, "Promptness"). Walking the events in order gives, for every
round of the process (a follow-up that loops back, a reopened case), when each
step became due, its deadline, when it was done and whether the limit was met.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from kb_app.domain import deadlines
from kb_app.domain.fmt import local, sv_date, sv_datetime
from kb_app.domain.process import STEP_LABELS, EventKind, Step, due_step

STEP_EVENTS = {
    EventKind.RECEIVED: Step.RECEIVED,
    EventKind.INVESTIGATION_STARTED: Step.INVESTIGATION_STARTED,
    EventKind.INVESTIGATED: Step.INVESTIGATED,
    EventKind.MEASURES_DECIDED: Step.MEASURES_DECIDED,
    EventKind.FOLLOWED_UP: Step.FOLLOWED_UP,
    EventKind.CLOSED: Step.CLOSED,
}

MET, LATE, PENDING, OVERDUE = "met", "late", "pending", "overdue"
STATUS_LABELS = {
    MET: "I tid",
    LATE: "Försenad",
    PENDING: "Pågår",
    OVERDUE: "Försenad, ej klar",
}


@dataclass(frozen=True)
class StepTiming:
    step: Step
    became_due_at: datetime  # when the step before it was done
    due_at: datetime
    limit_days: int
    done_at: datetime | None
    status: str  # MET, LATE, PENDING, OVERDUE

    @property
    def label(self) -> str:
        return STEP_LABELS[self.step]

    @property
    def days_taken(self) -> int | None:
        if self.done_at is None:
            return None
        return deadlines.working_days_between(
            local(self.became_due_at).date(), local(self.done_at).date()
        )

    def as_row(self) -> dict[str, str]:
        """Strings for a page or the case file."""
        taken = self.days_taken
        return {
            "step": self.label,
            "limit": f"{self.limit_days} arbetsdag{'ar' if self.limit_days != 1 else ''}",
            "due": sv_date(self.due_at),
            "done": sv_datetime(self.done_at) if self.done_at else "",
            "taken": "" if taken is None else f"{taken} arbetsdag{'ar' if taken != 1 else ''}",
            "status": self.status,
            "status_label": STATUS_LABELS[self.status],
        }


def _status(due: datetime, done: datetime | None, now: datetime) -> str:
    if done is not None:
        return MET if done <= due else LATE
    return PENDING if now <= due else OVERDUE


def timings(
    events: Iterable[tuple[str, datetime, Mapping]],
    limits: Mapping[str, int],
    now: datetime,
) -> list[StepTiming]:
    """``events``: (kind, at, payload) in timeline order; ``limits``: step -> working days."""
    rows: list[StepTiming] = []
    pending: tuple[Step, datetime] | None = None

    def finish(step: Step | None, at: datetime) -> None:
        nonlocal pending
        if pending is not None and step is not None and pending[0] == step:
            days = limits.get(pending[0])
            if days is not None:
                due = deadlines.due_at(pending[1], days)
                rows.append(
                    StepTiming(pending[0], pending[1], due, days, at, _status(due, at, now))
                )
            pending = None

    for kind, at, payload in events:
        if kind == EventKind.REPORTED:
            pending = (Step.RECEIVED, at)
        elif kind in STEP_EVENTS:
            step = STEP_EVENTS[kind]
            finish(step, at)
            if kind == EventKind.FOLLOWED_UP and not payload.get("stopped", True):
                nxt: Step | None = Step.MEASURES_DECIDED  # back to measures
            else:
                nxt = due_step(step)
            pending = (nxt, at) if nxt is not None else None
        elif kind == EventKind.REOPENED:
            pending = (Step.INVESTIGATED, at)
    if pending is not None:
        days = limits.get(pending[0])
        if days is not None:
            due = deadlines.due_at(pending[1], days)
            rows.append(
                StepTiming(pending[0], pending[1], due, days, None, _status(due, None, now))
            )
    return rows


def all_met(rows: list[StepTiming]) -> bool:
    return all(r.status == MET for r in rows)
