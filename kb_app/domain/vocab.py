"""The words of the field: codes used in the data and their Swedish labels (GLOSSARY.md).

Multi-valued choices (kinds of kränkning, discrimination grounds) are stored on a
case as bit masks so the overview can filter on them with an index-free but cheap
bitwise test on every database.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache


class Role(StrEnum):
    REPORTER = "reporter"
    PRINCIPAL = "principal"
    INVESTIGATOR = "investigator"
    ORGANISER = "organiser"
    ADMIN = "admin"


ROLE_LABELS: dict[str, str] = {
    Role.REPORTER: "Personal / anmälare",
    Role.PRINCIPAL: "Rektor / förskolechef",
    Role.INVESTIGATOR: "Utredare",
    Role.ORGANISER: "Huvudman",
    Role.ADMIN: "Administratör",
}


class UnitKind(StrEnum):
    PRESCHOOL = "forskola"
    COMPULSORY = "grundskola"
    UPPER_SECONDARY = "gymnasieskola"
    LEISURE = "fritidshem"
    OTHER = "annan"


UNIT_KIND_LABELS: dict[str, str] = {
    UnitKind.PRESCHOOL: "Förskola",
    UnitKind.COMPULSORY: "Grundskola",
    UnitKind.UPPER_SECONDARY: "Gymnasieskola",
    UnitKind.LEISURE: "Fritidshem",
    UnitKind.OTHER: "Annan verksamhet",
}

# Grades (årskurs). Preschool has none (empty string).
GRADES: list[str] = ["F", "1", "2", "3", "4", "5", "6", "7", "8", "9", "G1", "G2", "G3"]
GRADE_LABELS: dict[str, str] = {
    "": "Ingen årskurs",
    "F": "Förskoleklass",
    **{str(n): f"Årskurs {n}" for n in range(1, 10)},
    "G1": "Gymnasiet år 1",
    "G2": "Gymnasiet år 2",
    "G3": "Gymnasiet år 3",
}
# Short grade labels for tables (a grade number stands for itself).
GRADE_SHORT: dict[str, str] = {"": "", "F": "F", "G1": "Gy 1", "G2": "Gy 2", "G3": "Gy 3"}

# Kinds of kränkning: (code, label, bit)
KINDS: list[tuple[str, str]] = [
    ("physical", "Fysisk"),
    ("verbal", "Verbal"),
    ("psychosocial", "Psykosocial"),
    ("written", "Skriftlig/digital"),
]

# The seven discrimination grounds (diskrimineringslagen 1 kap. 4 §): code, label, one-line help.
GROUNDS: list[tuple[str, str, str]] = [
    ("sex", "Kön", "Att någon är kvinna, man eller ickebinär."),
    (
        "transgender",
        "Könsöverskridande identitet eller uttryck",
        "Att någon inte definierar sig som kvinna eller man, eller uttrycker ett annat kön.",
    ),
    (
        "ethnicity",
        "Etnisk tillhörighet",
        "Nationellt eller etniskt ursprung, hudfärg eller liknande förhållande.",
    ),
    (
        "religion",
        "Religion eller annan trosuppfattning",
        "Religion, livsåskådning eller annan trosuppfattning.",
    ),
    (
        "disability",
        "Funktionsnedsättning",
        "Varaktiga fysiska, psykiska eller begåvningsmässiga begränsningar.",
    ),
    ("sexual_orientation", "Sexuell läggning", "Homo-, bi- eller heterosexuell läggning."),
    ("age", "Ålder", "Uppnådd levnadslängd."),
]

PLACES: list[tuple[str, str]] = [
    ("classroom", "Klassrum / avdelning"),
    ("corridor", "Korridor"),
    ("schoolyard", "Skolgård / gård"),
    ("dining_hall", "Matsal"),
    ("changing_room", "Omklädningsrum"),
    ("online", "Digitalt / online"),
    ("commute", "På väg till eller från skolan"),
    ("other", "Annan plats"),
]

PARTY_KINDS: list[tuple[str, str]] = [
    ("pupil", "Barn/elev"),
    ("staff", "Personal"),
    ("unknown", "Okänd"),
    ("external", "Extern person"),
]

REPORTER_ROLES: list[tuple[str, str]] = [
    ("teacher", "Lärare"),
    ("preschool_teacher", "Förskollärare"),
    ("childminder", "Barnskötare"),
    ("leisure", "Fritidspedagog"),
    ("student_health", "Elevhälsa"),
    ("other_staff", "Annan personal"),
]

GUARDIANS_INFORMED: list[tuple[str, str]] = [
    ("yes", "Ja"),
    ("no", "Nej"),
    ("unknown", "Vet inte"),
]

KIND_CODES = [code for code, _ in KINDS]
GROUND_CODES = [code for code, _, _ in GROUNDS]
KIND_LABELS = dict(KINDS)
GROUND_LABELS = {code: label for code, label, _ in GROUNDS}
PLACE_LABELS = dict(PLACES)
PARTY_KIND_LABELS = dict(PARTY_KINDS)


def to_mask(codes: list[str] | set[str], universe: list[str]) -> int:
    """Encode chosen codes as bits in the order of ``universe``; unknown codes raise."""
    mask = 0
    for code in codes:
        mask |= 1 << universe.index(code)
    return mask


def from_mask(mask: int, universe: list[str]) -> list[str]:
    return [code for i, code in enumerate(universe) if mask & (1 << i)]


@lru_cache(maxsize=64)
def kinds_label(mask: int) -> str:
    """The kinds of a case's bit mask, as a comma-separated list of labels."""
    return ", ".join(KIND_LABELS[k] for k in from_mask(mask, KIND_CODES))


def grounds_label(mask: int) -> str:
    """The discrimination grounds of a bit mask, as a comma-separated list of labels."""
    return ", ".join(GROUND_LABELS[g] for g in from_mask(mask, GROUND_CODES))
