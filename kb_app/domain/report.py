"""The staff report form: normalising and validating what a reporter typed (pure).

``validate`` takes exactly what the page holds (strings and lists of strings) and
answers either a clean report or field errors in Swedish, never an exception, for
any input at all: unicode, markup, control characters or huge pastes. Markup is
kept as text (pages render it as text, never as HTML).

Error keys are the field names; rows of persons use ``subjected.<i>.<field>`` and
``involved.<i>.<field>`` and ``witness.<i>.<field>``; ``FORM`` is for errors about the whole form.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from kb_app.domain.fmt import local
from kb_app.domain.vocab import (
    GRADES,
    GROUND_CODES,
    GUARDIANS_INFORMED,
    KIND_CODES,
    PARTY_KINDS,
    PLACES,
    REPORTER_ROLES,
)

FORM = "form"

NAME_MAX = 200
EMAIL_MAX = 254
CLASS_MAX = 100
PLACE_OTHER_MAX = 200
DESCRIPTION_MIN = 10
DESCRIPTION_MAX = 10_000
ACTIONS_MAX = 5_000
WITNESSES_MAX = 2_000
SUPPLEMENT_MIN = 2
SUPPLEMENT_MAX = 5_000
MAX_PARTIES = 20  # rows per list
OLDEST_YEARS = 10  # an incident date further back is almost surely a typo

PLACE_CODES = [code for code, _ in PLACES]
ROLE_CODES = [code for code, _ in REPORTER_ROLES]
PARTY_KIND_CODES = [code for code, _ in PARTY_KINDS]
GUARDIAN_CODES = [code for code, _ in GUARDIANS_INFORMED]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
# Bidirectional embedding/override/isolate controls and the byte-order mark: they
# can make text display differently from what it is, and are never needed in a form.
_INVISIBLE = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF])
_LINE_BREAKS = str.maketrans({"\r": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n"})


# ---------------------------------------------------------------- normalisation


def _as_text(value: object) -> str:
    """Whatever the client sent, as a string ("" for anything that is not one)."""
    return value if isinstance(value, str) else ""


def _noncharacter(ch: str) -> bool:
    """U+FDD0..U+FDEF and the last two code points of every plane (U+FFFE, U+FFFF,
    U+1FFFE, ...): never text, and U+FFFE/U+FFFF make an XML file (XLSX) unreadable."""
    o = ord(ch)
    return 0xFDD0 <= o <= 0xFDEF or (o & 0xFFFE) == 0xFFFE


def _transportable(ch: str) -> bool:
    """A character XML 1.0 (XLSX) and the websocket's UTF-8 can carry: tab, line
    breaks and everything from U+0020 except surrogates and noncharacters."""
    o = ord(ch)
    if o < 0x20:
        return ch in "\t\n\r"
    if 0xD800 <= o <= 0xDFFF:
        return False
    return not _noncharacter(ch)


def transport_safe(value: str) -> str:
    """``value`` without lone surrogates, U+FFFE/U+FFFF and the other characters
    the transport or an XML export cannot carry; everything else kept as is."""
    if value.isascii() and value.isprintable():
        return value
    return "".join(ch for ch in value if _transportable(ch))


def clean_text(value: object, *, multiline: bool = False) -> str:
    """Strip control characters, surrogates and noncharacters, normalise to NFC and trim.

    Single-line text has every run of whitespace collapsed to one space;
    multi-line text keeps line breaks and tabs (\\r\\n becomes \\n).
    """
    text = _as_text(value).replace("\r\n", "\n").translate(_LINE_BREAKS).translate(_INVISIBLE)
    kept = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Cs" or (cat == "Cc" and not (multiline and ch in "\n\t")):
            continue
        if cat == "Cn" and _noncharacter(ch):
            continue
        kept.append(ch)
    text = unicodedata.normalize("NFC", "".join(kept))
    if not multiline:
        return " ".join(text.split())
    lines = [line.rstrip() for line in text.split("\n")]
    return "\n".join(lines).strip()


def name_key(name: str) -> str:
    """A person's name for matching: case-folded, single spaces."""
    return " ".join(clean_text(name).casefold().split())


def _codes(value: object) -> list[str]:
    """A list of codes from the client, de-duplicated, non-strings dropped."""
    if not isinstance(value, list | tuple):
        return []
    seen: list[str] = []
    for item in value:
        if isinstance(item, str) and item not in seen:
            seen.append(item)
    return seen


def _too_long(label: str, limit: int, length: int) -> str:
    return f"{label} får ha högst {limit:,} tecken (nu {length:,}).".replace(",", "\u00a0")


# The limited text fields of the report and the supplement: (label, limit). The
# page never cuts what is typed or pasted: a text over its limit stays in the field
# with this message beside it (``limit_error``), and the report is not sent.
FIELD_LIMITS: dict[str, tuple[str, int]] = {
    "reporter_name": ("Namnet", NAME_MAX),
    "reporter_email": ("E-postadressen", EMAIL_MAX),
    "place_other": ("Platsen", PLACE_OTHER_MAX),
    "description": ("Beskrivningen", DESCRIPTION_MAX),
    "immediate_actions": ("Texten", ACTIONS_MAX),
    "witnesses": ("Texten", WITNESSES_MAX),
    "name": ("Namnet", NAME_MAX),
    "class_name": ("Klass", CLASS_MAX),
    "supplement": ("Kompletteringen", SUPPLEMENT_MAX),
}


def limit_error(key: str, value: str) -> str:
    """The message for a text over its field's limit ("" when within it)."""
    label, limit = FIELD_LIMITS.get(key, ("", 0))
    if not limit or len(value) <= limit:
        return ""
    return _too_long(label, limit, len(value))


# ---------------------------------------------------------------- input and output


@dataclass
class PartyInput:
    """One row of persons as typed (subjected rows ignore ``kind``)."""

    name: str = ""
    class_name: str = ""
    grade: str = ""
    kind: str = ""

    def is_blank(self) -> bool:
        return not (
            clean_text(self.name)
            or clean_text(self.class_name)
            or _as_text(self.grade)
            or _as_text(self.kind)
        )


@dataclass
class ReportInput:
    """The form exactly as the page holds it."""

    reporter_name: str = ""
    reporter_email: str = ""
    reporter_role: str = ""
    occurred_on: str = ""  # YYYY-MM-DD from <input type=date>
    occurred_time: str = ""  # HH:MM or ""
    place: str = ""
    place_other: str = ""
    description: str = ""
    subjected: list[PartyInput] = field(default_factory=list)
    involved: list[PartyInput] = field(default_factory=list)
    witness: list[PartyInput] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    grounds: list[str] = field(default_factory=list)
    immediate_actions: str = ""
    guardians_informed: str = ""
    witnesses: str = ""

    @classmethod
    def from_dict(cls, data: Mapping) -> ReportInput:
        """Build from loosely typed data (a page's state, a test); never raises."""
        if not isinstance(data, Mapping):
            data = {}

        def rows(key: str) -> list[PartyInput]:
            raw = data.get(key)
            if not isinstance(raw, list | tuple):
                return []
            out = []
            for row in raw:
                row = row if isinstance(row, Mapping) else {}
                out.append(
                    PartyInput(
                        name=_as_text(row.get("name")),
                        class_name=_as_text(row.get("class_name")),
                        grade=_as_text(row.get("grade")),
                        kind=_as_text(row.get("kind")),
                    )
                )
            return out

        text = {
            k: _as_text(data.get(k))
            for k in (
                "reporter_name",
                "reporter_email",
                "reporter_role",
                "occurred_on",
                "occurred_time",
                "place",
                "place_other",
                "description",
                "immediate_actions",
                "guardians_informed",
                "witnesses",
            )
        }
        return cls(
            **text,
            subjected=rows("subjected"),
            involved=rows("involved"),
            witness=rows("witness"),
            kinds=_codes(data.get("kinds")),
            grounds=_codes(data.get("grounds")),
        )


@dataclass(frozen=True)
class CleanParty:
    role: str  # subjected, involved, witness
    kind: str  # pupil, staff, unknown, external
    name: str
    class_name: str
    grade: str

    @property
    def name_key(self) -> str:
        return name_key(self.name)


@dataclass(frozen=True)
class CleanReport:
    reporter_name: str
    reporter_email: str
    reporter_role: str
    occurred_on: date
    occurred_time: str
    place: str
    place_other: str
    description: str
    subjected: tuple[CleanParty, ...]
    involved: tuple[CleanParty, ...]
    witness: tuple[CleanParty, ...]
    kinds: tuple[str, ...]
    grounds: tuple[str, ...]
    immediate_actions: str
    guardians_informed: str
    witnesses: str

    @property
    def staff_involved(self) -> bool:
        return any(p.kind == "staff" for p in self.involved)

    @property
    def parties(self) -> tuple[CleanParty, ...]:
        return self.subjected + self.involved + self.witness


# ---------------------------------------------------------------- validation


def _text_field(
    errors: dict[str, str],
    key: str,
    value: object,
    *,
    label: str,
    limit: int,
    required: str | None = None,
    minimum: int = 0,
    multiline: bool = False,
) -> str:
    text = clean_text(value, multiline=multiline)
    if not text:
        if required:
            errors[key] = required
    elif len(text) > limit:
        errors[key] = _too_long(label, limit, len(text))
    elif len(text) < minimum:
        errors[key] = f"{label} behöver minst {minimum} tecken."
    return text


def _class_and_grade(
    errors: dict[str, str], prefix: str, row: PartyInput, classes: Mapping[str, str]
) -> tuple[str, str]:
    class_name = _text_field(
        errors, f"{prefix}.class_name", row.class_name, label="Klass", limit=CLASS_MAX
    )
    grade = _as_text(row.grade).strip()
    if grade and grade not in GRADES:
        errors[f"{prefix}.grade"] = "Välj en årskurs i listan."
        grade = ""
    # A class of the unit, however it was typed: its own spelling, and its grade.
    known = {name.casefold(): name for name in classes}
    if class_name.casefold() in known:
        class_name = known[class_name.casefold()]
        grade = grade or classes[class_name]
    return class_name, grade


_TOO_MANY = {
    "involved": f"Högst {MAX_PARTIES} inblandade personer per anmälan.",
    "witness": f"Högst {MAX_PARTIES} vittnen per anmälan.",
}


def _other_parties(
    errors: dict[str, str], role: str, given: object, classes: Mapping[str, str]
) -> list[CleanParty]:
    """The involved or witness rows: each names who the person is (kind); the
    name and class are optional; an untouched row is ignored."""
    out: list[CleanParty] = []
    rows = list(given or []) if isinstance(given, list | tuple) else []
    if len(rows) > MAX_PARTIES:
        errors[role] = _TOO_MANY[role]
    for i, row in enumerate(rows[:MAX_PARTIES]):
        row = row if isinstance(row, PartyInput) else PartyInput()
        if row.is_blank():
            continue
        prefix = f"{role}.{i}"
        kind = _as_text(row.kind)
        if kind not in PARTY_KIND_CODES:
            errors[f"{prefix}.kind"] = "Välj vem personen är."
        name = _text_field(errors, f"{prefix}.name", row.name, label="Namnet", limit=NAME_MAX)
        class_name, grade = _class_and_grade(errors, prefix, row, classes)
        out.append(CleanParty(role, kind, name, class_name, grade))
    return out


def validate(
    data: ReportInput, *, now: datetime, classes: Mapping[str, str] | None = None
) -> tuple[CleanReport | None, dict[str, str]]:
    """Check a report. ``now`` is aware; ``classes`` maps the unit's class names to grades.

    Returns the clean report and no errors, or None and the errors (Swedish).
    """
    classes = classes or {}
    errors: dict[str, str] = {}
    if not isinstance(data, ReportInput):
        data = ReportInput()

    reporter_name = _text_field(
        errors,
        "reporter_name",
        data.reporter_name,
        label="Namnet",
        limit=NAME_MAX,
        required="Skriv ditt namn.",
    )
    email = _text_field(
        errors,
        "reporter_email",
        data.reporter_email,
        label="E-postadressen",
        limit=EMAIL_MAX,
        required="Skriv din e-postadress.",
    ).lower()
    if email and "reporter_email" not in errors and not _EMAIL.match(email):
        errors["reporter_email"] = "Skriv en giltig e-postadress, till exempel namn@skola.se."
    role = _as_text(data.reporter_role)
    if role not in ROLE_CODES:
        errors["reporter_role"] = "Välj din roll."

    # When
    today = local(now).date()
    occurred_on: date | None = None
    raw_date = _as_text(data.occurred_on).strip()
    if not raw_date:
        errors["occurred_on"] = "Ange datum för händelsen."
    else:
        try:
            occurred_on = date.fromisoformat(raw_date) if _DATE.match(raw_date) else None
        except ValueError:
            occurred_on = None
        if occurred_on is None:
            errors["occurred_on"] = "Ange ett giltigt datum (ÅÅÅÅ-MM-DD)."
        elif occurred_on > today:
            errors["occurred_on"] = "Datumet kan inte ligga i framtiden."
        elif occurred_on < today - timedelta(days=365 * OLDEST_YEARS):
            errors["occurred_on"] = "Datumet ligger för långt bakåt i tiden. Kontrollera året."
    occurred_time = _as_text(data.occurred_time).strip()
    if occurred_time:
        if not _TIME.match(occurred_time):
            errors["occurred_time"] = "Ange tiden som TT:MM, till exempel 09:30."
        elif occurred_on == today and occurred_time > f"{local(now):%H:%M}":
            errors["occurred_time"] = "Tiden kan inte ligga i framtiden."

    # Where
    place = _as_text(data.place)
    if place not in PLACE_CODES:
        errors["place"] = "Välj var det hände."
    place_other = ""
    if place == "other":
        place_other = _text_field(
            errors,
            "place_other",
            data.place_other,
            label="Platsen",
            limit=PLACE_OTHER_MAX,
            required="Beskriv platsen.",
        )

    # What
    description = _text_field(
        errors,
        "description",
        data.description,
        label="Beskrivningen",
        limit=DESCRIPTION_MAX,
        minimum=DESCRIPTION_MIN,
        required="Beskriv vad som hände.",
        multiline=True,
    )

    # Who was subjected: at least one, each with a name.
    subjected: list[CleanParty] = []
    rows = list(data.subjected or [])
    if len(rows) > MAX_PARTIES:
        errors["subjected"] = f"Högst {MAX_PARTIES} utsatta personer per anmälan."
    rows = [r if isinstance(r, PartyInput) else PartyInput() for r in rows[:MAX_PARTIES]]
    filled = [i for i, row in enumerate(rows) if not row.is_blank()]
    if not filled:
        errors["subjected.0.name"] = "Skriv namnet på den som blev utsatt."
    for i in filled:
        row = rows[i]
        prefix = f"subjected.{i}"
        name = _text_field(
            errors,
            f"{prefix}.name",
            row.name,
            label="Namnet",
            limit=NAME_MAX,
            required="Skriv namnet på den som blev utsatt.",
        )
        class_name, grade = _class_and_grade(errors, prefix, row, classes)
        subjected.append(CleanParty("subjected", "pupil", name, class_name, grade))

    # Who was involved, who saw it: zero or more; an untouched row is ignored.
    involved = _other_parties(errors, "involved", data.involved, classes)
    witness = _other_parties(errors, "witness", data.witness, classes)

    kinds = _codes(data.kinds)
    if not kinds:
        errors["kinds"] = "Välj minst ett slag av kränkning."
    elif any(k not in KIND_CODES for k in kinds):
        errors["kinds"] = "Välj bland alternativen i listan."
    grounds = _codes(data.grounds)
    if any(g not in GROUND_CODES for g in grounds):
        errors["grounds"] = "Välj bland alternativen i listan."

    immediate_actions = _text_field(
        errors,
        "immediate_actions",
        data.immediate_actions,
        label="Texten",
        limit=ACTIONS_MAX,
        multiline=True,
    )
    guardians = _as_text(data.guardians_informed)
    if guardians not in GUARDIAN_CODES:
        errors["guardians_informed"] = "Ange om vårdnadshavare är informerade."
    witnesses = _text_field(
        errors, "witnesses", data.witnesses, label="Texten", limit=WITNESSES_MAX, multiline=True
    )

    if errors or occurred_on is None:
        return None, errors
    return (
        CleanReport(
            reporter_name=reporter_name,
            reporter_email=email,
            reporter_role=role,
            occurred_on=occurred_on,
            occurred_time=occurred_time,
            place=place,
            place_other=place_other,
            description=description,
            subjected=tuple(subjected),
            involved=tuple(involved),
            witness=tuple(witness),
            kinds=tuple(k for k in KIND_CODES if k in kinds),
            grounds=tuple(g for g in GROUND_CODES if g in grounds),
            immediate_actions=immediate_actions,
            guardians_informed=guardians,
            witnesses=witnesses,
        ),
        {},
    )


def clean_supplement(value: object) -> tuple[str, str | None]:
    """A komplettering's text and an error (or None)."""
    errors: dict[str, str] = {}
    text = _text_field(
        errors,
        "text",
        value,
        label="Kompletteringen",
        limit=SUPPLEMENT_MAX,
        minimum=SUPPLEMENT_MIN,
        required="Skriv det du vill lägga till.",
        multiline=True,
    )
    return text, errors.get("text")
