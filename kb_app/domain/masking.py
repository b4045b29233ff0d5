"""Pseudonyms and name masking for exports (pure).

Exports are pseudonymised by default: every person gets a stable stand-in
("Elev A", "Personal B") for the whole export. The reply pack for one child masks
every other person named on the case, in the structured fields and in free text.
Free text can still name someone who is not a party of the case; the documents say
so, and release is always preceded by a secrecy assessment (OSL 23 kap.).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

PREFIX_BY_KIND = {
    "pupil": "Elev",
    "staff": "Personal",
    "unknown": "Okänd person",
    "external": "Extern person",
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


def name_variants(name: str) -> list[str]:
    """The full name, then each part of it that could stand alone in free text."""
    name = " ".join((name or "").split())
    if not name:
        return []
    parts = [p for p in re.split(r"[\s-]+", name) if len(p) >= 2]
    return [name] + [p for p in parts if p != name]


def mask_text(text: str, replacements: list[tuple[str, str]]) -> str:
    """Replace each name (whole words, any case) with its stand-in, longest first,
    so "Omar Ali" becomes one stand-in rather than two."""
    if not text or not replacements:
        return text or ""
    ordered = sorted(replacements, key=lambda r: -len(r[0]))
    for needle, stand_in in ordered:
        if not needle.strip():
            continue
        pattern = re.compile(rf"(?<![\w]){re.escape(needle)}(?![\w])", re.IGNORECASE)
        text = pattern.sub(stand_in, text)
    return text


def masking_plan(others: list[tuple[str, str]], keep: list[str]) -> list[tuple[str, str]]:
    """Replacements for the other people (name, stand-in). Parts of a name that the
    kept person also has (a shared first name) are not masked alone, so the kept
    child's own name stays readable; the full names are always masked."""
    kept_parts = {p.lower() for name in keep for p in name_variants(name)}
    plan: list[tuple[str, str]] = []
    for name, stand_in in others:
        for i, variant in enumerate(name_variants(name)):
            if i > 0 and variant.lower() in kept_parts:
                continue
            plan.append((variant, stand_in))
    return plan
