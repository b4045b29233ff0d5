"""Pseudonyms and name masking for exports (pure).

Exports are pseudonymised by default: every person gets a stable stand-in
("Elev A", "Personal B") for the whole export. The reply pack for one child masks
every other person named on the case, in the structured fields and in free text
(``Masker``, whose docstring states the matching rule).
Free text can still name someone who is not a party of the case; the documents say
so, and release is always preceded by a secrecy assessment (OSL 23 kap.).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

PREFIX_BY_KIND = {
    "pupil": "Elev",
    "staff": "Personal",
    "unknown": "Okänd person",
    "external": "Extern person",
    "guardian": "Vårdnadshavare",
    "other": "Övrig person",  # the reply pack's unknown and external persons
}


def letters(i: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA, 27 -> AB, …"""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(ord("A") + r) + out
    return out


@dataclass
class Pseudonyms:
    """Stable stand-ins: the same key always gets the same name, per kind of person,
    lettered in the order people first appear."""

    _names: dict[tuple[str, str], str] = field(default_factory=dict)
    _counts: dict[str, int] = field(default_factory=dict)

    def name(self, kind: str, key: str) -> str:
        prefix = PREFIX_BY_KIND.get(kind, "Person")
        k = (prefix, key)
        if k not in self._names:
            n = self._counts.get(prefix, 0)
            self._counts[prefix] = n + 1
            self._names[k] = f"{prefix} {letters(n)}"
        return self._names[k]


def person_key(name_key: str, name: str, unit_id: int | None = None, class_name: str = "") -> str:
    """Who counts as the same person in an export: normalised name, unit and class."""
    base = (name_key or name or "").strip().lower()
    return f"{unit_id or ''}|{base}|{(class_name or '').replace(' ', '')}"


# ---------------------------------------------------------------------------
# The reply pack: every person but the chosen child (and, if so chosen, staff)
# replaced in free text, in every form the text uses.
# ---------------------------------------------------------------------------

AMBIGUOUS = "[namn]"
# Genitive and possessive endings a Swedish text puts on a name: "Noahs",
# "Noah:s", "Noah's", "Lars'". A stand-in always takes the colon form ("Elev A:s").
_GENITIVE = r"(?P<gen>:s|['’]s|s|['’](?=\W|$))?"


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text or "")


def _parts(name: str) -> list[str]:
    """The words of a name that can stand alone: each space-separated word, and
    each half of a hyphenated one ("Anna-Karin" → "Anna-Karin", "Anna", "Karin")."""
    out: list[str] = []
    for word in _nfc(name).split():
        for p in [word, *word.split("-")]:
            p = p.strip("-")
            if len(p) >= 2 and p.casefold() not in {o.casefold() for o in out}:
                out.append(p)
    return out


@dataclass(frozen=True)
class Person:
    """A person the pack may name. ``stand_in`` None: shown by name."""

    name: str
    stand_in: str | None
    category: str = ""


@dataclass
class Masker:
    """Masks free text for the reply pack (pure).

    The rule, for every person on the case (parties, the reporter, the officials
    who handled it):

    * a full name is matched as a unit: a masked person's becomes their stand-in,
      a shown person's is left whole (so principal "Karin Berg" stays "Karin Berg"
      when only pupil "Noah Berg" is masked);
    * a single word of a masked person's name (first name, surname, half of a
      hyphenated name) is masked alone only when no one else on the case has that
      word in their name; a word shared with a shown person is left (it names the
      shown person as much as the masked one); a word shared only by masked people
      becomes "[namn]" (replacing it with one of their stand-ins could name the
      wrong one);
    * matches are whole words, case-insensitive and Unicode-aware (NFC), so
      "Ali" in "Alice" and "Berg" in "Bergström" stay; the genitive endings
      "s", ":s", "'s" and "'" are part of the match and the stand-in takes
      ":s" ("Noahs bricka" → "Elev A:s bricka").
    """

    people: list[Person]
    counts: dict[str, int] = field(default_factory=dict)  # stand-in -> replacements
    _pattern: re.Pattern | None = None
    _targets: dict[str, str | None] = field(default_factory=dict)  # casefolded needle

    def __post_init__(self) -> None:
        targets: dict[str, str | None] = {}
        masked_full: dict[str, str] = {}
        shown_full: set[str] = set()
        for p in self.people:
            full = " ".join(_nfc(p.name).split()).casefold()
            if not full:
                continue
            if p.stand_in is None:
                shown_full.add(full)
            else:
                masked_full[full] = p.stand_in
        holders: dict[str, set[str | None]] = {}
        for p in self.people:
            for part in _parts(p.name):
                holders.setdefault(part.casefold(), set()).add(p.stand_in)
        for part, who in holders.items():
            if None in who:
                if len(who) > 1:
                    targets[part] = None  # shared with a shown person: left as is
                continue
            targets[part] = next(iter(who)) if len(who) == 1 else AMBIGUOUS
        for full in shown_full:
            targets[full] = None
        # A masked full name wins over a shown one of the same spelling.
        targets.update(masked_full)
        self._targets = targets
        needles = sorted(targets, key=len, reverse=True)
        if not needles:
            return
        alternatives = "|".join(
            r"[\s\u00a0]+".join(re.escape(w) for w in n.split()) for n in needles
        )
        self._pattern = re.compile(
            rf"(?<!\w)(?P<name>{alternatives}){_GENITIVE}(?!\w)", re.IGNORECASE
        )

    def __call__(self, text: str) -> str:
        text = _nfc(text)
        if not text or self._pattern is None:
            return text

        def sub(m: re.Match) -> str:
            key = " ".join(m.group("name").split()).casefold()
            stand_in = self._targets.get(key)
            if stand_in is None:
                return m.group(0)
            self.counts[stand_in] = self.counts.get(stand_in, 0) + 1
            return stand_in + (":s" if m.group("gen") else "")

        return self._pattern.sub(sub, text)
