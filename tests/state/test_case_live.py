"""The live case page: the loop started by the case page's load (the overview's
mechanism, state/live.py) shows what another user recorded, keeps the step form
that was open (with what was typed) and says in place that it is stale; it
re-checks the session and access; it ends when the tab goes away or leaves."""

from __future__ import annotations

import asyncio

import pytest
from reflex.istate.data import RouterData

from kb_app.domain.process import Step
from kb_app.services.admin import auth
from kb_app.services.case import delegation, steps
from kb_app.state import case as case_state
from kb_app.state import live
from kb_app.state.case import CaseState
from tests.support.cases import INVESTIGATOR, PRINCIPAL, drive, measure, new_case
from tests.support.helpers import actor_for
from tests.support.state import state_for


@pytest.fixture(autouse=True)
def _fast(monkeypatch):
    monkeypatch.setattr(live, "POLL_SECONDS", 0.01)
    monkeypatch.setattr(live, "WATCH", live.CounterWatch())
    monkeypatch.setattr(case_state, "HOUSEKEEPING_SECONDS", 0.05)


@pytest.fixture(autouse=True)
def gone(monkeypatch) -> set[str]:
    """The tabs closed: client tokens that the app's websocket namespace no longer
    knows. No browser is connected here, so the namespace's token manager (the
    framework's, not ours) answers for the tabs of the test."""
    from reflex_base.registry import RegistrationContext

    closed: set[str] = set()

    class TokenManager:
        async def is_token_connected(self, token: str) -> bool:
            return token not in closed

    namespace = RegistrationContext.get().app.event_namespace
    monkeypatch.setattr(namespace, "_token_manager", TokenManager())
    return closed


def _tab(token: str, path: str, client_token: str):
    """A tab's CaseState with its session cookie and its client token."""
    _, st = state_for(token, path)
    st.router = RouterData.from_router_data(
        {
            "headers": {"cookie": f"kb_session={token}", "origin": "http://127.0.0.1:3000"},
            "pathname": path,
            "asPath": path,
            "token": client_token,
        }
    )
    return st


async def _open(st) -> asyncio.Task:
    """The page load, then the loop it asks for, as Reflex would run it."""
    started = await CaseState.load.fn(st)
    assert started is CaseState.watch, started
    task = asyncio.create_task(CaseState.watch.fn(st))
    for _ in range(200):
        if live.loop_running(st.router.session.client_token, st._watch_id):
            return task
        await asyncio.sleep(0.01)
    raise AssertionError("the live loop did not start")


async def _until(predicate, what: str, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"not within {seconds} s: {what}")


async def _stop(task: asyncio.Task) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


@pytest.fixture
def tokens(demo, now):
    def login(email: str) -> str:
        result = auth.login(email, "varna-demo-2026", now=now)
        assert result.ok, result.message
        return result.token

    return login


async def test_a_step_recorded_elsewhere_shows_and_the_open_form_says_it_is_stale(
    engine, tokens, now
):
    cid = new_case(now)
    drive(cid, Step.INVESTIGATION_STARTED, now)
    st = _tab(tokens(PRINCIPAL), f"/arenden/{cid}", "tab-live-1")
    task = await _open(st)
    try:
        assert st.form == "investigate" and st.stale_form == ""
        key, labels = st.form_key, [e["label"] for e in st.timeline]
        # A comment by someone else: shown, the form is untouched and not stale.
        await asyncio.to_thread(
            steps.add_note, actor_for(PRINCIPAL), cid, text="Mentor informerad.", now=now
        )
        await _until(lambda: len(st.timeline) == len(labels) + 1, "the comment")
        assert st.timeline[-1]["label"] == "Kommentar"
        assert st.form == "investigate" and st.form_key == key and st.stale_form == ""
        # The step itself, recorded in another tab: the form stays (fields and key
        # as they were, so nothing typed is lost) and says so in place.
        await asyncio.to_thread(
            steps.record_investigation,
            actor_for(PRINCIPAL),
            cid,
            talks=["subjected"],
            guardians_contacted_on=now.date().isoformat(),
            findings="Samtalen bekräftar händelsen.",
            conclusion="confirmed",
            now=now,
        )
        await _until(lambda: st.stale_form != "", "the stale notice")
        assert st.form == "investigate" and st.form_key == key
        assert "Utredning" in st.stale_form and "finns kvar" in st.stale_form
        assert st.head["step"] != ""  # the header moved on
        # Asked for, the next step replaces the stale form with fresh fields.
        await CaseState.show_next_step.fn(st)
        assert st.form == "decide" and st.stale_form == "" and st.form_key == key + 1
    finally:
        await _stop(task)


async def test_rows_typed_in_the_measures_form_stay_when_the_case_moves(engine, tokens, now):
    """The principal is writing measures (kept in the state after a refused
    submit) when the investigator sends a new proposal: the page shows the
    proposal in the timeline but the rows typed stay as they were."""
    cid = new_case(now)
    inv = actor_for(INVESTIGATOR)
    drive(cid, Step.INVESTIGATION_STARTED, now, delegate_to=inv)
    await asyncio.to_thread(
        steps.record_investigation,
        inv,
        cid,
        talks=["subjected"],
        guardians_contacted_on=now.date().isoformat(),
        findings="Samtalen bekräftar händelsen.",
        conclusion="confirmed",
        now=now,
    )
    st = _tab(tokens(PRINCIPAL), f"/arenden/{cid}", "tab-live-2")
    task = await _open(st)
    try:
        assert st.form == "decide"
        typed = {"m1_level": "group", "m1_description": "Rastvakt vid cykelstället."}
        await CaseState.submit_decision.fn(st, typed)  # refused: no responsible yet
        assert st.errors and st.measure_rows[0]["description"] == "Rastvakt vid cykelstället."
        key, n = st.form_key, len(st.timeline)
        await asyncio.to_thread(steps.propose_measures, inv, cid, measures=[measure(now)], now=now)
        await _until(lambda: len(st.timeline) == n + 1, "the proposal")
        assert st.form == "decide" and st.form_key == key and st.stale_form == ""
        assert st.measure_rows[0]["description"] == "Rastvakt vid cykelstället."
        assert st.errors  # what the user was told beside the fields stays too
    finally:
        await _stop(task)


async def test_a_user_who_loses_access_sees_nothing_more(engine, tokens, now):
    cid = new_case(now)
    inv = actor_for(INVESTIGATOR)
    drive(cid, Step.INVESTIGATION_STARTED, now, delegate_to=inv)
    st = _tab(tokens(INVESTIGATOR), f"/arenden/{cid}", "tab-live-3")
    task = await _open(st)
    assert st.page_status == "ok" and st.timeline
    await asyncio.to_thread(delegation.withdraw_delegation, actor_for(PRINCIPAL), cid, now=now)
    await asyncio.wait_for(task, 10)
    assert st.page_status == "forbidden"
    assert st.timeline == [] and st.head == {} and st.parties == [] and st.open_case_id == ""
    assert "tab-live-3" not in live.LOOPS


async def test_a_signed_out_session_ends_the_loop_and_clears_the_page(engine, tokens, now):
    cid = new_case(now)
    token = tokens(PRINCIPAL)
    st = _tab(token, f"/arenden/{cid}", "tab-live-4")
    task = await _open(st)
    auth.logout(token, now=now)
    await asyncio.to_thread(steps.receive, actor_for(PRINCIPAL), cid, now=now)
    await asyncio.wait_for(task, 10)
    assert st.timeline == [] and st.open_case_id == ""
    assert "tab-live-4" not in live.LOOPS


async def test_the_loop_ends_when_the_tab_leaves_the_case(engine, tokens, now):
    cid = new_case(now)
    st = _tab(tokens(PRINCIPAL), f"/arenden/{cid}", "tab-live-5")
    task = await _open(st)
    st.router = RouterData.from_router_data(
        {"headers": {}, "pathname": "/oversikt", "asPath": "/oversikt", "token": "tab-live-5"}
    )
    await asyncio.wait_for(task, 10)
    assert "tab-live-5" not in live.LOOPS


async def test_the_loop_ends_when_the_tab_goes_away(engine, tokens, now, gone):
    """The tab is closed: Reflex's token manager no longer knows its client token."""
    cid = new_case(now)
    st = _tab(tokens(PRINCIPAL), f"/arenden/{cid}", "tab-live-6")
    task = await _open(st)
    await asyncio.sleep(0.1)
    assert not task.done()  # connected: it goes on
    gone.add("tab-live-6")
    await asyncio.wait_for(task, 10)
    assert "tab-live-6" not in live.LOOPS


async def test_a_second_load_of_the_same_tab_starts_no_second_loop(engine, tokens, now):
    cid = new_case(now)
    st = _tab(tokens(PRINCIPAL), f"/arenden/{cid}", "tab-live-7")
    task = await _open(st)
    try:
        assert await CaseState.load.fn(st) is None  # the loop runs: none started
        assert live.loop_running("tab-live-7", st._watch_id)
    finally:
        await _stop(task)
    assert "tab-live-7" not in live.LOOPS


async def test_another_case_in_the_same_tab_gets_a_loop_of_its_own(engine, tokens, now):
    """The loop outlives the tab's navigations; a case opened from another case
    starts its own loop, and the first one ends."""
    first, second = new_case(now), new_case(now)
    token = tokens(PRINCIPAL)
    st = _tab(token, f"/arenden/{first}", "tab-live-8")
    task = await _open(st)
    try:
        moved = _tab(token, f"/arenden/{second}", "tab-live-8")
        st.router = moved.router
        started = await CaseState.load.fn(st)
        assert started is CaseState.watch and st.open_case_id == str(second)
        await asyncio.wait_for(task, 10)  # the first case's loop ended
        task = asyncio.create_task(CaseState.watch.fn(st))
        await _until(lambda: live.loop_running("tab-live-8", st._watch_id), "the second loop")
        n = len(st.timeline)
        await asyncio.to_thread(steps.receive, actor_for(PRINCIPAL), second, now=now)
        await _until(lambda: len(st.timeline) > n, "the second case's live update")
    finally:
        await _stop(task)
    assert "tab-live-8" not in live.LOOPS
