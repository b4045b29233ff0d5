"""Working days and step limits (pure). Swedish public holidays from ``holidays``,
plus the days most workplaces treat as holidays (midsommarafton, julafton,
nyårsafton), which the package lists as Swedish holidays too."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays

from kb_app.domain.fmt import TZ
from kb_app.domain.process import Step

# Default limits in working days (GLOSSARY.md, "Promptness"); each organisation may change them.
DEFAULT_LIMITS: dict[str, int] = {
    Step.RECEIVED: 1,
    Step.INVESTIGATION_STARTED: 2,
    Step.INVESTIGATED: 10,
    Step.MEASURES_DECIDED: 5,
    Step.FOLLOWED_UP: 20,
}
ESCALATE_AFTER_DAYS = 5


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[date]:
    # include_sundays=False: the package otherwise lists every Sunday as a holiday.
    days = set(holidays.country_holidays("SE", years=year, include_sundays=False).keys())
    # Eves that are non-working days in practice: julafton, nyårsafton, midsommarafton
    # (the Friday before midsommardagen, the Saturday between 20 and 26 June).
    days.update({date(year, 12, 24), date(year, 12, 31)})
    midsummer_day = next(date(year, 6, d) for d in range(20, 27) if date(year, 6, d).weekday() == 5)
    days.add(midsummer_day - timedelta(days=1))
    return frozenset(days)


def is_working_day(d: date) -> bool:
    return d.weekday() < 5 and d not in _holidays(d.year)


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (start itself not counted)."""
    d = start
    remaining = days
    while remaining > 0:
        d += timedelta(days=1)
        if is_working_day(d):
            remaining -= 1
    return d


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 if end <= start)."""
    n = 0
    d = start
    while d < end:
        d += timedelta(days=1)
        if is_working_day(d):
            n += 1
    return n


def due_at(start: datetime, days: int) -> datetime:
    """End of the working day ``days`` working days after ``start`` (local time), in UTC."""
    local_start = start.astimezone(TZ).date()
    due = add_working_days(local_start, days)
    return datetime.combine(due, time(23, 59, 59), tzinfo=TZ).astimezone(start.tzinfo or TZ)


def is_late(closed_at: datetime | None, due_at: datetime | None, now: datetime) -> bool:
    """ "Late" (GLOSSARY.md): an open case (not closed) whose due date has passed.

    The one rule; SQL conditions (``services/overview/where.late_condition``) are
    built from the same parts: ``closed_at IS NULL AND due_at < now`` (a NULL
    due date compares as not true).
    """
    return closed_at is None and due_at is not None and due_at < now


# Reminder levels for a step that is past its due date (issue 6):
REMINDER = 1  # to the responsible person, when the step is late
SECOND_REMINDER = 2  # to the responsible person, SECOND_REMINDER_DAYS working days later
ESCALATION = 3  # to the organisers, escalate_after working days late
SECOND_REMINDER_DAYS = 2
LEVEL_LABELS = {
    REMINDER: "Påminnelse",
    SECOND_REMINDER: "Andra påminnelsen",
    ESCALATION: "Eskalering till huvudman",
}


def reminder_thresholds(due: datetime, escalate_after: int) -> dict[int, datetime]:
    """When each reminder level falls due: a level fires once ``now`` is past it.

    Level 1 when the step's due date has passed; level 2 and the escalation when
    the step is that many whole working days late (end of that working day).
    """
    return {
        REMINDER: due,
        SECOND_REMINDER: due_at(due, SECOND_REMINDER_DAYS),
        ESCALATION: due_at(due, escalate_after),
    }


def reminder_levels_due(due: datetime, now: datetime, escalate_after: int) -> list[int]:
    """The reminder levels that have fallen due at ``now``, lowest first."""
    return sorted(
        level for level, at in reminder_thresholds(due, escalate_after).items() if now > at
    )
