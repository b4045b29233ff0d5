"""The reminder sweep, escalation and the daily digest, with the clock moved by hand,
mail delivered to a real SMTP server, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest

from kb_app import db
from kb_app.domain import deadlines
from kb_app.domain.process import Step
from kb_app.services.admin import org_settings
from kb_app.services.mail import mailer, reminders
from tests.support.helpers import actor_for
from tests.support.world import (
    SmtpServer,
    closed_port,
    complete_step,
    due_of,
    local,
    mails_to,
    make_case,
    make_world,
    outbox_rows,
    point_smtp_at,
    reminder_events,
    reminders_of,
    set_digest,
)

MON = local(2026, 11, 23, 10, 0)


@pytest.fixture
def world(engine):
    return make_world(MON)


def late_case(w, **kw) -> int:
    # Received Monday 23 Nov; "Utredning påbörjad" (2 working days) due Wed 25 Nov.
    return make_case(w, reported_at=MON - timedelta(hours=1), step=Step.RECEIVED, step_at=MON, **kw)


def sweep_and_send(at):
    summary = reminders.sweep(now=at)
    mailer.send_due(now=at)
    return summary


def subjects(server, address):
    return [m["Subject"] for m in server.to(address)]


def test_levels_and_escalation_arrive_as_the_clock_moves(world, smtp_server):
    w = world
    case_id = late_case(w)
    assert due_of(case_id) == local(2026, 11, 25, 23, 59) + timedelta(seconds=59)
    server = smtp_server

    def mails_to(key):
        return [m for m in server.messages if w.emails[key] in m["to"]]

    sweep_and_send(local(2026, 11, 25, 12, 0))
    assert server.messages == []  # not late yet

    sweep_and_send(local(2026, 11, 26, 0, 10))  # late: level 1 to the principal
    assert len(mails_to("principal")) == 1
    first = mails_to("principal")[0]["message"]
    assert first["Subject"].startswith("Påminnelse: KB-2026-0001")
    body = first.get_content()
    assert "http://localhost:3000/arenden/" in body and "Lindskolan" in body
    for secret in ("Hemlig", "7B", "knuffades", "Petra"):
        assert secret not in body and secret not in first["Subject"]

    sweep_and_send(local(2026, 11, 27, 12, 0))  # Friday: only 1 working day late
    assert len(server.messages) == 1

    sweep_and_send(local(2026, 11, 28, 0, 10))  # 2 working days late: second reminder
    assert len(mails_to("principal")) == 2
    assert mails_to("principal")[1]["message"]["Subject"].startswith("Andra påminnelsen")
    assert mails_to("organiser1") == []

    sweep_and_send(local(2026, 12, 2, 18, 0))  # 4 working days late
    assert len(server.messages) == 2

    sweep_and_send(local(2026, 12, 3, 0, 10))  # 5 working days late: escalation
    for key in ("organiser1", "organiser2"):
        assert len(mails_to(key)) == 1
        assert mails_to(key)[0]["message"]["Subject"].startswith("Eskalering: KB-2026-0001")
    assert len(mails_to("principal")) == 2

    for day in range(4, 20):  # nothing more, ever, for this due date
        sweep_and_send(local(2026, 12, day, 9, 0))
    assert len(server.messages) == 4

    events = reminder_events(case_id)
    payloads = [json.loads(e.payload) for e in events]
    assert [p["level"] for p in payloads] == [1, 2, 3]
    assert payloads[0]["recipients"] == ["Rut Rektor"]
    assert payloads[2]["recipients"] == ["Hanna Huvudman", "Henrik Huvudman"]
    assert {p["step"] for p in payloads} == {"investigation_started"}
    assert all(e.actor_label == "Värna (automatiskt)" for e in events)


def test_delegated_case_reminds_the_investigator(world, smtp_server):
    w = world
    late_case(w, responsible_id=w.investigator_id)
    sweep_and_send(local(2026, 11, 26, 8, 0))
    assert [m["to"] for m in smtp_server.messages] == [[w.emails["investigator"]]]


def test_a_step_completed_just_before_the_sweep_sends_nothing(world, smtp_server):
    w = world
    case_id = late_case(w)
    complete_step(case_id, local(2026, 11, 26, 0, 5), w.principal_id)  # just in time-ish
    sweep_and_send(local(2026, 11, 26, 0, 10))
    assert smtp_server.messages == [] and reminders_of(case_id) == []
    # The next step has its own due date and its own reminders.
    assert due_of(case_id) == deadlines.due_at(local(2026, 11, 26, 0, 5), 10)


def test_a_closed_case_is_never_reminded(world, smtp_server):
    w = world
    case_id = late_case(w)
    from kb_app.db import session_scope
    from kb_app.models import Case

    with session_scope() as s:
        case = s.get(Case, case_id)
        case.closed_at = local(2026, 11, 24, 9, 0)
        s.add(case)
    sweep_and_send(local(2026, 12, 30, 9, 0))
    assert smtp_server.messages == []


def test_sweep_repeated_at_the_same_instant_sends_once(world, smtp_server):
    w = world
    late_case(w)
    at = local(2026, 12, 3, 9, 0)
    first = reminders.sweep(now=at)
    second = reminders.sweep(now=at)
    assert first.reminders == 2 and first.superseded == 1  # level 2 + escalation
    assert second.reminders == 0 and second.mails == 0
    mailer.send_due(now=at)
    mailer.send_due(now=at)
    assert sorted(len(mails_to(smtp_server, w.emails[k])) for k in ("principal", "organiser1")) == [
        1,
        1,
    ]
    assert len(smtp_server.messages) == 3


def test_two_sweeps_concurrently_give_one_mail_per_key(world, smtp_server):
    w = world
    cases = [late_case(w) for _ in range(6)]
    at = local(2026, 12, 3, 9, 0)
    barrier = threading.Barrier(4)
    errors = []

    def run():
        try:
            barrier.wait()
            reminders.sweep(now=at)
            mailer.send_due(now=at)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    mailer.send_due(now=at)
    keys = [r.dedupe_key for r in outbox_rows()]
    assert len(keys) == len(set(keys)) == 6 * 3  # principal (level 2) + two organisers
    ids = [m["message"]["Message-ID"] for m in smtp_server.messages]
    assert len(ids) == len(set(ids)) == 18
    for case_id in cases:
        assert len(reminder_events(case_id)) == 2
        assert len(reminders_of(case_id)) == 3  # level 1 recorded as superseded


def test_a_restart_between_sweeps_sends_nothing_again(world, smtp_server, engine):
    w = world
    late_case(w)
    sweep_and_send(local(2026, 11, 26, 0, 10))
    # A new process: a fresh engine (new connections, nothing cached) on the same database.
    db.set_engine(
        db.make_engine(engine.url.render_as_string(hide_password=False), **_pg_args(engine))
    )
    try:
        sweep_and_send(local(2026, 11, 26, 0, 10))
        sweep_and_send(local(2026, 11, 26, 0, 25))
    finally:
        db.get_engine().dispose()
        db.set_engine(engine)
    assert len(smtp_server.messages) == 1


def _pg_args(engine) -> dict:
    if engine.dialect.name != "postgresql":
        return {}
    # the test schema is chosen through search_path in the fixture
    with engine.connect() as conn:
        schema = conn.exec_driver_sql("SHOW search_path").scalar()
    return {"connect_args": {"options": f"-csearch_path={schema}"}}


def test_smtp_down_for_several_sweeps_then_up_every_reminder_arrives_once(world, monkeypatch):
    w = world
    port = closed_port()
    point_smtp_at(monkeypatch, port)
    late_case(w)
    # Sweeps every 15 minutes from Thursday 00:00 to Friday 00:00, sender every 30 s
    # in between (simulated): SMTP is down the whole time.
    t = local(2026, 11, 26, 0, 0)
    while t < local(2026, 12, 4, 0, 0):
        if t.minute % 15 == 0 and t.second == 0:
            reminders.sweep(now=t)
        mailer.send_due(now=t)
        t += timedelta(minutes=5)  # (coarser than 30 s; the sender's schedule is its own)
    rows = outbox_rows()
    assert len(rows) == 4 and all(r.sent_at is None and r.attempts > 3 for r in rows)
    server = SmtpServer(port).start()
    try:
        t += timedelta(hours=1)
        mailer.send_due(now=t)
        reminders.sweep(now=t)
        mailer.send_due(now=t + timedelta(hours=1))
        ids = server.message_ids()
        assert len(ids) == len(set(ids)) == 4
        assert len(server.to(w.emails["principal"])) == 2
        assert len(server.to(w.emails["organiser1"])) == 1
    finally:
        server.stop()


def test_changed_limits_change_due_dates_and_reminders(world, smtp_server):
    w = world
    case_id = late_case(w)
    organiser = actor_for(w.emails["organiser1"])
    # Organiser gives "Utredning påbörjad" 5 working days: due Mon 30 Nov instead.
    values = org_settings.current_values(organiser)
    assert values["limit_investigation_started"] == "2"
    values["limit_investigation_started"] = "5"
    values["escalate_after_days"] = "3"
    result = org_settings.save(organiser, values, now=local(2026, 11, 24, 12, 0))
    assert result.ok and result.recomputed == 1
    assert due_of(case_id) == deadlines.due_at(MON, 5)
    assert org_settings.current_values(organiser)["limit_investigation_started"] == "5"

    sweep_and_send(local(2026, 11, 26, 0, 10))  # no longer late
    assert smtp_server.messages == []
    sweep_and_send(local(2026, 12, 1, 0, 10))  # late after the new limit
    assert len(mails_to(smtp_server, w.emails["principal"])) == 1
    sweep_and_send(local(2026, 12, 4, 0, 10))  # 3 working days late: escalation
    assert len(mails_to(smtp_server, w.emails["organiser1"])) == 1
    # A new case after the change is due by the new limit (as the case process computes).
    other = make_case(
        w, reported_at=local(2026, 12, 1, 9), step=Step.RECEIVED, step_at=local(2026, 12, 1, 10)
    )
    assert due_of(other) == deadlines.due_at(local(2026, 12, 1, 10), 5)


def test_limits_are_validated_in_swedish(world, now):
    organiser = actor_for(world.emails["organiser1"])
    values = org_settings.current_values(organiser)
    values.update(
        limit_received="",
        limit_investigated="tio",
        escalate_after_days="0",
        limit_followed_up="101",
    )
    result = org_settings.save(organiser, values, now=now)
    assert not result.ok
    assert result.errors == {
        "limit_received": "Ange ett antal arbetsdagar.",
        "limit_investigated": "Ange ett heltal mellan 0 och 100.",
        "limit_followed_up": "Ange ett heltal mellan 0 och 100.",
        "escalate_after_days": "Ange ett heltal mellan 1 och 60.",
    }
    assert org_settings.current_values(organiser)["limit_received"] == "1"


def test_only_organisers_and_admins_change_limits(world, now):
    """The organisation's settings belong to the organiser and the admin (issue 14.6)."""
    from kb_app.errors import AccessDenied

    for who in ("principal", "investigator"):
        with pytest.raises(AccessDenied):
            org_settings.save(actor_for(world.emails[who]), {"limit_received": "3"}, now=now)
    values = org_settings.current_values(actor_for(world.emails["admin"]))
    assert org_settings.save(actor_for(world.emails["admin"]), values, now=now).ok


def test_daily_digest_replaces_mail_per_reminder(world, smtp_server):
    w = world
    set_digest(w.principal_id)
    set_digest(w.organiser_ids[0])
    for _ in range(3):
        late_case(w)
    # Thursday 00:10: three level-1 reminders, recorded, but no mail to the principal.
    sweep_and_send(local(2026, 11, 26, 0, 10))
    assert smtp_server.messages == []
    assert reminders.send_digests(now=local(2026, 11, 26, 6, 59)) == 0  # before 07:00
    # 07:00: one digest listing three late cases.
    assert reminders.send_digests(now=local(2026, 11, 26, 7, 0)) == 1
    assert reminders.send_digests(now=local(2026, 11, 26, 15, 0)) == 0  # once a day
    mailer.send_due(now=local(2026, 11, 26, 7, 0))
    (digest,) = mails_to(smtp_server, w.emails["principal"])
    assert digest["Subject"] == "Daglig sammanfattning: 3 försenade ärenden i Värna"
    assert digest.get_content().count("/arenden/") == 3
    assert "Hemlig" not in digest.get_content()
    # Saturday: no digest (not a working day). Escalation on Thursday 3 Dec: the
    # organiser with a digest gets it in the digest, the other one by mail.
    assert reminders.send_digests(now=local(2026, 11, 28, 9, 0)) == 0
    sweep_and_send(local(2026, 12, 3, 0, 10))
    assert len(mails_to(smtp_server, w.emails["organiser2"])) == 3
    assert mails_to(smtp_server, w.emails["organiser1"]) == []
    assert reminders.send_digests(now=local(2026, 12, 3, 7, 30)) == 2
    mailer.send_due(now=local(2026, 12, 3, 7, 30))
    (org_digest,) = mails_to(smtp_server, w.emails["organiser1"])
    assert "3 ärenden har eskalerats till huvudmannen" in org_digest.get_content()
    assert len(mails_to(smtp_server, w.emails["principal"])) == 2  # yesterday's and today's digest
    levels = [json.loads(e.payload) for e in reminder_events(1)]
    assert levels[0]["in_daily_digest"] == ["Rut Rektor"] and levels[0]["recipients"] == []


def test_my_account_toggles_the_digest(world):
    actor = actor_for(world.emails["principal"])
    assert org_settings.my_account(actor)["daily_digest"] is False
    org_settings.set_daily_digest(actor, True)
    assert org_settings.my_account(actor)["daily_digest"] is True


def test_without_an_active_responsible_the_principals_are_reminded(world, smtp_server):
    w = world
    from sqlalchemy import update

    from kb_app.db import session_scope
    from kb_app.models import User

    late_case(w, responsible_id=w.investigator_id)
    with session_scope() as s:
        s.execute(update(User).where(User.id == w.investigator_id).values(active=False))
    sweep_and_send(local(2026, 11, 26, 8, 0))
    assert [m["to"] for m in smtp_server.messages] == [[w.emails["principal"]]]
