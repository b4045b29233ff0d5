"""The overview's queries: one page of the cases an actor may see, filtered and
sorted, the number that match, and the counts per step.

Query shapes (a large organisation has hundreds of thousands of cases):

* Every filter is a condition an index can answer: bit-mask filters on kinds and
  grounds become ``kinds IN (masks with that bit)``; "late" is
  ``closed_at IS NULL AND due_at < now`` on ``ix_case_org_open_reported``.
* Columns whose order is decided here, not by the database (unit and responsible
  by name in Swedish order, grade in school order, step in process order, kinds
  by label, deadline, late), are read as *segments*: one indexed query per value
  in order until the page is full, skipping whole segments by their count for
  deep pages. A small result (at most ``SMALL_SET`` cases) is instead sorted in
  Python from its sort keys. Either way the order is exactly that of
  ``naive_statement`` (the plain SQL of the same page, kept for tests and the
  benchmark).
* Deep pages skip over narrow index entries (ids only) before reading rows.
* The number of matches is counted up to ``COUNT_CAP`` ("fler än 10 000").

Each query is built with SQLAlchemy from its *shape* (which filters, which order)
with named parameters, compiled once per shape and database, and then run on the
connection's DB-API cursor with only the values changing: the same SQL a person
would write, without building and compiling expressions on every request.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from time import monotonic

from sqlalchemy import Integer, and_, bindparam, case, func, literal, or_, true
from sqlalchemy.sql import operators
from sqlmodel import select

from kb_app.db import read_scope
from kb_app.domain.access import Action, Actor, can, sees_unit, unit_scope
from kb_app.domain.fmt import TZ
from kb_app.domain.overview import (
    ANY_GROUND,
    GRADE_ORDER,
    OPEN,
    OverviewFilter,
    SortKey,
    case_row,
    masks_with_bit,
    parse_reference_search,
    sv_key,
)
from kb_app.domain.process import OPEN_STEPS, STEP_ORDER
from kb_app.domain.vocab import GROUND_CODES, KIND_CODES, kinds_label
from kb_app.errors import AccessDenied
from kb_app.models import Case, ChangeCounter, SchoolClass, Unit, User
from kb_app.services.base.prepared import Reader, read_connection

COUNT_CAP = 10_000
SMALL_SET = 2_000
SQL_RANK_SEGMENTS = 20  # at most this many segments: rank them all in SQL
BEYOND = 1_000_000  # the rank of matches after the page's segments
DEEP_OFFSET = 500
OPEN_STEP_CODES = [str(s) for s in OPEN_STEPS]

P = bindparam


@dataclass(frozen=True)
class PageResult:
    rows: list[dict[str, str]]
    total: int  # matching cases, at most COUNT_CAP + 1
    has_next: bool

    @property
    def total_capped(self) -> bool:
        return self.total > COUNT_CAP


# --- Where: the filter's shape (which SQL) and values (its parameters) ---------------


def _local_midnight(d) -> datetime:
    return datetime.combine(d, time.min, tzinfo=TZ).astimezone(UTC)


def _check_list_access(actor: Actor | None) -> None:
    if actor is None or not can(actor, Action.LIST_CASES):
        raise AccessDenied()


def where_of(actor: Actor | None, f: OverviewFilter, now: datetime) -> tuple[tuple, dict]:
    """The conditions for the cases the actor may see that match the filter, as a
    hashable shape and the parameter values. Access is decided in domain/access."""
    _check_list_access(actor)
    shape: list[tuple] = []
    v: dict = {"org": actor.organisation_id}
    scope = unit_scope(actor)
    if scope is not None:
        units = sorted(scope)
        shape.append(("units", len(units)))
        v.update({f"u{i}": u for i, u in enumerate(units)})
    if f.step == OPEN:
        shape.append(("open",))
    elif f.step:
        shape.append(("step",))
        v["step"] = f.step
    if f.unit_id is not None:
        shape.append(("unit",))
        v["unit"] = f.unit_id
    if f.grade is not None:
        shape.append(("grade",))
        v["grade"] = f.grade
    if f.class_name:
        shape.append(("class",))
        v["class_name"] = f.class_name
    if f.kind:
        shape.append(("kind", f.kind))
    if f.ground:
        shape.append(("ground", f.ground))
    if f.late:
        shape.append(("late",))
        v["now"] = now
    if f.staff:
        shape.append(("staff",))
    if f.date_from:
        shape.append(("from",))
        v["date_from"] = _local_midnight(f.date_from)
    if f.date_to:
        shape.append(("to",))
        v["date_to"] = _local_midnight(f.date_to + timedelta(days=1))
    if f.search:
        ref = parse_reference_search(f.search)
        if ref.impossible:
            shape.append(("nothing",))
        elif ref.year is not None and ref.number is not None:
            shape.append(("year_number",))
            v.update(year=ref.year, number=ref.number)
        elif ref.number is not None:
            # Every year the organisation could have: lets the (org, year, number)
            # index answer a bare number.
            shape.append(("number", now.year))
            v["number"] = ref.number
        elif ref.prefix is not None:  # "KB-", "KB-2026": no LIKE wildcards possible
            shape.append(("prefix",))
            v["prefix"] = ref.prefix
    return tuple(shape), v


def _const_in(column, values: Sequence):
    return column.in_([literal(x, column.type) for x in values])


def late_condition(now=None):
    """SQL of ``domain.deadlines.is_late``: open (``closed_at IS NULL``) and
    ``due_at < now`` (NULL if there is no due date). ``now``: a datetime, or None
    for the ``now`` parameter."""
    return and_(Case.closed_at.is_(None), Case.due_at < (P("now") if now is None else now))


def not_late_condition(now=None):
    # Spelled out: NOT(late) would be NULL, not true, for an open case without a due date.
    cut = P("now") if now is None else now
    return or_(Case.closed_at.is_not(None), Case.due_at.is_(None), Case.due_at >= cut)


def conditions(shape: tuple) -> list:
    """SQLAlchemy conditions of a where-shape, with named parameters."""
    conds = [Case.organisation_id == P("org")]
    for item in shape:
        match item[0]:
            case "units":
                conds.append(Case.unit_id.in_([P(f"u{i}") for i in range(item[1])]))
            case "open":
                conds.append(_const_in(Case.step, OPEN_STEP_CODES))
            case "step":
                conds.append(Case.step == P("step"))
            case "unit":
                conds.append(Case.unit_id == P("unit"))
            case "grade":
                conds.append(Case.grade == P("grade"))
            case "class":
                conds.append(Case.class_name == P("class_name"))
            case "kind":
                bit = KIND_CODES.index(item[1])
                conds.append(_const_in(Case.kinds, masks_with_bit(bit, len(KIND_CODES))))
            case "ground" if item[1] == ANY_GROUND:
                conds.append(Case.grounds > 0)
            case "ground":
                bit = GROUND_CODES.index(item[1])
                conds.append(_const_in(Case.grounds, masks_with_bit(bit, len(GROUND_CODES))))
            case "late":
                conds.append(late_condition())
            case "staff":
                conds.append(Case.staff_involved.is_(True))
            case "from":
                conds.append(Case.reported_at >= P("date_from"))
            case "to":
                conds.append(Case.reported_at < P("date_to"))
            case "nothing":
                conds.append(Case.id.is_(None))
            case "year_number":
                conds.extend([Case.year == P("year"), Case.number == P("number")])
            case "number":
                years = range(item[1] - 30, item[1] + 2)
                conds.extend([_const_in(Case.year, years), Case.number == P("number")])
            case "prefix":
                conds.append(Case.reference.startswith(P("prefix")))
            case other:
                raise ValueError(f"unknown condition {other!r}")
    return conds


# --- Orders and segments -----------------------------------------------------------------


NEWEST = (Case.reported_at.desc(), Case.id.desc())

# SQL orders by name (the segments' inner orders are mirrored in _rows_small).
ORDERS: dict[str, tuple] = {
    "newest": NEWEST,
    "oldest": (Case.reported_at.asc(), Case.id.asc()),
    "ref_asc": (Case.year.asc(), Case.number.asc(), Case.id.asc()),
    "ref_desc": (Case.year.desc(), Case.number.desc(), Case.id.desc()),
    # Descending class is the exact reverse of ascending: one index serves both.
    "class_asc": (Case.class_name.asc(), *NEWEST),
    "class_desc": (Case.class_name.desc(), Case.reported_at.asc(), Case.id.asc()),
    "due_asc": (Case.due_at.asc(), Case.id.asc()),
    "due_desc": (Case.due_at.desc(), Case.id.desc()),
}
COLUMNS = {
    "unit_id": Case.unit_id,
    "grade": Case.grade,
    "kinds": Case.kinds,
    "step": Case.step,
    "responsible_user_id": Case.responsible_user_id,
}


def segment_condition(shape: tuple):
    """SQL condition of a segment shape (parameters ``seg``, ``r0``…, ``now``)."""
    match shape[0]:
        case "eq":
            return COLUMNS[shape[1]] == P("seg")
        case "rest":
            col = COLUMNS[shape[1]]
            if shape[2] == 0:
                return true()
            return or_(col.not_in([P(f"r{i}") for i in range(shape[2])]), col.is_(None))
        case "due_open":
            return and_(Case.closed_at.is_(None), Case.due_at.is_not(None))
        case "due_none":
            return and_(Case.closed_at.is_(None), Case.due_at.is_(None))
        case "closed":
            return Case.closed_at.is_not(None)
        case "late":
            return late_condition()
        case "not_late":
            return not_late_condition()
    raise ValueError(f"unknown segment {shape!r}")


@dataclass(frozen=True)
class Segment:
    shape: tuple
    values: dict = field(default_factory=dict)
    inner: str = "newest"  # "newest", "due_asc" or "due_desc" (keys of ORDERS)


@dataclass(frozen=True)
class Plan:
    """How to order: by an SQL ``direct`` order, or by ``segments`` in turn."""

    direct: str | None = None  # a key of ORDERS
    segments: tuple[Segment, ...] = ()
    # A row's segment: by its value of ``column`` (``rank`` maps value -> segment,
    # others go last), or else by the SQL expression ``make_rank``.
    column: str | None = None
    rank: dict | None = None
    make_rank: Callable[[object], object] | None = None  # (now or None for a parameter)
    shape: tuple = ()


def _value_walk(column: str, values: Sequence, restrict=None) -> Plan:
    """Segments for each value of ``column`` in the given order, then the rest
    (other values and NULL)."""
    if restrict is not None:
        values = [x for x in values if x == restrict]
    values = list(values)
    rank = {x: i for i, x in enumerate(values)}
    rest = len(values)
    segs = [Segment(("eq", column), {"seg": x}) for x in values]
    segs.append(Segment(("rest", column, rest), {f"r{i}": x for i, x in enumerate(values)}))

    def make_rank(_now):
        return case(rank, value=COLUMNS[column], else_=rest) if rank else literal(rest)

    return Plan(
        segments=tuple(segs), column=column, rank=rank, make_rank=make_rank, shape=("col", column)
    )


def _kinds_order() -> list[int]:
    return sorted(range(1, 1 << len(KIND_CODES)), key=lambda m: sv_key(kinds_label(m)))


def plan_for(f: OverviewFilter, actor: Actor, reader: Reader, now: datetime) -> Plan:
    key, desc = f.sort, f.desc
    if key == SortKey.DATE:
        return Plan(direct="newest" if desc else "oldest")
    if key == SortKey.REFERENCE:
        return Plan(direct="ref_desc" if desc else "ref_asc")
    if key == SortKey.CLASS:
        return Plan(direct="class_desc" if desc else "class_asc")
    if key == SortKey.UNIT:
        ids = [u for u, _ in visible_units(actor, reader)]
        return _value_walk("unit_id", ids[::-1] if desc else ids, f.unit_id)
    if key == SortKey.GRADE:
        return _value_walk("grade", GRADE_ORDER[::-1] if desc else GRADE_ORDER, f.grade)
    if key == SortKey.KINDS:
        masks = _kinds_order()
        # Cases without a kind last in both directions (the catch-all).
        return _value_walk("kinds", masks[::-1] if desc else masks)
    if key == SortKey.STEP:
        steps = [str(s) for s in STEP_ORDER]
        restrict = f.step if f.step and f.step != OPEN else None
        return _value_walk("step", steps[::-1] if desc else steps, restrict)
    if key == SortKey.RESPONSIBLE:
        ids = [u for u, _ in user_names(actor, reader)]
        # Cases without a responsible person last in both directions (the catch-all).
        return _value_walk("responsible_user_id", ids[::-1] if desc else ids)
    if key == SortKey.DUE:

        def due_rank(_now):
            return case((Case.closed_at.is_not(None), 2), (Case.due_at.is_(None), 1), else_=0)

        segs = (
            Segment(("due_open",), inner="due_desc" if desc else "due_asc"),
            Segment(("due_none",)),
            Segment(("closed",)),
        )
        return Plan(segments=segs, make_rank=due_rank, shape=("due",))
    if key == SortKey.LATE:
        late = Segment(("late",), {"now": now}, "due_asc")  # the longest overdue first
        rest = Segment(("not_late",), {"now": now})
        if desc:  # late ones last
            return Plan(
                segments=(rest, late),
                make_rank=lambda n: case((late_condition(n), 1), else_=0),
                shape=("late", True),
            )
        return Plan(
            segments=(late, rest),
            make_rank=lambda n: case((late_condition(n), 0), else_=1),
            shape=("late", False),
        )
    raise ValueError(f"unknown sort {key!r}")


# --- Reading ---------------------------------------------------------------------------

ROW_COLUMNS = (
    Case.id,
    Case.reference,
    Case.reported_at,
    Unit.name,
    Case.class_name,
    Case.grade,
    Case.kinds,
    Case.step,
    User.name,
    Case.due_at,
    Case.closed_at,
    Case.staff_involved,
)


def _row_select():
    return (
        select(*ROW_COLUMNS)
        .join(Unit, Unit.id == Case.unit_id)
        .outerjoin(User, User.id == Case.responsible_user_id)
    )


def _limit(stmt):
    return stmt.limit(P("lim", type_=Integer)).offset(P("off", type_=Integer))


NAMES_TTL = 30.0  # seconds the unit and user names of an organisation are reused
_names: dict[tuple, tuple[object, float, list]] = {}


def _cached_names(reader: Reader, key: tuple, build, values: dict) -> list[tuple[int, str]]:
    """(id, name) rows in Swedish name order, reused for NAMES_TTL seconds: the
    unit and user lists only decide orders and options, never access."""
    engine = reader.conn.engine
    hit = _names.get(key)
    now = monotonic()
    if hit is not None and hit[0] is engine and hit[1] > now:
        return hit[2]
    rows = reader.all(key, build, values)
    ordered = sorted(((i, n) for i, n in rows), key=lambda r: (sv_key(r[1]), r[0]))
    _names[key] = (engine, now + NAMES_TTL, ordered)
    return ordered


def visible_units(actor: Actor, reader: Reader) -> list[tuple[int, str]]:
    """(id, name) of the units whose cases the actor sees, in Swedish name order."""
    org = actor.organisation_id
    all_units = _cached_names(
        reader,
        ("units", org),
        lambda: select(Unit.id, Unit.name).where(Unit.organisation_id == P("org")),
        {"org": org},
    )
    return [u for u in all_units if sees_unit(actor, u[0])]


def user_names(actor: Actor, reader: Reader) -> list[tuple[int, str]]:
    org = actor.organisation_id
    return _cached_names(
        reader,
        ("users", org),
        lambda: select(User.id, User.name).where(User.organisation_id == P("org")),
        {"org": org},
    )


def count_capped(reader: Reader, where: tuple, values: dict) -> int:
    def build():
        inner = select(Case.id).where(*conditions(where)).limit(COUNT_CAP + 1).subquery()
        return select(func.count()).select_from(inner)

    return reader.scalar(("count_capped", where, COUNT_CAP), build, values)


def _rows_in_order(
    reader: Reader,
    where: tuple,
    seg: tuple | None,
    order: str,
    values: dict,
    offset: int,
    limit: int,
    *,
    small: bool = False,
) -> list[tuple]:
    def where_clause():
        conds = conditions(where)
        return [*conds, segment_condition(seg)] if seg else conds

    terms = _unindexed(ORDERS[order]) if small else ORDERS[order]
    if offset < DEEP_OFFSET and not small:
        return reader.all(
            ("rows", where, seg, order, small),
            lambda: _limit(_row_select().where(*where_clause()).order_by(*terms)),
            {**values, "lim": limit, "off": offset},
        )
    # Deep, or sorting a small result: narrow index entries first (read from the
    # index alone), then only the page's rows.
    ids = [
        r[0]
        for r in reader.all(
            ("ids", where, seg, order, small),
            lambda: _limit(select(Case.id).where(*where_clause()).order_by(*terms)),
            {**values, "lim": limit, "off": offset},
        )
    ]
    return _rows_by_ids(reader, ids)


def _rows_by_ids(reader: Reader, ids: list[int]) -> list[tuple]:
    if not ids:
        return []
    n = len(ids)
    found = {
        r[0]: r
        for r in reader.all(
            ("by_ids", n),
            lambda: _row_select().where(Case.id.in_([P(f"i{k}") for k in range(n)])),
            {f"i{k}": i for k, i in enumerate(ids)},
        )
    }
    return [found[i] for i in ids if i in found]


def _unindexed(order: tuple) -> tuple:
    """The same order as an expression no index provides, so that the planner
    picks its index by the filter and sorts the few matches, rather than walking
    an index in the wanted order while filtering out almost everything (SQLite
    cannot tell that a rare step or unit matches few cases)."""
    out = []
    for term in order:
        col = term.element
        wrapped = func.coalesce(col, col)
        out.append(wrapped.desc() if term.modifier is operators.desc_op else wrapped.asc())
    return tuple(out)


# Conditions whose index also lists the matches newest first (or that match a
# handful of cases): with these the database's own plan is already right.
_ORDER_FRIENDLY = {"step", "unit", "grade", "class", "staff", "late", "open", "from", "to"}
_FEW = {"year_number", "number", "prefix", "nothing"}


def _index_gives_order(where: tuple, order: str) -> bool:
    kinds = {item[0] for item in where}
    if kinds & _FEW:
        return True
    return order in ("newest", "oldest") and bool(kinds & _ORDER_FRIENDLY)


def _rows_small_sql(reader, where, values, plan: Plan, offset, limit, now) -> list[tuple]:
    """A small result in a segmented order with few segments (step, grade, kinds,
    deadline, late, a principal's units): the database ranks and sorts it."""
    inners = tuple(seg.inner for seg in plan.segments)
    key = ("ids_ranked", where, plan.shape, inners, tuple(plan.rank or ()))
    ids = reader.all(
        key,
        lambda: _limit(
            select(Case.id).where(*conditions(where)).order_by(*segment_order(plan, None))
        ),
        {**values, "now": now, "lim": limit, "off": offset},
    )
    return _rows_by_ids(reader, [r[0] for r in ids])


def _rows_small(reader, where, values, plan: Plan, offset: int, limit: int) -> list[tuple]:
    """A small result in the order of a many-valued column (a unit or a person by
    name): count the matches per value, find the values that the page covers,
    and let the database rank and sort just those."""
    col = COLUMNS[plan.column]
    # Grouped by an expression, not the column: the planner then reads the
    # matches through the filter's index instead of walking the column's index.
    grouped = func.coalesce(col, col)
    counts = reader.all(
        ("value_counts", where, plan.column),
        lambda: select(grouped, func.count()).where(*conditions(where)).group_by(grouped),
        values,
        raw=True,
    )
    rank, rest = plan.rank, len(plan.segments) - 1
    segments: dict[int, list] = {}
    for value, n in counts:
        seg = segments.setdefault(rank.get(value, rest), [0, []])
        seg[0] += n
        seg[1].append(value)
    skip, need, chosen, first_skip, available = offset, limit, [], 0, 0
    for seg_rank in sorted(segments):
        n, seg_values = segments[seg_rank]
        if skip >= n:
            skip -= n
            continue
        if not chosen:
            first_skip = skip
        chosen.extend((seg_rank, v) for v in seg_values)
        available += n - skip
        need -= n - skip
        skip = 0
        if need <= 0:
            break
    if not chosen:
        return []
    with_null = any(v is None for _, v in chosen)
    chosen = [(r, v) for r, v in chosen if v is not None]
    n = len(chosen)

    def build():
        # The chosen values in their order, every other match after them (the
        # page lies within the chosen segments); no extra condition, so the
        # planner reads the matches through the filter's index.
        whens = [(col == P(f"c{i}"), P(f"k{i}", type_=Integer)) for i in range(n)]
        if with_null:
            whens.append((col.is_(None), literal(rest)))
        ranked = case(*whens, else_=literal(BEYOND))
        stmt = select(Case.id).where(*conditions(where))
        return _limit(stmt.order_by(ranked, *_unindexed(NEWEST)))

    params = {**values, "lim": limit, "off": first_skip}
    params.update({f"c{i}": v for i, (_, v) in enumerate(chosen)})
    params.update({f"k{i}": r for i, (r, _) in enumerate(chosen)})
    ids = reader.all(("ids_by_value", where, plan.column, n, with_null), build, params)
    # Rows past the chosen segments belong to skipped or later ones: not this page.
    return _rows_by_ids(reader, [r[0] for r in ids[:available]])


def _rows_walk(reader, where, values, plan: Plan, offset: int, limit: int) -> list[tuple]:
    rows: list[tuple] = []
    skip = offset
    for seg in plan.segments:
        seg_values = {**values, **seg.values}
        if skip > 0:

            def build(seg=seg):
                return (
                    select(func.count())
                    .select_from(Case)
                    .where(*conditions(where), segment_condition(seg.shape))
                )

            n = reader.scalar(("count", where, seg.shape), build, seg_values)
            if n <= skip:
                skip -= n
                continue
        rows.extend(
            _rows_in_order(reader, where, seg.shape, seg.inner, seg_values, skip, limit - len(rows))
        )
        skip = 0
        if len(rows) >= limit:
            break
    return rows


def page_rows(
    reader: Reader,
    actor: Actor,
    f: OverviewFilter,
    where: tuple,
    values: dict,
    total: int,
    now: datetime,
    *,
    small_set: int = SMALL_SET,
) -> tuple[list[tuple], bool]:
    """The page's database rows (in order) and whether another page follows."""
    plan = plan_for(f, actor, reader, now)
    limit = f.per_page + 1
    small = total <= small_set
    if plan.direct is not None:
        unindexed = small and not _index_gives_order(where, plan.direct)
        rows = _rows_in_order(
            reader, where, None, plan.direct, values, f.offset, limit, small=unindexed
        )
    elif small and (plan.column is None or len(plan.segments) <= SQL_RANK_SEGMENTS):
        rows = _rows_small_sql(reader, where, values, plan, f.offset, limit, now)
    elif small:
        rows = _rows_small(reader, where, values, plan, f.offset, limit)
    else:
        rows = _rows_walk(reader, where, values, plan, f.offset, limit)
    return rows[: f.per_page], len(rows) > f.per_page


def format_row(r, now: datetime) -> dict[str, str]:
    """A row of ``ROW_COLUMNS`` as the list shows it (``domain.overview.case_row``)."""
    id_, reference, reported_at, unit, class_name, grade, kinds, step, resp, due, closed, staff = r
    return case_row(
        case_id=id_,
        reference=reference,
        reported_at=reported_at,
        unit=unit,
        class_name=class_name,
        grade=grade,
        kinds=kinds,
        step=step,
        responsible=resp,
        due_at=due,
        closed_at=closed,
        staff_involved=staff,
        now=now,
    )


def fetch_page(
    actor: Actor,
    f: OverviewFilter,
    *,
    now: datetime,
    total: int | None = None,
    small_set: int = SMALL_SET,
) -> PageResult:
    """One page of the overview. ``total`` may be passed when only the order or
    the page changed (the set of matches, and so its count, is the same)."""
    where, values = where_of(actor, f, now)
    with read_connection() as conn:
        reader = Reader(conn)
        if total is None:
            total = count_capped(reader, where, values)
        rows, has_next = page_rows(reader, actor, f, where, values, total, now, small_set=small_set)
    return PageResult(rows=[format_row(r, now) for r in rows], total=total, has_next=has_next)


def segment_order(plan: Plan, now) -> list:
    """A segmented order as one SQL ORDER BY: (segment rank, the segment's inner
    order). A due-date order applies only inside the segments that use it;
    elsewhere its terms are NULL for every row. ``now``: a datetime, or None for
    the ``now`` parameter."""
    rank = plan.make_rank(now)
    order = [rank]
    for inner in ("due_asc", "due_desc"):
        ranks = [i for i, s in enumerate(plan.segments) if s.inner == inner]
        if not ranks:
            continue
        inside = rank.in_(ranks) if len(ranks) > 1 else rank == ranks[0]
        for col in (Case.due_at, Case.id):
            term = case((inside, col), else_=None)
            order.append(term.desc() if inner == "due_desc" else term.asc())
    order.extend(_unindexed(NEWEST))
    return order


def naive_statement(actor: Actor, f: OverviewFilter, conn, now: datetime):
    """The plain single SQL statement of the same page: the same rows in the same
    order, filtered, ordered and paged by the database alone (literal values).
    Tests compare the two; the benchmark times both."""
    where, values = where_of(actor, f, now)
    plan = plan_for(f, actor, Reader(conn), now)
    order = list(ORDERS[plan.direct]) if plan.direct is not None else segment_order(plan, now)
    stmt = _row_select().where(*conditions(where)).order_by(*order)
    stmt = stmt.offset(f.offset).limit(f.per_page)
    return stmt.params(**values)


# --- Counts, options and the whole view ---------------------------------------------------


def _step_counts(reader: Reader, actor: Actor, now: datetime) -> dict[str, int]:
    where, values = where_of(actor, OverviewFilter(), now)
    per_step = dict(
        reader.all(
            ("step_counts", where),
            lambda: (
                select(Case.step, func.count())
                .where(*conditions(where), _const_in(Case.step, OPEN_STEP_CODES))
                .group_by(Case.step)
            ),
            values,
        )
    )
    late = reader.scalar(
        ("late_count", where),
        lambda: select(func.count()).select_from(Case).where(*conditions(where), late_condition()),
        {**values, "now": now},
    )
    counts = {step: per_step.get(step, 0) for step in OPEN_STEP_CODES}
    counts["late"] = late
    return counts


def step_counts(actor: Actor, *, now: datetime) -> dict[str, int]:
    """Open cases per step and the late ones ("late"), within the actor's scope."""
    where_of(actor, OverviewFilter(), now)  # access check
    with read_connection() as conn:
        return _step_counts(Reader(conn), actor, now)


def unit_options(actor: Actor) -> list[tuple[int, str]]:
    _check_list_access(actor)
    with read_connection() as conn:
        return visible_units(actor, Reader(conn))


def _class_options(reader: Reader, actor: Actor, unit_id: int | None) -> list[str]:
    if unit_id is None or not sees_unit(actor, unit_id):
        return []
    rows = reader.all(
        ("classes",),
        lambda: (
            select(SchoolClass.name)
            .join(Unit, Unit.id == SchoolClass.unit_id)
            .where(SchoolClass.unit_id == P("unit"), Unit.organisation_id == P("org"))
        ),
        {"unit": unit_id, "org": actor.organisation_id},
    )
    return sorted((r[0] for r in rows), key=sv_key)


def class_options(actor: Actor, unit_id: int | None) -> list[str]:
    """Class names of one visible unit (for suggestions in the class filter)."""
    _check_list_access(actor)
    with read_connection() as conn:
        return _class_options(Reader(conn), actor, unit_id)


@dataclass(frozen=True)
class ViewData:
    """Everything the overview shows, read together."""

    page: PageResult
    counter: int  # the change counter, read before the rest
    counts: dict[str, int] | None
    units: list[tuple[int, str]] | None
    classes: list[str] | None
    at: datetime


def load_view(
    actor: Actor,
    f: OverviewFilter,
    *,
    total: int | None = None,
    with_counts: bool = False,
    with_options: bool = False,
    now: datetime,
) -> ViewData:
    """One page, and as asked the counts per step and the filter options, on one
    connection. ``total`` may be passed when only the order or page changed."""
    where, values = where_of(actor, f, now)  # raises AccessDenied
    with read_connection() as conn:
        reader = Reader(conn)
        # The counter first: a change racing with the reads below is then picked
        # up by the live loop afterwards instead of being missed.
        row = reader.first(
            ("counter",),
            lambda: select(ChangeCounter.value).where(ChangeCounter.organisation_id == P("org")),
            {"org": actor.organisation_id},
        )
        if total is None:
            total = count_capped(reader, where, values)
        rows, has_next = page_rows(reader, actor, f, where, values, total, now)
        counts = _step_counts(reader, actor, now) if with_counts else None
        units = visible_units(actor, reader) if with_options else None
        classes = _class_options(reader, actor, f.unit_id) if with_options else None
    page = PageResult([format_row(r, now) for r in rows], total, has_next)
    return ViewData(page, row[0] if row else 0, counts, units, classes, now)


def counter_values(org_ids: Sequence[int]) -> dict[int, int]:
    """The change counters of some organisations (the live overview polls these)."""
    if not org_ids:
        return {}
    with read_scope() as s:
        rows = s.exec(
            select(ChangeCounter.organisation_id, ChangeCounter.value).where(
                ChangeCounter.organisation_id.in_(list(org_ids))
            )
        ).all()
    values = {o: 0 for o in org_ids}
    values.update(dict(rows))
    return values
