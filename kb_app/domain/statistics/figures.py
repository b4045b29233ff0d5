"""Statistics figures (pure): the shapes behind each chart from small aggregated
rows (funnel, months, comparisons, kinds, grounds, places, hotspots, step times),
and the percent and number formats they are shown in. See the package docstring
for the conventions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from kb_app.domain import deadlines
from kb_app.domain.process import STEP_LABELS, STEP_ORDER, Step
from kb_app.domain.statistics.periods import Bucket, Period, local_date
from kb_app.domain.vocab import (
    GRADE_LABELS,
    GROUND_CODES,
    GROUND_LABELS,
    KIND_CODES,
    KIND_LABELS,
    PLACE_LABELS,
)


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
    # Open cases whose follow-up found the acts not stopped (new measures due).
    new_measures_needed: int = 0

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
