"""The record that proves itself: ``kb-app audit verify`` and ``audit checkpoint``.

Each timeline event stores the keyed hash (HMAC-SHA256, domain/hashing.py) of the
event before it and its own, over every field of the event and the ``seal`` of
the case row and its parties at that moment. The key lives in a file outside the
database (settings.audit_key), so an edit made with the database alone, even with
the triggers bypassed and every hash recomputed, no longer verifies.

What the chain alone cannot show (its end cut off, a whole case removed) is
anchored by checkpoints: the head of every case's chain (case id → event count
and latest hash, so also the set of case ids), signed with the same key and
appended to a file in the data folder and written into the log, daily by the
scheduler and by ``kb-app audit checkpoint``.

The gallring (services/retention) is the one change an event may undergo: it
replaces the free text of a thinned case's events by their redacted payloads
(``redacted`` set, every other column, the stored hash included, as it was, so
the chain's links and the checkpoints still hold), and appends a ``thinned``
event listing, per redacted event, the keyed hash of the event as it now is. A
redacted event verifies against that hash, which the ``thinned`` event's own hash
covers: an edit of a redacted event, or of the list, still shows, and an event
marked redacted without such an event is an edited one.

``verify_all`` walks every case and names each finding's case and kind:
an edited (or rehashed) event, a broken chain, a deleted tail, an edited case
row, an edited party, a deleted case, a forged checkpoint.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, select

from kb_app.db import read_scope
from kb_app.domain.hashing import (
    CASE_SEAL_FIELDS,
    GENESIS,
    PARTY_SEAL_FIELDS,
    canonical_at,
    case_part,
    checkpoint_body,
    checkpoint_signature,
    event_hash,
    parties_part,
    row_fields,
    signature_ok,
)
from kb_app.domain.process import EventKind
from kb_app.models import Case, CaseEvent, Party
from kb_app.settings import audit_key, get_settings, private_dir

log = logging.getLogger("kb_app.audit")

BATCH = 500


class Kind(StrEnum):
    EVENT_EDITED = "event_edited"
    CHAIN_BROKEN = "chain_broken"
    TAIL_DELETED = "tail_deleted"
    HISTORY_REWRITTEN = "history_rewritten"
    CASE_EDITED = "case_edited"
    PARTY_EDITED = "party_edited"
    CASE_DELETED = "case_deleted"
    ORPHAN_EVENT = "orphan_event"
    CHECKPOINT_FORGED = "checkpoint_forged"


KIND_LABELS = {
    Kind.EVENT_EDITED: "ändrad händelse",
    Kind.CHAIN_BROKEN: "bruten kedja",
    Kind.TAIL_DELETED: "raderade händelser i slutet",
    Kind.HISTORY_REWRITTEN: "omskriven tidslinje",
    Kind.CASE_EDITED: "ändrat ärende",
    Kind.PARTY_EDITED: "ändrad part",
    Kind.CASE_DELETED: "raderat ärende",
    Kind.ORPHAN_EVENT: "händelse utan ärende",
    Kind.CHECKPOINT_FORGED: "förfalskad kontrollpunkt",
}


@dataclass(frozen=True)
class Finding:
    kind: Kind
    case_id: int | None
    reference: str
    seq: int | None
    reason: str

    def message(self) -> str:
        label = KIND_LABELS[self.kind]
        if self.case_id is None:
            return f"{label}: {self.reason}"
        where = f"Ärende {self.reference} (id {self.case_id})"
        if self.seq is not None:
            where += f", händelse nr {self.seq}"
        return f"{where}: {label}: {self.reason}"


# The name the first version of this module used.
Broken = Finding


@dataclass(frozen=True)
class Checkpoint:
    at: str
    heads: dict[int, tuple[int, str, str]]  # case id → (events, latest hash, reference)
    line: int


@dataclass
class AuditResult:
    cases: int
    events: int
    findings: list[Finding] = field(default_factory=list)
    checkpoint: Checkpoint | None = None

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def broken(self) -> Finding | None:
        return self.findings[0] if self.findings else None


def redaction_hashes(events: list[CaseEvent]) -> dict[int, str]:
    """seq → the keyed hash of the redacted event, from the case's ``thinned``
    events (only for events before the one that lists them)."""
    out: dict[int, str] = {}
    for ev in events:
        if ev.kind != EventKind.THINNED:
            continue
        try:
            listed = json.loads(ev.payload or "{}").get("redacted", [])
            for seq, digest in listed:
                if int(seq) < ev.seq:
                    out[int(seq)] = str(digest)
        except (ValueError, TypeError, AttributeError):
            continue  # a forged list: the thinned event's own hash shows it
    return out


def stored_event_hash(key: bytes, ev: CaseEvent) -> str:
    """The keyed hash of an event as its row stands now."""
    return event_hash(
        key,
        case_id=ev.case_id,
        seq=ev.seq,
        kind=ev.kind,
        actor_user_id=ev.actor_user_id,
        actor_label=ev.actor_label,
        at=ev.at,
        payload=ev.payload,
        prev_hash=ev.prev_hash,
        seal=ev.seal,
    )


def check_chain(case: Case, events: list[CaseEvent], key: bytes | None = None) -> Finding | None:
    """The first broken event of one case's chain (events in seq order), or None."""
    key = key or audit_key()
    redacted = redaction_hashes(events)
    prev = GENESIS
    for expected_seq, ev in enumerate(events, start=1):
        if ev.seq != expected_seq:
            return Finding(
                Kind.CHAIN_BROKEN,
                case.id,
                case.reference,
                ev.seq,
                f"händelse nr {expected_seq} saknas i kedjan",
            )
        if ev.prev_hash != prev:
            return Finding(
                Kind.CHAIN_BROKEN,
                case.id,
                case.reference,
                ev.seq,
                "länken till föregående händelse stämmer inte",
            )
        recomputed = stored_event_hash(key, ev)
        expected = ev.hash
        if ev.redacted:
            if ev.seq not in redacted:
                return Finding(
                    Kind.EVENT_EDITED,
                    case.id,
                    case.reference,
                    ev.seq,
                    "markerad som gallrad utan någon gallringshändelse",
                )
            expected = redacted[ev.seq]
        if recomputed != expected:
            return Finding(
                Kind.EVENT_EDITED,
                case.id,
                case.reference,
                ev.seq,
                "innehållet har ändrats (hashen stämmer inte)",
            )
        prev = ev.hash
    return None


def check_seal(
    case: Case, events: list[CaseEvent], parties: list[Party], key: bytes
) -> list[Finding]:
    """The case row and its parties against the seal of the case's latest event."""
    if not events:
        return [
            Finding(Kind.TAIL_DELETED, case.id, case.reference, None, "ärendet saknar händelser")
        ]
    last = events[-1]
    out = []
    if case_part(key, row_fields(case, CASE_SEAL_FIELDS)) != last.seal[:32]:
        out.append(
            Finding(
                Kind.CASE_EDITED,
                case.id,
                case.reference,
                None,
                f"ärendets uppgifter stämmer inte med sigillet i händelse nr {last.seq}",
            )
        )
    if parties_part(key, [row_fields(p, PARTY_SEAL_FIELDS) for p in parties]) != last.seal[32:]:
        out.append(
            Finding(
                Kind.PARTY_EDITED,
                case.id,
                case.reference,
                None,
                f"ärendets parter stämmer inte med sigillet i händelse nr {last.seq}",
            )
        )
    return out


def check_head(case: Case, events: list[CaseEvent], cp: Checkpoint) -> Finding | None:
    """The case's chain against its head at the checkpoint."""
    head = cp.heads.get(case.id)
    if head is None:
        return None
    count, head_hash, _ = head
    if len(events) < count:
        return Finding(
            Kind.TAIL_DELETED,
            case.id,
            case.reference,
            None,
            f"kontrollpunkten {cp.at} har {count} händelser, databasen {len(events)}",
        )
    if count and events[count - 1].hash != head_hash:
        return Finding(
            Kind.HISTORY_REWRITTEN,
            case.id,
            case.reference,
            count,
            f"hashen skiljer sig från kontrollpunkten {cp.at}",
        )
    return None


# ------------------------------------------------------------------ checkpoints


def checkpoint_path() -> Path:
    return get_settings().audit_checkpoint_file


def read_checkpoints(
    key: bytes, path: Path | None = None
) -> tuple[Checkpoint | None, list[Finding]]:
    """The latest checkpoint with a valid signature, and a finding per line whose
    signature (or form) does not hold."""
    path = path or checkpoint_path()
    if not path.exists():
        return None, []
    findings: list[Finding] = []
    latest: tuple[int, str] | None = None
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                body, sig = entry["body"], entry["signature"]
                good = isinstance(body, str) and signature_ok(key, body, sig)
            except (ValueError, KeyError, TypeError):
                good = False
            if not good:
                findings.append(
                    Finding(
                        Kind.CHECKPOINT_FORGED,
                        None,
                        "",
                        None,
                        f"rad {n} i {path.name}: signaturen stämmer inte",
                    )
                )
                continue
            latest = (n, body)
    if latest is None:
        return None, findings
    n, body = latest
    data = json.loads(body)
    heads = {int(cid): (int(c), str(h), str(r)) for cid, (c, h, r) in data["heads"].items()}
    return Checkpoint(data["at"], heads, n), findings


def _heads(s: Session) -> dict[int, tuple[int, str, str]]:
    """Every case's chain head: (its last event's seq, that event's hash, the
    case's reference)."""
    last = (
        select(CaseEvent.case_id, func.max(CaseEvent.seq).label("seq"))
        .group_by(CaseEvent.case_id)
        .subquery()
    )
    rows = s.exec(
        select(Case.id, CaseEvent.seq, CaseEvent.hash, Case.reference)
        .outerjoin(last, last.c.case_id == Case.id)
        .outerjoin(CaseEvent, (CaseEvent.case_id == Case.id) & (CaseEvent.seq == last.c.seq))
    ).all()
    return {cid: (seq or 0, h or GENESIS, ref) for cid, seq, h, ref in rows}


@dataclass(frozen=True)
class CheckpointResult:
    written: bool
    cases: int
    signature: str
    verify: AuditResult


def write_checkpoint(*, now: datetime) -> CheckpointResult:
    """Verify, then append a signed checkpoint of every chain head to the
    checkpoint file and the log. When the verification finds anything, no
    checkpoint is written, so the last good one keeps anchoring what was there."""
    result = verify_all()
    if not result.ok:
        for f in result.findings:
            log.error("audit checkpoint not written: %s", f.message())
        return CheckpointResult(False, result.cases, "", result)
    key = audit_key()
    with read_scope() as s:
        heads = _heads(s)
    body = checkpoint_body(now, heads)
    signature = checkpoint_signature(key, body)
    path = checkpoint_path()
    private_dir(path.parent)
    line = json.dumps({"body": body, "signature": signature}, ensure_ascii=False) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    log.info(
        "audit checkpoint %s: %d cases, %d events, signature %s",
        canonical_at(now),
        len(heads),
        sum(head[0] for head in heads.values()),
        signature,
    )
    return CheckpointResult(True, len(heads), signature, result)


# ----------------------------------------------------------------------- verify


def _case_batches(s: Session) -> Iterator[list[Case]]:
    last = 0
    while True:
        batch = list(s.exec(select(Case).where(Case.id > last).order_by(Case.id).limit(BATCH)))
        if not batch:
            return
        yield batch
        last = batch[-1].id


def verify_all() -> AuditResult:
    """Walk every case's chain, seal and head; list every finding."""
    key = audit_key()
    cp, findings = read_checkpoints(key)
    result = AuditResult(0, 0, findings, cp)
    seen: set[int] = set()
    with read_scope() as s:
        for batch in _case_batches(s):
            ids = [c.id for c in batch]
            events: dict[int, list[CaseEvent]] = {i: [] for i in ids}
            for ev in s.exec(
                select(CaseEvent)
                .where(CaseEvent.case_id.in_(ids))
                .order_by(CaseEvent.case_id, CaseEvent.seq)
            ):
                events[ev.case_id].append(ev)
            parties: dict[int, list[Party]] = {i: [] for i in ids}
            for p in s.exec(select(Party).where(Party.case_id.in_(ids))):
                parties[p.case_id].append(p)
            for case in batch:
                evs = events[case.id]
                seen.add(case.id)
                result.cases += 1
                result.events += len(evs)
                broken = check_chain(case, evs, key)
                if broken is not None:
                    result.findings.append(broken)
                else:
                    result.findings += check_seal(case, evs, parties[case.id], key)
                if cp is not None:
                    head = check_head(case, evs, cp)
                    if head is not None:
                        result.findings.append(head)
        # Events whose case is gone would escape the walk above.
        for case_id, seq in s.exec(
            select(CaseEvent.case_id, func.min(CaseEvent.seq))
            .where(CaseEvent.case_id.not_in(select(Case.id)))
            .group_by(CaseEvent.case_id)
        ):
            result.findings.append(
                Finding(
                    Kind.ORPHAN_EVENT, case_id, "?", seq, "händelsen hör inte till något ärende"
                )
            )
    if cp is not None:
        for case_id in sorted(set(cp.heads) - seen):
            count, _, reference = cp.heads[case_id]
            result.findings.append(
                Finding(
                    Kind.CASE_DELETED,
                    case_id,
                    reference,
                    None,
                    f"fanns i kontrollpunkten {cp.at} med {count} händelser, saknas nu",
                )
            )
    return result
