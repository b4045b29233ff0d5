"""A measure's responsible person (issue 17.6): chosen among the organisation's users
(reminded by mail, through a real SMTP server, when the measure's date has come) or
typed for someone outside Värna (no mail). SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from kb_app.db import read_scope
from kb_app.domain.fmt import local
from kb_app.domain.process import MSG_MEASURE_USER, EventKind, Step
from kb_app.errors import InvalidInput
from kb_app.models import Measure
from kb_app.services.case import steps
from kb_app.services.case import view as case_view
from kb_app.services.mail import mailer, reminders
from tests.support.cases import INVESTIGATOR, PRINCIPAL, drive, events, new_case
from tests.support.helpers import actor_for
from tests.support.world import mails_to

SUBJECT = "en åtgärd i"


def _measures(case_id: int) -> list[Measure]:
    with read_scope() as s:
        return list(s.exec(select(Measure).where(Measure.case_id == case_id).order_by(Measure.id)))


def _row(now, **kw) -> dict:
    return {
        "level": "individual",
        "description": "Samtal med eleven varje vecka.",
        "responsible": "",
        "due_on": (local(now).date() + timedelta(days=7)).isoformat(),
        **kw,
    }


def _measure_mails(sink, address: str) -> list:
    return [m for m in mails_to(sink, address) if SUBJECT in m["Subject"]]


@pytest.fixture
def decided(demo, now) -> int:
    cid = new_case(now)
    drive(cid, Step.INVESTIGATED, now)
    return cid


def test_a_chosen_user_is_reminded_once_on_the_date(decided, now, smtp_server):
    principal, inv = actor_for(PRINCIPAL), actor_for(INVESTIGATOR)
    view = case_view.load_case(principal, decided, now=now)
    assert view.form == "decide"
    assert {"id": str(inv.user_id), "name": inv.name} in view.measure_users
    steps.decide_measures(
        principal,
        decided,
        measures=[
            _row(now, responsible_user_id=str(inv.user_id)),
            _row(now, responsible="Fritidsledare Ola (extern)"),
        ],
        now=now,
    )
    chosen, outside = _measures(decided)
    # The chosen user's name is the text; the outside person has only the text.
    assert (chosen.responsible_user_id, chosen.responsible) == (inv.user_id, inv.name)
    assert (outside.responsible_user_id, outside.responsible) == (
        None,
        "Fritidsledare Ola (extern)",
    )
    payload = json.loads(events(decided)[-1].payload)
    assert payload["measures"][0]["responsible_user_id"] == inv.user_id

    # The day before its date: nothing. On the date: one mail, one timeline event.
    due = chosen.due_on
    before = now + timedelta(days=6)
    reminders.sweep(now=before)
    mailer.send_due(now=before)
    assert _measure_mails(smtp_server, inv.email) == []
    on_the_day = now + timedelta(days=7)
    reminders.sweep(now=on_the_day)
    mailer.send_due(now=on_the_day)
    reminders.sweep(now=on_the_day + timedelta(minutes=15))
    mailer.send_due(now=on_the_day + timedelta(minutes=15))
    (mail,) = _measure_mails(smtp_server, inv.email)
    assert "senast" in mail["Subject"] and f"/arenden/{decided}" in mail.get_content()
    assert "Samtal med eleven" not in mail.get_content()  # no case details by mail
    kinds = [(e.kind, json.loads(e.payload)) for e in events(decided)]
    measure_events = [p for k, p in kinds if k == EventKind.REMINDER and p.get("measure_id")]
    assert measure_events == [
        {
            "measure_id": chosen.id,
            "due_on": due.isoformat(),
            "recipients": [inv.name],
            "text": measure_events[0]["text"],
        }
    ]
    assert inv.name in measure_events[0]["text"]


def test_an_unknown_user_is_refused_and_a_closed_case_reminds_nobody(decided, now, smtp_server):
    principal = actor_for(PRINCIPAL)
    before = len(events(decided))
    for bad in ("999999", "abc"):
        with pytest.raises(InvalidInput) as exc:
            steps.decide_measures(
                principal, decided, measures=[_row(now, responsible_user_id=bad)], now=now
            )
        assert exc.value.errors == {"measures.0.responsible_user_id": MSG_MEASURE_USER}
    # Neither a user nor a name: the name is asked for, as before.
    with pytest.raises(InvalidInput) as exc:
        steps.decide_measures(principal, decided, measures=[_row(now)], now=now)
    assert exc.value.errors == {"measures.0.responsible": "Ange vem som ansvarar."}
    assert len(events(decided)) == before

    inv = actor_for(INVESTIGATOR)
    steps.decide_measures(
        principal,
        decided,
        measures=[_row(now, responsible_user_id=str(inv.user_id), responsible="Utredaren")],
        now=now,
    )
    assert _measures(decided)[0].responsible == "Utredaren"  # a typed name is kept
    today = local(now).date().isoformat()
    steps.follow_up(principal, decided, followed_up_on=today, stopped=True, notes="Klart.", now=now)
    steps.close(principal, decided, summary="Åtgärderna har haft effekt.", now=now)
    later = now + timedelta(days=8)
    reminders.sweep(now=later)
    mailer.send_due(now=later)
    assert _measure_mails(smtp_server, inv.email) == []
