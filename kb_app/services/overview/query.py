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

Modules: ``where`` (filter -> conditions), ``plan`` (orders and segments),
``rows`` (reading a page in order), and here the entry points (a page, the
counts, the filter options, the whole view).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import select

from kb_app.db import read_scope
from kb_app.domain.access import Actor, sees_unit
from kb_app.domain.overview import OverviewFilter, sv_key
from kb_app.models import Case, ChangeCounter, SchoolClass, Unit
from kb_app.services.base import access_log
from kb_app.services.base.prepared import Reader, read_connection
from kb_app.services.overview.plan import ORDERS, plan_for, segment_order, visible_units
from kb_app.services.overview.rows import (
    COUNT_CAP as COUNT_CAP,  # shown by the state, read by the benchmark
)
from kb_app.services.overview.rows import (
    SMALL_SET,
    PageResult,
    count_capped,
    format_row,
    page_rows,
    row_select,
)
from kb_app.services.overview.where import (
    OPEN_STEP_CODES,
    P,
    check_list_access,
    conditions,
    const_in,
    late_condition,
    where_of,
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


def naive_statement(actor: Actor, f: OverviewFilter, conn, now: datetime):
    """The plain single SQL statement of the same page: the same rows in the same
    order, filtered, ordered and paged by the database alone (literal values).
    Tests compare the two; the benchmark times both."""
    where, values = where_of(actor, f, now)
    plan = plan_for(f, actor, Reader(conn), now)
    order = list(ORDERS[plan.direct]) if plan.direct is not None else segment_order(plan, now)
    stmt = row_select().where(*conditions(where)).order_by(*order)
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
                .where(*conditions(where), const_in(Case.step, OPEN_STEP_CODES))
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
    check_list_access(actor)
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
    check_list_access(actor)
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


# Views read moments ago, per process: every open overview of one scope reloads
# the same page when the organisation's counter moves, and several users of one
# scope (an organiser's office, 100 tabs in the benchmark) open the same views.
# A view is reused only for the same scope (organisation and roles: what the
# access policy decides on), filter and change-counter value, within
# VIEW_CACHE_SECONDS of its reading (the "late" flags depend on the time).
VIEW_CACHE_SECONDS = 2.0
VIEW_CACHE_MAX = 512
_views: dict[tuple, ViewData] = {}
_views_lock = threading.Lock()


def _view_key(actor: Actor, f: OverviewFilter, counter: int, *args) -> tuple:
    return (
        actor.organisation_id,
        actor.org_roles,
        actor.unit_roles,
        f,
        counter,
        *args,
    )


def _cached_view(key: tuple, now: datetime) -> ViewData | None:
    hit = _views.get(key)
    if hit is None:
        return None
    if not timedelta(0) <= now - hit.at < timedelta(seconds=VIEW_CACHE_SECONDS):
        return None
    return hit


def _remember_view(key: tuple, view: ViewData) -> None:
    with _views_lock:
        if len(_views) >= VIEW_CACHE_MAX:
            _views.clear()
        _views[key] = view


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
        counter = row[0] if row else 0
        # The engine too: another database (a test's) never shares a view.
        key = _view_key(actor, f, counter, conn.engine, total, with_counts, with_options)
        cached = _cached_view(key, now)
        if cached is not None:
            _log_read(actor, now)
            return _copy_view(cached)
        if total is None:
            total = count_capped(reader, where, values)
        rows, has_next = page_rows(reader, actor, f, where, values, total, now)
        counts = _step_counts(reader, actor, now) if with_counts else None
        units = visible_units(actor, reader) if with_options else None
        classes = _class_options(reader, actor, f.unit_id) if with_options else None
    page = PageResult([format_row(r, now) for r in rows], total, has_next)
    view = ViewData(page, counter, counts, units, classes, now)
    _remember_view(key, _copy_view(view))
    _log_read(actor, now)
    return view


LIST_OVERVIEW = "list_overview"


def _log_read(actor: Actor, now: datetime) -> None:
    """The overview shows names (responsible staff, and whom a search matched):
    each view read is in the access log, like a read of a case."""
    access_log.record_alone(actor, LIST_OVERVIEW, now=now)


def _copy_page(page: PageResult) -> PageResult:
    # The caller may change its rows (the live loop marks changed ones): keep our own.
    return dataclasses.replace(page, rows=[dict(r) for r in page.rows])


def _copy_view(view: ViewData) -> ViewData:
    return dataclasses.replace(
        view,
        page=_copy_page(view.page),
        counts=dict(view.counts) if view.counts is not None else None,
        units=list(view.units) if view.units is not None else None,
        classes=list(view.classes) if view.classes is not None else None,
    )


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
