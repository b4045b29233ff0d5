"""The outbox sender against a real SMTP server (aiosmtpd), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from kb_app.db import session_scope
from kb_app.services.base import outbox
from kb_app.services.mail import mailer, outbox_admin
from tests.conftest import free_port
from tests.support.helpers import actor_for
from tests.support.world import (
    SmtpServer,
    closed_port,
    make_world,
    outbox_rows,
    point_smtp_at,
)


def queue(n: int, now, to: str = "rektor@test.example", prefix: str = "m") -> None:
    with session_scope() as s:
        for i in range(n):
            outbox.queue_mail(
                s,
                to=to,
                subject=f"Ärende KB-2026-{i:04d}",
                body=f"Öppna ärendet: {outbox.case_link(i + 1)}",
                now=now,
                dedupe_key=f"{prefix}:{to}:{i}",
            )


def test_delivers_with_stable_message_id_once(engine, smtp_server, now):
    make_world(now)
    queue(3, now)
    summary = mailer.send_due(now=now)
    assert (summary.sent, summary.retried, summary.failed) == (3, 0, 0)
    rows = outbox_rows()
    assert len(smtp_server.messages) == 3
    got = {m["message"]["Message-ID"]: m for m in smtp_server.messages}
    for row in rows:
        assert row.sent_at == now and row.attempts == 1 and row.claim_token is None
        msg = got[row.message_id]["message"]
        assert msg["From"] == "varna@test.example"
        assert msg["To"] == "rektor@test.example"
        assert msg["Subject"] == row.subject
        assert msg.get_content().strip() == row.body
    # Nothing is sent twice, however often the sender runs.
    assert mailer.send_due(now=now).sent == 0
    assert mailer.send_due(now=now + timedelta(hours=5)).sent == 0
    assert len(smtp_server.messages) == 3


def test_without_smtp_settings_mail_stays_in_the_outbox(engine, now):
    make_world(now)
    queue(2, now)
    summary = mailer.send_due(now=now)
    assert not summary.configured
    assert all(r.sent_at is None and r.attempts == 0 for r in outbox_rows())


def test_rows_belong_to_the_recipients_organisation(engine, now):
    w = make_world(now)
    other = make_world(now, "Annan kommun", prefix="annan-")
    queue(1, now, to=w.emails["principal"])
    queue(1, now, to=other.emails["principal"], prefix="o")
    queue(1, now, to="okand@extern.example", prefix="x")
    assert [r.organisation_id for r in outbox_rows()] == [w.org_id, other.org_id, None]


def test_smtp_down_then_up_every_mail_arrives_once(engine, monkeypatch, now):
    make_world(now)
    port = closed_port()
    point_smtp_at(monkeypatch, port)
    queue(25, now)  # more than one batch
    # Down for 40 minutes while the sender runs every 30 seconds: each row is
    # retried after 1, 2, 4, 8, 16 … minutes, and never given up.
    t = now
    delays: dict[int, list[timedelta]] = {}
    attempts = {r.id: 0 for r in outbox_rows()}
    while t < now + timedelta(minutes=40):
        summary = mailer.send_due(now=t)
        assert summary.sent == 0
        for row in outbox_rows():
            if row.attempts > attempts[row.id]:
                attempts[row.id] = row.attempts
                delays.setdefault(row.id, []).append(row.next_attempt_at - t)
                assert "Anslutningen till e-postservern misslyckades" in row.last_error
        t += timedelta(seconds=30)
    for row_delays in delays.values():
        expected = [timedelta(minutes=2**i) for i in range(len(row_delays))]
        assert row_delays == expected
    assert len(delays) == 25 and min(attempts.values()) >= 4
    assert all(r.sent_at is None and r.failed_at is None for r in outbox_rows())
    assert mailer.backoff(7) == mailer.backoff(50) == timedelta(hours=1)
    first = min(r.next_attempt_at for r in outbox_rows())
    t = max(r.next_attempt_at for r in outbox_rows())
    # Up again, on the same port.
    server = SmtpServer(port).start()
    try:
        assert mailer.send_due(now=first - timedelta(seconds=1)).sent == 0  # none due yet
        summary = mailer.send_due(now=t)
        assert summary.sent == 25, summary
        assert mailer.send_due(now=t + timedelta(hours=2)).sent == 0
        ids = server.message_ids()
        assert len(ids) == 25 and len(set(ids)) == 25
        assert sorted(ids) == sorted(r.message_id for r in outbox_rows())
        assert all(r.sent_at == t and r.last_error == "" for r in outbox_rows())
    finally:
        server.stop()


def test_permanent_failure_is_marked_and_shown_to_admins(engine, monkeypatch, now):
    w = make_world(now)
    port = closed_port()
    server = SmtpServer(
        port,
        reject={
            "borta@test.example": "550 5.1.1 Mailbox unavailable",
            "full@test.example": "452 4.2.2 Mailbox full, try later",
        },
    ).start()
    try:
        point_smtp_at(monkeypatch, port)
        queue(1, now, to="borta@test.example", prefix="a")
        queue(1, now, to="full@test.example", prefix="b")
        queue(1, now, to=w.emails["principal"], prefix="c")
        summary = mailer.send_due(now=now)
        assert (summary.sent, summary.retried, summary.failed) == (1, 1, 1)
        gone, full, ok = outbox_rows()
        assert gone.failed_at == now and "550" in gone.last_error
        assert full.failed_at is None and full.next_attempt_at == now + timedelta(minutes=1)
        assert "452" in full.last_error
        assert ok.sent_at == now
        # A failed row is never tried again by itself …
        later = now + timedelta(days=2)
        mailer.send_due(now=later)
        assert outbox_rows()[0].failed_at == now and outbox_rows()[0].attempts == 1

        # … it is visible to the admin, who may retry it.
        admin = actor_for(w.emails["admin"])
        rows = {r["to"]: r for r in outbox_admin.list_rows(admin, "failed", now=later)}
        assert rows["borta@test.example"]["status_label"] == "Misslyckades"
        assert "550" in rows["borta@test.example"]["error"]
        assert rows["borta@test.example"]["can_retry"] == "1"
        assert outbox_admin.counts(admin)["failed"] == 1
        server.reject.clear()
        assert outbox_admin.retry_now(admin, gone.id, now=later)
        assert mailer.send_due(now=later, ids=[gone.id]).sent == 1
        assert len(server.to("borta@test.example")) == 1
        assert outbox_admin.counts(admin)["failed"] == 0
    finally:
        server.stop()


def test_only_admins_see_the_outbox(engine, now):
    w = make_world(now)
    from kb_app.errors import AccessDenied

    for who in ("principal", "organiser1", "investigator"):
        with pytest.raises(AccessDenied):
            outbox_admin.list_rows(actor_for(w.emails[who]), now=now)
        with pytest.raises(AccessDenied):
            outbox_admin.retry_now(actor_for(w.emails[who]), 1, now=now)


def test_two_senders_at_once_deliver_each_row_once(engine, smtp_server, now):
    make_world(now)
    queue(60, now)
    barrier = threading.Barrier(3)
    results = []

    def run():
        barrier.wait()
        results.append(mailer.send_due(now=now))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sum(r.sent for r in results) == 60
    ids = [m["message"]["Message-ID"] for m in smtp_server.messages]
    assert len(ids) == 60 and len(set(ids)) == 60


def test_a_row_claimed_by_a_sender_that_died_is_sent_after_its_lease(engine, smtp_server, now):
    make_world(now)
    queue(1, now)
    token, rows = mailer._claim(now, None)  # a sender claims, then its process dies
    assert len(rows) == 1
    assert mailer.send_due(now=now + timedelta(minutes=5)).sent == 0  # still leased
    admin_view = outbox_admin.status_of(outbox_rows()[0], now + timedelta(minutes=5))
    assert admin_view == "sending"
    assert mailer.send_due(now=now + mailer.CLAIM_LEASE).sent == 1
    assert len(smtp_server.messages) == 1


async def test_taking_over_the_lease_releases_a_dead_senders_claims(engine, monkeypatch, now):
    """A scheduler killed right after claiming mail: the process that takes the
    lease over sends that mail at once, not when the 15-minute claim lapses."""
    import asyncio

    from kb_app.services.mail import lease, scheduler

    make_world(now)
    queue(3, now)
    queue(1, now, prefix="ui")
    server = SmtpServer(free_port()).start()
    point_smtp_at(monkeypatch, server.port)
    try:
        assert lease.acquire("dead-holder", now, scheduler.LEASE_TTL)
        _, claimed = mailer._claim(now, None, "dead-holder")  # ... and then kill -9
        assert len(claimed) == 4
        later = now + scheduler.LEASE_TTL + timedelta(seconds=1)
        runner = scheduler.JobRunner(holder="next-holder", clock=lambda: later)
        assert await runner.renew()
        summary = await asyncio.to_thread(mailer.send_due, now=later, sender="next-holder")
        assert summary.sent == 4
        assert len(server.message_ids()) == 4
        # A sender that is not the dead holder keeps its claims.
        queue(1, later, prefix="other")
        _, mine = mailer._claim(later, None, "next-holder")
        assert mailer.release_claims_of("dead-holder", now=later) == 0
        assert [r.claim_token for r in outbox_rows() if r.id == mine[0].id][0]
    finally:
        server.stop()


async def test_a_stalled_sender_does_not_resend_what_the_next_holder_took_over(
    engine, monkeypatch, now
):
    """The double send: a live holder that stalls past its lease (renewal failed,
    slow SMTP) while its claims are released to the next holder used to send the
    same rows again when it resumed (same Message-ID twice)."""
    import asyncio

    from kb_app.services.mail import scheduler
    from kb_app.settings import get_settings

    make_world(now)
    queue(3, now)
    server = SmtpServer(free_port()).start()
    point_smtp_at(monkeypatch, server.port)
    try:
        clock = {"a": now}
        first = scheduler.JobRunner(holder="holder-a", clock=lambda: clock["a"])
        assert await first.renew()
        token, rows = mailer._claim(now, None, "holder-a")  # ... and then it stalls
        later = now + scheduler.LEASE_TTL + timedelta(seconds=1)
        second = scheduler.JobRunner(holder="holder-b", clock=lambda: later)
        assert await second.renew()  # takes over, releases holder-a's claims
        sent = await asyncio.to_thread(
            mailer.send_due, now=later, sender="holder-b", may_send=second._may_send
        )
        assert sent.sent == 3
        clock["a"] = later
        resumed = mailer.SendSummary()
        assert not await asyncio.to_thread(
            mailer._deliver, get_settings(), token, rows, now, resumed, first._may_send
        )
        assert resumed.sent == 0
        ids = server.message_ids()
        assert len(ids) == 3 and len(set(ids)) == 3
    finally:
        server.stop()


async def test_a_sending_holder_keeps_its_lease(engine, now):
    """While a holder sends, each message renews its lease: nobody takes it over
    (and releases its claims) in the middle of a long batch."""
    from kb_app.services.mail import lease, scheduler

    make_world(now)
    queue(2, now)
    clock = {"t": now}
    sender = scheduler.JobRunner(holder="sender", clock=lambda: clock["t"])
    assert await sender.renew()
    _, claimed = mailer._claim(now, None, "sender")
    clock["t"] = now + timedelta(seconds=50)  # the batch is still going
    assert sender._may_send()
    other = scheduler.JobRunner(
        holder="other", clock=lambda: now + scheduler.LEASE_TTL + timedelta(seconds=1)
    )
    assert not await other.renew()
    assert lease.current().holder == "sender"
    assert all(r.claim_token for r in outbox_rows() if r.id in {c.id for c in claimed})
    # A holder that lost the lease may not send.
    assert not lease.extend("other", now + timedelta(seconds=55), scheduler.LEASE_TTL)
