"""Conflict of interest (jäv): a report naming a user of the unit as involved goes
to the organiser alone, and the named user never receives, reads or handles the
case, on every path (real databases, real SMTP server, the HTTP routes)."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from kb_app import api
from kb_app.db import read_scope
from kb_app.domain import statistics as st
from kb_app.domain.conflict import ConflictStatus
from kb_app.domain.overview import OverviewFilter
from kb_app.domain.process import EventKind, Step
from kb_app.errors import AccessDenied, InvalidInput
from kb_app.models import CaseConflict, Outbox, SchoolClass
from kb_app.services.admin import auth
from kb_app.services.case import conflict, delegation, steps
from kb_app.services.case import view as case_view
from kb_app.services.mail import mailer, reminders
from kb_app.services.overview import lists
from kb_app.services.overview import query as overview
from kb_app.services.reporting import reports
from kb_app.services.statistics import exports, patterns, reply_pack
from kb_app.services.statistics.queries import today_local
from tests.services.test_reports import form, sid, token_of
from tests.support.cases import INVESTIGATOR, case_row, drive, events
from tests.support.helpers import actor_for, unit_named

EKBACKE = "Ekbackeskolan 7–9"
REPORTER = "anna.holm@exempelkommun.se"  # the reporter of tests/support/cases.report
PRINCIPAL_EK = "rektor.ekbacke@exempelkommun.se"  # Johan Ek
ORGANISER = "huvudman@exempelkommun.se"
PUPIL = "Zelda Quistberg"
BANNER = "Jävsituation: Johan Ek är involverad och har kopplats bort"
DENIED = AccessDenied.message


def _class_of(unit_name: str) -> str:
    with read_scope() as s:
        return s.exec(
            select(SchoolClass.name)
            .where(SchoolClass.unit_id == unit_named(unit_name).id)
            .order_by(SchoolClass.name)
        ).first()


def report(now, *, staff_name: str | None = "Johan Ek", unit: str = EKBACKE) -> int:
    cls = _class_of(unit)
    involved = [{"kind": "pupil", "name": "Oskar Blomqvist", "class_name": cls}]
    if staff_name is not None:
        involved.append({"kind": "staff", "name": staff_name, "class_name": ""})
    data = form(
        subjected=[{"name": PUPIL, "class_name": cls, "grade": ""}],
        involved=involved,
        occurred_on=(now - timedelta(days=1)).date().isoformat(),
    )
    result = reports.submit_report(token_of(unit), data, sid(), client="10.1.1.1", now=now)
    assert result.ok, result.errors
    return result.case_id


def conflicts_of(case_id: int) -> list[CaseConflict]:
    with read_scope() as s:
        return list(s.exec(select(CaseConflict).where(CaseConflict.case_id == case_id)))


def test_a_report_naming_the_principal_reaches_only_the_organiser(demo, now, smtp_server):
    org, ek = actor_for(ORGANISER), actor_for(PRINCIPAL_EK)
    cid = report(now, staff_name="  johan   EK ")  # normalised as the patterns feature does
    c = case_row(cid)
    assert c.responsible_user_id == org.user_id
    [row] = conflicts_of(cid)
    assert row.user_id == ek.user_id and row.status == ConflictStatus.SUSPECTED
    kinds = [e.kind for e in events(cid)]
    assert kinds == [EventKind.REPORTED, EventKind.ORGANISER_NOTIFIED, EventKind.CONFLICT_BYPASSED]

    mailer.send_due(now=now + timedelta(seconds=1))
    # Besides the reporter's receipt (case number and link only), the organiser alone.
    staff_mail = [m for m in smtp_server.messages if m["to"] != [REPORTER]]
    assert [m["to"] for m in staff_mail] == [[ORGANISER]]
    msg = staff_mail[0]["message"]
    assert "jäv" in msg["Subject"] and c.reference in msg["Subject"]
    body = msg.get_content()
    assert "Jävsituation" in body and "kopplats bort" in body
    for secret in ("Johan", PUPIL, "Anna Holm"):
        assert secret not in msg["Subject"] + body

    view = case_view.load_case(org, cid, now=now)
    assert view.conflict.startswith(BANNER)
    assert view.responsible == "Maria Lindqvist" and view.form == "receive"
    assert view.can_resolve_conflict
    assert view.timeline[-1]["label"] == "Jävsituation: ansvarig bortkopplad"
    assert "Johan Ek" in view.timeline[-1]["details"]


def test_a_report_naming_nobody_of_the_unit_goes_to_its_principal(demo, now):
    ek = actor_for(PRINCIPAL_EK)
    cid = report(now, staff_name="Per Ströms")
    assert conflicts_of(cid) == []
    assert case_row(cid).responsible_user_id == ek.user_id
    assert case_view.load_case(ek, cid, now=now).conflict == ""
    # Another unit's principal named (Karin Berg is not at Ekbackeskolan): no match.
    cid = report(now, staff_name="Karin Berg")
    assert conflicts_of(cid) == [] and case_row(cid).responsible_user_id == ek.user_id


def _assert_denied(call):
    with pytest.raises(AccessDenied) as exc:
        call()
    assert exc.value.message == DENIED


def test_the_excluded_principal_is_refused_everywhere(demo, now):
    org, ek, inv = actor_for(ORGANISER), actor_for(PRINCIPAL_EK), actor_for(INVESTIGATOR)
    other = report(now, staff_name=None)  # a second case of the pupil, Johan Ek's own
    cid = report(now)
    ref = case_row(cid).reference

    # Every read and every step of the case: "finns inte eller saknar behörighet".
    _assert_denied(lambda: case_view.load_case(ek, cid, now=now))
    _assert_denied(lambda: case_view.case_file(ek, cid, now=now))
    _assert_denied(lambda: reply_pack.build(ek, case_id=cid, now=now))
    _assert_denied(lambda: reply_pack.build(ek, reference=ref, now=now))
    for call in (
        lambda: steps.receive(ek, cid, now=now),
        lambda: steps.start_investigation(ek, cid, now=now),
        lambda: steps.add_note(ek, cid, text="Jag vill kommentera.", now=now),
        lambda: steps.reopen(ek, cid, reason="Nya uppgifter har kommit.", now=now),
        lambda: delegation.delegate(ek, cid, investigator_user_id=inv.user_id, now=now),
        lambda: conflict.resolve(
            ek, cid, conflict_id=conflicts_of(cid)[0].id, answer="rejected", now=now
        ),
    ):
        _assert_denied(call)
    assert len(events(cid)) == 3

    # Lists and counts leave it out; his other case is still there.
    ids = {r["id"] for r in overview.fetch_page(ek, OverviewFilter(per_page=200), now=now).rows}
    assert str(other) in ids and str(cid) not in ids
    org_ids = {
        r["id"] for r in overview.fetch_page(org, OverviewFilter(per_page=200), now=now).rows
    }
    assert {str(other), str(cid)} <= org_ids
    searched = overview.fetch_page(ek, OverviewFilter(search=ref), now=now)
    assert searched.rows == [] and searched.total == 0
    assert overview.fetch_page(org, OverviewFilter(search=ref), now=now).total == 1
    ek_counts, org_counts = overview.step_counts(ek, now=now), overview.step_counts(org, now=now)
    # The organiser's count includes the case, Johan Ek's does not.
    drive(cid, Step.RECEIVED, now, principal=org)
    assert overview.step_counts(org, now=now)[Step.RECEIVED] == org_counts.get(Step.RECEIVED, 0) + 1
    assert overview.step_counts(ek, now=now) == ek_counts

    # "Upprepade händelser": the organiser sees the pupil in two cases; Johan Ek does not.
    def pupil_cases(actor):
        found = patterns.find(actor, now=now).pupils
        return {c.case_id for p in found if p.name == PUPIL for c in p.cases}

    assert pupil_cases(org) == {other, cid}
    assert cid not in pupil_cases(ek)

    # The case list export, with names: not a row of it.
    filters, problem = st.parse_filters({}, today_local(now))
    assert filters is not None, problem
    org_csv = exports.to_csv(exports.case_list(org, filters, include_names=True, now=now))
    ek_csv = exports.to_csv(exports.case_list(ek, filters, include_names=True, now=now))
    assert ref.encode() in org_csv and ref.encode() not in ek_csv
    assert case_row(other).reference.encode() in ek_csv

    # The organiser is never offered him as investigator, nor can delegate to him.
    offered = case_view.load_case(org, cid, now=now).candidates
    assert offered and str(ek.user_id) not in {c["id"] for c in offered}
    with pytest.raises(InvalidInput):
        delegation.delegate(org, cid, investigator_user_id=ek.user_id, now=now)
    # Delegated later, the case still never reaches him, nor "Mina ärenden" of anyone else.
    delegation.delegate(org, cid, investigator_user_id=inv.user_id, now=now)
    assert str(cid) in {r["id"] for r in lists.list_delegated(inv, now=now)}
    _assert_denied(lambda: case_view.load_case(ek, cid, now=now))


def test_no_mail_nor_reminder_about_the_case_reaches_the_excluded(demo, now):
    org, ek = actor_for(ORGANISER), actor_for(PRINCIPAL_EK)
    cid = report(now)
    with read_scope() as s:
        to = s.exec(select(Outbox.to_addr).where(Outbox.case_id == cid)).all()
        assert [a for a in to if a != REPORTER] == [ORGANISER]  # and the reporter's receipt
    # Late: the reminder sweep reminds the organiser (responsible) and escalates, never him.
    later = case_row(cid).due_at + timedelta(days=30)
    out = reminders.sweep(now=later)
    assert out.reminders >= 1
    with read_scope() as s:
        to = set(s.exec(select(Outbox.to_addr).where(Outbox.case_id == cid)))
    assert PRINCIPAL_EK not in to and ORGANISER in to
    # The steps the organiser takes mail nobody excluded either.
    drive(cid, Step.INVESTIGATION_STARTED, later, principal=org)
    with read_scope() as s:
        to = set(s.exec(select(Outbox.to_addr).where(Outbox.case_id == cid)))
    assert PRINCIPAL_EK not in to
    with read_scope() as s:
        assert [u.email for u in reminders.responsible_users(s, case_row(cid))] == [ORGANISER]
    assert case_row(cid).responsible_user_id != ek.user_id


def test_organiser_confirms_or_rejects_a_suspected_match(demo, now):
    org, ek = actor_for(ORGANISER), actor_for(PRINCIPAL_EK)
    confirmed, rejected = report(now), report(now)
    c1, c2 = conflicts_of(confirmed)[0], conflicts_of(rejected)[0]

    with pytest.raises(InvalidInput):
        conflict.resolve(org, confirmed, conflict_id=c1.id, answer="kanske", now=now)
    with pytest.raises(InvalidInput):  # a conflict of another case
        conflict.resolve(org, confirmed, conflict_id=c2.id, answer="confirmed", now=now)

    conflict.resolve(org, confirmed, conflict_id=c1.id, answer="confirmed", now=now)
    row = conflicts_of(confirmed)[0]
    assert row.status == ConflictStatus.CONFIRMED and row.decided_by_user_id == org.user_id
    assert events(confirmed)[-1].kind == EventKind.CONFLICT_CONFIRMED
    _assert_denied(lambda: case_view.load_case(ek, confirmed, now=now))
    assert case_row(confirmed).responsible_user_id == org.user_id
    view = case_view.load_case(org, confirmed, now=now)
    assert view.conflict.startswith(BANNER) and not view.can_resolve_conflict
    with pytest.raises(InvalidInput):  # decided once
        conflict.resolve(org, confirmed, conflict_id=c1.id, answer="rejected", now=now)

    conflict.resolve(org, rejected, conflict_id=c2.id, answer="rejected", now=now)
    assert conflicts_of(rejected)[0].status == ConflictStatus.REJECTED
    assert events(rejected)[-1].kind == EventKind.CONFLICT_REJECTED
    # Back to the unit's principal: responsible, mailed, may read and receive.
    assert case_row(rejected).responsible_user_id == ek.user_id
    with read_scope() as s:
        to = list(s.exec(select(Outbox.to_addr).where(Outbox.case_id == rejected)))
    assert PRINCIPAL_EK in to
    view = case_view.load_case(ek, rejected, now=now)
    assert view.conflict == "" and view.form == "receive"
    assert [c["status"] for c in view.conflicts] == ["rejected"]
    steps.receive(ek, rejected, now=now)


def test_take_over_of_a_bypassed_case_needs_a_reason_and_keeps_it(demo, now):
    org = actor_for(ORGANISER)
    cid = report(now)
    with pytest.raises(InvalidInput) as exc:
        steps.take_over(org, cid, reason="", now=now)
    assert exc.value.errors == {"reason": "Skriv varför du tar över ärendet."}
    steps.take_over(org, cid, reason="Rektor är anmäld.", now=now)
    last = events(cid)[-1]
    assert last.kind == EventKind.TAKEN_OVER and "Rektor är anmäld." in last.payload
    assert case_row(cid).responsible_user_id == org.user_id


@pytest.fixture
def client(clock):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

        return TestClient(api.build_api(), follow_redirects=False)


def _get(client, path: str, email: str):
    client.cookies.clear()
    token = auth.login(email, "varna-demo-2026", now=datetime.now(UTC)).token
    client.cookies.set("kb_session", token)
    return client.get(path)


def test_the_excluded_principal_gets_no_download(demo, now, client):
    cid = report(now)
    ref = case_row(cid).reference
    for path in (f"/akt/{cid}.pdf", f"/export/svarspaket.pdf?id={cid}"):
        assert _get(client, path, ORGANISER).status_code == 200
        r = _get(client, path, PRINCIPAL_EK)
        assert r.status_code == 404 and "finns inte" in r.text and ref not in r.text
    ok = _get(client, "/export/statistik/arenden.csv?namn=1", ORGANISER)
    mine = _get(client, "/export/statistik/arenden.csv?namn=1", PRINCIPAL_EK)
    assert ok.status_code == mine.status_code == 200
    assert ref in ok.text and ref not in mine.text and PUPIL not in mine.text


def test_a_party_added_or_corrected_to_name_the_principal_bypasses_them(demo, now):
    """The jäv match runs again when a party is added or corrected: the principal
    named is excluded at once and the organiser becomes responsible; a user whose
    conflict an organiser has already decided is not suspected again."""
    from kb_app.services.case import parties

    org, ek, inv = actor_for(ORGANISER), actor_for(PRINCIPAL_EK), actor_for(INVESTIGATOR)
    cid = report(now, staff_name="Per Ströms")
    drive(cid, Step.INVESTIGATION_STARTED, now, delegate_to=inv, principal=ek)
    assert conflicts_of(cid) == [] and case_row(cid).responsible_user_id == inv.user_id
    per = next(
        p for p in case_view.load_case(inv, cid, now=now).parties if p["name"] == "Per Ströms"
    )
    parties.correct_party(
        inv,
        cid,
        party_id=int(per["id"]),
        party={"role": "involved", "kind": "staff", "name": "johan  ek", "class_name": ""},
        reason="Det var rektorn själv enligt vittnena.",
        now=now,
    )
    (suspected,) = conflicts_of(cid)
    assert suspected.user_id == ek.user_id and suspected.status == ConflictStatus.SUSPECTED
    assert case_row(cid).responsible_user_id == inv.user_id  # the investigator keeps it
    assert events(cid)[-1].kind == EventKind.CONFLICT_BYPASSED
    _assert_denied(lambda: case_view.load_case(ek, cid, now=now))
    assert BANNER in case_view.load_case(org, cid, now=now).conflict
    # Named once more (a second party): the recorded conflict stands, no new one.
    parties.add_party(
        inv,
        cid,
        party={"role": "witness", "kind": "staff", "name": "Johan Ek", "class_name": ""},
        reason="Rektorn såg också händelsen.",
        now=now,
    )
    assert len(conflicts_of(cid)) == 1 and events(cid)[-1].kind == EventKind.PARTY_CHANGED

    # The responsible principal named (here by themself, correcting the record):
    # the organiser takes the case.
    other = report(now, staff_name=None)
    steps.receive(ek, other, now=now)
    assert case_row(other).responsible_user_id == ek.user_id
    parties.add_party(
        ek,
        other,
        party={"role": "involved", "kind": "staff", "name": "Johan Ek", "class_name": ""},
        reason="Jag var själv med i händelsen.",
        now=now,
    )
    assert case_row(other).responsible_user_id == org.user_id
    _assert_denied(lambda: case_view.load_case(ek, other, now=now))
