"""The one place that records access to cases and exports.

``record`` writes in the caller's transaction, so a read and its log row commit
together. ``record_alone`` and ``deny`` commit the row apart from the caller's
work (a refusal is kept even when that work is rolled back) before they return:
rows of concurrent callers share one transaction (``group_commit``), as the
overview logs every view of every open overview."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlmodel import Session

from kb_app.db import get_engine
from kb_app.domain.access import Actor
from kb_app.models import AccessLog
from kb_app.services.base.group_commit import GroupInsert

log = logging.getLogger(__name__)


def _case_id(case_id: Any) -> int | None:
    """A probe may name anything: keep only what can be a case id."""
    return case_id if isinstance(case_id, int) and 0 < case_id < 2**62 else None


def _row(actor: Actor | None, what: str, now: datetime, case_id: Any, allowed: bool) -> dict:
    return {
        "user_id": actor.user_id if actor else None,
        "case_id": _case_id(case_id),
        "at": now,
        "action": str(what)[:32],
        "allowed": allowed,
    }


def record(
    s: Session,
    actor: Actor | None,
    what: str,
    *,
    now: datetime,
    case_id: Any = None,
    allowed: bool = True,
) -> None:
    s.add(AccessLog(**_row(actor, what, now, case_id, allowed)))


_WRITER = GroupInsert(AccessLog.__table__)


def record_alone(
    actor: Actor | None,
    what: str,
    *,
    now: datetime,
    case_id: Any = None,
    allowed: bool = True,
) -> None:
    """One row, committed apart from the caller's transaction before this returns."""
    _WRITER.insert(get_engine(), _row(actor, what, now, case_id, allowed))


def deny(actor: Actor | None, what: str, *, now: datetime, case_id: Any = None) -> None:
    """Record a refusal in its own transaction (never rolled back with the work)."""
    log.info(
        "denied %s on case %s to user %s",
        what,
        _case_id(case_id),
        actor.user_id if actor else "anonymous",
    )
    record_alone(actor, what, now=now, case_id=case_id, allowed=False)
