"""The scheduler lease: one row in ``scheduler_lease`` names the process allowed to
run background jobs until ``expires_at``. The holder renews it; anyone takes it
over once it has expired. One atomic upsert on SQLite and PostgreSQL alike.

The lease keeps the work in one process; it is not what makes the jobs correct.
Each job is safe to run concurrently on its own (claimed outbox rows, unique
reminder keys), so a holder that stalls past its lease does no harm.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import select

from kb_app.db import read_scope, session_scope
from kb_app.models import SchedulerLease

LEASE_NAME = "scheduler"


def acquire(holder: str, now: datetime, ttl: timedelta, name: str = LEASE_NAME) -> bool:
    """Take or renew the lease for ``holder`` until ``now + ttl``. True if held."""
    table = SchedulerLease.__table__
    with session_scope() as s:
        dialect = s.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        s.execute(
            insert(table)
            .values(name=name, holder=holder, expires_at=now + ttl)
            .on_conflict_do_update(
                index_elements=["name"],
                set_={"holder": holder, "expires_at": now + ttl},
                where=or_(table.c.holder == holder, table.c.expires_at <= now),
            )
        )
        current = s.exec(select(SchedulerLease.holder).where(SchedulerLease.name == name)).one()
    return current == holder


def extend(holder: str, now: datetime, ttl: timedelta, name: str = LEASE_NAME) -> bool:
    """Renew the lease only if ``holder`` still holds it at ``now`` (never a
    takeover). The sender calls it before each message: while it returns True
    nobody can take the lease over (and release the sender's claims) before
    ``now + ttl``, so a live sender's claims are never handed to another."""
    with session_scope() as s:
        result = s.execute(
            update(SchedulerLease)
            .where(
                SchedulerLease.name == name,
                SchedulerLease.holder == holder,
                SchedulerLease.expires_at > now,
            )
            .values(expires_at=now + ttl)
        )
    return result.rowcount == 1


def release(holder: str, now: datetime, name: str = LEASE_NAME) -> None:
    """Give the lease up (at shutdown) so another process can take over at once."""
    with session_scope() as s:
        s.execute(
            update(SchedulerLease)
            .where(SchedulerLease.name == name, SchedulerLease.holder == holder)
            .values(expires_at=now)
        )


def current(name: str = LEASE_NAME) -> SchedulerLease | None:
    with read_scope() as s:
        return s.get(SchedulerLease, name)
