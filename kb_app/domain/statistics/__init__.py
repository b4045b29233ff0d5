"""Statistics (pure): periods, the figures behind each chart, and their tables.

The service (``services/statistics``) fetches small aggregated rows with SQL
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

Modules: ``periods`` (periods, buckets, filters), ``figures`` (the shapes and
formats), ``tables`` (tables and summary). This package re-exports their names,
so ``from kb_app.domain import statistics as st`` reaches all of them.
"""

from kb_app.domain.statistics.figures import (
    COLUMN_BY_KEY,
    DEFAULT_HOURS,
    FUNNEL_STAGES,
    STEP_DAY_COLUMNS,
    STEP_TIME_KEYS,
    STEP_TIME_LABELS,
    TIMED_STEPS,
    TOTAL_KEY,
    WEEKDAY_LONG,
    WEEKDAY_SHORT,
    Comparison,
    Hotspots,
    MonthRow,
    Overview,
    RateRow,
    Row,
    StepTime,
    compare,
    flags,
    funnel,
    grade_label,
    grounds,
    hotspots,
    kinds,
    monthly,
    num,
    pct,
    percentile,
    places,
    share,
    staff_rows,
    step_label,
    step_times,
    weekday_from_sql,
    working_days,
)
from kb_app.domain.statistics.periods import (
    MAX_CUSTOM_DAYS,
    PERIOD_KIND_LABELS,
    SCHOOL_YEAR_START_MONTH,
    Bucket,
    Filters,
    Period,
    PeriodKind,
    bucket_counts,
    bucket_counts_by_day,
    calendar_year,
    custom_period,
    custom_problem,
    filter_params,
    hour_key,
    local_date,
    local_midnight_utc,
    month_buckets,
    parse_filters,
    previous_period,
    school_year,
    school_year_of,
    shift_back,
)
from kb_app.domain.statistics.tables import (
    TableView,
    summary,
    tables,
)

__all__ = [
    "Bucket",
    "COLUMN_BY_KEY",
    "Comparison",
    "DEFAULT_HOURS",
    "FUNNEL_STAGES",
    "Filters",
    "Hotspots",
    "MAX_CUSTOM_DAYS",
    "MonthRow",
    "Overview",
    "PERIOD_KIND_LABELS",
    "Period",
    "PeriodKind",
    "RateRow",
    "Row",
    "SCHOOL_YEAR_START_MONTH",
    "STEP_DAY_COLUMNS",
    "STEP_TIME_KEYS",
    "STEP_TIME_LABELS",
    "StepTime",
    "TIMED_STEPS",
    "TOTAL_KEY",
    "TableView",
    "WEEKDAY_LONG",
    "WEEKDAY_SHORT",
    "bucket_counts",
    "bucket_counts_by_day",
    "calendar_year",
    "compare",
    "custom_period",
    "custom_problem",
    "filter_params",
    "flags",
    "funnel",
    "grade_label",
    "grounds",
    "hotspots",
    "hour_key",
    "kinds",
    "local_date",
    "local_midnight_utc",
    "month_buckets",
    "monthly",
    "num",
    "parse_filters",
    "pct",
    "percentile",
    "places",
    "previous_period",
    "school_year",
    "school_year_of",
    "share",
    "shift_back",
    "staff_rows",
    "step_label",
    "step_times",
    "summary",
    "tables",
    "weekday_from_sql",
    "working_days",
]
