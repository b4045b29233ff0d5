"""Retention (gallring): when a closed case is due, and what its thinning keeps.

Pure: the caller supplies the dates and payloads. The organisation keeps a closed
case ``retention_years`` after its closing; then it is proposed for the gallring,
and once an organiser approves, the personal data and free text are removed while
the statistics fields stay (services/retention/gallring.py).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from kb_app.domain.fmt import TZ


class Handling(StrEnum):
    """What happens when the retention period has passed (OrgSetting.retention_action)."""

    THIN = "thin"  # thin out
    ARCHIVE_FIRST = "archive_first"  # deliver to the e-archive, then thin out


HANDLING_LABELS = {
    Handling.THIN: "Gallra",
    Handling.ARCHIVE_FIRST: "Leverera till e-arkiv, sedan gallra",
}


class ProposalState(StrEnum):
    PENDING = "pending"  # on the list, waiting for an organiser
    THINNED = "thinned"  # approved and thinned out
    TAKEN_OFF = "taken_off"  # taken off the list by an organiser, with a reason
    DROPPED = "dropped"  # no longer due (a legal hold set, the case reopened)


PROPOSAL_STATE_LABELS = {
    ProposalState.PENDING: "Föreslås",
    ProposalState.THINNED: "Gallrat",
    ProposalState.TAKEN_OFF: "Borttaget från listan",
    ProposalState.DROPPED: "Inte längre aktuellt",
}

# A case taken off the list is proposed again at the earliest this long after.
RETAKE_AFTER_DAYS = 365

REASON_MIN, REASON_MAX = 3, 500

THINNED_TEXT = "[Gallrat]"

# Payload keys whose string values are codes, dates or staff names (kept like the
# events' actor labels: who did what stays proven), never free text about people.
KEPT_STRING_KEYS = frozenset(
    {
        "reference",
        "conclusion",
        "guardians_contacted_on",
        "followed_up_on",
        "context",
        "type",
        "level",
        "step",
        "investigator",
        "organiser",
        "talks",
    }
)


def due_on(closed_at: datetime, years: int) -> date:
    """The Swedish calendar day the retention period of a case closed at ``closed_at`` ends."""
    day = closed_at.astimezone(TZ).date()
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def is_due(closed_at: datetime | None, years: int, today: date) -> bool:
    return closed_at is not None and due_on(closed_at, years) <= today


def redacted_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """An event's payload without its free text: numbers, yes/no and codes stay
    (a conclusion, a date, how many measures), every other text goes."""
    out: dict[str, Any] = {}
    for key, value in payload.items():
        if value is None or isinstance(value, bool | int | float):
            out[key] = value
        elif key in KEPT_STRING_KEYS and isinstance(value, str):
            out[key] = value
        elif key in KEPT_STRING_KEYS and isinstance(value, list):
            out[key] = [v for v in value if isinstance(v, str) and len(v) <= 32]
        elif isinstance(value, list):
            out[key + "_count"] = len(value)
    out["gallrad"] = True
    return out


REPORTER_SUFFIX = "(anmälare)"
REPORTER_LABEL = "Anmälare"


def redacted_label(label: str) -> str:
    """An event's actor label without the reporter's name (staff who acted keep theirs)."""
    return REPORTER_LABEL if label.endswith(REPORTER_SUFFIX) else label


def needs_redaction(payload: dict[str, Any], label: str = "") -> bool:
    return (
        redacted_payload(payload) != {**payload, "gallrad": True} or redacted_label(label) != label
    )
