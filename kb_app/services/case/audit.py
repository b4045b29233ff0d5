"""Verifying the hash chain of every case's timeline (``kb-app audit verify``).

Each event stores the hash of the event before it and its own SHA-256 over a
canonical form (domain/hashing.py). Recomputing the chain finds an edited event
(its hash no longer matches), a removed or inserted one (sequence or link
broken), even when the database triggers were bypassed to make the change.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlmodel import Session, select

from kb_app.db import read_scope
from kb_app.domain.hashing import GENESIS, event_hash
from kb_app.models import Case, CaseEvent

BATCH = 500


@dataclass(frozen=True)
class Broken:
    case_id: int
    reference: str
    seq: int
    reason: str

    def message(self) -> str:
        return f"Ärende {self.reference} (id {self.case_id}), händelse nr {self.seq}: {self.reason}"


@dataclass(frozen=True)
class AuditResult:
    cases: int
    events: int
    broken: Broken | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def check_chain(case: Case, events: list[CaseEvent]) -> Broken | None:
    """The first broken event of one case's chain (events in seq order), or None."""
    prev = GENESIS
    for expected_seq, ev in enumerate(events, start=1):
        if ev.seq != expected_seq:
            return Broken(
                case.id, case.reference, ev.seq, f"händelse nr {expected_seq} saknas i kedjan"
            )
        if ev.prev_hash != prev:
            return Broken(
                case.id, case.reference, ev.seq, "länken till föregående händelse stämmer inte"
            )
        recomputed = event_hash(
            case_id=ev.case_id,
            seq=ev.seq,
            kind=ev.kind,
            actor_user_id=ev.actor_user_id,
            actor_label=ev.actor_label,
            at=ev.at,
            payload=ev.payload,
            prev_hash=ev.prev_hash,
        )
        if recomputed != ev.hash:
            return Broken(
                case.id, case.reference, ev.seq, "innehållet har ändrats (hashen stämmer inte)"
            )
        prev = ev.hash
    return None


def _cases(s: Session) -> Iterator[Case]:
    last = 0
    while True:
        batch = list(s.exec(select(Case).where(Case.id > last).order_by(Case.id).limit(BATCH)))
        if not batch:
            return
        yield from batch
        last = batch[-1].id


def verify_all() -> AuditResult:
    """Walk every case's chain; stop at the first broken event."""
    cases = events = 0
    with read_scope() as s:
        for case in _cases(s):
            evs = list(
                s.exec(
                    select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
                )
            )
            cases += 1
            events += len(evs)
            broken = check_chain(case, evs)
            if broken is not None:
                return AuditResult(cases, events, broken)
        # Events whose case is gone would escape the walk above.
        orphan = s.exec(
            select(CaseEvent).where(CaseEvent.case_id.not_in(select(Case.id))).limit(1)
        ).first()
        if orphan is not None:
            return AuditResult(
                cases,
                events,
                Broken(orphan.case_id, "?", orphan.seq, "händelsen hör inte till något ärende"),
            )
    return AuditResult(cases, events, None)
