"""The case page's party handlers (issue 17.6), called directly as the websocket would:
add, correct and remove a party with a reason; a missing reason is refused with a
clear message and nothing changes."""

from __future__ import annotations

import asyncio
import json

from kb_app.domain import party_change as rules
from kb_app.domain import process
from kb_app.domain.process import FORM, Step
from kb_app.services.admin import auth
from kb_app.state.case import CaseState
from tests.support.cases import INVESTIGATOR, PRINCIPAL, drive, events, new_case
from tests.support.helpers import actor_for
from tests.support.state import state_for


def run(coro):
    return asyncio.run(coro)


def test_principal_adds_corrects_and_removes_a_party(engine, demo, now, clock):
    token = auth.login(PRINCIPAL, "varna-demo-2026", now=now).token
    cid = new_case(now)
    drive(cid, Step.RECEIVED, now)
    _, st = state_for(token, f"/arenden/{cid}")
    run(CaseState.load.fn(st))
    assert st.flags["can_edit_parties"]
    count = len(st.parties)

    # The add form; a missing reason is refused beside its field, nothing saved.
    CaseState.open_party_form.fn(st, "add", "")
    assert st.party_mode == "add"
    before = len(events(cid))
    form = {"party_id": "", "role": "witness", "kind": "staff", "name": "Rut Rastvakt"}
    run(CaseState.submit_party.fn(st, {**form, "reason": ""}))
    assert st.errors == {"reason": rules.MSG_REASON} and st.party_mode == "add"
    assert len(events(cid)) == before and len(st.parties) == count
    run(CaseState.submit_party.fn(st, {**form, "reason": "Rastvakten såg det hända."}))
    assert st.errors == {} and st.party_mode == ""
    assert st.notice == "Personen är tillagd. Ändringen står i tidslinjen."
    added = st.parties[-1]
    assert (added["role"], added["kind"], added["name"]) == ("Vittne", "Personal", "Rut Rastvakt")
    assert st.timeline[-1]["label"] == "Berörda personer ändrade"

    # Correct it: the old value is in the timeline.
    CaseState.open_party_form.fn(st, "edit", added["id"])
    assert (st.party_mode, st.party_target) == ("edit", added["id"])
    run(
        CaseState.submit_party.fn(
            st,
            {**form, "party_id": added["id"], "name": "Ruth Rastvakt", "reason": "Stavfel."},
        )
    )
    assert st.errors == {} and st.parties[-1]["name"] == "Ruth Rastvakt"
    assert "Tidigare: Vittne, Personal, Rut Rastvakt." in st.timeline[-1]["details"]

    # Remove it.
    CaseState.open_party_form.fn(st, "remove", added["id"])
    run(
        CaseState.submit_party_removal.fn(
            st, {"party_id": added["id"], "reason": "Hon var inte där."}
        )
    )
    assert st.errors == {} and len(st.parties) == count
    payload = json.loads(events(cid)[-1].payload)
    assert payload["change"] == "removed" and payload["old"]["name"] == "Ruth Rastvakt"

    # A party id the page does not show opens nothing.
    CaseState.open_party_form.fn(st, "edit", "999999")
    assert st.party_mode == ""


def test_the_investigator_may_and_a_closed_case_may_not(engine, demo, now, clock):
    cid = new_case(now)
    drive(cid, Step.INVESTIGATION_STARTED, now, delegate_to=actor_for(INVESTIGATOR))
    token = auth.login(INVESTIGATOR, "varna-demo-2026", now=now).token
    _, st = state_for(token, f"/arenden/{cid}")
    run(CaseState.load.fn(st))
    assert st.flags["can_edit_parties"]
    first = st.parties[0]
    run(
        CaseState.submit_party.fn(
            st,
            {
                "party_id": first["id"],
                "role": "subjected",
                "name": first["name_value"] + " Andersson",
                "class_name": first["class_name"],
                "reason": "Efternamnet saknades.",
            },
        )
    )
    assert st.errors == {} and st.parties[0]["name"].endswith(" Andersson")

    closed = new_case(now)
    drive(closed, Step.CLOSED, now)
    principal = auth.login(PRINCIPAL, "varna-demo-2026", now=now).token
    _, st = state_for(principal, f"/arenden/{closed}")
    run(CaseState.load.fn(st))
    assert not st.flags["can_edit_parties"]
    CaseState.open_party_form.fn(st, "add", "")
    assert st.party_mode == ""
    before = len(events(closed))
    run(
        CaseState.submit_party_removal.fn(
            st, {"party_id": st.parties[0]["id"], "reason": "Ska bort."}
        )
    )
    assert st.errors == {FORM: rules.MSG_CLOSED} and len(events(closed)) == before


def test_the_decision_form_offers_the_organisations_users(engine, demo, now, clock):
    from tests.services.test_measure_responsible import _measures

    token = auth.login(PRINCIPAL, "varna-demo-2026", now=now).token
    cid = new_case(now)
    drive(cid, Step.INVESTIGATED, now)
    _, st = state_for(token, f"/arenden/{cid}")
    run(CaseState.load.fn(st))
    inv = actor_for(INVESTIGATOR)
    assert st.form == "decide"
    assert {"id": str(inv.user_id), "name": inv.name} in st.measure_users
    form = {
        "m1_level": "individual",
        "m1_description": "Samtal varje vecka.",
        "m1_responsible": "",
        "m1_responsible_user_id": "999999",
        "m1_due_on": "2099-01-01",
    }
    run(CaseState.submit_decision.fn(st, form))
    assert st.errors == {"m1_responsible_user_id": process.MSG_MEASURE_USER}
    assert st.measure_rows[0]["description"] == "Samtal varje vecka."  # never lost
    run(CaseState.submit_decision.fn(st, {**form, "m1_responsible_user_id": str(inv.user_id)}))
    assert st.errors == {} and st.form == "follow_up"
    assert st.measures[0]["responsible"] == inv.name
    assert _measures(cid)[0].responsible_user_id == inv.user_id
