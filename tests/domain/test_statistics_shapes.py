"""Pure statistics rules: periods, months, percentiles, working days, masking."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from kb_app.domain import statistics as st
from kb_app.domain.masking import Masker, Person, Pseudonyms, letters


def test_school_year_and_previous():
    p = st.school_year(st.school_year_of(date(2026, 11, 24)))
    assert (p.start, p.end, p.label) == (date(2026, 8, 1), date(2027, 8, 1), "Läsåret 2026/27")
    assert st.school_year_of(date(2027, 7, 31)) == 2026
    prev = st.previous_period(p)
    assert (prev.start, prev.end) == (date(2025, 8, 1), date(2026, 8, 1))
    custom = st.custom_period(date(2026, 3, 1), date(2026, 3, 10))
    assert st.previous_period(custom).start == date(2026, 2, 19)


def test_period_starts_at_swedish_midnight():
    start, end = st.school_year(2025).utc_range
    assert start == datetime(2025, 7, 31, 22, 0, tzinfo=UTC)  # summer time
    assert st.calendar_year(2026).utc_range[0] == datetime(2025, 12, 31, 23, 0, tzinfo=UTC)


def test_month_buckets_and_hours():
    buckets = st.month_buckets(st.school_year(2025))
    assert [b.label for b in buckets][:3] == ["aug.", "sep.", "okt."] and len(buckets) == 12
    cur, prev = st.bucket_counts(
        buckets,
        [("2025-07-31 22", 2), ("2025-07-31 21", 5), ("2024-09-01 10", 1), ("2026-07-31 21", 1)],
    )
    # 21:00 UTC on 31 July 2025 is still July in Sweden: last month of the year before
    assert cur == {0: 2, 11: 1} and prev == {11: 5, 1: 1}


def test_parse_filters_messages():
    today = date(2026, 11, 24)
    f, err = st.parse_filters({}, today)
    assert err is None and f.period == st.school_year(2026)
    assert st.parse_filters({"period": "custom", "from": "2026-02-01"}, today)[1] == (
        "Ange både första och sista dag."
    )
    assert st.parse_filters({"grade": "X"}, today)[1] == "Okänd årskurs."
    f, _ = st.parse_filters(st.filter_params(st.Filters(st.calendar_year(2025), 3, "4")), today)
    assert f == st.Filters(st.calendar_year(2025), 3, "4")


def test_percentile_interpolates_like_percentile_inc():
    assert st.percentile({0: 1, 1: 2, 2: 1, 3: 1}, 0.5) == 1
    assert st.percentile({0: 1, 1: 2, 2: 1, 3: 1}, 0.9) == pytest.approx(2.6)
    assert st.percentile({10: 1, 20: 1}, 0.5) == 15
    assert st.percentile({}, 0.5) is None


@given(hs.lists(hs.integers(0, 60), min_size=1, max_size=40), hs.floats(0, 1))
def test_percentile_lies_within_the_values(values, q):
    counts: dict[int, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    p = st.percentile(counts, q)
    assert min(values) <= p <= max(values)


def test_working_days_skip_weekends_and_holidays():
    fri = datetime(2025, 12, 19, 12, tzinfo=UTC)
    assert st.working_days(fri, datetime(2025, 12, 22, 9, tzinfo=UTC)) == 1  # Monday
    # 24–26 Dec and the weekend are not working days
    assert (
        st.working_days(datetime(2025, 12, 23, tzinfo=UTC), datetime(2025, 12, 29, 12, tzinfo=UTC))
        == 1
    )
    assert st.working_days(fri, fri) == 0


def test_swedish_numbers():
    assert st.num(2.4) == "2,4" and st.num(2.0) == "2" and st.pct(0.256) == "26 %"
    assert st.num(12345.0, 0) == "12\u202f345"


def test_pseudonyms_are_stable_and_lettered():
    p = Pseudonyms()
    assert [p.name("pupil", k) for k in ["a", "b", "a"]] == ["Elev A", "Elev B", "Elev A"]
    assert p.name("staff", "x") == "Personal A"
    assert letters(25) == "Z" and letters(26) == "AA"


def test_masking_keeps_the_child_and_masks_others():
    mask = Masker(
        [
            Person("Elsa Berg", None),
            Person("Omar Ali", "Elev A"),
            Person("Ella Berg", "Elev B"),
        ]
    )
    text = "Omar Ali och Omar retade Elsa Berg. Ella sa till. berg"
    assert mask(text) == "Elev A och Elev A retade Elsa Berg. Elev B sa till. berg"
    assert mask.counts == {"Elev A": 2, "Elev B": 1}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # genitives in every spelling; the stand-in takes the colon form
        ("Noahs bricka", "Elev A:s bricka"),
        ("Noah:s bricka", "Elev A:s bricka"),
        ("Noah's bricka", "Elev A:s bricka"),
        ("NOAH BERGS jacka", "Elev A:s jacka"),
        ("Lars' cykel och Lars cykel", "Elev C:s cykel och Elev C cykel"),
        # whole words only
        ("Alice och Alicia, Bergström, Noahsson", "Alice och Alicia, Bergström, Noahsson"),
        ("Ali Öberg, öbergs, ÖBERG", "Elev B, Elev B:s, Elev B"),
        # a shown person's full name is left whole, a surname they share too
        ("Karin Berg ringde. Berg svarade.", "Karin Berg ringde. Berg svarade."),
        # a word only the masked share: neither stand-in, but masked
        ("Lindqvist och Lindqvistgården", "[namn] och Lindqvistgården"),
        # decomposed å (NFD) is the same letter
        ("A\u030asa kom", "Personal A kom"),
        # a hyphenated name whole and by its halves; "Karin" is the principal's too
        ("Anna-Karin och Anna", "Personal B och Personal B"),
        ("Anna-Karin och Karin", "Personal B och Karin"),
    ],
)
def test_masker_forms_and_boundaries(text, expected):
    mask = Masker(
        [
            Person("Elsa Berg", None),
            Person("Karin Berg", None, "official"),
            Person("Noah Berg", "Elev A"),
            Person("Ali Öberg", "Elev B"),
            Person("Lars Lindqvist", "Elev C"),
            Person("Vera Lindqvist", "Elev D"),
            Person("Åsa Nyström", "Personal A"),
            Person("Anna-Karin Ek", "Personal B"),
        ]
    )
    assert mask(text) == expected
