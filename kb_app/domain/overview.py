"""The overview's filter, sort and page, and their form in the URL (pure, no I/O).

The URL is the single source of the view: ``/oversikt?steg=received&sortera=enhet&sida=3``.
``from_query`` reads any query string without failing (unknown or bad values fall
back to the default, so a hand-edited or outdated link still opens), and
``to_query`` writes only what differs from the default, in a stable order, so
equal views have equal URLs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from urllib.parse import urlencode

from kb_app import routes
from kb_app.domain.deadlines import is_late
from kb_app.domain.fmt import sv_date
from kb_app.domain.process import STEP_LABELS, STEP_ORDER, Step
from kb_app.domain.vocab import GRADE_SHORT, GRADES, GROUND_CODES, KIND_CODES, kinds_label

PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50
MAX_PAGE = 100_000
OPEN = "open"  # step filter: every step but closed
ANY_GROUND = "any"  # ground filter: at least one discrimination ground
NO_GRADE = "ingen"  # grade filter (URL): cases without a grade (preschool)
SEARCH_MAX = 40
CLASS_MAX = 100


class SortKey(StrEnum):
    """Sortable columns, by their URL name."""

    REFERENCE = "arende"
    DATE = "datum"
    UNIT = "enhet"
    CLASS = "klass"
    GRADE = "arskurs"
    KINDS = "slag"
    STEP = "steg"
    RESPONSIBLE = "ansvarig"
    DUE = "frist"
    LATE = "forsenad"


# The direction a column sorts in when first chosen: newest first for dates;
# soonest deadline first; the rest A–Ö.
FIRST_DESC = {SortKey.DATE: True, SortKey.REFERENCE: True}

# Grades in school order; cases without a grade (preschool) last.
GRADE_ORDER: list[str] = [*GRADES, ""]


@dataclass(frozen=True)
class OverviewFilter:
    step: str = ""  # "", OPEN or a Step
    unit_id: int | None = None
    grade: str | None = None  # None: all; "": no grade; else a grade code
    class_name: str = ""
    kind: str = ""  # a KIND code
    ground: str = ""  # ANY_GROUND or a GROUND code
    late: bool = False
    staff: bool = False
    date_from: date | None = None
    date_to: date | None = None
    search: str = ""  # a case reference, whole or in part
    sort: SortKey = SortKey.DATE
    desc: bool = True
    page: int = 1
    per_page: int = DEFAULT_PAGE_SIZE

    def with_filter(self, **changes) -> OverviewFilter:
        """A changed filter (or sort, or page size) starts again on page 1."""
        return replace(self, page=1, **changes)

    def sorted_by(self, key: SortKey) -> OverviewFilter:
        """Sort on ``key``; choosing the current column again turns the direction."""
        if key == self.sort:
            return replace(self, desc=not self.desc, page=1)
        return replace(self, sort=key, desc=FIRST_DESC.get(key, False), page=1)

    def on_page(self, page: int) -> OverviewFilter:
        return replace(self, page=max(1, min(page, MAX_PAGE)))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def active_filters(self) -> int:
        """How many filters (not sort or page) are set."""
        return sum(1 for name in _SCOPE_FIELDS if getattr(self, name) != getattr(DEFAULT, name))

    def scope_key(self) -> tuple:
        """What decides the set of matching cases (not its order or page)."""
        return tuple(getattr(self, name) for name in _SCOPE_FIELDS)


DEFAULT = OverviewFilter()
# The fields that filter (not sort or page).
_SCOPE_FIELDS = tuple(
    f.name for f in fields(OverviewFilter) if f.name not in {"sort", "desc", "page", "per_page"}
)
# The URL parameters a view is read from.
_PARAMS = (
    "steg", "arskurs", "slag", "grund", "sortera", "ordning", "antal", "sida",
    "fran", "till", "enhet", "klass", "forsenade", "personal", "sok",
)  # fmt: skip


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip()[:10])
    except ValueError:
        return None


def _int(raw: str) -> int | None:
    raw = raw.strip()
    if not raw.isdigit() or len(raw) > 9:
        return None
    return int(raw)


def _text(raw: str, limit: int) -> str:
    return " ".join(raw.split())[:limit]


def _param(params: Mapping[str, str], key: str) -> str:
    value = params.get(key, "")
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return str(value)


def from_query(params: Mapping[str, str]) -> OverviewFilter:
    """Read the view from URL query parameters; bad values are ignored."""
    # Parsed once per distinct set of values: every navigation reads its URL.
    return _parse_query(tuple(_param(params, key) for key in _PARAMS))


@lru_cache(maxsize=4096)
def _parse_query(values: tuple[str, ...]) -> OverviewFilter:
    params = dict(zip(_PARAMS, values, strict=True))

    def get(key: str) -> str:
        return params[key]

    step = get("steg")
    if step != OPEN and step not in set(Step):
        step = ""
    grade_raw = get("arskurs")
    grade = "" if grade_raw == NO_GRADE else (grade_raw if grade_raw in GRADES else None)
    kind = get("slag") if get("slag") in KIND_CODES else ""
    ground = get("grund") if get("grund") in {ANY_GROUND, *GROUND_CODES} else ""
    try:
        sort = SortKey(get("sortera"))
    except ValueError:
        sort = DEFAULT.sort
    order = get("ordning")
    desc = {"fallande": True, "stigande": False}.get(order, FIRST_DESC.get(sort, False))
    per_page = _int(get("antal"))
    page = _int(get("sida")) or 1
    date_from, date_to = _date(get("fran")), _date(get("till"))
    if date_from and date_to and date_from > date_to:
        date_from, date_to = date_to, date_from
    return OverviewFilter(
        step=step,
        unit_id=_int(get("enhet")) or None,
        grade=grade,
        class_name=_text(get("klass"), CLASS_MAX),
        kind=kind,
        ground=ground,
        late=get("forsenade") in {"1", "ja", "true"},
        staff=get("personal") in {"1", "ja", "true"},
        date_from=date_from,
        date_to=date_to,
        search=_text(get("sok"), SEARCH_MAX),
        sort=sort,
        desc=desc,
        page=max(1, min(page, MAX_PAGE)),
        per_page=per_page if per_page in PAGE_SIZES else DEFAULT_PAGE_SIZE,
    )


def to_query(f: OverviewFilter) -> dict[str, str]:
    """The URL parameters of a view: only what differs from the default."""
    q: dict[str, str] = {}
    if f.search:
        q["sok"] = f.search
    if f.step:
        q["steg"] = f.step
    if f.unit_id is not None:
        q["enhet"] = str(f.unit_id)
    if f.grade is not None:
        q["arskurs"] = f.grade or NO_GRADE
    if f.class_name:
        q["klass"] = f.class_name
    if f.kind:
        q["slag"] = f.kind
    if f.ground:
        q["grund"] = f.ground
    if f.late:
        q["forsenade"] = "1"
    if f.staff:
        q["personal"] = "1"
    if f.date_from:
        q["fran"] = f.date_from.isoformat()
    if f.date_to:
        q["till"] = f.date_to.isoformat()
    if f.sort != DEFAULT.sort:
        q["sortera"] = f.sort.value
    if f.desc != FIRST_DESC.get(f.sort, False):
        q["ordning"] = "fallande" if f.desc else "stigande"
    if f.per_page != DEFAULT_PAGE_SIZE:
        q["antal"] = str(f.per_page)
    if f.page != 1:
        q["sida"] = str(f.page)
    return q


@lru_cache(maxsize=8192)
def href(f: OverviewFilter, path: str = routes.OVERVIEW) -> str:
    q = to_query(f)
    return f"{path}?{urlencode(q)}" if q else path


# --- Case references --------------------------------------------------------------


@dataclass(frozen=True)
class ReferenceSearch:
    """What a search text means: an exact reference, a number (optionally in a
    year), or a prefix. ``impossible`` when it cannot be a reference."""

    reference: str | None = None
    year: int | None = None
    number: int | None = None
    prefix: str | None = None
    impossible: bool = False


_FULL = re.compile(r"^KB-?(\d{4})-?(\d{1,6})$")
_YEAR_NUMBER = re.compile(r"^(\d{4})[-/ ](\d{1,6})$")
_YEAR_PREFIX = re.compile(r"^KB-?(\d{1,4})-?$")


def parse_reference_search(text: str) -> ReferenceSearch:
    s = re.sub(r"\s+", "", text or "").upper()
    if not s:
        return ReferenceSearch()
    if m := _FULL.match(s):
        return ReferenceSearch(year=int(m[1]), number=int(m[2]))
    if m := _YEAR_NUMBER.match(s):
        return ReferenceSearch(year=int(m[1]), number=int(m[2]))
    if s.isdigit() and len(s) <= 6:
        return ReferenceSearch(number=int(s))
    if s in {"K", "KB", "KB-"}:
        return ReferenceSearch(prefix="KB-")
    if m := _YEAR_PREFIX.match(s):
        return ReferenceSearch(prefix=f"KB-{m[1]}")
    return ReferenceSearch(impossible=True)


# --- Ordering helpers ---------------------------------------------------------------

# Swedish alphabetical order: å, ä, ö after z; other accents fold to their letter.
_SV_TAIL = {"å": "{", "ä": "|", "ö": "}", "æ": "|", "ø": "}"}


@lru_cache(maxsize=8192)
def sv_key(text: str) -> tuple:
    """Sort key for names in Swedish order, with numbers compared as numbers
    ("Skola 2" before "Skola 10")."""
    out = []
    for ch in (text or "").casefold():
        if ch in _SV_TAIL:
            out.append(_SV_TAIL[ch])
        else:
            base = unicodedata.normalize("NFKD", ch)
            out.append(base[0] if base else ch)
    folded = "".join(out)
    parts = re.split(r"(\d+)", folded)
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p != "")


def masks_with_bit(bit: int, width: int) -> list[int]:
    """Every bit mask of ``width`` bits with ``bit`` set: lets a database use an
    ordinary index for "has this kind/ground" (``kinds IN (...)``)."""
    return [m for m in range(1 << width) if m & (1 << bit)]


def step_rank(step: str) -> int:
    try:
        return STEP_ORDER.index(Step(step))
    except ValueError:
        return len(STEP_ORDER)


def grade_rank(grade: str) -> int:
    try:
        return GRADE_ORDER.index(grade)
    except ValueError:
        return len(GRADE_ORDER)


def case_row(
    *,
    case_id: int,
    reference: str,
    reported_at: datetime,
    unit: str,
    class_name: str,
    grade: str | None,
    kinds: int,
    step: str,
    responsible: str | None,
    due_at: datetime | None,
    closed_at: datetime | None,
    staff_involved: bool,
    now: datetime,
) -> dict[str, str]:
    """One case as a row of a case list (the overview, "Mina ärenden"): the one
    formatter, short grade labels ("Gy 1"), the due date only while open."""
    grade = grade or ""
    return {
        "id": str(case_id),
        "reference": reference,
        "reported": sv_date(reported_at),
        "unit": unit,
        "class_name": class_name,
        "grade": GRADE_SHORT.get(grade, grade),
        "kinds": kinds_label(kinds),
        "step": STEP_LABELS.get(step, step),
        "step_code": step,
        "responsible": responsible or "",
        "due": sv_date(due_at) if closed_at is None else "",
        "late": "1" if is_late(closed_at, due_at, now) else "",
        "staff": "1" if staff_involved else "",
        "hl": "",
    }
