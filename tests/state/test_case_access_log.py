"""“Vem har läst ärendet” on the case page (issue 16.2), called as the websocket
would: the principal sees who read the case, newest first, a page at a time; an
investigator of the case is refused and gets no rows; looking is itself logged."""

from __future__ import annotations

import asyncio

from kb_app.domain.process import Step
from kb_app.errors import AccessDenied
from kb_app.services.admin import auth
from kb_app.services.case import access_history
from kb_app.state.case import CaseState
from tests.support.cases import INVESTIGATOR, PRINCIPAL, drive, new_case
from tests.support.helpers import actor_for
from tests.support.state import state_for


def run(coro):
    return asyncio.run(coro)


def test_the_principal_pages_through_who_read_the_case(engine, demo, now, clock):
    token = auth.login(PRINCIPAL, "varna-demo-2026", now=now).token
    cid = new_case(now)
    drive(cid, Step.RECEIVED, now)
    _, st = state_for(token, f"/arenden/{cid}")
    for _ in range(access_history.PAGE_SIZE + 3):
        run(CaseState.load.fn(st))  # each read is logged
    assert st.flags["can_view_access_log"] and st.access_page == 0 and st.access_rows == []
    run(CaseState.show_access_log.fn(st, 1))
    assert st.access_page == 1 and st.access_pages == 2
    assert len(st.access_rows) == access_history.PAGE_SIZE
    newest = st.access_rows[0]
    assert newest["what"] == "Läste ärendet" and newest["kind_label"] == "Läsning"
    assert newest["who"]
    run(CaseState.show_access_log.fn(st, "2"))
    assert st.access_page == 2 and 0 < len(st.access_rows) <= access_history.PAGE_SIZE
    # Odd pages from the client fall back to the first, or the last there is
    run(CaseState.show_access_log.fn(st, ["x"]))
    assert st.access_page == 1
    run(CaseState.show_access_log.fn(st, 99))
    assert st.access_page == 2
    # Looking is logged too: the newest row now says so
    run(CaseState.show_access_log.fn(st, 1))
    assert st.access_rows[0]["what"] == "Såg vem som läst ärendet"
    CaseState.hide_access_log.fn(st)
    assert (st.access_page, st.access_rows) == (0, [])


def test_an_investigator_is_refused_and_sees_no_rows(engine, demo, now, clock):
    cid = new_case(now)
    drive(cid, Step.INVESTIGATION_STARTED, now, delegate_to=actor_for(INVESTIGATOR))
    token = auth.login(INVESTIGATOR, "varna-demo-2026", now=now).token
    _, st = state_for(token, f"/arenden/{cid}")
    run(CaseState.load.fn(st))
    assert st.page_status == "ok" and not st.flags["can_view_access_log"]
    run(CaseState.show_access_log.fn(st, 1))
    assert st.access_rows == [] and st.access_page == 0
    assert st.access_message == AccessDenied.message
