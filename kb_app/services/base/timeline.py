"""Appending to a case's hash-chained timeline (the only way events are written)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import func
from sqlmodel import Session, select

from kb_app.domain.hashing import (
    CASE_SEAL_FIELDS,
    GENESIS,
    PARTY_SEAL_FIELDS,
    canonical_payload,
    case_seal,
    event_hash,
    row_fields,
)
from kb_app.domain.process import Step
from kb_app.domain.statistics import STEP_DAY_COLUMNS, working_days
from kb_app.models import Case, CaseEvent, Party
from kb_app.settings import audit_key


def seal_of(session: Session, case: Case) -> str:
    """The seal of the case row and its parties as they are in this transaction."""
    parties = session.exec(select(Party).where(Party.case_id == case.id)).all()
    return case_seal(
        audit_key(),
        row_fields(case, CASE_SEAL_FIELDS),
        [row_fields(p, PARTY_SEAL_FIELDS) for p in parties],
    )


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
    """Append one event after the case's last one, chaining its keyed hash and
    sealing the case row and its parties as they are now (so a change to them is
    made before the event that records it).

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
    fields = dict(
        case_id=case.id,
        seq=seq,
        kind=str(kind),
        actor_user_id=actor_user_id,
        actor_label=actor_label,
        at=at,
        payload=body,
        prev_hash=prev,
        seal=seal_of(session, case),
    )
    ev = CaseEvent(**fields, hash=event_hash(audit_key(), **fields))
    session.add(ev)
    session.flush()
    record_step_days(session, case, str(kind), at)
    return ev


def record_step_days(session: Session, case: Case, kind: str, at: datetime) -> None:
    """At a step's first completion, keep on the case how many working days it took
    from the step before it (statistics read these instead of the timeline)."""
    spec = STEP_DAY_COLUMNS.get(kind)
    if spec is None or getattr(case, spec[0]) is not None:
        return
    column, prev = spec
    if prev == Step.REPORTED:
        prev_at = case.reported_at
    else:
        prev_at = session.exec(
            select(func.min(CaseEvent.at)).where(
                CaseEvent.case_id == case.id, CaseEvent.kind == str(prev)
            )
        ).one()
    if prev_at is None:
        return
    if prev_at.tzinfo is None:  # SQLite aggregate returns the stored naive UTC text
        prev_at = prev_at.replace(tzinfo=UTC)
    setattr(case, column, working_days(prev_at, at))
    session.add(case)


def event_payload(ev: CaseEvent) -> dict:
    return json.loads(ev.payload or "{}")
