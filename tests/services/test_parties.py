"""Correcting the parties of an open case (issue 17.6): add, correct, remove, each
with a reason; the timeline keeps the old and new value; the audit chain holds."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from kb_app import cli
from kb_app.db import read_scope
from kb_app.domain import party_change as rules
from kb_app.domain.case_text import describe
from kb_app.domain.process import FORM, EventKind, Step
from kb_app.errors import AccessDenied, InvalidInput
from kb_app.models import Party
from kb_app.services.case import audit, parties
from kb_app.services.case import view as case_view
from tests.support.cases import INVESTIGATOR, PRINCIPAL, case_row, drive, events, new_case
from tests.support.helpers import actor_for

WHY = "Anmälaren hörde av sig med rätt uppgift."


def _parties(case_id: int) -> list[Party]:
    with read_scope() as s:
        return list(s.exec(select(Party).where(Party.case_id == case_id).order_by(Party.id)))


def _last(case_id: int):
    ev = events(case_id)[-1]
    return ev, json.loads(ev.payload)


@pytest.fixture
def case(demo, now) -> int:
    cid = new_case(now)
    drive(cid, Step.INVESTIGATION_STARTED, now, delegate_to=actor_for(INVESTIGATOR))
    return cid


def test_add_correct_remove_with_reasons_in_the_timeline(case, now):
    principal, inv = actor_for(PRINCIPAL), actor_for(INVESTIGATOR)
    before = len(_parties(case))
    pid = parties.add_party(
        inv,
        case,
        party={"role": "witness", "kind": "staff", "name": "Rut Rastvakt", "class_name": ""},
        reason=WHY,
        now=now,
    )
    added = next(p for p in _parties(case) if p.id == pid)
    assert (added.role, added.kind, added.name, added.name_key) == (
        "witness",
        "staff",
        "Rut Rastvakt",
        "rut rastvakt",
    )
    ev, payload = _last(case)
    assert ev.kind == EventKind.PARTY_CHANGED and ev.actor_user_id == inv.user_id
    assert payload["change"] == "added" and payload["reason"] == WHY
    assert payload["new"]["name"] == "Rut Rastvakt" and "old" not in payload
    assert describe(ev.kind, payload) == [
        "Tillagd: Vittne, Personal, Rut Rastvakt.",
        "Skäl: " + WHY,
    ]

    # Corrected by the principal: role and name; the old value is in the record.
    later = now + timedelta(minutes=5)
    parties.correct_party(
        principal,
        case,
        party_id=pid,
        party={"role": "involved", "kind": "staff", "name": "Ruth Rastvakt", "class_name": ""},
        reason="Fel stavning, och hon var inblandad.",
        now=later,
    )
    ev, payload = _last(case)
    assert payload["change"] == "corrected"
    assert payload["old"]["role"] == "witness" and payload["old"]["name"] == "Rut Rastvakt"
    assert payload["new"]["role"] == "involved" and payload["new"]["name"] == "Ruth Rastvakt"
    assert describe(ev.kind, payload)[1] == "Tidigare: Vittne, Personal, Rut Rastvakt."
    row = next(p for p in _parties(case) if p.id == pid)
    assert (row.role, row.name, row.name_key) == ("involved", "Ruth Rastvakt", "ruth rastvakt")

    parties.remove_party(inv, case, party_id=pid, reason="Hon var inte där.", now=later)
    ev, payload = _last(case)
    assert payload["change"] == "removed" and payload["old"]["name"] == "Ruth Rastvakt"
    assert len(_parties(case)) == before
    # The case page shows the event; the audit chain still verifies.
    view = case_view.load_case(principal, case, now=later)
    assert view.timeline[-1]["label"] == "Berörda personer ändrade"
    assert "Borttagen: Inblandad, Personal, Ruth Rastvakt." in view.timeline[-1]["details"]
    assert audit.verify_all().ok
    assert cli.main(["audit", "verify"]) == 0


def test_correcting_the_subjected_pupil_moves_the_cases_class(case, now):
    first = next(p for p in _parties(case) if p.role == "subjected")
    # Another class than the one the generated story gave (which varies by test order).
    target, grade = ("4A", "4") if first.class_name == "5A" else ("5A", "5")
    parties.correct_party(
        actor_for(PRINCIPAL),
        case,
        party_id=first.id,
        party={"role": "subjected", "name": first.name, "class_name": target.lower()},
        reason=f"Eleven går i {target}, inte i den klass som angavs.",
        now=now,
    )
    c = case_row(case)
    assert (c.class_name, c.grade) == (target, grade)
    row = next(p for p in _parties(case) if p.id == first.id)
    assert (row.kind, row.class_name, row.grade) == ("pupil", target, grade)
    assert audit.verify_all().ok


def test_a_reason_is_required_and_bad_input_is_refused(case, now):
    principal = actor_for(PRINCIPAL)
    count = len(events(case))
    with pytest.raises(InvalidInput) as exc:
        parties.add_party(
            principal, case, party={"role": "witness", "kind": "pupil"}, reason="  ", now=now
        )
    assert exc.value.errors == {"reason": rules.MSG_REASON}
    with pytest.raises(InvalidInput) as exc:
        parties.add_party(
            principal, case, party={"role": "boss", "kind": "x", "name": "A"}, reason=WHY, now=now
        )
    assert exc.value.errors == {"role": rules.MSG_ROLE, "kind": rules.MSG_KIND}
    with pytest.raises(InvalidInput) as exc:
        parties.add_party(principal, case, party={"role": "subjected"}, reason=WHY, now=now)
    assert exc.value.errors == {"name": rules.MSG_NAME}
    # The last subjected pupil stays: neither removed nor given another role.
    subjected = [p for p in _parties(case) if p.role == "subjected"]
    for extra in subjected[1:]:
        parties.remove_party(principal, case, party_id=extra.id, reason=WHY, now=now)
    count = len(events(case))
    only = subjected[0]
    with pytest.raises(InvalidInput) as exc:
        parties.remove_party(principal, case, party_id=only.id, reason=WHY, now=now)
    assert exc.value.errors == {FORM: rules.MSG_LAST_SUBJECTED}
    with pytest.raises(InvalidInput) as exc:
        parties.correct_party(
            principal,
            case,
            party_id=only.id,
            party={"role": "involved", "kind": "pupil", "name": only.name},
            reason=WHY,
            now=now,
        )
    assert exc.value.errors == {"role": rules.MSG_LAST_SUBJECTED}
    with pytest.raises(InvalidInput) as exc:
        parties.correct_party(
            principal,
            case,
            party_id=only.id,
            party={"role": "subjected", "name": only.name, "class_name": only.class_name},
            reason=WHY,
            now=now,
        )
    assert exc.value.errors == {FORM: rules.MSG_UNCHANGED}
    # A party of another case is unknown here.
    other = new_case(now)
    foreign = _parties(other)[0]
    with pytest.raises(InvalidInput) as exc:
        parties.remove_party(principal, case, party_id=foreign.id, reason=WHY, now=now)
    assert exc.value.errors == {FORM: rules.MSG_UNKNOWN}
    assert len(events(case)) == count


def test_closed_cases_and_strangers_are_refused(demo, now):
    cid = new_case(now)
    drive(cid, Step.CLOSED, now)
    pid = _parties(cid)[0].id
    with pytest.raises(InvalidInput) as exc:
        parties.remove_party(actor_for(PRINCIPAL), cid, party_id=pid, reason=WHY, now=now)
    assert exc.value.errors == {FORM: rules.MSG_CLOSED}
    # Another unit's principal, and an investigator not delegated: as if no case.
    for email in ("rektor.ekbacke@exempelkommun.se", INVESTIGATOR):
        with pytest.raises(AccessDenied):
            parties.remove_party(actor_for(email), cid, party_id=pid, reason=WHY, now=now)
    assert len(_parties(cid)) >= 1
