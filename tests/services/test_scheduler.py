"""One scheduler per installation: the database lease, the job runner, and two real
``kb-app scheduler`` processes against one database and a real SMTP server."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path

from kb_app.dbtypes import utcnow
from kb_app.domain.process import Step
from kb_app.services.mail import lease, scheduler
from tests.conftest import free_port
from tests.support.clock import cli_command
from tests.support.world import (
    SmtpServer,
    make_case,
    make_world,
    point_smtp_at,
    reminder_events,
)

REPO = Path(__file__).resolve().parents[2]
TTL = timedelta(seconds=60)


def test_only_one_contender_holds_the_lease(engine, now):
    results: dict[str, bool] = {}
    barrier = threading.Barrier(6)

    def contend(name: str) -> None:
        barrier.wait()
        results[name] = lease.acquire(name, now, TTL)

    threads = [threading.Thread(target=contend, args=(f"p{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    winners = [name for name, held in results.items() if held]
    assert len(results) == 6 and len(winners) == 1
    assert lease.current().holder == winners[0]


def test_renewal_expiry_takeover_and_release(engine, now):
    assert lease.acquire("a", now, TTL)
    assert not lease.acquire("b", now + timedelta(seconds=30), TTL)
    assert lease.acquire("a", now + timedelta(seconds=45), TTL)  # renewed until +105 s
    assert not lease.acquire("b", now + timedelta(seconds=100), TTL)
    # "a" stops renewing: "b" takes over once the lease has expired.
    assert lease.acquire("b", now + timedelta(seconds=106), TTL)
    assert not lease.acquire("a", now + timedelta(seconds=107), TTL)
    assert lease.current().holder == "b"
    # A holder that shuts down releases at once.
    lease.release("b", now + timedelta(seconds=110))
    assert lease.acquire("a", now + timedelta(seconds=110), TTL)


def _late_case(w) -> int:
    """A case late by real time (the runner and the processes use the real clock):
    "Utredning påbörjad" due weeks ago, so the second reminder and the escalation
    are both due."""
    at = utcnow() - timedelta(days=40)
    return make_case(w, reported_at=at, step=Step.RECEIVED, step_at=at)


def _wait(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


async def test_two_runners_only_the_lease_holder_runs_jobs_and_the_other_takes_over(
    engine, monkeypatch
):
    w = make_world(utcnow())
    server = SmtpServer(free_port()).start()
    point_smtp_at(monkeypatch, server.port)
    case_id = _late_case(w)
    fast = dict(lease_ttl=timedelta(seconds=3), renew_seconds=0.5, outbox_seconds=0.5)

    async def scenario():
        a = scheduler.JobRunner(holder="a", **fast)
        b = scheduler.JobRunner(holder="b", **fast)
        await a.start()
        await b.start()
        assert a.leader and not b.leader
        for _ in range(300):
            if len(server.messages) >= 3:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.5)  # several more lease and outbox rounds
        assert b.runs == {k: 0 for k in b.runs}
        assert a.runs[scheduler.JOB_REMINDERS] == 1 and a.runs[scheduler.JOB_OUTBOX] >= 2
        # The holder stops (releases); the other takes over and sweeps at once.
        await a.stop()
        second = _late_case(w)
        for _ in range(300):
            if len(server.messages) >= 6:
                break
            await asyncio.sleep(0.1)
        assert b.leader and b.runs[scheduler.JOB_REMINDERS] >= 1
        await b.stop()
        return second

    try:
        second = await scenario()
        ids = server.message_ids()
        assert len(ids) == len(set(ids)) == 6
        assert len(reminder_events(case_id)) == 2 and len(reminder_events(second)) == 2
    finally:
        server.stop()


def _database_url(engine) -> str:
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            schema = conn.exec_driver_sql("SHOW search_path").scalar()
        url += ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"
    return url


def test_two_scheduler_processes_send_each_reminder_once(engine, tmp_path):
    """The issue's "done when": two app processes, the clock past the limits: the
    reminder and the escalation arrive once each; when the running scheduler stops,
    the other process takes over."""
    w = make_world(utcnow())
    first = _late_case(w)
    server = SmtpServer(free_port()).start()
    env = {
        **os.environ,
        "KB_DATABASE_URL": _database_url(engine),
        "KB_DATA_DIR": str(tmp_path),
        "KB_SMTP_HOST": "127.0.0.1",
        "KB_SMTP_PORT": str(server.port),
        "KB_SMTP_SECURITY": "none",
        "KB_SMTP_SENDER": "varna@test.example",
        "KB_SCHEDULER": "on",
    }
    procs, logs = [], []
    try:
        for i in range(2):
            log = tmp_path / f"scheduler-{i}.log"
            logs.append(log)
            procs.append(
                subprocess.Popen(
                    cli_command("scheduler"),
                    cwd=REPO,
                    env=env,
                    stdout=log.open("w"),
                    stderr=subprocess.STDOUT,
                )
            )
        assert _wait(lambda: len(server.messages) >= 3), [p.read_text() for p in logs]
        # Both processes up and renewing for a while: nothing is sent again.
        assert _wait(lambda: all("scheduler started" in p.read_text() for p in logs))
        time.sleep(3)
        assert len(server.messages) == 3
        leaders = [i for i, p in enumerate(logs) if "scheduler lease taken" in p.read_text()]
        assert len(leaders) == 1, [p.read_text() for p in logs]
        # The running scheduler stops; the other takes over (next renewal, ≤ 15 s)
        # and sweeps at once.
        procs[leaders[0]].send_signal(signal.SIGTERM)
        assert procs[leaders[0]].wait(30) == 0
        second = _late_case(w)
        assert _wait(lambda: len(server.messages) >= 6, 60), [p.read_text() for p in logs]
        time.sleep(1)
        ids = server.message_ids()
        assert len(ids) == len(set(ids)) == 6
        assert len(reminder_events(first)) == 2 and len(reminder_events(second)) == 2
        other = 1 - leaders[0]
        assert "scheduler lease taken" in logs[other].read_text()
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
        server.stop()


def test_cli_once_runs_every_job(engine, tmp_path):
    w = make_world(utcnow())
    _late_case(w)
    server = SmtpServer(free_port()).start()
    env = {
        **os.environ,
        "KB_DATABASE_URL": _database_url(engine),
        "KB_DATA_DIR": str(tmp_path),
        "KB_SMTP_HOST": "127.0.0.1",
        "KB_SMTP_PORT": str(server.port),
        "KB_SMTP_SECURITY": "none",
    }
    try:
        for _ in range(2):
            r = subprocess.run(
                cli_command("scheduler", "--once"),
                cwd=REPO,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert r.returncode == 0, r.stderr
            assert "Utskick:" in r.stdout
        assert len(server.messages) == 3
    finally:
        server.stop()


async def test_scheduler_off_starts_nothing(monkeypatch):
    from kb_app.settings import reset_settings

    monkeypatch.setenv("KB_SCHEDULER", "off")
    reset_settings()

    async def run():
        async with scheduler.scheduler_lifespan():
            return "ran"

    assert await run() == "ran"


async def test_mail_queued_by_the_sweep_is_sent_at_once(engine, monkeypatch):
    """The sweep kicks the sender: a reminder does not wait for the next outbox round."""
    w = make_world(utcnow())
    server = SmtpServer(free_port()).start()
    point_smtp_at(monkeypatch, server.port)

    async def scenario():
        runner = scheduler.JobRunner(holder="solo", outbox_seconds=3600)
        await runner.start()
        for _ in range(100):  # the start-up sweep and first outbox round are done
            if runner.runs[scheduler.JOB_OUTBOX] >= 1 and runner.runs[scheduler.JOB_REMINDERS]:
                break
            await asyncio.sleep(0.1)
        assert server.messages == []
        await asyncio.to_thread(_late_case, w)
        runner.kick(scheduler.JOB_REMINDERS)  # as the 15-minute trigger would
        for _ in range(300):
            if len(server.messages) >= 3:
                break
            await asyncio.sleep(0.1)
        await runner.stop()

    try:
        await scenario()
        assert len(server.messages) == 3
    finally:
        server.stop()
