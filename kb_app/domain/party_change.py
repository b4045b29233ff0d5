"""Correcting the parties of an open case (pure): who may be added or changed, and
the reason every change needs. The old and new values go to the timeline
(``change_payload``); the case page and the case file show them (``case_text``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kb_app.domain.report import (
    MAX_PARTIES,
    NAME_MAX,
    PARTY_KIND_CODES,
    CleanParty,
    PartyInput,
    _as_text,
    _class_and_grade,
    _text_field,
    clean_text,
)

ROLES = ("subjected", "involved", "witness")
REASON_MIN = 5
REASON_MAX = 1000

MSG_REASON = "Ange varför uppgiften ändras."
MSG_ROLE = "Välj vilken roll personen har."
MSG_KIND = "Välj vem personen är."
MSG_NAME = "Skriv namnet på den som blev utsatt."
MSG_LAST_SUBJECTED = "Ärendet måste ha minst en utsatt person."
MSG_TOO_MANY = f"Ärendet har redan {MAX_PARTIES} personer med den rollen."
MSG_UNKNOWN = "Personen finns inte längre i ärendet. Ladda om sidan."
MSG_CLOSED = "Ärendet är avslutat. Återöppna det för att ändra personerna."
MSG_UNCHANGED = "Inget har ändrats."


@dataclass(frozen=True)
class PartyValues:
    """A party as the timeline records it."""

    role: str
    kind: str
    name: str
    class_name: str
    grade: str

    def as_dict(self) -> dict[str, str]:
        return {
            "role": self.role,
            "kind": self.kind,
            "name": self.name,
            "class_name": self.class_name,
            "grade": self.grade,
        }


def check_reason(raw: Any, errors: dict[str, str]) -> str:
    reason = clean_text(raw, multiline=True) if isinstance(raw, str) else ""
    if not reason:
        errors["reason"] = MSG_REASON
    elif len(reason) < REASON_MIN:
        errors["reason"] = f"Skriv minst {REASON_MIN} tecken om varför."
    elif len(reason) > REASON_MAX:
        errors["reason"] = f"Texten får vara högst {REASON_MAX} tecken."
    return reason


def check_party(
    raw: Mapping[str, Any],
    *,
    classes: Mapping[str, str] | None = None,
    old: PartyValues | None = None,
) -> tuple[PartyValues | None, dict[str, str]]:
    """A party from a form (``role``, ``kind``, ``name``, ``class_name``): the clean
    values, or None and Swedish errors keyed by field. A subjected person is a
    pupil and needs a name; the others need their kind. The grade follows a known
    class of the unit; an unchanged class keeps the party's grade."""
    raw = raw if isinstance(raw, Mapping) else {}
    errors: dict[str, str] = {}
    role = _as_text(raw.get("role")).strip()
    if role not in ROLES:
        errors["role"] = MSG_ROLE
    kind = "pupil" if role == "subjected" else _as_text(raw.get("kind")).strip()
    if role != "subjected" and kind not in PARTY_KIND_CODES:
        errors["kind"] = MSG_KIND
    name = _text_field(
        errors,
        "name",
        raw.get("name"),
        label="Namnet",
        limit=NAME_MAX,
        required=MSG_NAME if role == "subjected" else None,
    )
    row = PartyInput(name=name, class_name=_as_text(raw.get("class_name")), kind=kind)
    sub: dict[str, str] = {}
    class_name, grade = _class_and_grade(sub, "p", row, classes or {})
    errors.update({k.removeprefix("p."): v for k, v in sub.items()})
    if old is not None and class_name == old.class_name:
        grade = old.grade
    if errors:
        return None, errors
    return PartyValues(role, kind, name, class_name, grade), {}


def values_of(p: CleanParty | Any) -> PartyValues:
    """The recorded values of a stored party (or a clean report's)."""
    return PartyValues(p.role, p.kind, p.name, p.class_name, p.grade)


def change_payload(
    change: str, reason: str, old: PartyValues | None, new: PartyValues | None
) -> dict:
    """The timeline payload of ``added``, ``corrected`` or ``removed``."""
    payload: dict = {"change": change, "reason": reason}
    if old is not None:
        payload["old"] = old.as_dict()
    if new is not None:
        payload["new"] = new.as_dict()
    return payload
