"""The canonical form and SHA-256 chain of timeline events (pure, no I/O)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

GENESIS = "0" * 64


def canonical_at(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_payload(payload: dict) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def event_hash(
    *,
    case_id: int,
    seq: int,
    kind: str,
    actor_user_id: int | None,
    actor_label: str,
    at: datetime,
    payload: str,
    prev_hash: str,
) -> str:
    """SHA-256 over a canonical JSON array of every field of the event."""
    body = json.dumps(
        [case_id, seq, kind, actor_user_id, actor_label, canonical_at(at), payload, prev_hash],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()
