"""The one place that records access to cases and exports.

``record`` writes in the caller's transaction, so a read and its log row commit
together. ``deny`` writes in a transaction of its own, so a refusal is kept even
when the caller's work is rolled back."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlmodel import Session

from kb_app.db import session_scope
from kb_app.domain.access import Actor
from kb_app.models import AccessLog

log = logging.getLogger(__name__)


def _case_id(case_id: Any) -> int | None:
    """A probe may name anything: keep only what can be a case id."""
    return case_id if isinstance(case_id, int) and 0 < case_id < 2**62 else None


def record(
    s: Session,
    actor: Actor | None,
    what: str,
    *,
    now: datetime,
    case_id: Any = None,
    allowed: bool = True,
) -> None:
    s.add(
        AccessLog(
            user_id=actor.user_id if actor else None,
            case_id=_case_id(case_id),
            at=now,
            action=str(what)[:32],
            allowed=allowed,
        )
    )


def deny(actor: Actor | None, what: str, *, now: datetime, case_id: Any = None) -> None:
    """Record a refusal in its own transaction (never rolled back with the work)."""
    log.info(
        "denied %s on case %s to user %s",
        what,
        _case_id(case_id),
        actor.user_id if actor else "anonymous",
    )
    with session_scope() as s:
        record(s, actor, what, now=now, case_id=case_id, allowed=False)
