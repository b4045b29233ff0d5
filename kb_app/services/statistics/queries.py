"""Statistics: the actor's scope and one aggregate SQL query per chart.

Every query groups in the database (GROUP BY / conditional sums) and returns a
handful of rows, so a 200 000-case organisation never loads case objects. The
shapes are made by ``domain.statistics``. The SQL is portable: the only
dialect-specific pieces (a timestamp's Swedish calendar day, a date's weekday)
are built by small helpers for SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import (
    Integer,
    case,
    extract,
    func,
    literal_column,
    union_all,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, select

from kb_app.db import read_scope
from kb_app.domain import statistics as st
from kb_app.domain.access import Action, Actor, can, unit_scope, visible_unit_ids
from kb_app.domain.fmt import TZ
from kb_app.domain.process import Step
from kb_app.domain.vocab import GRADE_LABELS, GRADES, GROUND_CODES, KIND_CODES
from kb_app.errors import NoStatisticsAccess
from kb_app.models import Case, CaseEvent, SchoolClass, Unit
from kb_app.services.base import limits as limits_service
from kb_app.services.base.conflicts import excluded_cases, not_excluded


@dataclass(frozen=True)
class UnitInfo:
    id: int
    name: str
    pupils: int | None
    active: bool


@dataclass(frozen=True)
class Scope:
    """What one request may count: resolved from the actor, never from the client."""

    organisation_id: int
    filters: st.Filters
    unit_ids: tuple[int, ...] | None  # None: every unit of the organisation
    visible_unit_ids: tuple[int, ...]  # units whose own figures the actor may see
    units: tuple[UnitInfo, ...]  # every unit of the organisation (for averages)
    is_organiser: bool
    # The actor, when they are named as involved in some case (jäv): those cases are
    # left out of everything they count. None (the usual case): no condition.
    excluded_for: int | None = None

    @property
    def start(self) -> datetime:
        return self.filters.period.utc_range[0]

    @property
    def end(self) -> datetime:
        return self.filters.period.utc_range[1]

    @property
    def grade(self) -> str | None:
        return self.filters.grade

    def unit_name(self, unit_id: int) -> str:
        return next((u.name for u in self.units if u.id == unit_id), "")

    @property
    def label(self) -> str:
        if self.filters.unit_id is not None:
            where = self.unit_name(self.filters.unit_id)
        elif self.is_organiser:
            where = "Alla enheter"
        else:
            where = ", ".join(self.unit_name(u) for u in self.visible_unit_ids) or "Inga enheter"
        if self.grade:
            where += f" · {GRADE_LABELS.get(self.grade, self.grade)}"
        return where


def _units(s: Session, organisation_id: int) -> tuple[UnitInfo, ...]:
    rows = s.exec(
        select(Unit.id, Unit.name, Unit.pupil_count, Unit.active)
        .where(Unit.organisation_id == organisation_id)
        .order_by(Unit.name)
    ).all()
    return tuple(UnitInfo(i, n, p or None, a) for i, n, p, a in rows)


def resolve_scope(s: Session, actor: Actor | None, filters: st.Filters) -> Scope:
    """The units the actor may count, intersected with the chosen unit.

    Organisers: every unit; principals: their units; everyone else: denied.
    """
    if actor is None or not can(actor, Action.STATISTICS):
        raise NoStatisticsAccess()
    units = _units(s, actor.organisation_id)
    org_unit_ids = [u.id for u in units]
    visible = tuple(visible_unit_ids(actor, org_unit_ids))
    if filters.unit_id is not None:
        if filters.unit_id not in visible:
            raise NoStatisticsAccess()
        unit_ids: tuple[int, ...] | None = (filters.unit_id,)
    else:
        unit_ids = None if unit_scope(actor) is None else visible
    return Scope(
        organisation_id=actor.organisation_id,
        filters=filters,
        unit_ids=unit_ids,
        visible_unit_ids=visible,
        units=units,
        is_organiser=actor.is_organiser,
        excluded_for=actor.user_id
        if s.exec(excluded_cases(actor.user_id).limit(1)).first()
        else None,
    )


# --------------------------------------------------------------------------- SQL helpers


def _dialect(s: Session) -> str:
    return s.get_bind().dialect.name


def weekday_sunday0(dialect: str, col: ColumnElement) -> ColumnElement:
    """Weekday of a DATE column, 0 = Sunday, as an integer on both backends."""
    if dialect == "postgresql":
        return sql_cast(extract("dow", col), Integer)
    return sql_cast(func.strftime(literal_column("'%w'"), col), Integer)


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _conds(scope: Scope, *, units: bool = True, grade: bool = True) -> list:
    conds = [
        Case.organisation_id == scope.organisation_id,
        Case.reported_at >= scope.start,
        Case.reported_at < scope.end,
    ]
    if units and scope.unit_ids is not None:
        conds.append(Case.unit_id.in_(scope.unit_ids))
    if grade and scope.grade:
        conds.append(Case.grade == scope.grade)
    if scope.excluded_for is not None:
        conds.append(not_excluded(scope.excluded_for))
    return conds


def _int(v) -> int:
    return int(v or 0)


# --------------------------------------------------------------------------- the queries


def step_counts(s: Session, scope: Scope) -> dict[str, int]:
    rows = s.exec(select(Case.step, func.count()).where(*_conds(scope)).group_by(Case.step))
    return {step: _int(n) for step, n in rows}


def funnel(s: Session, scope: Scope) -> list[st.Row]:
    return st.funnel(step_counts(s, scope))


def months(s: Session, scope: Scope) -> list[st.MonthRow]:
    """Cases per month, this period and the one before, in one index-only pass.

    PostgreSQL counts per Swedish day with its time-zone database. SQLite stores
    UTC text, so it counts per UTC hour (Swedish offsets are whole hours, so every
    hour lies within one Swedish day) and Python sorts the hours into months.
    """
    period = scope.filters.period
    buckets = st.month_buckets(period)
    prev = st.previous_period(period)
    conds = _conds(scope)
    conds[1] = Case.reported_at >= st.local_midnight_utc(prev.start)
    if _dialect(s) == "postgresql":
        day = func.date(func.timezone(literal_column("'Europe/Stockholm'"), Case.reported_at))
        inner = select(day.label("d")).where(*conds).subquery()
        per_day = s.exec(select(inner.c.d, func.count()).group_by(inner.c.d)).all()
        current, previous = st.bucket_counts_by_day(
            buckets, [(_as_date(d), _int(n)) for d, n in per_day]
        )
    else:
        inner = select(func.substr(Case.reported_at, 1, 13).label("h")).where(*conds).subquery()
        per_hour = s.exec(select(inner.c.h, func.count()).group_by(inner.c.h)).all()
        current, previous = st.bucket_counts(buckets, per_hour)
    return st.monthly(buckets, current, previous)


def _pupils_by_unit(s: Session, scope: Scope) -> dict[int, int | None]:
    """Pupils per unit; with a grade chosen, the pupils of that grade's classes."""
    if not scope.grade:
        from_classes = dict(
            s.exec(
                select(SchoolClass.unit_id, func.sum(SchoolClass.pupil_count))
                .join(Unit, Unit.id == SchoolClass.unit_id)
                .where(Unit.organisation_id == scope.organisation_id)
                .group_by(SchoolClass.unit_id)
            ).all()
        )
        return {u.id: u.pupils or _int(from_classes.get(u.id)) or None for u in scope.units}
    rows = s.exec(
        select(SchoolClass.unit_id, func.sum(SchoolClass.pupil_count))
        .join(Unit, Unit.id == SchoolClass.unit_id)
        .where(Unit.organisation_id == scope.organisation_id, SchoolClass.grade == scope.grade)
        .group_by(SchoolClass.unit_id)
    ).all()
    return {uid: _int(p) or None for uid, p in rows}


def units(s: Session, scope: Scope) -> st.Comparison:
    """Every visible unit (or the chosen one) against the whole organisation."""
    # "+ 0" keeps the planner on the statistics index (SQLite would otherwise walk
    # the unit index for the GROUP BY and look up every row).
    unit_col = (Case.unit_id + literal_column("0")).label("u")
    rows = s.exec(
        select(unit_col, func.count()).where(*_conds(scope, units=False)).group_by(unit_col)
    ).all()
    counts = {str(uid): _int(n) for uid, n in rows}
    pupils = _pupils_by_unit(s, scope)
    members = [
        (str(u.id), u.name, pupils.get(u.id))
        for u in scope.units
        if u.active or counts.get(str(u.id))
    ]
    shown = [str(u) for u in (scope.unit_ids or scope.visible_unit_ids)]
    return st.compare(members, counts, shown, "Hela huvudmannen")


def classes(s: Session, scope: Scope) -> st.Comparison | None:
    """Classes of the chosen unit against the unit's average (one unit only)."""
    if scope.unit_ids is None or len(scope.unit_ids) != 1:
        return None
    unit_id = scope.unit_ids[0]
    rows = s.exec(
        select(Case.class_name, func.count()).where(*_conds(scope)).group_by(Case.class_name)
    ).all()
    counts = {name: _int(n) for name, n in rows}
    q = select(SchoolClass.name, SchoolClass.pupil_count).where(SchoolClass.unit_id == unit_id)
    if scope.grade:
        q = q.where(SchoolClass.grade == scope.grade)
    members = [(name, name, p) for name, p in s.exec(q.order_by(SchoolClass.name)).all()]
    return st.compare(members, counts, None, scope.unit_name(unit_id))


@dataclass(frozen=True)
class FlagCounts:
    total: int
    staff: int
    kinds: list[st.Row]
    grounds: list[st.Row]


def flag_counts(s: Session, scope: Scope) -> FlagCounts:
    """Total, staff-involved, per kind and per ground, in one pass over the cases."""
    kind_cols = [
        func.sum(case((Case.kinds.op("&")(1 << i) != 0, 1), else_=0))
        for i in range(len(KIND_CODES))
    ]
    ground_cols = [
        func.sum(case((Case.grounds.op("&")(1 << i) != 0, 1), else_=0))
        for i in range(len(GROUND_CODES))
    ]
    row = s.exec(
        select(
            func.count(),
            func.sum(case((Case.staff_involved, 1), else_=0)),
            func.sum(case((Case.grounds != 0, 1), else_=0)),
            *kind_cols,
            *ground_cols,
        ).where(*_conds(scope))
    ).one()
    total, staff, any_ground = _int(row[0]), _int(row[1]), _int(row[2])
    k = {i: _int(v) for i, v in enumerate(row[3 : 3 + len(KIND_CODES)])}
    g = {i: _int(v) for i, v in enumerate(row[3 + len(KIND_CODES) :])}
    return FlagCounts(total, staff, st.kinds(k, total), st.grounds(g, any_ground, total))


def places(s: Session, scope: Scope) -> list[st.Row]:
    rows = s.exec(select(Case.place, func.count()).where(*_conds(scope)).group_by(Case.place))
    return st.places({p: _int(n) for p, n in rows})


def hotspots(s: Session, scope: Scope) -> st.Hotspots:
    """Counted per day and hour in SQL; the weekday of each day is found in Python
    (a few hundred days instead of a date function on every row)."""
    hour = func.substr(Case.occurred_time, 1, 2).label("hh")
    inner = select(Case.occurred_on.label("d"), hour).where(*_conds(scope)).subquery()
    rows = s.exec(select(inner.c.d, inner.c.hh, func.count()).group_by(inner.c.d, inner.c.hh))
    return st.hotspots((_as_date(d).weekday(), hh or "", _int(n)) for d, hh, n in rows)


def step_days(s: Session, scope: Scope) -> dict[str, dict[int, int]]:
    """Per timed step: working days -> cases, from the columns that
    ``timeline.append_event`` fills (one GROUP BY per step, index only)."""
    parts = []
    for key in st.STEP_TIME_KEYS:
        col = getattr(Case, st.COLUMN_BY_KEY[key])
        # No subquery: SQLite would materialise one per branch of the UNION.
        parts.append(
            select(literal_column(f"'{key}'").label("k"), col.label("d"), func.count())
            .where(*_conds(scope), col.is_not(None))
            .group_by(col)
        )
    out: dict[str, dict[int, int]] = {}
    for key, days, n in s.exec(union_all(*parts)):
        out.setdefault(key, {})[int(days)] = _int(n)
    return out


def step_times(s: Session, scope: Scope) -> list[st.StepTime]:
    limits = limits_service.limits_for(s, scope.organisation_id)
    return st.step_times(step_days(s, scope), limits)


def backfill_step_days(*, batch: int = 2000) -> int:
    """Fill the working-day columns of cases written without ``append_event``
    (bulk imports, benchmark data) from their timelines. Returns cases updated."""
    from kb_app.db import session_scope

    updated = 0
    last_id = 0
    kinds = list(st.STEP_DAY_COLUMNS)
    while True:
        with session_scope() as s:
            ids = s.exec(
                select(Case.id)
                .where(
                    Case.id > last_id,
                    Case.step != Step.REPORTED,
                    Case.wdays_received.is_(None),
                )
                .order_by(Case.id)
                .limit(batch)
            ).all()
            if not ids:
                return updated
            last_id = ids[-1]
            firsts: dict[int, dict[str, datetime]] = {}
            for cid, kind, at in s.exec(
                select(CaseEvent.case_id, CaseEvent.kind, func.min(CaseEvent.at))
                .where(CaseEvent.case_id.in_(ids), CaseEvent.kind.in_(kinds))
                .group_by(CaseEvent.case_id, CaseEvent.kind)
            ):
                firsts.setdefault(cid, {})[kind] = _aware(at)
            for case_row in s.exec(select(Case).where(Case.id.in_(ids))):
                times = {Step.REPORTED: case_row.reported_at, **firsts.get(case_row.id, {})}
                for kind, (column, prev) in st.STEP_DAY_COLUMNS.items():
                    if kind in times and prev in times and getattr(case_row, column) is None:
                        setattr(case_row, column, st.working_days(times[prev], times[kind]))
                s.add(case_row)
                updated += 1


def _aware(at) -> datetime:
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


# Every chart's data, by name: the page, the yearly report and the benchmark use these.
CHARTS: dict[str, Callable[[Session, Scope], object]] = {
    "funnel": funnel,
    "months": months,
    "units": units,
    "classes": classes,
    "flags": flag_counts,
    "places": places,
    "hotspots": hotspots,
    "step_times": step_times,
}


def overview(actor: Actor | None, filters: st.Filters) -> st.Overview:
    """Every figure for the statistics page (and the yearly report)."""
    with read_scope() as s:
        scope = resolve_scope(s, actor, filters)
        return overview_in(s, scope)


def overview_in(s: Session, scope: Scope) -> st.Overview:
    flags_ = flag_counts(s, scope)
    counts = step_counts(s, scope)
    funnel_rows = st.funnel(counts)
    return st.Overview(
        new_measures_needed=counts.get(str(Step.NEW_MEASURES_NEEDED), 0),
        period=scope.filters.period,
        scope_label=scope.label,
        total=flags_.total,
        closed=funnel_rows[-1].count,
        staff_involved=flags_.staff,
        funnel=funnel_rows,
        months=months(s, scope),
        units=units(s, scope),
        classes=classes(s, scope),
        kinds=flags_.kinds,
        grounds=flags_.grounds,
        places=places(s, scope),
        hotspots=hotspots(s, scope),
        step_times=step_times(s, scope),
    )


@dataclass(frozen=True)
class Options:
    """What the filters offer this actor."""

    units: list[tuple[int, str]]
    school_years: list[int]  # starting years, newest first
    calendar_years: list[int]
    grades: list[str]


def options(actor: Actor | None, today: date) -> Options:
    with read_scope() as s:
        scope = resolve_scope(s, actor, st.Filters(st.school_year(st.school_year_of(today))))
        first = s.exec(
            select(func.min(Case.reported_at)).where(Case.organisation_id == scope.organisation_id)
        ).one()
    first_day = st.local_date(first) if isinstance(first, datetime) else today
    if isinstance(first, str):  # defensive: raw text from SQLite
        first_day = date.fromisoformat(first[:10])
    sy = list(range(st.school_year_of(today), st.school_year_of(first_day) - 1, -1))
    cy = list(range(today.year, first_day.year - 1, -1))
    visible = set(scope.visible_unit_ids)
    return Options(
        units=[(u.id, u.name) for u in scope.units if u.id in visible],
        school_years=sy,
        calendar_years=cy,
        grades=list(GRADES),
    )


def today_local(now: datetime) -> date:
    return now.astimezone(TZ).date()
