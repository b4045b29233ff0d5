"""Working days (weekends, Swedish holidays and eves) and reminder levels."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from kb_app.domain import deadlines
from kb_app.domain.fmt import TZ


def local(y, m, d, h=10, mi=0):
    return datetime(y, m, d, h, mi, tzinfo=TZ).astimezone(UTC)


def due_local(start: datetime, days: int) -> datetime:
    return deadlines.due_at(start, days).astimezone(TZ)


def test_reported_on_23_december_with_two_days_is_due_29_december():
    # 24 julafton, 25 juldagen, 26 annandag jul (Saturday), 27 Sunday: the two
    # working days are Monday 28 and Tuesday 29.
    due = due_local(local(2026, 12, 23, 15, 40), 2)
    assert due.date() == date(2026, 12, 29)
    assert (due.hour, due.minute, due.second) == (23, 59, 59)


def test_weekend_is_skipped():
    assert due_local(local(2026, 11, 27), 1).date() == date(2026, 11, 30)  # Fri -> Mon
    assert due_local(local(2026, 11, 28), 1).date() == date(2026, 11, 30)  # Sat -> Mon
    assert due_local(local(2026, 11, 23), 5).date() == date(2026, 11, 30)  # Mon + 5


def test_swedish_holidays_and_eves():
    # Easter 2026: långfredag 3 April, annandag påsk 6 April
    assert due_local(local(2026, 4, 2), 1).date() == date(2026, 4, 7)
    # Kristi himmelfärd Thursday 14 May 2026
    assert due_local(local(2026, 5, 13), 1).date() == date(2026, 5, 15)
    # midsommarafton Friday 19 June 2026
    assert due_local(local(2026, 6, 18), 1).date() == date(2026, 6, 22)
    # nyårsafton (Thu 31 Dec), nyårsdagen (Fri 1 Jan 2027), then the weekend
    assert due_local(local(2026, 12, 30), 1).date() == date(2027, 1, 4)
    # trettondedag jul, Wednesday 6 January 2027
    assert due_local(local(2027, 1, 5), 1).date() == date(2027, 1, 7)
    # första maj 2026 is a Friday
    assert due_local(local(2026, 4, 30), 1).date() == date(2026, 5, 4)
    for d in [date(2026, 12, 24), date(2026, 12, 31), date(2026, 6, 19), date(2026, 1, 6)]:
        assert not deadlines.is_working_day(d)


def test_late_evening_utc_counts_in_swedish_time():
    # 23:30 UTC on Monday 23 Nov is already Tuesday in Stockholm.
    start = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    assert due_local(start, 1).date() == date(2026, 11, 25)


def test_zero_days_is_the_end_of_the_same_day():
    assert due_local(local(2026, 11, 24), 0).date() == date(2026, 11, 24)


@settings(deadline=None)  # the first call loads the holiday tables
@given(
    st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 12, 31)),
    st.integers(min_value=1, max_value=40),
)
def test_due_date_is_a_working_day_exactly_n_working_days_later(start, days):
    due = deadlines.add_working_days(start, days)
    assert deadlines.is_working_day(due)
    assert deadlines.working_days_between(start, due) == days
    assert deadlines.working_days_between(start, due - timedelta(days=1)) == days - 1


def test_reminder_levels_as_the_clock_moves():
    # Due Wednesday 25 Nov 2026 (end of day); escalation after 5 working days.
    due = deadlines.due_at(local(2026, 11, 23), 2)
    assert due.astimezone(TZ).date() == date(2026, 11, 25)

    def levels(y, m, d, h=0, mi=1):
        return deadlines.reminder_levels_due(due, local(y, m, d, h, mi), 5)

    assert levels(2026, 11, 25, 23, 59) == []
    assert levels(2026, 11, 26, 0, 0) == [1]
    assert levels(2026, 11, 27, 23, 59) == [1]  # Thu, Fri: 2 working days late at Fri's end
    assert levels(2026, 11, 28) == [1, 2]
    assert levels(2026, 12, 2, 23, 59) == [1, 2]  # Mon 30, Tue 1, Wed 2: the 5th day
    assert levels(2026, 12, 3) == [1, 2, 3]


def test_escalation_counts_holidays_too():
    # Due Wed 23 Dec 2026: 28, 29, 30 Dec, 4, 5 Jan are the five working days late.
    due = deadlines.due_at(local(2026, 12, 22), 1)
    assert due.astimezone(TZ).date() == date(2026, 12, 23)
    assert deadlines.reminder_levels_due(due, local(2027, 1, 5, 23, 58), 5) == [1, 2]
    assert deadlines.reminder_levels_due(due, local(2027, 1, 6, 0, 1), 5) == [1, 2, 3]
    assert deadlines.reminder_levels_due(due, local(2026, 12, 30, 0, 1), 5) == [1, 2]


@settings(deadline=None)  # the first call loads the holiday tables
@given(
    st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31)),
    st.integers(min_value=0, max_value=30 * 24 * 60),
    st.integers(min_value=0, max_value=30 * 24 * 60),
    st.integers(min_value=1, max_value=15),
)
def test_reminder_levels_only_grow_as_time_passes(start, a, b, escalate):
    due = deadlines.due_at(datetime(start.year, start.month, start.day, 9, tzinfo=TZ), 2)
    t1, t2 = sorted([due + timedelta(minutes=a - 60), due + timedelta(minutes=b - 60)])
    first = deadlines.reminder_levels_due(due, t1, escalate)
    assert set(first) <= set(deadlines.reminder_levels_due(due, t2, escalate))
    assert first == [] or first[0] == deadlines.REMINDER


def test_late_is_an_open_case_past_its_due_date():
    from datetime import UTC, datetime, timedelta

    from kb_app.domain.deadlines import is_late

    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    assert is_late(None, now - timedelta(seconds=1), now)
    assert not is_late(None, now, now)  # due this instant: not yet late
    assert not is_late(None, now + timedelta(days=1), now)
    assert not is_late(None, None, now)  # no due date
    assert not is_late(now, now - timedelta(days=3), now)  # closed
