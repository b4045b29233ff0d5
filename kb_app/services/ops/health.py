"""What ``/_health`` answers, for the container's HEALTHCHECK and a load balancer.

Only operational facts: whether the database answers and its schema is at the
newest migration, whether Redis answers (when set), who holds the scheduler lease
and for how long, and the outbox backlog (count and the age of the oldest unsent
mail). Never a name, an address, a case or a token.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from sqlalchemy import func, text
from sqlmodel import select

from kb_app.db import read_scope
from kb_app.models import Outbox, SchedulerLease
from kb_app.settings import REPO_ROOT, get_settings


@lru_cache(maxsize=1)
def head_revisions() -> frozenset[str]:
    """The newest Alembic revision(s) of this code (read once per process)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config(str(REPO_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(REPO_ROOT / "alembic"))
    return frozenset(ScriptDirectory.from_config(cfg).get_heads())


def _redis_ok(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        return bool(client.ping())
    finally:
        client.close()


def check(*, now: datetime) -> tuple[bool, dict]:
    """(healthy, report). Healthy: the database answers at the newest schema and
    Redis (when set) answers. The scheduler and the outbox are reported, not judged:
    a standby worker is healthy, and a backlog is for a person to look at."""
    report: dict = {}
    healthy = True
    try:
        with read_scope() as s:
            s.exec(text("SELECT 1"))
            revisions = {r for (r,) in s.exec(text("SELECT version_num FROM alembic_version"))}
            lease = s.get(SchedulerLease, "scheduler")
            unsent = (Outbox.sent_at.is_(None)) & (Outbox.failed_at.is_(None))
            backlog, oldest = s.exec(
                select(func.count(Outbox.id), func.min(Outbox.created_at)).where(unsent)
            ).one()
        at_head = revisions == set(head_revisions())
        report["database"] = "ok"
        report["migrations"] = "ok" if at_head else "not at head"
        healthy = at_head
        report["scheduler"] = (
            {
                "holder": lease.holder,
                "lease_valid": lease.expires_at > now,
                "expires_in_seconds": round((lease.expires_at - now).total_seconds()),
            }
            if lease is not None
            else {"holder": None, "lease_valid": False}
        )
        if oldest is not None and oldest.tzinfo is None:
            from datetime import UTC

            oldest = oldest.replace(tzinfo=UTC)
        report["outbox"] = {
            "unsent": int(backlog or 0),
            "oldest_unsent_age_seconds": (
                round((now - oldest).total_seconds()) if oldest is not None else None
            ),
        }
    except Exception:  # the reason goes to the log, never to the caller
        report["database"] = "error"
        healthy = False
    settings = get_settings()
    if settings.redis_url:
        try:
            report["redis"] = "ok" if _redis_ok(settings.redis_url) else "error"
        except Exception:
            report["redis"] = "error"
        healthy = healthy and report["redis"] == "ok"
    report["status"] = "ok" if healthy else "error"
    return healthy, report
