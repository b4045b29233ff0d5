"""Upprepade händelser: repeated pupils, marking a match wrong, recurring places/times."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from kb_app.db import session_scope
from kb_app.errors import AccessDenied
from kb_app.services.statistics import patterns
from tests.support import stats_fixture
from tests.support.helpers import actor_for
from tests.support.stats_fixture import at, make_case

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)  # window: since 1 June 2025


@pytest.fixture
def fx(engine):
    return stats_fixture.build()


def _add_elsa_again(fx) -> None:
    with session_scope() as s:
        make_case(
            s,
            fx.org_id,
            fx.units["ek"],
            at(2026, 5, 4),
            [],
            class_name="4A",
            grade="4",
            place="schoolyard",
            occurred_on=date(2026, 5, 4),
            occurred_time="12:05",
            parties=[("subjected", "pupil", "Elsa  Berg", "4 A")],
        )


def test_pupils_in_several_cases_within_12_months(fx):
    found = patterns.find(actor_for("principal@test.se"), now=NOW)
    by_name = {p.name: p for p in found.pupils}
    assert set(by_name) == {"Elsa Berg", "Omar Ali"}
    elsa = by_name["Elsa Berg"]
    assert (elsa.unit_name, elsa.class_name, elsa.subjected, elsa.involved) == (
        "Ekskolan",
        "4A",
        1,
        1,
    )
    assert [c.reference for c in elsa.cases] == [fx.refs["C1"], fx.refs["C2"]]
    assert [c.role for c in elsa.cases] == ["subjected", "involved"]
    # the organiser sees the same; a principal of another unit sees nothing
    assert {p.name for p in patterns.find(actor_for("organiser@test.se"), now=NOW).pupils} == {
        "Elsa Berg",
        "Omar Ali",
    }
    assert patterns.find(actor_for("principal_gran@test.se"), now=NOW).pupils == []
    # a year later the cases are outside the 12 months
    later = datetime(2026, 11, 24, tzinfo=UTC)
    assert patterns.find(actor_for("principal@test.se"), now=later).pupils == []


def test_mark_a_match_wrong_until_a_new_case_joins(fx):
    principal = actor_for("principal@test.se")
    elsa = next(p for p in patterns.find(principal, now=NOW).pupils if p.name == "Elsa Berg")
    assert patterns.dismiss(principal, elsa.key.token, now=NOW)
    found = patterns.find(principal, now=NOW)
    assert [p.name for p in found.pupils] == ["Omar Ali"]
    assert found.dismissed == 1
    # a newer case with the same name and class (spaces do not matter) shows it again
    _add_elsa_again(fx)
    found = patterns.find(principal, now=NOW)
    elsa_again = next(p for p in found.pupils if p.key.name_key == "elsa berg")
    assert elsa_again.reappeared
    assert len(elsa_again.cases) == 3
    assert patterns.restore_all(principal) == 1


def test_dismiss_checks_scope(fx):
    organiser = actor_for("organiser@test.se")
    token = patterns.find(organiser, now=NOW).pupils[0].key.token
    assert not patterns.dismiss(actor_for("principal_gran@test.se"), token, now=NOW)
    with pytest.raises(AccessDenied):
        patterns.dismiss(actor_for("investigator@test.se"), token, now=NOW)
    with pytest.raises(AccessDenied):
        patterns.find(actor_for("investigator@test.se"), now=NOW)


def test_recurring_places_and_times(fx):
    _add_elsa_again(fx)
    found = patterns.find(actor_for("principal@test.se"), now=NOW)
    # Ekskolan since June 2025: C1, C2, C3, C4 and the new case = 5 cases
    assert [(r.unit_name, r.label, r.count) for r in found.places] == [
        ("Ekskolan", "Skolgård / gård", 3)
    ]
    assert found.places[0].share == pytest.approx(3 / 5)
    assert [(r.label, r.count) for r in found.times] == [("Måndagar kl. 12–13", 3)]
