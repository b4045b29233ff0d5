"""Conflict of interest (jäv), pure: which users a report names as involved.

A user is suspected when an involved party of the case (not a pupil) has the
user's normalised name (``report.name_key``, the rule "Upprepade händelser" uses)
and the user has a role at the case's unit. A suspected user is excluded at once;
the organiser confirms (stays excluded) or rejects (the user is back) the match.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from kb_app.domain.report import name_key


class ConflictStatus(StrEnum):
    SUSPECTED = "suspected"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


# The statuses under which the user is kept away from the case.
EXCLUDING = (ConflictStatus.SUSPECTED, ConflictStatus.CONFIRMED)

STATUS_LABELS = {
    ConflictStatus.SUSPECTED: "misstänkt, ej bekräftad",
    ConflictStatus.CONFIRMED: "bekräftad av huvudmannen",
    ConflictStatus.REJECTED: "avvisad av huvudmannen",
}

MSG_DECISION = "Välj om jävet ska bekräftas eller avvisas."


@dataclass(frozen=True)
class Candidate:
    """A user with a role at the case's unit."""

    user_id: int
    name: str


@dataclass(frozen=True)
class NamedParty:
    party_id: int | None
    role: str  # subjected, involved
    kind: str  # pupil, staff, unknown, external
    name: str


@dataclass(frozen=True)
class Match:
    user_id: int
    party_id: int | None


def matches(parties: Iterable[NamedParty], candidates: Iterable[Candidate]) -> list[Match]:
    """The candidates an involved, non-pupil party names (one match per user)."""
    by_key: dict[str, NamedParty] = {}
    for p in parties:
        key = name_key(p.name)
        if p.role == "involved" and p.kind != "pupil" and key and key not in by_key:
            by_key[key] = p
    found: dict[int, Match] = {}
    for c in candidates:
        party = by_key.get(name_key(c.name))
        if party is not None and c.user_id not in found:
            found[c.user_id] = Match(c.user_id, party.party_id)
    return list(found.values())


def banner(names: Iterable[str]) -> str:
    """The case page's banner for the excluded users' names (may be empty)."""
    names = [n for n in names if n]
    if not names:
        return ""
    who = " och ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
    verb = (
        "är involverade och har kopplats bort"
        if len(names) > 1
        else "är involverad och har kopplats bort"
    )
    return (
        f"Jävsituation: {who} {verb} från ärendet. Huvudmannen ansvarar för ärendet "
        "och dess nästa steg."
    )


def decision(value: object) -> ConflictStatus | None:
    """The organiser's answer to a suspected match, or None if it is neither."""
    if isinstance(value, str) and value in ("confirmed", "confirm"):
        return ConflictStatus.CONFIRMED
    if isinstance(value, str) and value in ("rejected", "reject"):
        return ConflictStatus.REJECTED
    return None
