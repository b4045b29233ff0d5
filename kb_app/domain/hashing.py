"""The canonical forms and keyed hashes of the audit chain (pure, no I/O).

Every hash is an HMAC-SHA256 under the audit key, which lives in a file outside
the database (settings.audit_key): whoever can edit the database but not read
that file cannot recompute a hash after an edit.

- ``event_hash``: one timeline event, chained to the previous event's hash, and
  carrying the ``seal`` of the case at that moment.
- ``case_seal``: the case row's audited fields and its parties. The seal is 64
  hex digits: the first 32 cover the case row, the last 32 its parties, so a
  broken seal says which of the two was changed.
- ``checkpoint_signature``: a signed checkpoint of every chain's head.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

GENESIS = "0" * 64

# The case row's fields a seal covers: who, where, when and what was reported. The
# workflow fields (step, responsible, due and closing dates, conclusion, step
# days, updated_at) follow from the timeline and change after the event that
# causes them, so they are not sealed.
CASE_SEAL_FIELDS = (
    "id",
    "organisation_id",
    "unit_id",
    "reference",
    "year",
    "number",
    "reported_at",
    "class_name",
    "grade",
    "occurred_on",
    "occurred_time",
    "place",
    "place_other",
    "description",
    "kinds",
    "grounds",
    "immediate_actions",
    "guardians_informed",
    "witnesses",
    "staff_involved",
    "reporter_name",
    "reporter_email",
    "reporter_role",
)
PARTY_SEAL_FIELDS = ("id", "case_id", "role", "kind", "name", "class_name", "grade")


def canonical_at(at: datetime) -> str:
    if at.tzinfo is None:  # a stored naive value is UTC (dbtypes.UTCDateTime)
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_payload(payload: dict) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _value(v: Any) -> Any:
    if isinstance(v, datetime):
        return canonical_at(v)
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, bool):
        return int(v)
    return v


def _mac(key: bytes, domain: str, body: str) -> str:
    return hmac.new(key, f"{domain}\x00{body}".encode(), hashlib.sha256).hexdigest()


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def case_part(key: bytes, case: Mapping[str, Any]) -> str:
    return _mac(key, "case", _dumps([_value(case[f]) for f in CASE_SEAL_FIELDS]))[:32]


def parties_part(key: bytes, parties: Iterable[Mapping[str, Any]]) -> str:
    rows = sorted(([_value(p[f]) for f in PARTY_SEAL_FIELDS] for p in parties), key=lambda r: r[0])
    return _mac(key, "parties", _dumps(rows))[:32]


def case_seal(key: bytes, case: Mapping[str, Any], parties: Iterable[Mapping[str, Any]]) -> str:
    """The seal of a case row and its parties (plain mappings of field → value)."""
    return case_part(key, case) + parties_part(key, parties)


def row_fields(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The sealed fields of a model object (or any object with those attributes)."""
    return {f: getattr(obj, f) for f in fields}


def event_hash(
    key: bytes,
    *,
    case_id: int,
    seq: int,
    kind: str,
    actor_user_id: int | None,
    actor_label: str,
    at: datetime,
    payload: str,
    prev_hash: str,
    seal: str,
) -> str:
    """HMAC-SHA256 over a canonical JSON array of every field of the event."""
    body = _dumps(
        [case_id, seq, kind, actor_user_id, actor_label, canonical_at(at), payload, prev_hash, seal]
    )
    return _mac(key, "event", body)


def checkpoint_body(at: datetime, heads: Mapping[int, tuple[int, str, str]]) -> str:
    """The signed part of a checkpoint: when, and per case id its event count,
    latest hash and reference (so the set of case ids too)."""
    return _dumps(
        {
            "at": canonical_at(at),
            "heads": {str(cid): list(head) for cid, head in sorted(heads.items())},
        }
    )


def checkpoint_signature(key: bytes, body: str) -> str:
    return _mac(key, "checkpoint", body)


def signature_ok(key: bytes, body: str, signature: str) -> bool:
    return hmac.compare_digest(checkpoint_signature(key, body), str(signature))
