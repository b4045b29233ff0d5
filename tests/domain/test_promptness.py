"""Promptness per step from a timeline (domain/promptness.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kb_app.domain.deadlines import DEFAULT_LIMITS
from kb_app.domain.process import EventKind as K
from kb_app.domain.process import Step
from kb_app.domain.promptness import LATE, MET, OVERDUE, PENDING, timings

MON = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # a Monday


def at(days: float) -> datetime:
    return MON + timedelta(days=days)


def test_each_step_due_after_the_one_before_met_or_late():
    events = [
        (K.REPORTED, at(0), {}),
        (K.ORGANISER_NOTIFIED, at(0), {}),
        (K.RECEIVED, at(3), {}),  # Thursday: limit 1 working day (Tuesday) -> late
        (K.COMMENT, at(3), {}),
        (K.INVESTIGATION_STARTED, at(3.1), {}),
        (K.INVESTIGATED, at(7), {}),
    ]
    rows = timings(events, DEFAULT_LIMITS, now=at(8))
    assert [(r.step, r.status) for r in rows] == [
        (Step.RECEIVED, LATE),
        (Step.INVESTIGATION_STARTED, MET),
        (Step.INVESTIGATED, MET),
        (Step.MEASURES_DECIDED, PENDING),
    ]
    assert rows[0].days_taken == 3
    assert rows[0].as_row()["status_label"] == "Försenad"
    assert rows[-1].done_at is None
    # Nothing done for a long time: the open step is overdue.
    assert timings(events, DEFAULT_LIMITS, now=at(30))[-1].status == OVERDUE


def test_loop_back_and_reopen_start_new_rounds():
    events = [
        (K.REPORTED, at(0), {}),
        (K.RECEIVED, at(0.1), {}),
        (K.INVESTIGATION_STARTED, at(0.2), {}),
        (K.INVESTIGATED, at(1), {}),
        (K.MEASURES_DECIDED, at(2), {}),
        (K.FOLLOWED_UP, at(8), {"stopped": False}),
        (K.MEASURES_DECIDED, at(9), {}),
        (K.FOLLOWED_UP, at(15), {"stopped": True}),
        (K.CLOSED, at(15), {}),
        (K.REOPENED, at(20), {}),
    ]
    rows = timings(events, DEFAULT_LIMITS, now=at(21))
    steps = [r.step for r in rows]
    assert steps == [
        Step.RECEIVED,
        Step.INVESTIGATION_STARTED,
        Step.INVESTIGATED,
        Step.MEASURES_DECIDED,
        Step.FOLLOWED_UP,
        Step.MEASURES_DECIDED,  # after the follow-up that found the acts not stopped
        Step.FOLLOWED_UP,
        Step.INVESTIGATED,  # reopened: investigated again
    ]
    assert all(r.status == MET for r in rows[:-1])
    assert rows[-1].status == PENDING and rows[-1].became_due_at == at(20)
