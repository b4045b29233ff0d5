"""Reading one page of overview rows in the plan's order: direct SQL orders,
segments walked in turn, or a small result ranked by the database (see ``query``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, case, func, literal
from sqlmodel import select

from kb_app.domain.access import Actor
from kb_app.domain.overview import OverviewFilter, case_row
from kb_app.models import Case, Unit, User
from kb_app.services.base.prepared import Reader
from kb_app.services.overview.plan import (
    COLUMNS,
    NEWEST,
    ORDERS,
    Plan,
    plan_for,
    segment_condition,
    segment_order,
    unindexed,
)
from kb_app.services.overview.where import P, conditions

COUNT_CAP = 10_000
SMALL_SET = 2_000
SQL_RANK_SEGMENTS = 20  # at most this many segments: rank them all in SQL
BEYOND = 1_000_000  # the rank of matches after the page's segments
DEEP_OFFSET = 500


@dataclass(frozen=True)
class PageResult:
    rows: list[dict[str, str]]
    total: int  # matching cases, at most COUNT_CAP + 1
    has_next: bool

    @property
    def total_capped(self) -> bool:
        return self.total > COUNT_CAP


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


def row_select():
    return (
        select(*ROW_COLUMNS)
        .join(Unit, Unit.id == Case.unit_id)
        .outerjoin(User, User.id == Case.responsible_user_id)
    )


def limit_offset(stmt):
    return stmt.limit(P("lim", type_=Integer)).offset(P("off", type_=Integer))


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

    terms = unindexed(ORDERS[order]) if small else ORDERS[order]
    if offset < DEEP_OFFSET and not small:
        return reader.all(
            ("rows", where, seg, order, small),
            lambda: limit_offset(row_select().where(*where_clause()).order_by(*terms)),
            {**values, "lim": limit, "off": offset},
        )
    # Deep, or sorting a small result: narrow index entries first (read from the
    # index alone), then only the page's rows.
    ids = [
        r[0]
        for r in reader.all(
            ("ids", where, seg, order, small),
            lambda: limit_offset(select(Case.id).where(*where_clause()).order_by(*terms)),
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
            lambda: row_select().where(Case.id.in_([P(f"i{k}") for k in range(n)])),
            {f"i{k}": i for k, i in enumerate(ids)},
        )
    }
    return [found[i] for i in ids if i in found]


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
        lambda: limit_offset(
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
        return limit_offset(stmt.order_by(ranked, *unindexed(NEWEST)))

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
