"""Statistik → Export, the archive card (issue 16.4): an organiser's load fills the
closing years of closed cases; the link follows the year or a typed case number;
a principal gets no card and nothing of it."""

from __future__ import annotations

import asyncio

from sqlmodel import select

from kb_app.db import read_scope
from kb_app.models import Case
from kb_app.services.admin import auth
from tests.support.state import state_for


def _stats(email: str, now):
    from kb_app.state.statistics import StatisticsState

    token = auth.login(email, "varna-demo-2026", now=now).token
    root, _ = state_for(token, "/statistik")
    st = root.get_substate(StatisticsState.get_full_name().split("."))
    asyncio.run(StatisticsState.load.fn(st))
    return st


def test_the_organiser_chooses_a_closing_year_or_a_case(engine, demo, now, clock):
    from kb_app.state.statistics import StatisticsState

    with read_scope() as s:
        years = sorted(
            {c.closed_at.year for c in s.exec(select(Case).where(Case.closed_at.is_not(None)))},
            reverse=True,
        )
    st = _stats("huvudman@exempelkommun.se", now)
    assert st.may_archive
    assert [o["value"] for o in st.archive_year_options] == [str(y) for y in years]
    assert st.archive_year_options[0]["label"].startswith(f"{years[0]} (")
    assert st.archive_year == str(years[0])
    assert st.archive_href == f"/export/arkivpaket.zip?ar={years[0]}"
    asyncio.run(StatisticsState.set_archive_year.fn(st, "1999"))  # not offered: kept
    assert st.archive_year == str(years[0])
    asyncio.run(StatisticsState.set_archive_ref.fn(st, " kb-2026-0003 "))
    assert st.archive_href == "/export/arkivpaket.zip?ref=KB-2026-0003"


def test_a_principal_has_no_archive_card(engine, demo, now, clock):
    st = _stats("rektor@exempelkommun.se", now)
    assert not st.may_archive
    assert st.archive_year_options == []
