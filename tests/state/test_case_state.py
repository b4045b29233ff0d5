"""The case page's state handlers, called directly (as the websocket would)."""

from __future__ import annotations

import asyncio

import pytest

from kb_app.domain.process import Step
from kb_app.services.admin import auth
from kb_app.state.case import CaseState
from tests.support.cases import INVESTIGATOR, PRINCIPAL, drive, events, new_case
from tests.support.helpers import actor_for
from tests.support.state import state_for


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def principal_token(demo, now):
    return auth.login(PRINCIPAL, "varna-demo-2026", now=now).token


def test_load_shows_the_case_and_the_next_step_form(engine, principal_token, now):
    cid = new_case(now)
    _, st = state_for(principal_token, f"/arenden/{cid}")
    run(CaseState.load.fn(st))
    assert st.page_status == "ok" and st.form == "receive"
    assert [e["label"] for e in st.timeline] == ["Anmälan", "Anmäld till huvudman"]
    assert st.head["responsible"] == "Karin Berg"
    run(CaseState.receive.fn(st))
    assert st.notice == "Ärendet är markerat som mottaget."
    assert st.form == "start" and st.form_key == 1
    assert st.candidates and all(set(c) == {"id", "name"} for c in st.candidates)


def test_measure_errors_land_on_their_rows_and_input_is_kept(engine, principal_token, now):
    cid = new_case(now)
    drive(cid, Step.INVESTIGATED, now)
    _, st = state_for(principal_token, f"/arenden/{cid}")
    run(CaseState.load.fn(st))
    assert st.form == "decide" and [r["key"] for r in st.measure_rows] == ["1"]
    CaseState.add_measure_row.fn(st)
    assert [r["key"] for r in st.measure_rows] == ["1", "2"]
    before = len(events(cid))
    form = {
        "m1_level": "group",
        "m1_description": "Ökad vuxennärvaro.",
        "m1_responsible": "",
        "m1_due_on": "2099-01-01",
        "m2_level": "individual",
        "m2_description": "",
        "m2_responsible": "",
        "m2_due_on": "",
    }
    run(CaseState.submit_decision.fn(st, form))
    assert st.errors == {"m1_responsible": "Ange vem som ansvarar."}
    assert st.measure_rows[0]["description"] == "Ökad vuxennärvaro."  # never lost
    assert len(events(cid)) == before
    run(CaseState.submit_decision.fn(st, {**form, "m1_responsible": "Mentor"}))
    assert st.errors == {} and st.form == "follow_up"
    assert len(events(cid)) == before + 1


def test_none_needed_requires_a_reason(engine, principal_token, now):
    cid = new_case(now)
    drive(cid, Step.INVESTIGATED, now)
    _, st = state_for(principal_token, f"/arenden/{cid}")
    run(CaseState.load.fn(st))
    CaseState.set_none_needed.fn(st, True)
    run(CaseState.submit_decision.fn(st, {"none_reason": "kort"}))
    assert st.errors == {"none_reason": "Skriv minst 10 tecken."}
    run(CaseState.submit_decision.fn(st, {"none_reason": "Händelsen var av engångskaraktär."}))
    assert st.errors == {} and st.notice == "Beslutet om åtgärder är sparat."


def test_a_missing_case_and_a_stale_step(engine, principal_token, now):
    _, st = state_for(principal_token, "/arenden/999999")
    run(CaseState.load.fn(st))
    assert st.page_status == "forbidden"
    assert st.forbidden_message == "Ärendet finns inte eller så saknar du behörighet."
    cid = new_case(now)
    drive(cid, Step.RECEIVED, now)
    _, st = state_for(principal_token, f"/arenden/{cid}")
    run(CaseState.load.fn(st))
    run(CaseState.receive.fn(st))  # someone else already did it
    assert st.form_error.startswith("Steget kan inte registreras nu")


def test_investigator_handlers_on_another_case(engine, demo, now):
    mine, other = new_case(now), new_case(now)
    drive(mine, Step.INVESTIGATION_STARTED, now, delegate_to=actor_for(INVESTIGATOR))
    token = auth.login(INVESTIGATOR, "varna-demo-2026", now=now).token
    _, st = state_for(token, f"/arenden/{mine}")
    run(CaseState.load.fn(st))
    assert st.form == "investigate" and not st.flags["can_delegate"]
    # The same tab now points at a case that is not delegated: every handler refuses.
    root, st = state_for(token, f"/arenden/{other}")
    run(CaseState.submit_note.fn(st, {"text": "Hej", "note_kind": "comment"}))
    assert st.page_status == "forbidden" and st.head == {} and st.timeline == []
    assert len(events(other)) == 2
