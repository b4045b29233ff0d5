"""The overview's queries against a real database (SQLite and PostgreSQL): every
filter, every sort in both directions, pagination and the scope of each role, on
a fixture of known cases checked against plain-Python expectations."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import pytest

from kb_app import db
from kb_app.domain.access import Actor
from kb_app.domain.fmt import TZ
from kb_app.domain.overview import OverviewFilter, SortKey, from_query
from kb_app.domain.process import STEP_ORDER, Step
from kb_app.domain.vocab import KIND_CODES, Role
from kb_app.errors import AccessDenied
from kb_app.models import (
    Case,
    Organisation,
    RoleAssignment,
    SchoolClass,
    Unit,
    User,
)
from kb_app.services.base import changes, prepared
from kb_app.services.overview import query as overview
from kb_app.services.overview import rows as overview_rows
from kb_app.services.reporting.references import format_reference

# Units in Swedish alphabetical order (å, ä, ö last), which is not code-point order.
UNITS = ["Björkskolan", "Åsens förskola", "Ängsskolan", "Östra gymnasiet"]
UNIT_INSERT_ORDER = ["Ängsskolan", "Östra gymnasiet", "Björkskolan", "Åsens förskola"]
CLASSES = ["1A", "4A", "4B", "7C", "NA1", ""]
GRADES = ["F", "1", "4", "7", "G1", ""]
USERS_BY_NAME = ["Anna Rektor", "Bengt Utredare", "Olle Huvudman", "Örjan Rektor"]


@dataclass
class Spec:
    """A known case: what the test expects the database to hold."""

    id: int
    unit: str
    reference: str
    year: int
    number: int
    reported_at: datetime
    step: str
    closed_at: datetime | None
    due_at: datetime | None
    class_name: str
    grade: str
    kinds: int
    grounds: int
    staff: bool
    responsible: str | None


@dataclass
class Known:
    specs: list[Spec]
    actors: dict[str, Actor]
    unit_ids: dict[str, int]
    now: datetime


def _actor(s, user: User) -> Actor:
    from kb_app.services.admin.auth import load_actor

    return load_actor(s, user)


@pytest.fixture
def known(engine, now) -> Known:
    rng = random.Random(7)
    with db.session_scope() as s:
        org = Organisation(name="Testkommun")
        other = Organisation(name="Annan kommun")
        s.add_all([org, other])
        s.flush()
        units: dict[str, Unit] = {}
        for name in UNIT_INSERT_ORDER:
            u = Unit(organisation_id=org.id, name=name, kind="grundskola")
            s.add(u)
            s.flush()
            units[name] = u
            for cname in CLASSES[:-1]:
                s.add(SchoolClass(unit_id=u.id, name=cname))
        foreign_unit = Unit(organisation_id=other.id, name="Främmande skolan", kind="grundskola")
        s.add(foreign_unit)
        users: dict[str, User] = {}
        for name in ["Örjan Rektor", "Olle Huvudman", "Bengt Utredare", "Anna Rektor", "Ada Admin"]:
            user = User(organisation_id=org.id, email=f"{len(users)}@test.se", name=name)
            s.add(user)
            s.flush()
            users[name] = user
        foreign = User(organisation_id=other.id, email="annan@test.se", name="Annan Huvudman")
        s.add(foreign)
        s.flush()
        roles = [
            ("Olle Huvudman", Role.ORGANISER, None),
            ("Anna Rektor", Role.PRINCIPAL, "Björkskolan"),
            ("Anna Rektor", Role.PRINCIPAL, "Ängsskolan"),
            ("Örjan Rektor", Role.PRINCIPAL, "Åsens förskola"),
            ("Örjan Rektor", Role.PRINCIPAL, "Östra gymnasiet"),
            ("Bengt Utredare", Role.INVESTIGATOR, None),
            ("Ada Admin", Role.ADMIN, None),
        ]
        for name, role, unit in roles:
            s.add(
                RoleAssignment(
                    user_id=users[name].id, role=role, unit_id=units[unit].id if unit else None
                )
            )
        s.add(RoleAssignment(user_id=foreign.id, role=Role.ORGANISER))
        s.flush()

        specs: list[Spec] = []
        numbers: dict[int, int] = {}
        reported = [
            now - timedelta(days=9 * i + rng.randint(0, 2), hours=rng.randint(0, 8))
            for i in range(44)
        ]
        reported.sort()
        for i, at in enumerate(reported):
            unit = UNITS[i % 4] if i % 7 else "Björkskolan"
            step = list(Step)[i % len(Step)]
            closed = at + timedelta(days=5) if step == Step.CLOSED else None
            if closed and closed > now:
                closed = now - timedelta(hours=1)
            due = None
            if step != Step.CLOSED and i % 6 != 5:
                due = now + timedelta(days=(i % 5) - 2, hours=i)  # some past (late), some ahead
            cls = CLASSES[i % len(CLASSES)]
            grade = GRADES[(i * 5) % len(GRADES)]
            kinds = (i % 15) + 1 if i % 9 else 0
            grounds = (1 << (i % 7)) if i % 4 == 0 else (3 if i == 2 else 0)
            responsible = [None, "Anna Rektor", "Örjan Rektor", "Bengt Utredare", "Olle Huvudman"][
                i % 5
            ]
            year = at.astimezone(TZ).year
            numbers[year] = numbers.get(year, 0) + 1
            case = Case(
                organisation_id=org.id,
                unit_id=units[unit].id,
                reference=format_reference(year, numbers[year]),
                year=year,
                number=numbers[year],
                step=str(step),
                responsible_user_id=users[responsible].id if responsible else None,
                due_at=due,
                reported_at=at,
                closed_at=closed,
                class_name=cls,
                grade=grade,
                occurred_on=at.date(),
                place="classroom",
                description="Beskrivning.",
                kinds=kinds,
                grounds=grounds,
                staff_involved=i % 8 == 3,
                reporter_name="Anna Anmälare",
                reporter_email="anna@test.se",
                reporter_role="teacher",
            )
            s.add(case)
            s.flush()
            specs.append(
                Spec(
                    case.id,
                    unit,
                    case.reference,
                    year,
                    case.number,
                    at,
                    str(step),
                    closed,
                    due,
                    cls,
                    grade,
                    kinds,
                    grounds,
                    case.staff_involved,
                    responsible,
                )  # fmt: skip
            )
        # A case of another organisation: never visible here.
        s.add(
            Case(
                organisation_id=other.id,
                unit_id=foreign_unit.id,
                reference="KB-2026-9999",
                year=2026,
                number=9999,
                step="reported",
                reported_at=now,
                occurred_on=now.date(),
                place="classroom",
                description="Annan.",
                kinds=1,
                reporter_name="X",
                reporter_email="x@test.se",
                reporter_role="teacher",
            )
        )
        changes.bump(s, org.id, now)
        actors = {name: _actor(s, u) for name, u in users.items()}
        actors["foreign"] = _actor(s, foreign)
    return Known(specs, actors, {n: u.id for n, u in units.items()}, now)


def all_rows(actor, f: OverviewFilter, now, **kw) -> list[str]:
    """Every matching reference in order, page by page (checks has_next on the way)."""
    refs: list[str] = []
    page = 1
    while True:
        result = overview.fetch_page(actor, replace(f, page=page), now=now, **kw)
        refs.extend(r["reference"] for r in result.rows)
        if not result.has_next:
            return refs
        assert len(result.rows) == f.per_page
        page += 1
        assert page < 100


def _late(c: Spec, now) -> bool:
    return c.closed_at is None and c.due_at is not None and c.due_at < now


def _newest(c: Spec):
    return (-c.reported_at.timestamp(), -c.id)


# --- Filters -------------------------------------------------------------------------

FILTERS = {
    "none": ({}, lambda c, k: True),
    "step": ({"steg": "received"}, lambda c, k: c.step == "received"),
    "open": ({"steg": "open"}, lambda c, k: c.step != "closed"),
    "unit": ({"enhet": "@Ängsskolan"}, lambda c, k: c.unit == "Ängsskolan"),
    "grade": ({"arskurs": "4"}, lambda c, k: c.grade == "4"),
    "no grade": ({"arskurs": "ingen"}, lambda c, k: c.grade == ""),
    "class": ({"klass": "4B"}, lambda c, k: c.class_name == "4B"),
    "kind": ({"slag": "verbal"}, lambda c, k: bool(c.kinds & 2)),
    "ground": ({"grund": "religion"}, lambda c, k: bool(c.grounds & (1 << 3))),
    "any ground": ({"grund": "any"}, lambda c, k: c.grounds != 0),
    "late": ({"forsenade": "1"}, lambda c, k: _late(c, k.now)),
    "staff": ({"personal": "1"}, lambda c, k: c.staff),
    "from": (
        {"fran": "@-30"},
        lambda c, k: c.reported_at.astimezone(TZ).date() >= (k.now - timedelta(days=30)).date(),
    ),
    "to": (
        {"till": "@-30"},
        lambda c, k: c.reported_at.astimezone(TZ).date() <= (k.now - timedelta(days=30)).date(),
    ),
    "search reference": ({"sok": "@ref5"}, lambda c, k: c.id == k.specs[5].id),
    "search number": ({"sok": "7"}, lambda c, k: c.number == 7),
    "search prefix": ({"sok": "KB-2026"}, lambda c, k: c.year == 2026),
    "search nonsense": ({"sok": "Elsa"}, lambda c, k: False),
    "combined": (
        {"steg": "open", "slag": "physical", "enhet": "@Björkskolan"},
        lambda c, k: c.step != "closed" and c.kinds & 1 and c.unit == "Björkskolan",
    ),
}


def _query(k: Known, params: dict) -> dict:
    out = {}
    for key, value in params.items():
        if value.startswith("@-"):
            value = (k.now - timedelta(days=int(value[2:]))).astimezone(TZ).date().isoformat()
        elif value == "@ref5":
            value = k.specs[5].reference
        elif value.startswith("@"):
            value = str(k.unit_ids[value[1:]])
        out[key] = value
    return out


@pytest.mark.parametrize("name", list(FILTERS))
def test_each_filter_returns_exactly_the_matching_cases(known, name):
    params, predicate = FILTERS[name]
    f = from_query({**_query(known, params), "antal": "25"})
    expected = [c.reference for c in sorted(known.specs, key=_newest) if predicate(c, known)]
    organiser = known.actors["Olle Huvudman"]
    assert all_rows(organiser, f, known.now) == expected
    result = overview.fetch_page(organiser, f, now=known.now)
    assert result.total == len(expected)
    if name != "none":
        assert len(expected) < len(known.specs), "the filter must leave some cases out"
    if name not in {"search nonsense", "search reference"}:
        assert expected, "the fixture must have matches"


# --- Sorts ---------------------------------------------------------------------------


def _expected_order(k: Known, key: SortKey, desc: bool) -> list[str]:
    specs = k.specs
    now = k.now
    if key == SortKey.DATE:
        ordered = sorted(specs, key=_newest if desc else (lambda c: (c.reported_at, c.id)))
    elif key == SortKey.REFERENCE:
        ordered = sorted(specs, key=lambda c: (c.year, c.number), reverse=desc)
    elif key == SortKey.CLASS:
        ordered = sorted(specs, key=lambda c: (c.class_name, _newest(c)), reverse=desc)
    elif key == SortKey.UNIT:
        units = UNITS[::-1] if desc else UNITS
        ordered = sorted(specs, key=lambda c: (units.index(c.unit), _newest(c)))
    elif key == SortKey.GRADE:
        grades = ["F", "1", "2", "3", "4", "5", "6", "7", "8", "9", "G1", "G2", "G3", ""]
        grades = grades[::-1] if desc else grades
        ordered = sorted(specs, key=lambda c: (grades.index(c.grade), _newest(c)))
    elif key == SortKey.KINDS:
        labels = {"physical": "Fysisk", "verbal": "Verbal", "psychosocial": "Psykosocial"}
        labels["written"] = "Skriftlig/digital"

        def label(mask):
            return ", ".join(labels[code] for i, code in enumerate(KIND_CODES) if mask & (1 << i))

        masks = sorted(range(1, 16), key=label)
        masks = (masks[::-1] if desc else masks) + [0]
        ordered = sorted(specs, key=lambda c: (masks.index(c.kinds), _newest(c)))
    elif key == SortKey.STEP:
        steps = [str(s) for s in STEP_ORDER]
        steps = steps[::-1] if desc else steps
        ordered = sorted(specs, key=lambda c: (steps.index(c.step), _newest(c)))
    elif key == SortKey.RESPONSIBLE:
        names = USERS_BY_NAME[::-1] if desc else USERS_BY_NAME
        ordered = sorted(
            specs,
            key=lambda c: (names.index(c.responsible) if c.responsible else 99, _newest(c)),
        )
    elif key == SortKey.DUE:

        def due_key(c):
            if c.closed_at is not None:
                return (2, *_newest(c))
            if c.due_at is None:
                return (1, *_newest(c))
            sign = -1 if desc else 1
            return (0, sign * c.due_at.timestamp(), sign * c.id)

        ordered = sorted(specs, key=due_key)
    elif key == SortKey.LATE:

        def late_key(c):
            late = _late(c, now)
            group = (0 if late else 1) if not desc else (1 if late else 0)
            inner = (c.due_at.timestamp(), c.id) if late else _newest(c)
            return (group, *inner)

        ordered = sorted(specs, key=late_key)
    else:  # pragma: no cover
        raise AssertionError(key)
    return [c.reference for c in ordered]


SORTS = [(key, desc) for key in SortKey for desc in (False, True)]


@pytest.mark.parametrize(("key", "desc"), SORTS, ids=[f"{k.value}-{d}" for k, d in SORTS])
def test_each_sort_orders_every_case(known, key, desc, monkeypatch):
    organiser = known.actors["Olle Huvudman"]
    f = OverviewFilter(sort=key, desc=desc, per_page=25)
    expected = _expected_order(known, key, desc)
    assert all_rows(organiser, f, known.now) == expected  # small result: sorted by the database
    assert all_rows(organiser, f, known.now, small_set=0) == expected  # segment by segment
    monkeypatch.setattr(overview_rows, "SQL_RANK_SEGMENTS", 0)  # the many-valued path
    assert all_rows(organiser, f, known.now) == expected  # small result: sorted from its keys


@pytest.mark.parametrize(("key", "desc"), SORTS, ids=[f"{k.value}-{d}" for k, d in SORTS])
def test_plain_sql_gives_the_same_page(known, key, desc):
    """naive_statement (what the benchmark compares with) orders exactly alike."""
    organiser = known.actors["Olle Huvudman"]
    f = OverviewFilter(sort=key, desc=desc, per_page=25).on_page(2)
    with db.read_scope() as s:
        rows = s.execute(overview.naive_statement(organiser, f, s.connection(), known.now)).all()
    page = overview.fetch_page(organiser, f, now=known.now, small_set=0)
    assert [r[1] for r in rows] == [r["reference"] for r in page.rows]


def test_a_sort_keeps_the_filter(known):
    organiser = known.actors["Olle Huvudman"]
    f = OverviewFilter(step="open", sort=SortKey.UNIT, desc=False, per_page=25)
    expected = [r for r in _expected_order(known, SortKey.UNIT, False)]
    open_refs = {c.reference for c in known.specs if c.step != "closed"}
    assert all_rows(organiser, f, known.now, small_set=0) == [r for r in expected if r in open_refs]


# --- Pages ---------------------------------------------------------------------------


def test_pages_of_25_50_and_100(known):
    organiser = known.actors["Olle Huvudman"]
    expected = _expected_order(known, SortKey.DATE, True)
    assert len(expected) == 44
    for size in (25, 50, 100):
        first = overview.fetch_page(organiser, OverviewFilter(per_page=size), now=known.now)
        assert [r["reference"] for r in first.rows] == expected[:size]
        assert first.has_next == (size < 44)
        assert first.total == 44
    second = overview.fetch_page(organiser, OverviewFilter(per_page=25).on_page(2), now=known.now)
    assert [r["reference"] for r in second.rows] == expected[25:]
    assert not second.has_next
    beyond = overview.fetch_page(organiser, OverviewFilter(per_page=25).on_page(9), now=known.now)
    assert beyond.rows == [] and not beyond.has_next


@pytest.mark.parametrize("key", [SortKey.DATE, SortKey.UNIT, SortKey.DUE, SortKey.RESPONSIBLE])
def test_deep_pages_skip_by_index_and_by_segment_counts(known, key, monkeypatch):
    """Deep pages read ids first and skip whole segments by their counts."""
    monkeypatch.setattr(overview_rows, "DEEP_OFFSET", 0)
    organiser = known.actors["Olle Huvudman"]
    expected = _expected_order(known, key, False)
    for page in (2, 3):
        f = OverviewFilter(sort=key, desc=False, per_page=25).on_page(page)
        rows = overview.fetch_page(organiser, f, now=known.now, small_set=0).rows
        assert [r["reference"] for r in rows] == expected[(page - 1) * 25 : page * 25]


def test_count_is_capped(known, monkeypatch):
    monkeypatch.setattr(overview_rows, "COUNT_CAP", 10)
    organiser = known.actors["Olle Huvudman"]
    result = overview.fetch_page(organiser, OverviewFilter(per_page=25), now=known.now)
    assert result.total == 11 and result.total_capped and result.has_next


def test_rows_carry_what_the_table_shows(known):
    organiser = known.actors["Olle Huvudman"]
    f = from_query({"sok": known.specs[0].reference})
    (row,) = overview.fetch_page(organiser, f, now=known.now).rows
    spec = known.specs[0]
    assert row["unit"] == spec.unit
    assert row["step"] and row["step_code"] == spec.step
    assert row["responsible"] == (spec.responsible or "")
    assert row["late"] == ("1" if _late(spec, known.now) else "")
    assert set(row) >= {"id", "reported", "class_name", "grade", "kinds", "due", "staff", "hl"}


# --- Scope ---------------------------------------------------------------------------


def test_principal_sees_only_their_units(known):
    anna = known.actors["Anna Rektor"]
    expected = [
        c.reference
        for c in sorted(known.specs, key=_newest)
        if c.unit in {"Björkskolan", "Ängsskolan"}
    ]
    assert all_rows(anna, OverviewFilter(per_page=25), known.now) == expected
    for key in SortKey:
        refs = all_rows(anna, OverviewFilter(sort=key, per_page=25), known.now, small_set=0)
        assert sorted(refs) == sorted(expected)
    # A unit outside the scope, asked for by id, gives nothing.
    other = from_query({"enhet": str(known.unit_ids["Östra gymnasiet"])})
    assert overview.fetch_page(anna, other, now=known.now).rows == []
    assert [n for _, n in overview.unit_options(anna)] == ["Björkskolan", "Ängsskolan"]


def test_organiser_sees_every_unit_of_their_organisation_only(known):
    olle = known.actors["Olle Huvudman"]
    assert len(all_rows(olle, OverviewFilter(per_page=100), known.now)) == 44
    assert [n for _, n in overview.unit_options(olle)] == UNITS
    foreign = known.actors["foreign"]
    assert all_rows(foreign, OverviewFilter(per_page=25), known.now) == ["KB-2026-9999"]


@pytest.mark.parametrize("name", ["Bengt Utredare", "Ada Admin"])
def test_investigator_and_admin_get_no_overview(known, name):
    actor = known.actors[name]
    with pytest.raises(AccessDenied):
        overview.fetch_page(actor, OverviewFilter(), now=known.now)
    with pytest.raises(AccessDenied):
        overview.step_counts(actor, now=known.now)
    with pytest.raises(AccessDenied):
        overview.unit_options(actor)


def test_step_counts_and_late(known):
    olle = known.actors["Olle Huvudman"]
    counts = overview.step_counts(olle, now=known.now)
    for step in Step:
        if step != Step.CLOSED:
            assert counts[str(step)] == sum(1 for c in known.specs if c.step == step)
    assert "closed" not in counts
    assert counts["late"] == sum(1 for c in known.specs if _late(c, known.now)) > 0
    orjan = known.actors["Örjan Rektor"]
    mine = [c for c in known.specs if c.unit in {"Åsens förskola", "Östra gymnasiet"}]
    assert overview.step_counts(orjan, now=known.now)["late"] == sum(
        1 for c in mine if _late(c, known.now)
    )


def test_class_options_only_for_a_visible_unit(known):
    anna = known.actors["Anna Rektor"]
    assert overview.class_options(anna, known.unit_ids["Björkskolan"]) == [
        "1A",
        "4A",
        "4B",
        "7C",
        "NA1",
    ]
    assert overview.class_options(anna, known.unit_ids["Östra gymnasiet"]) == []


def test_change_counter_values(known, engine):
    olle = known.actors["Olle Huvudman"]
    values = overview.counter_values([olle.organisation_id, 999_999])
    assert values[olle.organisation_id] >= 1 and values[999_999] == 0
    with db.session_scope() as s:
        changes.bump(s, olle.organisation_id, known.now)
    assert overview.counter_values([olle.organisation_id])[olle.organisation_id] == (
        values[olle.organisation_id] + 1
    )


def test_works_on_the_demo_data(demo, now):
    """Every sort runs on the seeded demo (incl. a principal's small scope)."""
    from tests.support.helpers import actor_for

    for email in ["huvudman@exempelkommun.se", "rektor@exempelkommun.se"]:
        actor = actor_for(email)
        for key in SortKey:
            rows = overview.fetch_page(actor, OverviewFilter(sort=key), now=now).rows
            assert rows


def test_dates_are_whole_swedish_days(known):
    """ "Till 3 mars" includes all of 3 March in Swedish time."""
    olle = known.actors["Olle Huvudman"]
    spec = known.specs[10]
    day = spec.reported_at.astimezone(TZ).date()
    f = OverviewFilter(date_from=day, date_to=day, per_page=100)
    refs = all_rows(olle, f, known.now)
    assert spec.reference in refs
    assert all(
        c.reported_at.astimezone(TZ).date() == day for c in known.specs if c.reference in refs
    )


def test_prepared_statements_are_shared_between_values(known):
    """The same shape with other values reuses one compiled statement."""
    olle = known.actors["Olle Huvudman"]
    overview.fetch_page(olle, from_query({"steg": "received"}), now=known.now)
    before = prepared.cached_shapes()
    overview.fetch_page(olle, from_query({"steg": "investigated"}), now=known.now)
    assert prepared.cached_shapes() == before


def test_the_sql_late_condition_is_the_domain_rule(known):
    """The late filter (SQL) and every row's late mark pick exactly the cases
    ``domain.deadlines.is_late`` calls late."""
    from kb_app.domain.deadlines import is_late

    organiser = known.actors["Olle Huvudman"]
    expected = {c.reference for c in known.specs if is_late(c.closed_at, c.due_at, known.now)}
    assert expected and len(expected) < len(known.specs)
    assert set(all_rows(organiser, OverviewFilter(late=True), known.now)) == expected
    rows = overview.fetch_page(organiser, OverviewFilter(per_page=100), now=known.now).rows
    assert {r["reference"] for r in rows if r["late"]} == expected


def test_a_view_read_moments_ago_is_reused_only_for_the_same_scope_and_counter(known):
    """Open overviews of one scope reload the same page when the counter moves:
    it is read once. Another scope, a moved counter or an older reading is not
    answered from the cache (a write without a counter bump shows what is reused)."""
    from sqlalchemy import update

    olle, anna = known.actors["Olle Huvudman"], known.actors["Anna Rektor"]
    f, now = OverviewFilter(per_page=25), known.now
    first = overview.load_view(olle, f, with_counts=True, now=now)
    ref = first.page.rows[0]["reference"]
    with db.session_scope() as s:  # behind the counter's back
        s.execute(update(Case).where(Case.reference == ref).values(reference="KB-2026-8888"))
    again = overview.load_view(olle, f, with_counts=True, now=now + timedelta(seconds=1))
    assert again.page.rows == first.page.rows and again.counts == first.counts
    again.page.rows[0]["hl"] = "1"  # a caller's change stays its own
    assert overview.load_view(olle, f, with_counts=True, now=now).page.rows[0].get("hl") != "1"
    # Another scope reads for itself and sees only its units.
    mine = overview.load_view(anna, f, with_counts=True, now=now)
    assert all(r["reference"] != ref for r in mine.page.rows)
    # Older than VIEW_CACHE_SECONDS, or the counter moved: read again.
    late = now + timedelta(seconds=overview.VIEW_CACHE_SECONDS)
    refs = [r["reference"] for r in overview.load_view(olle, f, now=late).page.rows]
    assert ref not in refs and "KB-2026-8888" in refs
    with db.session_scope() as s:
        s.execute(update(Case).where(Case.reference == "KB-2026-8888").values(reference=ref))
        changes.bump(s, olle.organisation_id, now)
    refs = [r["reference"] for r in overview.load_view(olle, f, now=late).page.rows]
    assert ref in refs
