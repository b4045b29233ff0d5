"""Statistics periods (pure): school years, calendar years and chosen ranges,
their month buckets, and the statistics filters in the URL.

A case belongs to a period by the local (Swedish) date it was reported. No clock:
"today" is always passed in.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from kb_app.domain.fmt import MONTHS_SHORT, TZ, sv_date
from kb_app.domain.vocab import GRADE_LABELS


class PeriodKind(StrEnum):
    SCHOOL_YEAR = "school_year"
    CALENDAR_YEAR = "calendar_year"
    CUSTOM = "custom"


PERIOD_KIND_LABELS: dict[str, str] = {
    PeriodKind.SCHOOL_YEAR: "Läsår",
    PeriodKind.CALENDAR_YEAR: "Kalenderår",
    PeriodKind.CUSTOM: "Egen period",
}

SCHOOL_YEAR_START_MONTH = 8  # a school year runs 1 August – 31 July
MAX_CUSTOM_DAYS = 3 * 366


@dataclass(frozen=True)
class Period:
    """Local dates: ``start`` inclusive, ``end`` exclusive."""

    kind: str
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def label(self) -> str:
        if self.kind == PeriodKind.SCHOOL_YEAR:
            return f"Läsåret {self.start.year}/{str(self.start.year + 1)[-2:]}"
        if self.kind == PeriodKind.CALENDAR_YEAR:
            return f"Kalenderåret {self.start.year}"
        return f"{sv_date(self.start)} – {sv_date(self.last_day)}"

    @property
    def utc_range(self) -> tuple[datetime, datetime]:
        return local_midnight_utc(self.start), local_midnight_utc(self.end)


def local_midnight_utc(d: date) -> datetime:
    """The UTC instant at which the Swedish day ``d`` begins."""
    return datetime.combine(d, time(0), tzinfo=TZ).astimezone(UTC)


def local_date(at: datetime) -> date:
    return at.astimezone(TZ).date()


def school_year_of(d: date) -> int:
    """The starting year of the school year that ``d`` falls in (2026 for 2026/27)."""
    return d.year if d.month >= SCHOOL_YEAR_START_MONTH else d.year - 1


def school_year(start_year: int) -> Period:
    return Period(
        PeriodKind.SCHOOL_YEAR,
        date(start_year, SCHOOL_YEAR_START_MONTH, 1),
        date(start_year + 1, SCHOOL_YEAR_START_MONTH, 1),
    )


def calendar_year(year: int) -> Period:
    return Period(PeriodKind.CALENDAR_YEAR, date(year, 1, 1), date(year + 1, 1, 1))


def custom_period(first_day: date, last_day: date) -> Period:
    """Both days inclusive (as the user picks them)."""
    return Period(PeriodKind.CUSTOM, first_day, last_day + timedelta(days=1))


def custom_problem(first_day: date | None, last_day: date | None) -> str | None:
    """A Swedish message if the custom period cannot be used, else None."""
    if first_day is None or last_day is None:
        return "Ange både första och sista dag."
    if last_day < first_day:
        return "Sista dagen kan inte vara före den första."
    if (last_day - first_day).days + 1 > MAX_CUSTOM_DAYS:
        return "Välj en period på högst tre år."
    return None


def _minus_year(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


def shift_back(period: Period, d: date) -> date:
    """``d`` moved to the same place in the previous period."""
    if period.kind in (PeriodKind.SCHOOL_YEAR, PeriodKind.CALENDAR_YEAR):
        return _minus_year(d)
    return d - timedelta(days=period.days)


def previous_period(period: Period) -> Period:
    """The year before (school or calendar year), or as many days just before (custom)."""
    return Period(period.kind, shift_back(period, period.start), shift_back(period, period.end))


@dataclass(frozen=True)
class Bucket:
    """One month of a period (clipped to the period), and its twin a period earlier."""

    label: str
    start: date
    end: date
    prev_start: date
    prev_end: date


def month_buckets(period: Period) -> list[Bucket]:
    out: list[Bucket] = []
    d = date(period.start.year, period.start.month, 1)
    years = {period.start.year, period.last_day.year}
    spans_years = period.kind == PeriodKind.CUSTOM and len(years) > 1
    while d < period.end:
        nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        start, end = max(d, period.start), min(nxt, period.end)
        label = MONTHS_SHORT[d.month - 1]
        if spans_years:
            label = f"{label} {d.year}"
        out.append(Bucket(label, start, end, shift_back(period, start), shift_back(period, end)))
        d = nxt
    return out


def hour_key(at: datetime) -> str:
    """A UTC instant's hour as sortable text, "YYYY-MM-DD HH" (how SQL groups it)."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H")


def bucket_counts(
    buckets: list[Bucket], per_hour: Iterable[tuple[str, int]]
) -> tuple[dict[int, int], dict[int, int]]:
    """Sort counts per UTC hour (``hour_key``) into the months of a period and of
    the period before: (bucket index -> count now, bucket index -> count earlier).

    Swedish days begin on a whole UTC hour, so comparing hour keys with the keys of
    the months' first instants is exact.
    """
    edges = [
        (hour_key(local_midnight_utc(start)), hour_key(local_midnight_utc(end)))
        for start, end in _edges(buckets)
    ]
    return _binned(edges, per_hour)


def bucket_counts_by_day(
    buckets: list[Bucket], per_day: Iterable[tuple[date, int]]
) -> tuple[dict[int, int], dict[int, int]]:
    """As ``bucket_counts``, from counts per Swedish calendar day."""
    return _binned(_edges(buckets), per_day)


def _edges(buckets: list[Bucket]) -> list[tuple[date, date]]:
    """The months' (first day, day after) of the period, then of the period before."""
    return [(b.start, b.end) for b in buckets] + [(b.prev_start, b.prev_end) for b in buckets]


def _binned(edges: list[tuple], counts: Iterable[tuple]) -> tuple[dict[int, int], dict[int, int]]:
    """Add up ``(key, count)`` into the slots whose ``[start, end)`` edges hold the
    key: the first half of ``edges`` are the period's buckets, the second half the
    period before's."""
    n = len(edges) // 2
    ordered = sorted((start, end, slot) for slot, (start, end) in enumerate(edges))
    starts = [e[0] for e in ordered]
    current: dict[int, int] = {}
    previous: dict[int, int] = {}
    for key, count in counts:
        j = bisect_right(starts, key) - 1
        if j < 0 or key >= ordered[j][1]:
            continue
        slot = ordered[j][2]
        target = current if slot < n else previous
        target[slot % n] = target.get(slot % n, 0) + count
    return current, previous


@dataclass(frozen=True)
class Filters:
    """What the user chose: a period, optionally one unit and one grade."""

    period: Period
    unit_id: int | None = None
    grade: str | None = None


def parse_filters(params: Mapping[str, str], today: date) -> tuple[Filters | None, str | None]:
    """Filters from query parameters (the page and the download links use the same
    names: ``period``, ``year``, ``from``, ``to``, ``unit``, ``grade``).

    Returns ``(filters, None)`` or ``(None, Swedish message)``.
    """
    kind = params.get("period") or PeriodKind.SCHOOL_YEAR
    if kind not in set(PeriodKind):
        return None, "Okänd period."
    if kind == PeriodKind.CUSTOM:
        first, last = _parse_date(params.get("from")), _parse_date(params.get("to"))
        problem = custom_problem(first, last)
        if problem:
            return None, problem
        period = custom_period(first, last)
    else:
        default = school_year_of(today) if kind == PeriodKind.SCHOOL_YEAR else today.year
        raw = (params.get("year") or "").strip()
        if raw and not (raw.isdigit() and 2000 <= int(raw) <= 2100):
            return None, "Okänt år."
        year = int(raw) if raw else default
        period = school_year(year) if kind == PeriodKind.SCHOOL_YEAR else calendar_year(year)
    unit_raw = (params.get("unit") or "").strip()
    if unit_raw and not unit_raw.isdigit():
        return None, "Okänd enhet."
    grade = (params.get("grade") or "").strip()
    if grade and grade not in GRADE_LABELS:
        return None, "Okänd årskurs."
    return Filters(period, int(unit_raw) if unit_raw else None, grade or None), None


def filter_params(f: Filters) -> dict[str, str]:
    """The inverse of ``parse_filters``: query parameters for a download link."""
    out = {"period": str(f.period.kind)}
    if f.period.kind == PeriodKind.CUSTOM:
        out["from"] = f.period.start.isoformat()
        out["to"] = f.period.last_day.isoformat()
    else:
        out["year"] = str(f.period.start.year)
    if f.unit_id is not None:
        out["unit"] = str(f.unit_id)
    if f.grade:
        out["grade"] = f.grade
    return out


def _parse_date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        return None
