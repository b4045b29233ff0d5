"""Statistics shapes (pure): periods, and the figures behind each chart.

The service (``services/statistics.py``) fetches small aggregated rows with SQL
GROUP BY; the functions here turn them into the shapes the page, the exports and
the yearly report show. No I/O, no clock: "today" is always passed in.

Conventions, stated once:
- A case belongs to a period by the local (Swedish) date it was reported.
- Step times are counted in Swedish working days (``domain.deadlines``), from the
  completion of the previous step to the first completion of the step, exactly as
  the step limits are counted. "Within the limit" means at most that many working
  days, the same test as the deadline. ``timeline.append_event`` keeps these on the
  case (``Case.wdays_*``, see ``STEP_DAY_COLUMNS``) so statistics never scan the
  timeline.
- Median and 90th percentile interpolate linearly between the closest ranks
  (the "inclusive" definition used by spreadsheet PERCENTILE.INC).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from kb_app.domain import deadlines
from kb_app.domain.fmt import MONTHS_SHORT, TZ, sv_date
from kb_app.domain.process import STEP_LABELS, STEP_ORDER, Step
from kb_app.domain.vocab import (
    GRADE_LABELS,
    GROUND_CODES,
    GROUND_LABELS,
    KIND_CODES,
    KIND_LABELS,
    PLACE_LABELS,
)

# --------------------------------------------------------------------------- periods


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
    edges: list[tuple[str, str, int]] = []  # (start key, end key, slot)
    n = len(buckets)
    for i, b in enumerate(buckets):
        edges.append(
            (hour_key(local_midnight_utc(b.start)), hour_key(local_midnight_utc(b.end)), i)
        )
        edges.append(
            (
                hour_key(local_midnight_utc(b.prev_start)),
                hour_key(local_midnight_utc(b.prev_end)),
                n + i,
            )
        )
    edges.sort()
    starts = [e[0] for e in edges]
    current: dict[int, int] = {}
    previous: dict[int, int] = {}
    for key, count in per_hour:
        j = bisect_right(starts, key) - 1
        if j < 0 or key >= edges[j][1]:
            continue
        slot = edges[j][2]
        target = current if slot < n else previous
        target[slot % n] = target.get(slot % n, 0) + count
    return current, previous


def bucket_counts_by_day(
    buckets: list[Bucket], per_day: Iterable[tuple[date, int]]
) -> tuple[dict[int, int], dict[int, int]]:
    """As ``bucket_counts``, from counts per Swedish calendar day."""
    edges = sorted(
        [(b.start, b.end, i) for i, b in enumerate(buckets)]
        + [(b.prev_start, b.prev_end, len(buckets) + i) for i, b in enumerate(buckets)]
    )
    starts = [e[0] for e in edges]
    n = len(buckets)
    current: dict[int, int] = {}
    previous: dict[int, int] = {}
    for day, count in per_day:
        j = bisect_right(starts, day) - 1
        if j < 0 or day >= edges[j][1]:
            continue
        slot = edges[j][2]
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


# --------------------------------------------------------------------------- helpers


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def pct(value: float | None, decimals: int = 0) -> str:
    """0.256 -> "26 %" (Swedish: space before %, decimal comma)."""
    if value is None:
        return "–"
    return f"{num(value * 100, decimals)} %"


def num(value: float | None, decimals: int = 1) -> str:
    """Swedish number: decimal comma, no trailing ",0"."""
    if value is None:
        return "–"
    text = f"{value:,.{decimals}f}".replace(",", "\u202f").replace(".", ",")
    if "," in text:
        text = text.rstrip("0").rstrip(",")
    return text


def percentile(counts: Mapping[int, int], q: float) -> float | None:
    """The q-quantile (0..1) of integer values given as value -> how many,
    interpolating linearly between the closest ranks (PERCENTILE.INC)."""
    n = sum(c for c in counts.values() if c > 0)
    if n == 0:
        return None
    h = (n - 1) * q
    lo_rank = int(h)
    frac = h - lo_rank
    values = sorted(v for v, c in counts.items() if c > 0)

    def at(rank: int) -> int:
        seen = 0
        for v in values:
            seen += counts[v]
            if rank < seen:
                return v
        return values[-1]

    lo = at(lo_rank)
    if frac == 0:
        return float(lo)
    return lo + (at(lo_rank + 1) - lo) * frac


# --------------------------------------------------------------------------- shapes


@dataclass(frozen=True)
class Row:
    """One labelled figure: a bar, a table row."""

    label: str
    count: int
    share: float | None = None  # of the total the chart is about


FUNNEL_STAGES: list[tuple[str, str]] = [
    (Step.REPORTED, "Anmälda"),
    (Step.INVESTIGATED, "Utredda"),
    (Step.MEASURES_DECIDED, "Åtgärder beslutade"),
    (Step.FOLLOWED_UP, "Uppföljda"),
    (Step.CLOSED, "Avslutade"),
]


def funnel(step_counts: Mapping[str, int]) -> list[Row]:
    """Cases that have come at least as far as each stage, from cases per current step.

    ``Case.step`` is the last step completed, and the steps follow one straight
    line, so a case at "followed_up" has also been investigated and had measures
    decided. A reopened case counts where it stands now.
    """
    order = {s: i for i, s in enumerate(STEP_ORDER)}
    total = sum(step_counts.values())
    out = []
    for stage, label in FUNNEL_STAGES:
        reached = sum(c for s, c in step_counts.items() if order.get(s, -1) >= order[stage])
        out.append(Row(label, reached, share(reached, total)))
    return out


@dataclass(frozen=True)
class MonthRow:
    label: str
    current: int
    previous: int


def monthly(buckets: list[Bucket], current: Mapping[int, int], previous: Mapping[int, int]):
    """Cases per month: bucket index -> count, this period and the one before."""
    return [MonthRow(b.label, current.get(i, 0), previous.get(i, 0)) for i, b in enumerate(buckets)]


@dataclass(frozen=True)
class RateRow:
    key: str
    label: str
    cases: int
    pupils: int | None
    per_100: float | None


@dataclass(frozen=True)
class Comparison:
    """Rows (units, or classes in a unit) against the average of the whole."""

    rows: list[RateRow]
    total_cases: int
    total_pupils: int | None
    average_per_100: float | None  # cases per 100 pupils where pupil counts are set
    average_cases: float | None  # mean cases per unit (or class)
    whole_label: str

    @property
    def uses_pupils(self) -> bool:
        return self.average_per_100 is not None


def _rate(cases: int, pupils: int | None) -> float | None:
    return cases * 100 / pupils if pupils else None


def compare(
    members: list[tuple[str, str, int | None]],
    counts: Mapping[str, int],
    shown: Iterable[str] | None,
    whole_label: str,
) -> Comparison:
    """Members (key, label, pupils or None) of a whole, with case counts per key.

    The average per 100 pupils counts only members with a pupil count; the mean
    number of cases counts every member. ``shown`` limits the rows (a principal sees
    their own units against the whole organisation); None shows every member.
    Cases under a key that is not a member (a class typed by hand) get a row too.
    """
    known = {k for k, _, _ in members}
    extra = [(k, k or "Utan klass", None) for k in counts if k not in known and counts[k] > 0]
    everyone = list(members) + extra
    with_pupils = [(k, p) for k, _, p in everyone if p]
    pupils_total = sum(p for _, p in with_pupils) or None
    cases_with_pupils = sum(counts.get(k, 0) for k, _ in with_pupils)
    total = sum(counts.get(k, 0) for k, _, _ in everyone)
    shown_set = set(shown) if shown is not None else None
    rows = [
        RateRow(k, label, counts.get(k, 0), p or None, _rate(counts.get(k, 0), p))
        for k, label, p in everyone
        if shown_set is None or k in shown_set
    ]
    rows.sort(key=lambda r: (-(r.per_100 or -1), -r.cases, r.label))
    return Comparison(
        rows=rows,
        total_cases=total,
        total_pupils=pupils_total,
        average_per_100=_rate(cases_with_pupils, pupils_total),
        average_cases=(total / len(everyone)) if everyone else None,
        whole_label=whole_label,
    )


def flags(
    bit_counts: Mapping[int, int], codes: list[str], labels: Mapping[str, str], total: int
) -> list[Row]:
    """Cases per kind (or ground) from counts per bit; a case may have several."""
    rows = [
        Row(labels[code], bit_counts.get(i, 0), share(bit_counts.get(i, 0), total))
        for i, code in enumerate(codes)
    ]
    return rows


def kinds(bit_counts: Mapping[int, int], total: int) -> list[Row]:
    return flags(bit_counts, KIND_CODES, KIND_LABELS, total)


def grounds(bit_counts: Mapping[int, int], with_any: int, total: int) -> list[Row]:
    rows = flags(bit_counts, GROUND_CODES, GROUND_LABELS, total)
    none = total - with_any
    return [*rows, Row("Ingen diskrimineringsgrund angiven", none, share(none, total))]


def places(place_counts: Mapping[str, int]) -> list[Row]:
    total = sum(place_counts.values())
    rows = [
        Row(PLACE_LABELS.get(code, code or "Ej angiven"), c, share(c, total))
        for code, c in place_counts.items()
        if c
    ]
    rows.sort(key=lambda r: (-r.count, r.label))
    return rows


WEEKDAY_SHORT = ["mån", "tis", "ons", "tor", "fre", "lör", "sön"]
WEEKDAY_LONG = ["Måndag", "Tisdag", "Onsdag", "Torsdag", "Fredag", "Lördag", "Söndag"]
DEFAULT_HOURS = list(range(7, 18))


@dataclass(frozen=True)
class Hotspots:
    """Cases by weekday (Monday first) and hour of day when it happened."""

    hours: list[int]
    matrix: list[list[int]]  # [weekday][hour index]
    unknown_time: list[int]  # per weekday: time not given
    total: int
    top: list[tuple[str, int]]  # ("tisdag 12–13", count), most frequent first


def weekday_from_sql(dow_sunday0: int) -> int:
    """SQL weekday (0 = Sunday) to Python's (0 = Monday)."""
    return (int(dow_sunday0) + 6) % 7


def hotspots(rows: Iterable[tuple[int, str, int]]) -> Hotspots:
    """Rows of (weekday 0 = Monday, "HH" or "", count)."""
    cells: dict[tuple[int, int], int] = {}
    unknown = [0] * 7
    total = 0
    for wd, hour, count in rows:
        total += count
        if hour and hour.isdigit() and 0 <= int(hour) <= 23:
            key = (wd, int(hour))
            cells[key] = cells.get(key, 0) + count
        else:
            unknown[wd] += count
    used = {h for _, h in cells}
    hours = list(range(min(used | {DEFAULT_HOURS[0]}), max(used | {DEFAULT_HOURS[-1]}) + 1))
    matrix = [[cells.get((wd, h), 0) for h in hours] for wd in range(7)]
    top = sorted(cells.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    return Hotspots(
        hours=hours,
        matrix=matrix,
        unknown_time=unknown,
        total=total,
        top=[(f"{WEEKDAY_LONG[wd].lower()} {h:02d}–{h + 1:02d}", c) for (wd, h), c in top],
    )


# The steps whose time is measured, each from the step before it (as the limits are).
TIMED_STEPS: list[tuple[str, str]] = [
    (Step.RECEIVED, Step.REPORTED),
    (Step.INVESTIGATION_STARTED, Step.RECEIVED),
    (Step.INVESTIGATED, Step.INVESTIGATION_STARTED),
    (Step.MEASURES_DECIDED, Step.INVESTIGATED),
    (Step.FOLLOWED_UP, Step.MEASURES_DECIDED),
]
TOTAL_KEY = "total"  # reported -> closed, no limit

STEP_TIME_LABELS: dict[str, str] = {
    Step.RECEIVED: "Mottagen (från anmälan)",
    Step.INVESTIGATION_STARTED: "Utredning påbörjad (från mottagen)",
    Step.INVESTIGATED: "Utredning klar (från påbörjad)",
    Step.MEASURES_DECIDED: "Åtgärder beslutade (från utredning klar)",
    Step.FOLLOWED_UP: "Uppföljning (från åtgärder)",
    TOTAL_KEY: "Hela ärendet (anmälan till avslut)",
}


# Where each timed step's working days are kept on the case, and the step it is
# counted from (for the whole case: from the report to the first closing).
STEP_DAY_COLUMNS: dict[str, tuple[str, str]] = {
    Step.RECEIVED: ("wdays_received", Step.REPORTED),
    Step.INVESTIGATION_STARTED: ("wdays_investigation_started", Step.RECEIVED),
    Step.INVESTIGATED: ("wdays_investigated", Step.INVESTIGATION_STARTED),
    Step.MEASURES_DECIDED: ("wdays_measures_decided", Step.INVESTIGATED),
    Step.FOLLOWED_UP: ("wdays_followed_up", Step.MEASURES_DECIDED),
    Step.CLOSED: ("wdays_total", Step.REPORTED),
}
STEP_TIME_KEYS: list[str] = [s for s, _ in TIMED_STEPS] + [TOTAL_KEY]
COLUMN_BY_KEY: dict[str, str] = {
    **{k: STEP_DAY_COLUMNS[k][0] for k, _ in TIMED_STEPS},
    TOTAL_KEY: STEP_DAY_COLUMNS[Step.CLOSED][0],
}


def working_days(start: datetime, end: datetime) -> int:
    """Swedish working days after the local day of ``start`` up to and including the
    local day of ``end`` (0 on the same day, never negative). A step is within a
    limit of N days exactly when this is at most N (its due date is the end of the
    N:th working day, see ``deadlines.due_at``)."""
    d0, d1 = local_date(start), local_date(end)
    return deadlines.working_days_between(d0, d1) if d1 > d0 else 0


@dataclass(frozen=True)
class StepTime:
    key: str
    label: str
    cases: int  # cases that completed the step (with the step before it)
    median: float | None  # working days
    p90: float | None
    limit: int | None  # working days, None for the whole case
    within: int  # cases completed within the limit
    share_within: float | None


def step_times(
    distributions: Mapping[str, Mapping[int, int]], limits: Mapping[str, int]
) -> list[StepTime]:
    """Per step: working days -> number of cases (see ``working_days``)."""
    out = []
    for key in STEP_TIME_KEYS:
        dist = {d: c for d, c in distributions.get(key, {}).items() if d is not None and c}
        n = sum(dist.values())
        limit = limits.get(key) if key != TOTAL_KEY else None
        within = sum(c for d, c in dist.items() if limit is not None and d <= limit)
        out.append(
            StepTime(
                key=key,
                label=STEP_TIME_LABELS[key],
                cases=n,
                median=percentile(dist, 0.5),
                p90=percentile(dist, 0.9),
                limit=limit,
                within=within,
                share_within=share(within, n) if limit is not None else None,
            )
        )
    return out


@dataclass(frozen=True)
class Overview:
    """Every figure of the statistics page for one set of filters."""

    period: Period
    scope_label: str
    total: int
    closed: int
    staff_involved: int
    funnel: list[Row]
    months: list[MonthRow]
    units: Comparison
    classes: Comparison | None  # only when one unit is chosen
    kinds: list[Row]
    grounds: list[Row]
    places: list[Row]
    hotspots: Hotspots
    step_times: list[StepTime]
    extra: dict = field(default_factory=dict)

    @property
    def staff_share(self) -> float | None:
        return share(self.staff_involved, self.total)

    @property
    def within_all(self) -> tuple[int, int]:
        """Steps done within their limit, of all timed steps done."""
        timed = [s for s in self.step_times if s.limit is not None]
        return sum(s.within for s in timed), sum(s.cases for s in timed)


def staff_rows(staff: int, total: int) -> list[Row]:
    return [
        Row("Personal inblandad", staff, share(staff, total)),
        Row("Ingen personal inblandad", total - staff, share(total - staff, total)),
    ]


def grade_label(grade: str | None) -> str:
    return GRADE_LABELS.get(grade or "", grade or "") if grade else "Alla årskurser"


def step_label(step: str) -> str:
    return STEP_LABELS.get(step, step)


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class TableView:
    """A chart's figures as a table: the screen-reader view, the reports' tables."""

    key: str
    title: str
    note: str
    headers: list[str]
    rows: list[list[str]]


def _days(v: float | None) -> str:
    return num(v, 1) if v is not None else "–"


def tables(ov: Overview) -> dict[str, TableView]:
    """Every chart of ``ov`` as a titled table with Swedish numbers."""
    out: dict[str, TableView] = {}
    out["funnel"] = TableView(
        "funnel",
        "Från anmälan till avslut",
        "Ärenden anmälda under perioden och hur långt de har kommit.",
        ["Steg", "Ärenden", "Andel av anmälda"],
        [[r.label, str(r.count), pct(r.share)] for r in ov.funnel],
    )
    prev = previous_period(ov.period)
    out["months"] = TableView(
        "months",
        "Anmälningar per månad",
        f"{ov.period.label} jämfört med {prev.label[0].lower() + prev.label[1:]}.",
        ["Månad", "Perioden", "Föregående period"],
        [[m.label, str(m.current), str(m.previous)] for m in ov.months],
    )
    u = ov.units
    if u.uses_pupils:
        note = (
            "Anmälningar per 100 barn/elever. Genomsnitt för hela huvudmannen: "
            f"{num(u.average_per_100)} per 100."
        )
    else:
        note = (
            f"Antal anmälningar (elevantal saknas). Genomsnitt per enhet: {num(u.average_cases)}."
        )
    out["units"] = TableView(
        "units",
        "Per enhet jämfört med huvudmannen",
        note,
        ["Enhet", "Ärenden", "Barn/elever", "Per 100 barn/elever"],
        [[r.label, str(r.cases), str(r.pupils or "–"), num(r.per_100)] for r in u.rows]
        + [
            [
                f"{u.whole_label} (genomsnitt)",
                str(u.total_cases),
                str(u.total_pupils or "–"),
                num(u.average_per_100),
            ]
        ],
    )
    if ov.classes is not None:
        c = ov.classes
        out["classes"] = TableView(
            "classes",
            f"Per klass i {c.whole_label}",
            (
                f"Anmälningar per 100 elever. Enhetens genomsnitt: {num(c.average_per_100)} per 100."
                if c.uses_pupils
                else f"Antal anmälningar. Genomsnitt per klass: {num(c.average_cases)}."
            ),
            ["Klass", "Ärenden", "Elever", "Per 100 elever"],
            [[r.label, str(r.cases), str(r.pupils or "–"), num(r.per_100)] for r in c.rows]
            + [
                [
                    f"{c.whole_label} (genomsnitt)",
                    str(c.total_cases),
                    str(c.total_pupils or "–"),
                    num(c.average_per_100),
                ]
            ],
        )
    out["kinds"] = TableView(
        "kinds",
        "Slag av kränkning",
        "Ett ärende kan ha flera slag.",
        ["Slag", "Ärenden", "Andel"],
        [[r.label, str(r.count), pct(r.share)] for r in ov.kinds],
    )
    out["grounds"] = TableView(
        "grounds",
        "Diskrimineringsgrunder",
        "Trakasserier som har samband med en diskrimineringsgrund. Ett ärende kan ha flera.",
        ["Grund", "Ärenden", "Andel"],
        [[r.label, str(r.count), pct(r.share)] for r in ov.grounds],
    )
    out["places"] = TableView(
        "places",
        "Var det hände",
        "Plats för händelsen.",
        ["Plats", "Ärenden", "Andel"],
        [[r.label, str(r.count), pct(r.share)] for r in ov.places],
    )
    h = ov.hotspots
    out["hotspots"] = TableView(
        "hotspots",
        "Veckodag och klockslag",
        "När händelserna inträffade, antal ärenden per timme."
        + (f" Vanligast: {h.top[0][0]} ({h.top[0][1]} st)." if h.top else ""),
        ["Veckodag"] + [f"{hh:02d}" for hh in h.hours] + ["Okänd tid"],
        [
            [WEEKDAY_LONG[wd]] + [str(v) for v in h.matrix[wd]] + [str(h.unknown_time[wd])]
            for wd in range(7)
        ],
    )
    out["step_times"] = TableView(
        "step_times",
        "Tid per steg",
        "Arbetsdagar från föregående steg (för hela ärendet: från anmälan till avslut). "
        "Median och 90:e percentil; andel klara inom huvudmannens frist.",
        ["Steg", "Ärenden", "Median", "90:e percentil", "Frist", "Inom frist"],
        [
            [
                s.label,
                str(s.cases),
                _days(s.median),
                _days(s.p90),
                (f"{s.limit} arbetsdag" + ("ar" if s.limit != 1 else ""))
                if s.limit is not None
                else "–",
                pct(s.share_within) if s.limit is not None else "–",
            ]
            for s in ov.step_times
        ],
    )
    out["staff"] = TableView(
        "staff",
        "Personal inblandad",
        "Ärenden där en vuxen i verksamheten pekas ut (skollagen 6 kap. 9 §).",
        ["", "Ärenden", "Andel"],
        [[r.label, str(r.count), pct(r.share)] for r in staff_rows(ov.staff_involved, ov.total)],
    )
    return out


def summary(ov: Overview) -> list[tuple[str, str, str]]:
    """Key figures: (label, value, explanation)."""
    within, timed = ov.within_all
    open_cases = ov.total - ov.closed
    return [
        ("Anmälda ärenden", str(ov.total), ov.period.label),
        ("Pågående", str(open_cases), f"{ov.closed} avslutade"),
        ("Steg inom frist", pct(share(within, timed)), f"{within} av {timed} steg"),
        ("Personal inblandad", pct(ov.staff_share), f"{ov.staff_involved} ärenden"),
    ]
