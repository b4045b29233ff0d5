"""The overview's view in the URL: read, written, and read again unchanged."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qsl, urlsplit

from hypothesis import given
from hypothesis import strategies as st

from kb_app.domain.overview import (
    DEFAULT,
    OverviewFilter,
    SortKey,
    from_query,
    href,
    masks_with_bit,
    parse_reference_search,
    sv_key,
    to_query,
)
from kb_app.domain.process import Step
from kb_app.domain.vocab import GRADES, GROUND_CODES, KIND_CODES

filters = st.builds(
    OverviewFilter,
    step=st.sampled_from(["", "open", *[str(s) for s in Step]]),
    unit_id=st.none() | st.integers(1, 10**6),
    grade=st.none() | st.sampled_from(["", *GRADES]),
    class_name=st.sampled_from(["", "4A", "NA22", "Avdelning Blåklockan"]),
    kind=st.sampled_from(["", *KIND_CODES]),
    ground=st.sampled_from(["", "any", *GROUND_CODES]),
    late=st.booleans(),
    staff=st.booleans(),
    date_from=st.none() | st.dates(date(2015, 1, 1), date(2020, 12, 31)),
    date_to=st.none() | st.dates(date(2021, 1, 1), date(2030, 12, 31)),
    search=st.sampled_from(["", "KB-2026-0042", "42", "2026-7"]),
    sort=st.sampled_from(list(SortKey)),
    desc=st.booleans(),
    page=st.integers(1, 500),
    per_page=st.sampled_from([25, 50, 100]),
)


@given(filters)
def test_the_url_round_trips(f):
    assert from_query(to_query(f)) == f
    url = href(f)
    assert from_query(dict(parse_qsl(urlsplit(url).query))) == f


def test_default_view_has_a_bare_url():
    assert to_query(DEFAULT) == {}
    assert href(DEFAULT) == "/oversikt"


@given(st.dictionaries(st.text(max_size=12), st.text(max_size=30), max_size=8))
def test_any_query_string_opens(params):
    f = from_query(params)
    assert f.per_page in (25, 50, 100) and f.page >= 1


def test_bad_values_fall_back_to_defaults():
    f = from_query(
        {"steg": "nej", "enhet": "x", "arskurs": "13", "sortera": "?", "antal": "7", "sida": "-2"}
    )
    assert f == DEFAULT
    assert from_query({"fran": "2026-05-01", "till": "2026-01-01"}).date_from == date(2026, 1, 1)


def test_a_changed_filter_starts_on_page_one_and_sorting_toggles():
    f = OverviewFilter(page=7)
    assert f.with_filter(step="open").page == 1
    by_unit = f.sorted_by(SortKey.UNIT)
    assert (by_unit.sort, by_unit.desc, by_unit.page) == (SortKey.UNIT, False, 1)
    assert by_unit.sorted_by(SortKey.UNIT).desc is True
    assert f.sorted_by(SortKey.DATE).desc is False  # date is already newest first
    assert f.sorted_by(SortKey.DUE).desc is False  # the soonest deadline first


def test_reference_search_forms():
    assert parse_reference_search("KB-2026-0042").year == 2026
    assert parse_reference_search(" kb 2026 42 ").number == 42
    assert parse_reference_search("2026-42") == parse_reference_search("KB-2026-0042")
    assert parse_reference_search("42").number == 42 and parse_reference_search("42").year is None
    assert parse_reference_search("KB-2026").prefix == "KB-2026"
    assert parse_reference_search("Elsa").impossible


def test_swedish_alphabetical_order_and_numbers():
    names = ["Östra", "Ängen", "Åsen", "Björk", "Skola 10", "Skola 2", "Ekbacken"]
    assert sorted(names, key=sv_key) == [
        "Björk",
        "Ekbacken",
        "Skola 2",
        "Skola 10",
        "Åsen",
        "Ängen",
        "Östra",
    ]


def test_masks_with_a_bit():
    assert masks_with_bit(1, 3) == [2, 3, 6, 7]
    assert len(masks_with_bit(3, len(GROUND_CODES))) == 64


def test_case_row_is_the_one_list_row():
    from datetime import UTC, datetime, timedelta

    from kb_app.domain.overview import case_row

    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    base = dict(
        case_id=7,
        reference="KB-2026-7",
        reported_at=now - timedelta(days=5),
        unit="Björkskolan",
        class_name="7B",
        grade="G1",
        kinds=0b11,
        step="received",
        responsible=None,
        due_at=now - timedelta(days=1),
        closed_at=None,
        staff_involved=True,
        now=now,
    )
    row = case_row(**base)
    assert row["id"] == "7" and row["grade"] == "Gy 1" and row["responsible"] == ""
    assert row["late"] == "1" and row["due"] and row["staff"] == "1"
    assert row["step_code"] == "received" and row["step"] != "received"
    assert ", " in row["kinds"]
    closed = case_row(**{**base, "closed_at": now, "grade": None, "staff_involved": False})
    assert closed["late"] == "" and closed["due"] == "" and closed["grade"] == ""
    assert case_row(**{**base, "grade": "7"})["grade"] == "7"
