"""Every statistics figure against hand-computed values (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from kb_app.db import read_scope, session_scope
from kb_app.domain import statistics as st
from kb_app.errors import AccessDenied
from kb_app.models import Case
from kb_app.services.statistics import queries as svc
from tests.support import stats_fixture
from tests.support.helpers import actor_for

SY = st.Filters(st.school_year(2025))


@pytest.fixture
def fx(engine):
    return stats_fixture.build()


def organiser():
    return actor_for("organiser@test.se")


def test_funnel(fx):
    ov = svc.overview(organiser(), SY)
    assert ov.total == 7
    assert [(r.label, r.count) for r in ov.funnel] == [
        ("Anmälda", 7),
        ("Utredda", 3),
        ("Åtgärder beslutade", 2),
        ("Uppföljda", 2),
        ("Avslutade", 2),
    ]
    assert ov.funnel[1].share == pytest.approx(3 / 7)
    assert ov.closed == 2


def test_months_this_period_and_previous(fx):
    ov = svc.overview(organiser(), SY)
    months = {m.label: (m.current, m.previous) for m in ov.months}
    assert [m.label for m in ov.months][:2] == ["aug.", "sep."]
    # C10 was reported 22:30 UTC on 31 July: 1 August in Sweden
    assert months["aug."] == (1, 0)
    assert months["sep."] == (2, 1)
    assert months["okt."] == (1, 0)
    assert months["nov."] == (1, 0)
    assert months["jan."] == (1, 0)
    assert months["mars"] == (1, 1)
    assert sum(c for c, _ in months.values()) == 7
    assert sum(p for _, p in months.values()) == 2  # C7, C8; C9 is outside both


def test_units_per_100_pupils_against_organisation(fx):
    ov = svc.overview(organiser(), SY)
    rows = {r.label: r for r in ov.units.rows}
    assert (rows["Ekskolan"].cases, rows["Ekskolan"].per_100) == (4, pytest.approx(2.0))
    assert (rows["Granskolan"].cases, rows["Granskolan"].per_100) == (2, pytest.approx(4.0))
    assert (rows["Tallskolan"].cases, rows["Tallskolan"].per_100) == (1, None)
    assert ov.units.average_per_100 == pytest.approx(6 / 250 * 100)  # 2,4
    assert ov.units.average_cases == pytest.approx(7 / 3)
    assert [r.label for r in ov.units.rows] == ["Granskolan", "Ekskolan", "Tallskolan"]
    assert ov.classes is None


def test_classes_within_a_unit(fx):
    ov = svc.overview(organiser(), st.Filters(SY.period, unit_id=fx.units["ek"]))
    assert ov.total == 4
    rows = {r.label: r for r in ov.classes.rows}
    assert (rows["4A"].cases, rows["4A"].per_100) == (2, pytest.approx(10.0))
    assert (rows["4B"].cases, rows["4B"].per_100) == (1, pytest.approx(4.0))
    assert (rows["5A"].cases, rows["5A"].per_100) == (1, None)
    assert ov.classes.average_per_100 == pytest.approx(3 / 45 * 100)
    assert ov.classes.average_cases == pytest.approx(4 / 3)
    assert ov.classes.whole_label == "Ekskolan"


def test_kinds_grounds_places_staff(fx):
    ov = svc.overview(organiser(), SY)
    assert {r.label: r.count for r in ov.kinds} == {
        "Fysisk": 2,
        "Verbal": 4,
        "Psykosocial": 1,
        "Skriftlig/digital": 1,
    }
    grounds = {r.label: r.count for r in ov.grounds}
    assert grounds["Kön"] == 1
    assert grounds["Etnisk tillhörighet"] == 1
    assert grounds["Religion eller annan trosuppfattning"] == 1
    assert grounds["Ålder"] == 1
    assert grounds["Sexuell läggning"] == 0
    assert grounds["Ingen diskrimineringsgrund angiven"] == 4
    assert [(r.label, r.count) for r in ov.places] == [
        ("Skolgård / gård", 3),
        ("Korridor", 2),
        ("Digitalt / online", 1),
        ("Matsal", 1),
    ]
    assert ov.staff_involved == 2
    assert ov.staff_share == pytest.approx(2 / 7)


def test_hotspots_by_weekday_and_hour(fx):
    h = svc.overview(organiser(), SY).hotspots
    hours = h.hours
    assert hours[0] == 0 and hours[-1] == 17
    monday, friday, sunday = h.matrix[0], h.matrix[4], h.matrix[6]
    assert monday[hours.index(12)] == 3  # C1, C2, C5
    assert monday[hours.index(11)] == 1  # C6
    assert friday[hours.index(12)] == 1  # C3 (happened on Friday 3 October)
    assert friday[hours.index(0)] == 1  # C10, 00:20 on Friday 1 August
    assert h.unknown_time[6] == 1 and sum(sunday) == 0  # C4: Sunday, no time
    assert h.total == 7
    assert h.top[0] == ("måndag 12–13", 3)


def test_time_per_step_in_working_days(fx):
    times = {t.key: t for t in svc.overview(organiser(), SY).step_times}
    rec = times["received"]  # 1, 3, 0, 1, 2
    assert (rec.cases, rec.median, rec.p90) == (5, 1.0, pytest.approx(2.6))
    assert (rec.limit, rec.within, rec.share_within) == (1, 3, pytest.approx(0.6))
    started = times["investigation_started"]  # 2, 1, 1
    assert (started.cases, started.median, started.p90, started.within) == (
        3,
        1.0,
        pytest.approx(1.8),
        3,
    )
    inv = times["investigated"]  # 5, 10, 2
    assert (inv.median, inv.p90, inv.share_within) == (5.0, pytest.approx(9.0), 1.0)
    meas = times["measures_decided"]  # 1, 1
    assert (meas.cases, meas.median, meas.p90) == (2, 1.0, 1.0)
    fu = times["followed_up"]  # 20, 10
    assert (fu.median, fu.p90, fu.within, fu.limit) == (15.0, pytest.approx(19.0), 2, 20)
    total = times["total"]  # 30, 15
    assert (total.cases, total.median, total.p90, total.limit) == (
        2,
        22.5,
        pytest.approx(28.5),
        None,
    )


def test_step_days_backfill_matches_the_timeline_hook(fx):
    with read_scope() as s:
        before = {
            c.id: (c.wdays_received, c.wdays_investigated, c.wdays_followed_up, c.wdays_total)
            for c in s.exec(select(Case))
        }
    with session_scope() as s:
        for c in s.exec(select(Case)):
            for column, _ in st.STEP_DAY_COLUMNS.values():
                setattr(c, column, None)
            s.add(c)
    assert svc.backfill_step_days() == 5  # C1, C2, C3, C5, C6: past "reported"
    with read_scope() as s:
        after = {
            c.id: (c.wdays_received, c.wdays_investigated, c.wdays_followed_up, c.wdays_total)
            for c in s.exec(select(Case))
        }
    assert after == before
    assert after[fx.cases["C1"]] == (1, 5, 20, 30)


def test_grade_filter_uses_the_grade_pupils(fx):
    ov = svc.overview(organiser(), st.Filters(SY.period, grade="4"))
    assert ov.total == 3
    rows = {r.label: r for r in ov.units.rows}
    assert rows["Ekskolan"].pupils == 45
    assert rows["Ekskolan"].per_100 == pytest.approx(3 / 45 * 100)


def test_calendar_and_custom_periods(fx):
    cal = svc.overview(organiser(), st.Filters(st.calendar_year(2025)))
    assert cal.total == 6  # C8, C10, C1, C2, C3, C5
    custom = svc.overview(
        organiser(),
        st.Filters(st.custom_period(date(2025, 9, 1), date(2025, 9, 30))),
    )
    assert custom.total == 2
    assert [(m.label, m.current) for m in custom.months] == [("sep.", 2)]


def test_principal_sees_only_their_units(fx):
    principal = actor_for("principal@test.se")
    ov = svc.overview(principal, SY)
    assert ov.total == 4
    assert [r.label for r in ov.units.rows] == ["Ekskolan"]
    # the organisation's average is still the whole organisation's
    assert ov.units.average_per_100 == pytest.approx(2.4)
    assert [r.count for r in ov.funnel] == [4, 2, 1, 1, 1]
    with pytest.raises(AccessDenied):
        svc.overview(principal, st.Filters(SY.period, unit_id=fx.units["gran"]))


@pytest.mark.parametrize("who", ["investigator", "admin"])
def test_investigators_and_admins_get_no_statistics(fx, who):
    actor = actor_for(f"{who}@test.se")
    with pytest.raises(AccessDenied):
        svc.overview(actor, SY)
    with pytest.raises(AccessDenied):
        svc.options(actor, date(2026, 1, 1))
    with pytest.raises(AccessDenied):
        svc.overview(None, SY)
