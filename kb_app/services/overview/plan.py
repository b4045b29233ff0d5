"""The overview's orders: an SQL order, or *segments* read in turn (one indexed
query per value of a column in the wanted order), and the unit and user names
that decide the orders by name (see ``query``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from time import monotonic

from sqlalchemy import and_, case, func, literal, or_, true
from sqlalchemy.sql import operators
from sqlmodel import select

from kb_app.domain.access import Actor, sees_unit
from kb_app.domain.overview import GRADE_ORDER, OPEN, OverviewFilter, SortKey, sv_key
from kb_app.domain.process import STEP_ORDER
from kb_app.domain.vocab import KIND_CODES, kinds_label
from kb_app.models import Case, Unit, User
from kb_app.services.base.prepared import Reader
from kb_app.services.overview.where import P, late_condition, not_late_condition

NEWEST = (Case.reported_at.desc(), Case.id.desc())

# SQL orders by name (the segments' inner orders are mirrored in rows._rows_small).
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
    order.extend(unindexed(NEWEST))
    return order


def unindexed(order: tuple) -> tuple:
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


# --- Names that decide orders -----------------------------------------------------------

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
