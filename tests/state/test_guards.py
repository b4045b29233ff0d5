"""Page guards seen through the real state handlers: the server decides, not the page."""

from __future__ import annotations

import pytest

from kb_app.state.admin import AdminState
from kb_app.state.cases import MyCasesState, OverviewState
from tests.state.conftest import redirect_target
from tests.support.helpers import actor_for


async def test_anonymous_overview_redirects_to_login(engine, make_state):
    st = make_state(OverviewState, path="/oversikt")
    events = await st.load()
    assert redirect_target(events) == "/logga-in?nasta=/oversikt"  # back there after login
    assert st.rows == []


async def test_forged_cookie_is_anonymous(demo, make_state):
    st = make_state(OverviewState, token="forged-token", path="/oversikt")
    assert redirect_target(await st.load()) == "/logga-in?nasta=/oversikt"
    assert st.rows == []


async def test_investigator_gets_forbidden_and_no_rows(session_token, make_state):
    st = make_state(
        OverviewState, token=session_token("utredare@exempelkommun.se"), path="/oversikt"
    )
    await st.load()
    assert st.page_status == "forbidden"
    assert st.rows == []


async def test_principal_sees_only_own_units(session_token, make_state):
    st = make_state(
        OverviewState, token=session_token("rektor.ekbacke@exempelkommun.se"), path="/oversikt"
    )
    await st.load()
    assert st.page_status == "ok" and st.rows
    assert {r["unit"] for r in st.rows} <= {"Ekbackeskolan 7–9", "Strandgymnasiet"}


async def test_admin_sees_no_case_lists(session_token, make_state):
    token = session_token("admin@exempelkommun.se")
    st = make_state(OverviewState, token=token, path="/oversikt")
    await st.load()
    assert st.page_status == "forbidden" and st.rows == []
    adm = make_state(AdminState, token=token, path="/admin")
    await adm.load()
    assert adm.page_status == "ok" and len(adm.users) == 5


@pytest.mark.parametrize("email", ["rektor@exempelkommun.se", "huvudman@exempelkommun.se"])
async def test_admin_page_forbidden_for_others(session_token, make_state, email):
    st = make_state(AdminState, token=session_token(email), path="/admin")
    await st.load()
    assert st.page_status == "forbidden" and st.users == [] and st.units == []


async def test_my_cases_only_delegated(session_token, make_state):
    st = make_state(
        MyCasesState, token=session_token("utredare@exempelkommun.se"), path="/mina-arenden"
    )
    await st.load()
    assert st.page_status == "ok"
    assert st.rows  # the demo delegates some cases to the investigator
    assert actor_for("utredare@exempelkommun.se").principal_units == frozenset()
