"""The overview's filter as SQL: the cases an actor may see that match the filter,
as a hashable *shape* (which conditions) and the parameter values, and the
SQLAlchemy conditions of a shape (see ``query`` for the query shapes).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import and_, bindparam, literal, or_

from kb_app.domain.access import Action, Actor, can, unit_scope
from kb_app.domain.fmt import TZ
from kb_app.domain.overview import (
    ANY_GROUND,
    OPEN,
    OverviewFilter,
    masks_with_bit,
    parse_reference_search,
)
from kb_app.domain.process import OPEN_STEPS
from kb_app.domain.vocab import GROUND_CODES, KIND_CODES
from kb_app.errors import AccessDenied
from kb_app.models import Case
from kb_app.services.base.conflicts import not_excluded

P = bindparam
OPEN_STEP_CODES = [str(s) for s in OPEN_STEPS]


def _local_midnight(d) -> datetime:
    return datetime.combine(d, time.min, tzinfo=TZ).astimezone(UTC)


def check_list_access(actor: Actor | None) -> None:
    if actor is None or not can(actor, Action.LIST_CASES):
        raise AccessDenied()


def where_of(actor: Actor | None, f: OverviewFilter, now: datetime) -> tuple[tuple, dict]:
    """The conditions for the cases the actor may see that match the filter, as a
    hashable shape and the parameter values. Access is decided in domain/access."""
    check_list_access(actor)
    # Never the cases the actor is named as involved in (jäv): in rows and counts.
    shape: list[tuple] = [("not_excluded",)]
    v: dict = {"org": actor.organisation_id, "me": actor.user_id}
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


def const_in(column, values: Sequence):
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
            case "not_excluded":
                conds.append(not_excluded(P("me")))
            case "units":
                conds.append(Case.unit_id.in_([P(f"u{i}") for i in range(item[1])]))
            case "open":
                conds.append(const_in(Case.step, OPEN_STEP_CODES))
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
                conds.append(const_in(Case.kinds, masks_with_bit(bit, len(KIND_CODES))))
            case "ground" if item[1] == ANY_GROUND:
                conds.append(Case.grounds > 0)
            case "ground":
                bit = GROUND_CODES.index(item[1])
                conds.append(const_in(Case.grounds, masks_with_bit(bit, len(GROUND_CODES))))
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
                conds.extend([const_in(Case.year, years), Case.number == P("number")])
            case "prefix":
                conds.append(Case.reference.startswith(P("prefix")))
            case other:
                raise ValueError(f"unknown condition {other!r}")
    return conds
