"""Appending to a case's hash-chained timeline (the only way events are written)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlmodel import Session, select

from kb_app.domain.hashing import GENESIS, canonical_payload, event_hash
from kb_app.models import Case, CaseEvent


def append_event(
    session: Session,
    case: Case,
    kind: str,
    *,
    at: datetime,
    actor_user_id: int | None = None,
    actor_label: str = "",
    payload: dict | None = None,
) -> CaseEvent:
    """Append one event after the case's last one, chaining its hash.

    The caller holds the write transaction that also changes the case, so the
    sequence number cannot race (UNIQUE(case_id, seq) guards it anyway).
    """
    last = session.exec(
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id)
        .order_by(CaseEvent.seq.desc())
        .limit(1)
    ).first()
    seq = (last.seq + 1) if last else 1
    prev = last.hash if last else GENESIS
    body = canonical_payload(payload or {})
    ev = CaseEvent(
        case_id=case.id,
        seq=seq,
        kind=str(kind),
        actor_user_id=actor_user_id,
        actor_label=actor_label,
        at=at,
        payload=body,
        prev_hash=prev,
        hash=event_hash(
            case_id=case.id,
            seq=seq,
            kind=str(kind),
            actor_user_id=actor_user_id,
            actor_label=actor_label,
            at=at,
            payload=body,
            prev_hash=prev,
        ),
    )
    session.add(ev)
    session.flush()
    return ev


def event_payload(ev: CaseEvent) -> dict:
    return json.loads(ev.payload or "{}")
