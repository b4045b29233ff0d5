"""The use cases on one case (services/case: steps, delegation, view), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from kb_app.db import read_scope
from kb_app.domain.fmt import local
from kb_app.domain.process import FORM, MSG_NOT_NOW, EventKind, Step
from kb_app.errors import AccessDenied, InvalidInput
from kb_app.models import Delegation, Measure, OneTimeToken, Party, RoleAssignment, User
from kb_app.services.admin import auth
from kb_app.services.case import delegation, invites, steps
from kb_app.services.case import view as case_view
from kb_app.services.overview import lists as cases
from tests.support.cases import (
    INVESTIGATOR,
    PRINCIPAL,
    access_rows,
    case_row,
    drive,
    events,
    investigation,
    measure,
    new_case,
    outbox_rows,
)
from tests.support.helpers import actor_for

ORGANISER = "huvudman@exempelkommun.se"


def kinds(case_id: int) -> list[str]:
    return [e.kind for e in events(case_id)]


def test_full_life_with_delegation(demo, now):
    p, inv = actor_for(PRINCIPAL), actor_for(INVESTIGATOR)
    cid = new_case(now)
    today = local(now).date().isoformat()
    mails_before = len(outbox_rows())

    steps.receive(p, cid, now=now)
    c = case_row(cid)
    assert c.step == Step.RECEIVED and c.responsible_user_id == p.user_id
    assert c.due_at is not None and c.due_at > now  # investigation to start within 2 days

    name = delegation.delegate(p, cid, investigator_user_id=inv.user_id, now=now)
    assert name == "Sara Nilsson"
    c = case_row(cid)
    assert c.step == Step.RECEIVED  # delegating is not starting the investigation
    assert c.responsible_user_id == inv.user_id  # the investigator starts and records it

    t1 = now + timedelta(hours=1)
    # The investigator's first recorded action starts the investigation, by them.
    steps.record_investigation(inv, cid, **investigation(today), now=t1)
    c = case_row(cid)
    assert c.step == Step.INVESTIGATED and c.conclusion == "confirmed"
    assert c.responsible_user_id == p.user_id  # measures are decided by the principal

    steps.propose_measures(inv, cid, measures=[measure(now)], now=t1)
    assert case_row(cid).step == Step.INVESTIGATED
    steps.decide_measures(p, cid, measures=[measure(now)], now=t1)
    c = case_row(cid)
    assert c.step == Step.MEASURES_DECIDED and c.responsible_user_id == inv.user_id
    with read_scope() as s:
        decided = list(s.exec(select(Measure).where(Measure.case_id == cid)))
    assert [m.responsible for m in decided] == ["Mentor 3A"] and decided[0].event_id

    steps.follow_up(inv, cid, followed_up_on=today, stopped="yes", notes="Det har upphört.", now=t1)
    steps.close(p, cid, summary="Klart.", now=t1)
    c = case_row(cid)
    assert c.step == Step.CLOSED and c.closed_at == t1 and c.due_at is None

    assert kinds(cid) == [
        EventKind.REPORTED,
        EventKind.ORGANISER_NOTIFIED,
        EventKind.RECEIVED,
        EventKind.DELEGATED,
        EventKind.INVESTIGATION_STARTED,
        EventKind.INVESTIGATED,
        EventKind.MEASURES_PROPOSED,
        EventKind.MEASURES_DECIDED,
        EventKind.FOLLOWED_UP,
        EventKind.CLOSED,
    ]
    evs = events(cid)
    assert [e.actor_label for e in evs[2:]] == [
        "Karin Berg",
        "Karin Berg",
        "Sara Nilsson",
        "Sara Nilsson",
        "Sara Nilsson",
        "Karin Berg",
        "Sara Nilsson",
        "Karin Berg",
    ]

    # Mail went to whoever the case waited for, with a link and the reference only.
    mails = outbox_rows()[mails_before:]
    assert {m.to_addr for m in mails} == {INVESTIGATOR, PRINCIPAL}
    with read_scope() as s:
        names = [pt.name for pt in s.exec(select(Party).where(Party.case_id == cid))]
    for m in mails:
        assert c.reference in m.subject
        assert f"/arenden/{cid}" in m.body
        for secret in [*names, c.description[:30], "Mentor 3A"]:
            assert secret not in m.body and secret not in m.subject

    view = case_view.load_case(p, cid, now=t1)
    assert view.closed and view.form == "reopen"
    assert [r["status"] for r in view.promptness] == ["met"] * 5
    assert view.timeline[-1]["label"] == "Avslutad"


def test_validation_errors_write_nothing(demo, now):
    p = actor_for(PRINCIPAL)
    cid = new_case(now)
    drive(cid, Step.INVESTIGATION_STARTED, now)
    before = kinds(cid)
    with pytest.raises(InvalidInput) as exc:
        steps.record_investigation(p, cid, talks=[], findings="kort", conclusion="", now=now)
    assert exc.value.errors == {
        "talks": "Ange vilka samtal som har hållits.",
        "guardians_contacted_on": (
            "Ange när vårdnadshavare kontaktades, eller varför de inte har kontaktats."
        ),
        "findings": "Skriv minst 10 tecken.",
        "conclusion": "Välj en slutsats.",
    }
    assert kinds(cid) == before and case_row(cid).step == Step.INVESTIGATION_STARTED


def test_a_step_out_of_order_is_refused(demo, now):
    p = actor_for(PRINCIPAL)
    cid = new_case(now)
    for call in (
        lambda: steps.close(p, cid, summary="För tidigt.", now=now),
        lambda: steps.decide_measures(p, cid, measures=[measure(now)], now=now),
        lambda: steps.start_investigation(p, cid, now=now),
    ):
        with pytest.raises(InvalidInput) as exc:
            call()
        assert exc.value.errors == {FORM: MSG_NOT_NOW}
    steps.receive(p, cid, now=now)
    with pytest.raises(InvalidInput):  # twice: the second is refused
        steps.receive(p, cid, now=now)
    assert kinds(cid).count(EventKind.RECEIVED) == 1


def test_every_read_is_logged_and_a_denial_answers_like_a_missing_case(demo, now):
    p, other = actor_for(PRINCIPAL), actor_for("rektor.ekbacke@exempelkommun.se")
    cid = new_case(now)
    case_view.load_case(p, cid, now=now)
    case_view.load_case(p, cid, now=now)
    rows = access_rows(cid)
    assert [(r.user_id, r.action, r.allowed, r.at) for r in rows] == [
        (p.user_id, "read_case", True, now)
    ] * 2

    with pytest.raises(AccessDenied) as denied:
        case_view.load_case(other, cid, now=now)
    with pytest.raises(AccessDenied) as missing:
        case_view.load_case(p, 987654, now=now)
    with pytest.raises(AccessDenied):
        case_view.load_case(None, cid, now=now)
    assert str(denied.value) == str(missing.value) == ""
    assert (
        denied.value.message
        == missing.value.message
        == ("Ärendet finns inte eller så saknar du behörighet.")
    )
    logged = [(r.user_id, r.case_id, r.allowed) for r in access_rows() if not r.allowed]
    assert (other.user_id, cid, False) in logged
    assert (p.user_id, 987654, False) in logged
    assert (None, cid, False) in logged


def test_invite_new_investigator_sets_password_and_sees_only_that_case(demo, now):
    p = actor_for(PRINCIPAL)
    cid = new_case(now)
    drive(cid, Step.RECEIVED, now)
    with pytest.raises(InvalidInput) as exc:
        delegation.delegate(p, cid, invite_email="fel", invite_name="", now=now)
    assert set(exc.value.errors) == {"email", "name"}
    with pytest.raises(InvalidInput) as exc:
        delegation.delegate(p, cid, invite_email=INVESTIGATOR, invite_name="Sara", now=now)
    assert "finns redan" in exc.value.errors["email"]

    delegation.delegate(
        p, cid, invite_email="Ny.Utredare@Exempelkommun.se", invite_name="Nils Ny", now=now
    )
    with read_scope() as s:
        user = s.exec(select(User).where(User.email == "ny.utredare@exempelkommun.se")).one()
        roles = [
            r.role for r in s.exec(select(RoleAssignment).where(RoleAssignment.user_id == user.id))
        ]
        token_row = s.exec(select(OneTimeToken).where(OneTimeToken.user_id == user.id)).one()
    assert user.password_hash is None and roles == ["investigator"]
    assert token_row.expires_at == now + invites.VALID_FOR
    mail = outbox_rows()[-1]
    assert mail.to_addr == "ny.utredare@exempelkommun.se"
    link = next(w for w in mail.body.split() if "/satt-losenord/" in w)
    token = link.rsplit("/", 1)[-1]
    assert f"/arenden/{cid}" in mail.body

    assert (
        invites.use_token(token, "kort", "kort", now=now) == "Lösenordet måste ha minst 8 tecken."
    )
    assert (
        invites.use_token(token, "langt-losen-1", "annat-losen-1", now=now) == invites.MSG_MISMATCH
    )
    assert invites.use_token(token, "langt-losen-1", "langt-losen-1", now=now) is None
    assert (
        invites.use_token(token, "langt-losen-2", "langt-losen-2", now=now) == invites.MSG_INVALID
    )

    login = auth.login("ny.utredare@exempelkommun.se", "langt-losen-1", now=now)
    assert login.ok
    mine = cases.list_delegated(login.actor, now=now)
    assert [r["id"] for r in mine] == [str(cid)]
    with pytest.raises(AccessDenied):
        cases.list_visible(login.actor, now=now)
    other = new_case(now)
    with pytest.raises(AccessDenied):
        case_view.load_case(login.actor, other, now=now)


def test_expired_invitation_link(demo, now):
    p = actor_for(PRINCIPAL)
    cid = new_case(now)
    drive(cid, Step.RECEIVED, now)
    delegation.delegate(p, cid, invite_email="sen@exempelkommun.se", invite_name="Sen", now=now)
    token = outbox_rows()[-1].body.split("/satt-losenord/")[1].split()[0]
    later = now + invites.VALID_FOR + timedelta(seconds=1)
    assert invites.token_is_valid(token, now=now)
    assert not invites.token_is_valid(token, now=later)
    assert invites.use_token(token, "langt-losen-1", "langt-losen-1", now=later) == (
        invites.MSG_INVALID
    )


def test_withdrawn_delegation_ends_access_and_both_are_on_the_timeline(demo, now):
    p, inv = actor_for(PRINCIPAL), actor_for(INVESTIGATOR)
    cid = new_case(now)
    drive(cid, Step.INVESTIGATION_STARTED, now, delegate_to=inv)
    assert case_view.load_case(inv, cid, now=now).form == "investigate"
    with pytest.raises(InvalidInput):  # one investigator at a time
        delegation.delegate(p, cid, investigator_user_id=inv.user_id, now=now)
    delegation.withdraw_delegation(p, cid, now=now)
    assert kinds(cid)[-2:] == [EventKind.INVESTIGATION_STARTED, EventKind.DELEGATION_WITHDRAWN]
    assert case_row(cid).responsible_user_id == p.user_id
    with pytest.raises(AccessDenied):
        case_view.load_case(inv, cid, now=now)
    assert str(cid) not in [r["id"] for r in cases.list_delegated(inv, now=now)]
    with read_scope() as s:
        d = s.exec(select(Delegation).where(Delegation.case_id == cid)).one()
    assert d.withdrawn_at == now and d.withdrawn_by_user_id == p.user_id
    assert outbox_rows()[-1].to_addr == INVESTIGATOR
    # Delegating anew (later step, no step change) puts the delegation back on the timeline.
    delegation.delegate(p, cid, investigator_user_id=inv.user_id, now=now)
    assert kinds(cid)[-1] == EventKind.DELEGATED
    assert case_row(cid).step == Step.INVESTIGATION_STARTED


def test_follow_up_not_stopped_goes_back_to_measures_with_a_new_due_date(demo, now):
    p = actor_for(PRINCIPAL)
    cid = new_case(now)
    drive(cid, Step.MEASURES_DECIDED, now)
    later = now + timedelta(days=7)
    steps.follow_up(
        p,
        cid,
        followed_up_on=local(later).date().isoformat(),
        stopped=False,
        notes="Det fortsätter på rasterna.",
        now=later,
    )
    c = case_row(cid)
    assert c.step == Step.NEW_MEASURES_NEEDED and c.due_at > later
    view = case_view.load_case(p, cid, now=later)
    assert view.form == "decide" and view.next_step == "Åtgärder beslutade"
    assert view.step == "Nya åtgärder behövs"
    # The overview names it so too, and filters on it.
    rows = cases.list_visible(p, now=later)
    assert any(r["id"] == str(cid) and r["step"] == "Nya åtgärder behövs" for r in rows)
    # ... and the statistics count it.
    from kb_app.domain import statistics as st
    from kb_app.services.statistics import queries as stats

    year = local(now).year if local(now).month >= 8 else local(now).year - 1
    ov = stats.overview(p, st.Filters(st.school_year(year)))
    assert ov.new_measures_needed == 1
    assert "nya åtgärder behövs i 1" in dict((k, e) for k, _, e in st.summary(ov))["Pågående"]
    with pytest.raises(InvalidInput):
        steps.close(p, cid, summary="Nej.", now=later)


def test_reopen_by_organiser_and_comment_on_closed_case(demo, now):
    org = actor_for(ORGANISER)
    cid = new_case(now)
    drive(cid, Step.CLOSED, now)
    with pytest.raises(InvalidInput) as exc:
        steps.reopen(org, cid, reason="", now=now)
    assert exc.value.errors == {"reason": "Ange varför ärendet återöppnas."}
    steps.add_note(org, cid, text="Huvudmannen har läst akten.", now=now)
    steps.reopen(org, cid, reason="Nya uppgifter från vårdnadshavare.", now=now)
    c = case_row(cid)
    assert c.step == Step.INVESTIGATION_STARTED and c.closed_at is None and c.due_at
    assert kinds(cid)[-2:] == [EventKind.COMMENT, EventKind.REOPENED]
    # The organiser does not take the steps of an ordinary case.
    with pytest.raises(AccessDenied):
        steps.record_investigation(org, cid, **investigation("2026-11-24"), now=now)


def test_supplement_at_any_step(demo, now):
    inv = actor_for(INVESTIGATOR)
    cid = new_case(now)
    drive(cid, Step.INVESTIGATION_STARTED, now, delegate_to=inv)
    steps.add_note(inv, cid, text="Vittnet hörde av sig igen.", supplement=True, now=now)
    assert kinds(cid)[-1] == EventKind.SUPPLEMENT
    assert case_view.load_case(inv, cid, now=now).timeline[-1]["label"] == "Komplettering"


def test_organiser_takes_over_a_staff_case(demo, now):
    from kb_app.domain.process import MSG_TAKE_OVER_REASON

    org, p = actor_for(ORGANISER), actor_for(PRINCIPAL)
    reason = "Rektor har nära koppling till den inblandade."
    ordinary = new_case(now)
    with pytest.raises(InvalidInput):
        steps.take_over(org, ordinary, reason=reason, now=now)
    cid = new_case(now, staff=True)
    view = case_view.load_case(org, cid, now=now)
    assert view.staff_involved and view.can_take_over and view.form == ""
    with pytest.raises(AccessDenied):
        steps.take_over(p, cid, reason=reason, now=now)  # only the organiser takes over
    # A reason is required: a Swedish message beside the field, nothing written.
    before = len(kinds(cid))
    for empty in ("", "   "):
        with pytest.raises(InvalidInput) as exc:
            steps.take_over(org, cid, reason=empty, now=now)
        assert exc.value.errors == {"reason": MSG_TAKE_OVER_REASON}
    assert len(kinds(cid)) == before and case_row(cid).responsible_user_id != org.user_id
    steps.take_over(org, cid, reason=reason, now=now)
    assert case_row(cid).responsible_user_id == org.user_id
    assert outbox_rows()[-1].to_addr == PRINCIPAL
    last = case_view.load_case(org, cid, now=now).timeline[-1]
    assert last["label"] == "Övertagen av huvudman" and reason in last["details"]
    with pytest.raises(InvalidInput):
        steps.take_over(org, cid, reason=reason, now=now)  # once
    # The next steps are the organiser's: the principal still reads the case but
    # no longer takes its steps.
    assert case_view.load_case(p, cid, now=now).form == ""
    with pytest.raises(AccessDenied):
        steps.receive(p, cid, now=now)
    # The organiser now takes every step of the principal, up to closing.
    drive(cid, Step.CLOSED, now, principal=org)
    assert case_row(cid).step == Step.CLOSED
    assert case_view.load_case(org, cid, now=now).taken_over_by == "Maria Lindqvist"


def test_case_file_pdf(demo, now):
    from kb_app.services.case import case_pdf

    p = actor_for(PRINCIPAL)
    cid = new_case(now)
    drive(cid, Step.CLOSED, now)
    view = case_view.case_file(p, cid, now=now)
    assert view.printed_by == "Karin Berg"
    data = case_pdf.render(view)
    assert data.startswith(b"%PDF-") and len(data) > 5000
    assert [r.action for r in access_rows(cid)][-1] == "export_case"
    with pytest.raises(AccessDenied):
        case_view.case_file(actor_for(INVESTIGATOR), cid, now=now)


def test_promptness_of_a_delegated_case_counts_from_the_investigators_start(demo, now):
    """Known dates, known figures: received and delegated on Tuesday 24 Nov; the
    investigator starts on Friday 27 Nov (3 working days; the limit is 2) and
    finishes on Monday 30 Nov (1 working day from the start)."""
    p, inv = actor_for(PRINCIPAL), actor_for(INVESTIGATOR)
    assert local(now).date().isoformat() == "2026-11-24"  # the suite's fixed Tuesday
    cid = new_case(now)
    steps.receive(p, cid, now=now)
    delegation.delegate(p, cid, investigator_user_id=inv.user_id, now=now)
    c = case_row(cid)
    assert c.step == Step.RECEIVED and c.wdays_investigation_started is None
    view = case_view.load_case(p, cid, now=now)
    assert view.form == ""  # the principal waits for the investigator
    assert view.waiting_for == "Utredning påbörjad (Sara Nilsson)"
    assert case_view.load_case(inv, cid, now=now).form == "begin"
    with pytest.raises(InvalidInput):  # only the delegate starts it now
        steps.start_investigation(p, cid, now=now)

    friday = now + timedelta(days=3)
    steps.start_investigation(inv, cid, now=friday)
    monday = now + timedelta(days=6)
    steps.record_investigation(inv, cid, **investigation("2026-11-30"), now=monday)

    started = [e for e in events(cid) if e.kind == EventKind.INVESTIGATION_STARTED]
    assert [(e.actor_label, e.at) for e in started] == [("Sara Nilsson", friday)]
    delegated = [e for e in events(cid) if e.kind == EventKind.DELEGATED]
    assert [(e.actor_label, e.at) for e in delegated] == [("Karin Berg", now)]
    c = case_row(cid)
    assert (c.wdays_investigation_started, c.wdays_investigated) == (3, 1)
    rows = {r["step"]: r for r in case_view.case_file(p, cid, now=monday).promptness}
    assert rows["Utredning påbörjad"]["taken"] == "3 arbetsdagar"
    assert rows["Utredning påbörjad"]["status"] == "late"
    assert rows["Utredning klar"]["taken"] == "1 arbetsdag"
    assert rows["Utredning klar"]["status"] == "met"


def test_the_investigators_first_comment_starts_the_investigation(demo, now):
    p, inv = actor_for(PRINCIPAL), actor_for(INVESTIGATOR)
    cid = new_case(now)
    steps.receive(p, cid, now=now)
    delegation.delegate(p, cid, investigator_user_id=inv.user_id, now=now)
    steps.add_note(p, cid, text="Rektor noterar.", now=now)  # the principal's does not
    assert case_row(cid).step == Step.RECEIVED
    with pytest.raises(InvalidInput):  # an empty comment records nothing, no start either
        steps.add_note(inv, cid, text="", now=now)
    assert case_row(cid).step == Step.RECEIVED
    later = now + timedelta(hours=3)
    steps.add_note(inv, cid, text="Jag har bokat samtal.", now=later)
    assert case_row(cid).step == Step.INVESTIGATION_STARTED
    tail = [(e.kind, e.actor_label, e.at) for e in events(cid)][-2:]
    assert tail == [
        (EventKind.INVESTIGATION_STARTED, "Sara Nilsson", later),
        (EventKind.COMMENT, "Sara Nilsson", later),
    ]
    # Withdrawn before the start: the principal may start it themself.
    other = new_case(now)
    steps.receive(p, other, now=now)
    delegation.delegate(p, other, investigator_user_id=inv.user_id, now=now)
    delegation.withdraw_delegation(p, other, now=now)
    assert case_view.load_case(p, other, now=now).form == "start"
    steps.start_investigation(p, other, now=now)
    assert case_row(other).step == Step.INVESTIGATION_STARTED
