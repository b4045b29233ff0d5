"""Background jobs: APScheduler 3.x (AsyncIOScheduler) in one process per installation.

Started with the app as a Reflex lifespan task (``scheduler_lifespan``), or alone
with ``kb-app scheduler``; ``KB_SCHEDULER=off`` keeps a web process from starting
it. Every process that starts it competes for the database lease
(services/lease.py); only the holder runs jobs, and another process takes over
within a minute when the holder stops renewing.

Jobs (explicit ids, ``replace_existing``, ``coalesce``, generous misfire grace):
- ``kb-lease``      every 15 s: take or renew the lease
- ``kb-outbox``     every 30 s: deliver due mail (services/mailer.py)
- ``kb-reminders``  every 15 min and once at start (or on taking over the lease):
                    the reminder sweep and the daily digests (services/reminders.py)
- ``kb-retention``  nightly: put closed cases past their retention on the gallring
                    list (services/retention/gallring.py); an organiser approves it
- ``kb-audit-checkpoint`` nightly: verify the audit chains and append a signed
                    checkpoint of every chain head (services/case/audit.py)
- ``kb-backup``     nightly at 02:15 when KB_BACKUP_NIGHTLY=on: ``kb-app backup`` into
                    KB_BACKUP_DIR, keeping the newest KB_BACKUP_KEEP (services/ops/backup.py)

The jobs' database and SMTP work runs in worker threads; the event loop is never
blocked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from kb_app.dbtypes import utcnow
from kb_app.services.case import audit
from kb_app.services.mail import lease, mailer, reminders
from kb_app.settings import get_settings

log = logging.getLogger("kb_app.scheduler")

LEASE_TTL = timedelta(seconds=60)
LEASE_RENEW_SECONDS = 15
OUTBOX_SECONDS = 30
REMINDER_MINUTES = 15
STOP_WAIT_SECONDS = 30  # at stop, for a job's thread to finish before the lease is given up

JOB_LEASE = "kb-lease"
JOB_OUTBOX = "kb-outbox"
JOB_REMINDERS = "kb-reminders"
JOB_RETENTION = "kb-retention"
JOB_AUDIT = "kb-audit-checkpoint"
JOB_BACKUP = "kb-backup"


def run_outbox(now: datetime) -> mailer.SendSummary:
    return mailer.send_due(now=now)


def run_reminders(now: datetime) -> tuple[reminders.SweepSummary, int]:
    """The reminder sweep, then the daily digests. Returns (sweep summary, digests)."""
    summary = reminders.sweep(now=now)
    digests = reminders.send_digests(now=now)
    return summary, digests


def run_retention(now: datetime) -> int:
    """The nightly gallring list: closed cases past OrgSetting.retention_years are
    proposed (idempotent); nothing is removed until an organiser approves."""
    from kb_app.services.retention import gallring

    proposed = gallring.propose_due(now=now)
    log.info("retention: %d cases proposed for the gallring", proposed)
    return proposed


def run_checkpoint(now: datetime) -> audit.CheckpointResult:
    """Verify every chain and anchor their heads (nothing is written, and an error
    is logged, when the verification finds something)."""
    return audit.write_checkpoint(now=now)


def run_backup(now: datetime) -> None:
    from kb_app.services.ops import backup

    summary = backup.nightly(now=now)
    log.info("nightly backup written: %s", summary.message())


def run_once(*, now: datetime) -> str:
    """Every job once, now, in this thread (``kb-app scheduler --once``). Safe beside
    a running scheduler: each job is idempotent."""
    sweep, digests = run_reminders(now)
    sent = run_outbox(now)
    proposed = run_retention(now)
    return (
        f"Påminnelser: {sweep}; dagliga sammanfattningar: {digests}. Utskick: {sent}. "
        f"Föreslagna för gallring: {proposed}."
    )


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class JobRunner:
    """One process's scheduler. Runs jobs only while it holds the lease."""

    def __init__(
        self,
        *,
        holder: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        lease_ttl: timedelta | None = None,
        renew_seconds: float | None = None,
        outbox_seconds: float = OUTBOX_SECONDS,
        reminder_minutes: float = REMINDER_MINUTES,
    ):
        self.holder = holder or default_holder()
        self.clock = clock
        # KB_SCHEDULER_LEASE_SECONDS (default 60), renewed every quarter of it.
        self.lease_ttl = lease_ttl or timedelta(seconds=get_settings().scheduler_lease_seconds)
        self.renew_seconds = (
            renew_seconds
            if renew_seconds is not None
            else max(self.lease_ttl.total_seconds() / 4, 1.0)
        )
        self.outbox_seconds = outbox_seconds
        self.reminder_minutes = reminder_minutes
        self.leader = False
        self._lease_until: datetime | None = None
        self.scheduler: AsyncIOScheduler | None = None
        self.runs: dict[str, int] = {
            JOB_OUTBOX: 0,
            JOB_REMINDERS: 0,
            JOB_RETENTION: 0,
            JOB_AUDIT: 0,
            JOB_BACKUP: 0,
        }
        self._running: set[asyncio.Future] = set()  # jobs' threads still working

    # The lease ----------------------------------------------------------------

    def holds_lease(self) -> bool:
        return self.leader and self._lease_until is not None and self.clock() < self._lease_until

    async def renew(self) -> bool:
        now = self.clock()
        try:
            before = None if self.leader else await asyncio.to_thread(lease.current)
            held = await asyncio.to_thread(lease.acquire, self.holder, now, self.lease_ttl)
            if held and before is not None and before.holder != self.holder:
                # Taken over from a holder that stopped renewing: what it had
                # claimed and not sent is due again now, not when the claim lapses.
                await asyncio.to_thread(mailer.release_claims_of, before.holder, now=now)
        except Exception:  # the database may be briefly away; try again next time
            log.exception("scheduler lease: could not reach the database")
            held = False
        was = self.leader
        self.leader = held
        self._lease_until = now + self.lease_ttl if held else None
        if held and not was:
            log.info(
                "scheduler lease taken by %s: this process runs the background jobs", self.holder
            )
            self.kick(JOB_REMINDERS)  # the sweep "at start" also runs on taking over
        elif was and not held:
            log.warning("scheduler lease lost by %s: another process runs the jobs", self.holder)
        return held

    # Jobs ---------------------------------------------------------------------

    def kick(self, job_id: str) -> None:
        """Run a job as soon as possible."""
        if self.scheduler is not None and self.scheduler.running:
            with contextlib.suppress(Exception):
                self.scheduler.modify_job(job_id, next_run_time=datetime.now(UTC))

    async def _job(self, job_id: str, fn: Callable[[datetime], object]):
        if not self.holds_lease():
            return None
        self.runs[job_id] += 1
        work = asyncio.ensure_future(asyncio.to_thread(fn, self.clock()))
        self._running.add(work)
        try:
            return await asyncio.shield(work)
        except Exception:
            log.exception("background job %s failed", job_id)
            return None
        finally:
            if work.done():
                self._running.discard(work)

    def _may_send(self) -> bool:
        """Before each message (in the sender's thread): renew the lease, so no
        other process takes it over and releases this sender's claims mid-send."""
        return self.leader and lease.extend(self.holder, self.clock(), self.lease_ttl)

    async def outbox_job(self):
        await self._job(
            JOB_OUTBOX,
            lambda now: mailer.send_due(now=now, sender=self.holder, may_send=self._may_send),
        )

    async def reminder_job(self):
        result = await self._job(JOB_REMINDERS, run_reminders)
        if result is not None:
            summary, digests = result
            if summary.mails or digests:
                self.kick(JOB_OUTBOX)  # deliver them now, not in up to 30 s

    async def retention_job(self):
        await self._job(JOB_RETENTION, run_retention)

    async def audit_job(self):
        await self._job(JOB_AUDIT, run_checkpoint)

    async def backup_job(self):
        await self._job(JOB_BACKUP, run_backup)

    async def start(self) -> None:
        settings = get_settings()
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 600},
        )
        await self.renew()
        start = datetime.now(UTC)
        self.scheduler.add_job(
            self.renew,
            "interval",
            seconds=self.renew_seconds,
            id=JOB_LEASE,
            replace_existing=True,
            misfire_grace_time=max(int(self.renew_seconds), 1),
        )
        self.scheduler.add_job(
            self.outbox_job,
            "interval",
            seconds=self.outbox_seconds,
            id=JOB_OUTBOX,
            replace_existing=True,
            next_run_time=start + timedelta(seconds=2),
        )
        self.scheduler.add_job(
            self.reminder_job,
            "interval",
            minutes=self.reminder_minutes,
            id=JOB_REMINDERS,
            replace_existing=True,
            next_run_time=start,  # once at start
            misfire_grace_time=1800,
        )
        self.scheduler.add_job(
            self.retention_job,
            CronTrigger(hour=3, minute=30, timezone=settings.timezone),
            id=JOB_RETENTION,
            replace_existing=True,
            misfire_grace_time=6 * 3600,
        )
        self.scheduler.add_job(
            self.audit_job,
            CronTrigger(hour=2, minute=45, timezone=settings.timezone),
            id=JOB_AUDIT,
            replace_existing=True,
            misfire_grace_time=12 * 3600,
        )
        if settings.backup_nightly:
            self.scheduler.add_job(
                self.backup_job,
                CronTrigger(hour=2, minute=15, timezone=settings.timezone),
                id=JOB_BACKUP,
                replace_existing=True,
                misfire_grace_time=6 * 3600,
            )
        self.scheduler.start()
        log.info(
            "scheduler started (%s, %s)",
            self.holder,
            "runs the jobs" if self.leader else "standby: another process holds the lease",
        )

    async def stop(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        # A job's thread may still be sending: give the lease up only once it has
        # finished, else the next holder would release (and resend) its claims.
        pending = {w for w in self._running if not w.done()}
        if pending:
            _, pending = await asyncio.wait(pending, timeout=STOP_WAIT_SECONDS)
        if self.leader and pending:
            self.leader = False
            log.warning("scheduler stopped with a job still running: the lease lapses by itself")
        if self.leader:
            self.leader = False
            try:
                await asyncio.to_thread(lease.release, self.holder, self.clock())
            except Exception:
                log.exception("scheduler lease: could not release")
        log.info("scheduler stopped (%s)", self.holder)


@contextlib.asynccontextmanager
async def scheduler_lifespan():
    """The Reflex lifespan task: the scheduler lives as long as the app process."""
    if not get_settings().scheduler:
        log.info("KB_SCHEDULER=off: no background jobs in this process")
        yield
        return
    runner = JobRunner()
    await runner.start()
    try:
        yield
    finally:
        await runner.stop()


async def run_forever(stop: asyncio.Event | None = None, **runner_options) -> None:
    """``kb-app scheduler``: run the jobs in this process until SIGINT/SIGTERM."""
    import signal

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    runner = JobRunner(**runner_options)
    await runner.start()
    try:
        await stop.wait()
    finally:
        await runner.stop()
