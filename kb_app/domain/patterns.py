"""Repeated events (pure): pupils who recur in several cases, and recurring places
and times. The service groups in SQL and hands small rows to these functions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from kb_app.domain.fmt import sv_date
from kb_app.domain.statistics import WEEKDAY_LONG, share
from kb_app.domain.vocab import PLACE_LABELS

WINDOW_DAYS = 365  # "within 12 months"
MIN_CASES = 2  # a pupil in at least this many cases is listed
MIN_RECURRING = 3  # a place or time with at least this many cases is listed
MAX_LISTED = 50


def class_key(class_name: str) -> str:
    """Classes match without spaces ("4 A" = "4A"); the SQL uses the same rule."""
    return (class_name or "").replace(" ", "")


@dataclass(frozen=True)
class MatchKey:
    unit_id: int
    name_key: str
    class_key: str

    @property
    def token(self) -> str:
        """An opaque id for the page (never the name itself)."""
        import hashlib

        raw = f"{self.unit_id}\x1f{self.name_key}\x1f{self.class_key}".encode()
        return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class MatchGroup:
    """One aggregated row from SQL: a name and class in a unit in several cases."""

    key: MatchKey
    cases: int
    last_case_id: int
    subjected: int
    involved: int


@dataclass(frozen=True)
class CaseRef:
    case_id: int
    reference: str
    reported_at: datetime
    role: str  # subjected, involved


@dataclass(frozen=True)
class RepeatedPupil:
    key: MatchKey
    unit_name: str
    name: str
    class_name: str
    subjected: int
    involved: int
    cases: list[CaseRef]
    reappeared: bool  # was marked wrong, then a newer case joined

    @property
    def period_text(self) -> str:
        if not self.cases:
            return ""
        first = min(c.reported_at for c in self.cases)
        last = max(c.reported_at for c in self.cases)
        return f"{sv_date(first)} – {sv_date(last)}"


def visible_groups(
    groups: Iterable[MatchGroup], dismissed: Mapping[MatchKey, int]
) -> list[tuple[MatchGroup, bool]]:
    """Groups not marked wrong, most cases first. A dismissal covers the cases up to
    the one that was newest when it was made; a newer case shows the match again.
    Returns (group, reappeared)."""
    out = []
    for g in groups:
        if g.cases < MIN_CASES:
            continue
        last_dismissed = dismissed.get(g.key)
        if last_dismissed is not None and g.last_case_id <= last_dismissed:
            continue
        out.append((g, last_dismissed is not None))
    out.sort(key=lambda t: (-t[0].cases, -t[0].last_case_id))
    return out[:MAX_LISTED]


def repeated_pupil(
    group: MatchGroup,
    reappeared: bool,
    unit_name: str,
    parties: Iterable[tuple[str, str, CaseRef]],
) -> RepeatedPupil:
    """Assemble one listed pupil from its party rows (display name, class, case)."""
    by_case: dict[int, CaseRef] = {}
    name = class_name = ""
    for party_name, party_class, ref in sorted(parties, key=lambda t: t[2].reported_at):
        name, class_name = party_name or name, party_class or class_name
        prev = by_case.get(ref.case_id)
        if prev is None or (prev.role != "subjected" and ref.role == "subjected"):
            by_case[ref.case_id] = ref
    return RepeatedPupil(
        key=group.key,
        unit_name=unit_name,
        name=name,
        class_name=class_name,
        subjected=group.subjected,
        involved=group.involved,
        cases=sorted(by_case.values(), key=lambda r: r.reported_at),
        reappeared=reappeared,
    )


@dataclass(frozen=True)
class Recurring:
    unit_name: str
    label: str
    count: int
    share: float | None  # of the unit's cases in the window


def recurring_places(
    rows: Iterable[tuple[int, str, int]], unit_totals: Mapping[int, int], names: Mapping[int, str]
) -> list[Recurring]:
    out = [
        Recurring(names.get(u, ""), PLACE_LABELS.get(p, p), n, share(n, unit_totals.get(u, 0)))
        for u, p, n in rows
        if n >= MIN_RECURRING
    ]
    out.sort(key=lambda r: (-r.count, r.unit_name, r.label))
    return out[:10]


def recurring_times(
    rows: Iterable[tuple[int, int, str, int]],
    unit_totals: Mapping[int, int],
    names: Mapping[int, str],
) -> list[Recurring]:
    """Rows of (unit, weekday 0 = Monday, "HH", count)."""
    out = []
    for u, wd, hh, n in rows:
        if n < MIN_RECURRING or not (hh or "").isdigit():
            continue
        h = int(hh)
        label = f"{WEEKDAY_LONG[wd]}ar kl. {h:02d}–{h + 1:02d}"
        out.append(Recurring(names.get(u, ""), label, n, share(n, unit_totals.get(u, 0))))
    out.sort(key=lambda r: (-r.count, r.unit_name, r.label))
    return out[:10]
