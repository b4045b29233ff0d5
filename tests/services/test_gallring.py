"""The gallring (issue 16.3), with the clock passed as ``now``: a closed case past
its retention is proposed by the nightly job (once), thinned out only after an
organiser approves, keeps every statistics figure, leaves a gallring record, and
its attachments are gone from disk; a held case is never proposed; a case taken
off the list waits a year; with "deliver to the e-archive first" a case is thinned
only once marked delivered; ``audit verify`` passes before and after (also against
a checkpoint written before the gallring), and an edit of a redacted event shows."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from kb_app import db
from kb_app.domain import retention as rt
from kb_app.domain import statistics as st
from kb_app.domain.process import FORM, EventKind, Step
from kb_app.errors import AccessDenied, InvalidInput
from kb_app.models import (
    Attachment,
    Case,
    CaseEvent,
    GallringProposal,
    GallringRecord,
    Measure,
    OrgSetting,
    Party,
)
from kb_app.services.case import attachments as att
from kb_app.services.case import audit, steps
from kb_app.services.mail import scheduler
from kb_app.services.retention import gallring
from kb_app.services.statistics import queries
from kb_app.settings import reset_settings
from tests.support import files
from tests.support.cases import INVESTIGATOR, PRINCIPAL, drive, new_case
from tests.support.helpers import actor_for

ORGANISER = "huvudman@exempelkommun.se"
SECRET = "Hemlig fritext om Olle"


@pytest.fixture
def store(monkeypatch, tmp_path):
    monkeypatch.setenv("KB_DATA_DIR", str(tmp_path / "data"))
    reset_settings()
    return tmp_path / "data"


def _closed_case(then) -> int:
    """A case reported, investigated, closed at ``then``, with a comment and an
    attachment carrying free text."""
    cid = new_case(then)
    drive(cid, Step.INVESTIGATION_STARTED, then)
    att.add_attachment(
        actor_for(PRINCIPAL),
        cid,
        filename="samtal.png",
        data=files.png_with_text(),
        context="investigation",
        now=then,
    )
    steps.add_note(actor_for(PRINCIPAL), cid, text=SECRET, now=then)
    drive_rest(cid, then)
    return cid


def drive_rest(cid, then) -> None:
    p = actor_for(PRINCIPAL)
    today = then.date().isoformat()
    steps.record_investigation(
        p,
        cid,
        talks=["subjected", "staff"],
        guardians_contacted_on=today,
        findings=SECRET,
        conclusion="confirmed",
        now=then,
    )
    steps.decide_measures(
        p,
        cid,
        measures=[
            {"level": "group", "description": SECRET, "responsible": "Rektor", "due_on": today}
        ],
        now=then,
    )
    steps.follow_up(p, cid, followed_up_on=today, stopped=True, notes=SECRET, now=then)
    steps.close(p, cid, summary=SECRET, now=then)


def _figures(organiser, then) -> str:
    """Every chart's figures of the school year of ``then``, and of every unit alone."""
    period = st.school_year(st.school_year_of(then.date()))
    out = [queries.overview(organiser, st.Filters(period))]
    with db.read_scope() as s:
        unit_ids = list(s.exec(select(Case.unit_id).distinct()))
    out += [queries.overview(organiser, st.Filters(period, unit_id=u)) for u in sorted(unit_ids)]
    return repr(out)


def _row(cid):
    with db.read_scope() as s:
        case = s.get(Case, cid)
        parties = list(s.exec(select(Party).where(Party.case_id == cid).order_by(Party.id)))
        evs = list(
            s.exec(select(CaseEvent).where(CaseEvent.case_id == cid).order_by(CaseEvent.seq))
        )
        atts = list(s.exec(select(Attachment).where(Attachment.case_id == cid)))
        measures = list(s.exec(select(Measure).where(Measure.case_id == cid)))
    return case, parties, evs, atts, measures


def _pending(org_actor, now):
    return gallring.overview(org_actor, now=now).proposals


def test_a_case_past_its_period_is_proposed_thinned_after_approval_and_still_counted(
    store, demo, now
):
    then = now - timedelta(days=6 * 365)
    cid = _closed_case(then)
    held = _closed_case(then + timedelta(days=1))
    young = _closed_case(now - timedelta(days=4 * 365))
    organiser = actor_for(ORGANISER)
    gallring.set_hold(organiser, case_ref(held), "Pågående ärende hos BEO", now=now)
    assert audit.write_checkpoint(now=now).written  # anchors every chain before the gallring
    before_held = repr(_row(held))
    figures = _figures(organiser, then)
    case, parties, evs, atts, _ = _row(cid)
    assert atts and any(p.name for p in parties) and SECRET in case_text(evs)
    file = att.stored_path(atts[0])
    assert file.exists()

    # The nightly job proposes it once (idempotent), not the held or the young case.
    assert scheduler.run_retention(now) == 1
    assert gallring.propose_due(now=now + timedelta(hours=1)) == 0
    listed = _pending(organiser, now)
    assert [p.case_id for p in listed] == [cid]
    assert listed[0].ready and listed[0].closed
    # Proposed, not yet thinned.
    assert _row(cid)[0].description == case.description and file.exists()

    result = gallring.approve(organiser, [listed[0].id], now=now)
    assert result.thinned == [case.reference] and not result.skipped

    case2, parties2, evs2, atts2, measures2 = _row(cid)
    # Personal data and free text gone …
    assert not atts2 and not file.exists()
    assert all(p.name == "" and p.name_key == "" for p in parties2)
    assert case2.reporter_email == "" and case2.reporter_name == ""
    assert case2.description == rt.THINNED_TEXT and case2.witnesses == ""
    assert all(m.description == rt.THINNED_TEXT for m in measures2)
    assert SECRET not in case_text(evs2)
    assert case.reporter_name and case.reporter_name not in repr(evs2)
    assert evs2[0].actor_label == rt.REPORTER_LABEL
    with db.read_scope() as s:
        blob = " ".join(
            str(v)
            for r in s.exec(text("SELECT * FROM case_event WHERE case_id = :c"), params={"c": cid})
            for v in r
        )
    assert SECRET not in blob
    # … the statistics fields kept, and every chart's figures identical.
    for f in (
        "unit_id",
        "reported_at",
        "closed_at",
        "kinds",
        "grounds",
        "place",
        "grade",
        "class_name",
        "step",
        "conclusion",
        "wdays_total",
        "staff_involved",
    ):
        assert getattr(case2, f) == getattr(case, f), f
    assert [(p.role, p.kind, p.class_name) for p in parties2] == [
        (p.role, p.kind, p.class_name) for p in parties
    ]
    assert _figures(organiser, then) == figures
    # The thinning is an event, and the chains still verify (against the checkpoint too).
    last = evs2[-1]
    assert last.kind == EventKind.THINNED and last.actor_label == organiser.name
    assert len(evs2) == len(evs) + 1
    assert [e.hash for e in evs2[: len(evs)]] == [e.hash for e in evs]
    result_v = audit.verify_all()
    assert result_v.ok, [f.message() for f in result_v.findings]
    assert result_v.checkpoint is not None
    # The gallring record, kept for ever (append-only).
    with db.read_scope() as s:
        rec = s.exec(select(GallringRecord).where(GallringRecord.case_id == cid)).one()
        prop = s.exec(select(GallringProposal).where(GallringProposal.case_id == cid)).one()
    assert rec.reference == case.reference and rec.approved_by_user_id == organiser.user_id
    assert rec.thinned_at == now and "1 bilaga" in rec.removed and rec.retention_years == 5
    assert prop.state == rt.ProposalState.THINNED
    records = gallring.overview(organiser, now=now).records
    assert [r.reference for r in records] == [case.reference]
    with pytest.raises(DBAPIError):
        with db.session_scope() as s:
            s.exec(text("DELETE FROM gallring_record"))
    # The held case untouched, the young one never proposed, nothing proposed again.
    assert repr(_row(held)) == before_held
    assert gallring.propose_due(now=now + timedelta(days=1)) == 0
    assert _pending(organiser, now) == []
    del young


def case_ref(cid) -> str:
    with db.read_scope() as s:
        return s.get(Case, cid).reference


def case_text(evs) -> str:
    return " ".join(e.payload for e in evs)


def test_an_edit_of_a_redacted_event_still_shows(store, demo, now):
    then = now - timedelta(days=6 * 365)
    cid = _closed_case(then)
    organiser = actor_for(ORGANISER)
    gallring.propose_due(now=now)
    gallring.approve(organiser, [p.id for p in _pending(organiser, now)], now=now)
    assert audit.verify_all().ok
    # The one change the trigger allows is the redaction itself, once.
    with pytest.raises(DBAPIError):
        with db.session_scope() as s:
            s.exec(
                text("UPDATE case_event SET payload = '{}' WHERE case_id = :c"), params={"c": cid}
            )
    # Bypassing the triggers: an edited redacted event is found.
    from tests.services.test_audit import _bypass

    with db.read_scope() as s:
        ev = s.exec(
            select(CaseEvent).where(CaseEvent.case_id == cid, CaseEvent.redacted.is_(True))
        ).first()
    forged = json.dumps({**json.loads(ev.payload), "conclusion": "not_confirmed"})
    _bypass(
        db.get_engine(),
        ("UPDATE case_event SET payload = :p WHERE id = :i", {"p": forged, "i": ev.id}),
    )
    findings = audit.verify_all().findings
    assert [(f.kind, f.case_id, f.seq) for f in findings] == [
        (audit.Kind.EVENT_EDITED, cid, ev.seq)
    ]


def test_an_event_marked_redacted_without_a_gallring_shows(store, demo, now):
    """The trigger lets any event be redacted once (the gallring's own change), but
    without a thinned event that lists it, the verifier names it."""
    cid = _closed_case(now - timedelta(days=6 * 365))
    with db.session_scope() as s:
        s.exec(
            text(
                "UPDATE case_event SET payload = '{}', redacted = :t WHERE case_id = :c AND seq = 1"
            ),
            params={"c": cid, "t": True},
        )
    with pytest.raises(DBAPIError):  # … and never again
        with db.session_scope() as s:
            s.exec(
                text("UPDATE case_event SET payload = :p WHERE case_id = :c AND seq = 1"),
                params={"c": cid, "p": '{"a": 1}'},
            )
    findings = audit.verify_all().findings
    assert [(f.kind, f.case_id, f.seq) for f in findings] == [(audit.Kind.EVENT_EDITED, cid, 1)]
    assert "gallringshändelse" in findings[0].reason


def test_taken_off_with_a_reason_waits_a_year(store, demo, now):
    cid = _closed_case(now - timedelta(days=6 * 365))
    organiser = actor_for(ORGANISER)
    gallring.propose_due(now=now)
    (p,) = _pending(organiser, now)
    with pytest.raises(InvalidInput) as exc:
        gallring.take_off(organiser, p.id, "  ", now=now)
    assert "skäl" in exc.value.errors["reason"]
    assert gallring.take_off(organiser, p.id, "Begärt av arkivarien", now=now) == case_ref(cid)
    assert _pending(organiser, now) == []
    assert gallring.propose_due(now=now + timedelta(days=300)) == 0
    assert gallring.approve(organiser, [p.id], now=now).thinned == []
    taken = gallring.overview(organiser, now=now).taken_off
    assert [(t.reference, t.reason) for t in taken] == [(case_ref(cid), "Begärt av arkivarien")]
    assert gallring.propose_due(now=now + timedelta(days=366)) == 1


def test_archive_first_needs_the_delivery(store, demo, now):
    cid = _closed_case(now - timedelta(days=6 * 365))
    organiser = actor_for(ORGANISER)
    with db.session_scope() as s:
        row = s.get(OrgSetting, organiser.organisation_id) or OrgSetting(
            organisation_id=organiser.organisation_id
        )
        row.retention_action = rt.Handling.ARCHIVE_FIRST
        s.add(row)
    gallring.propose_due(now=now)
    (p,) = _pending(organiser, now)
    assert not p.ready
    result = gallring.approve(organiser, [p.id], now=now)
    assert result.thinned == [] and result.skipped == [(case_ref(cid), gallring.SKIP_NOT_DELIVERED)]
    gallring.mark_delivered(organiser, p.id, now=now)
    (p,) = _pending(organiser, now)
    assert p.ready and p.delivered
    assert gallring.approve(organiser, [p.id], now=now).thinned == [case_ref(cid)]
    _, _, evs, _, _ = _row(cid)
    assert [e.kind for e in evs[-2:]] == [EventKind.ARCHIVE_DELIVERED, EventKind.THINNED]
    with db.read_scope() as s:
        rec = s.exec(select(GallringRecord).where(GallringRecord.case_id == cid)).one()
    assert rec.handling == rt.Handling.ARCHIVE_FIRST and rec.delivered_at == now
    assert audit.verify_all().ok


def test_a_hold_takes_a_case_off_the_list_and_lifting_it_brings_it_back(store, demo, now):
    cid = _closed_case(now - timedelta(days=6 * 365))
    organiser = actor_for(ORGANISER)
    gallring.propose_due(now=now)
    (p,) = _pending(organiser, now)
    with pytest.raises(InvalidInput) as exc:
        gallring.set_hold(organiser, "KB-1999-9999", "x", now=now)
    assert set(exc.value.errors) == {"reference", "reason"}
    gallring.set_hold(organiser, case_ref(cid).lower(), "Polisanmälan under utredning", now=now)
    with pytest.raises(InvalidInput):
        gallring.set_hold(organiser, case_ref(cid), "Skolinspektionen", now=now)
    assert _pending(organiser, now) == []
    assert gallring.approve(organiser, [p.id], now=now).thinned == []
    assert gallring.propose_due(now=now + timedelta(days=1)) == 0
    (hold,) = gallring.overview(organiser, now=now).holds
    assert hold.reason == "Polisanmälan under utredning" and hold.set_by == organiser.name
    gallring.lift_hold(organiser, hold.id, "Polisen har lagt ned", now=now)
    assert gallring.propose_due(now=now + timedelta(days=1)) == 1
    kinds = [e.kind for e in _row(cid)[2]]
    assert EventKind.LEGAL_HOLD_SET in kinds and EventKind.LEGAL_HOLD_LIFTED in kinds
    assert audit.verify_all().ok


def test_a_reopened_case_leaves_the_list(store, demo, now):
    cid = _closed_case(now - timedelta(days=6 * 365))
    organiser = actor_for(ORGANISER)
    gallring.propose_due(now=now)
    steps.reopen(actor_for(PRINCIPAL), cid, reason="Nya uppgifter har kommit", now=now)
    gallring.propose_due(now=now + timedelta(hours=1))
    assert _pending(organiser, now) == []


@pytest.mark.parametrize("who", ["admin@exempelkommun.se", PRINCIPAL, INVESTIGATOR, None])
def test_only_organisers(store, demo, now, who):
    cid = _closed_case(now - timedelta(days=6 * 365))
    gallring.propose_due(now=now)
    (p,) = _pending(actor_for(ORGANISER), now)
    actor = actor_for(who) if who else None
    calls = [
        lambda: gallring.overview(actor, now=now),
        lambda: gallring.approve(actor, [p.id], now=now),
        lambda: gallring.take_off(actor, p.id, "Ett skäl", now=now),
        lambda: gallring.mark_delivered(actor, p.id, now=now),
        lambda: gallring.set_hold(actor, case_ref(cid), "Ett skäl", now=now),
    ]
    for call in calls:
        with pytest.raises(AccessDenied):
            call()
    assert [x.case_id for x in _pending(actor_for(ORGANISER), now)] == [cid]


def test_a_thinned_case_cannot_be_reopened(store, demo, now):
    cid = _closed_case(now - timedelta(days=6 * 365))
    organiser = actor_for(ORGANISER)
    gallring.propose_due(now=now)
    gallring.approve(organiser, [p.id for p in _pending(organiser, now)], now=now)
    with pytest.raises(InvalidInput) as exc:
        steps.reopen(organiser, cid, reason="Nya uppgifter har kommit", now=now)
    assert exc.value.errors == {FORM: steps.MSG_THINNED}
    # With a hold asked for a thinned case: refused with a message.
    with pytest.raises(InvalidInput) as exc:
        gallring.set_hold(organiser, case_ref(cid), "Skolinspektionen", now=now)
    assert exc.value.errors == {"reference": gallring.MSG_THINNED}


def _client_for(email: str, now):
    import warnings

    from kb_app import api
    from kb_app.services.admin import auth

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    result = auth.login(email, "varna-demo-2026", now=now)
    client = TestClient(api.build_api(), base_url="http://testserver")
    client.cookies.set(api.SESSION_COOKIE, result.token)
    return client


SAME = {"sec-fetch-site": "same-origin"}


def test_the_page_lists_approves_and_holds(store, demo, now, clock):
    cid = _closed_case(now - timedelta(days=6 * 365))
    other = _closed_case(now - timedelta(days=6 * 365))
    gallring.propose_due(now=now)
    org = _client_for(ORGANISER, now)
    r = org.get("/gallring")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert "Förslag till gallring (2)" in r.text and case_ref(cid) in r.text
    # A hold on one, with errors first (the input kept).
    r = org.post(
        "/gallring", data={"do": "hold", "reference": case_ref(other), "reason": ""}, headers=SAME
    )
    assert r.status_code == 400 and gallring.MSG_REASON in r.text and case_ref(other) in r.text
    r = org.post(
        "/gallring",
        data={"do": "hold", "reference": case_ref(other), "reason": "Ärende hos BEO"},
        headers=SAME,
    )
    assert r.status_code == 200 and "har fått en bevarandespärr" in r.text
    assert "Förslag till gallring (1)" in r.text
    (p,) = _pending(actor_for(ORGANISER), now)
    r = org.post("/gallring", data={"do": "approve", "ids": f"{p.id}"}, headers=SAME)
    assert r.status_code == 200 and f"1 ärende gallrat: {case_ref(cid)}." in r.text
    assert "Gallringsregister (1)" in r.text
    # Cross-site posts and other roles are refused.
    r = org.post(
        "/gallring", data={"do": "approve", "ids": "1"}, headers={"origin": "https://evil.example"}
    )
    assert r.status_code == 403
    assert _client_for(PRINCIPAL, now).get("/gallring").status_code == 403
    # The confirmation is a fixed text: an address cannot make the page say anything else.
    r = org.get("/gallring", params={"klart": "hold", "arenden": "Ring 020-123456"})
    assert r.status_code == 200 and "020-123456" not in r.text and "role='status'" not in r.text


def test_the_thinned_timeline_reads_without_free_text(store, demo, now):
    from kb_app.domain.case_text import GALLRAD_LINE, describe
    from kb_app.services.base.timeline import event_payload

    cid = _closed_case(now - timedelta(days=6 * 365))
    organiser = actor_for(ORGANISER)
    gallring.propose_due(now=now)
    gallring.approve(organiser, [p.id for p in _pending(organiser, now)], now=now)
    lines = {e.kind: describe(e.kind, event_payload(e)) for e in _row(cid)[2]}
    assert lines[EventKind.COMMENT] == [GALLRAD_LINE]
    assert "Slutsats: Kränkning konstaterad." in lines[EventKind.INVESTIGATED]
    assert lines[EventKind.THINNED][0].startswith("Ärendet har gallrats")
    assert SECRET not in repr(lines)
    # The case page's own view of it, as the organiser reads it.
    from kb_app.services.case import view

    shown = view.load_case(organiser, cid, now=now)
    assert SECRET not in repr(shown)
