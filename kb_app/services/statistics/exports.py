"""Exports of the case list under the statistics filters: CSV and XLSX.

Pseudonymised by default: no names and no free text, people replaced by stable
stand-ins ("Elev A"). Names are included only on an explicit choice, and every
export is written to the access log (with names: ``export_cases_named``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from kb_app.db import read_scope, session_scope
from kb_app.domain import statistics as st
from kb_app.domain.access import Actor
from kb_app.domain.fmt import local
from kb_app.domain.masking import Pseudonyms, person_key
from kb_app.domain.process import CONCLUSION_LABELS, STEP_LABELS, Step, due_step
from kb_app.domain.vocab import (
    GRADE_LABELS,
    PARTY_KIND_LABELS,
    PLACE_LABELS,
    grounds_label,
    kinds_label,
)
from kb_app.errors import NoStatisticsAccess
from kb_app.models import Case, Party, Unit, User
from kb_app.services.base import access_log, limits
from kb_app.services.statistics.queries import Scope, _conds, resolve_scope

# Step times: working days each step took from the one before it (kept on the case).
STEP_DAY_HEADERS: list[tuple[str, str]] = [
    ("wdays_received", "Mottagen (arbetsdagar)"),
    ("wdays_investigation_started", "Utredning påbörjad (arbetsdagar)"),
    ("wdays_investigated", "Utredning klar (arbetsdagar)"),
    ("wdays_measures_decided", "Åtgärder beslutade (arbetsdagar)"),
    ("wdays_followed_up", "Uppföljning (arbetsdagar)"),
    ("wdays_total", "Hela ärendet (arbetsdagar)"),
]
# The step each of those columns times (for "Alla steg inom frist").
_STEP_OF_COLUMN = {column: step for step, (column, _prev) in st.STEP_DAY_COLUMNS.items()}
BASE_HEADERS = [
    "Ärende",
    "Enhet",
    "Anmäld",
    "Inträffade",
    "Klockslag",
    "Plats",
    "Slag",
    "Diskrimineringsgrunder",
    "Klass",
    "Årskurs",
    "Steg",
    "Nästa steg",
    "Ansvarig",
    "Frist",
    "Försenad",
    "Personal inblandad",
    "Slutsats",
    "Avslutad",
    *[h for _c, h in STEP_DAY_HEADERS],
    "Alla steg inom frist",
    "Utsatta",
    "Inblandade",
    "Vittnen",
]
# Column widths in the XLSX (characters), by header.
_WIDTHS = {"Enhet": 24, "Anmäld": 17, "Plats": 22, "Slag": 24, "Diskrimineringsgrunder": 24}
_WIDTHS |= {"Steg": 22, "Nästa steg": 22, "Ansvarig": 22, "Slutsats": 24, "Utsatta": 30}
_WIDTHS |= {"Inblandade": 30, "Vittnen": 30, "Anmälare": 24, "Vad hände": 60}
# A cell: text, a date, a local date and time, a number, or empty.
Value = str | date | datetime | int | None
NAMED_HEADERS = ["Anmälare", "Vad hände"]

CHUNK = 1000


@dataclass(frozen=True)
class CaseList:
    headers: list[str]
    rows: Iterator[list[Value]]
    named: bool
    filename_stem: str


def _filename_stem(scope: Scope) -> str:
    p = scope.filters.period
    if p.kind == st.PeriodKind.SCHOOL_YEAR:
        tag = f"{p.start.year}-{str(p.start.year + 1)[-2:]}"
    elif p.kind == st.PeriodKind.CALENDAR_YEAR:
        tag = str(p.start.year)
    else:
        tag = f"{p.start.isoformat()}_{p.last_day.isoformat()}"
    return f"arenden-{tag}"


def _person(p: Party, unit_id: int, named: bool, pseudo: Pseudonyms) -> str:
    if p.kind == "unknown" and not p.name:
        return PARTY_KIND_LABELS["unknown"]
    if named:
        label = p.name or PARTY_KIND_LABELS.get(p.kind, p.kind)
    else:
        label = pseudo.name(p.kind, person_key(p.name_key, p.name, unit_id, p.class_name))
    return f"{label} ({p.class_name})" if p.class_name and p.kind == "pupil" else label


def _local(at: datetime | None) -> datetime | None:
    """A stored time as the local wall time, without zone (spreadsheets have none)."""
    return local(at).replace(tzinfo=None, second=0, microsecond=0) if at else None


def _rows(scope: Scope, named: bool, now: datetime) -> Iterator[list[Value]]:
    """Cases in scope, oldest first, fetched in chunks (keyset on reported_at, id).
    Dates are dates and counts are numbers; the writers format them."""
    pseudo = Pseudonyms()
    with read_scope() as s:
        unit_names = {u.id: u.name for u in scope.units}
        step_limits = limits.limits_for(s, scope.organisation_id)
        users: dict[int, str] = {}
        last: tuple[datetime, int] | None = None
        while True:
            q = select(Case).where(*_conds(scope)).order_by(Case.reported_at, Case.id)
            if last is not None:
                q = q.where(
                    (Case.reported_at > last[0])
                    | ((Case.reported_at == last[0]) & (Case.id > last[1]))
                )
            cases = s.exec(q.limit(CHUNK)).all()
            if not cases:
                return
            last = (cases[-1].reported_at, cases[-1].id)
            wanted = {c.responsible_user_id for c in cases} - set(users) - {None}
            if wanted:
                users.update(s.exec(select(User.id, User.name).where(User.id.in_(wanted))).all())
            parties: dict[int, list[Party]] = {}
            for p in s.exec(
                select(Party).where(Party.case_id.in_([c.id for c in cases])).order_by(Party.id)
            ):
                parties.setdefault(p.case_id, []).append(p)
            for c in cases:
                ps = parties.get(c.id, [])
                subjected = [
                    _person(p, c.unit_id, named, pseudo) for p in ps if p.role == "subjected"
                ]
                involved = [
                    _person(p, c.unit_id, named, pseudo) for p in ps if p.role == "involved"
                ]
                witness = [_person(p, c.unit_id, named, pseudo) for p in ps if p.role == "witness"]
                closed = c.closed_at is not None
                nxt = None if closed else due_step(Step(c.step))
                days = [getattr(c, column) for column, _h in STEP_DAY_HEADERS]
                timed = [
                    (d, step_limits.get(_STEP_OF_COLUMN[column]))
                    for d, (column, _h) in zip(days, STEP_DAY_HEADERS, strict=True)
                    if d is not None and step_limits.get(_STEP_OF_COLUMN[column]) is not None
                ]
                row: list[Value] = [
                    c.reference,
                    unit_names.get(c.unit_id, ""),
                    _local(c.reported_at),
                    c.occurred_on,
                    c.occurred_time,
                    PLACE_LABELS.get(c.place, c.place),
                    kinds_label(c.kinds),
                    grounds_label(c.grounds),
                    c.class_name,
                    GRADE_LABELS.get(c.grade, c.grade) if c.grade else "",
                    STEP_LABELS.get(c.step, c.step),
                    STEP_LABELS[nxt] if nxt else "",
                    "" if closed else users.get(c.responsible_user_id, ""),
                    None if closed or c.due_at is None else local(c.due_at).date(),
                    "Ja" if not closed and c.due_at is not None and c.due_at < now else "Nej",
                    "Ja" if c.staff_involved else "Nej",
                    CONCLUSION_LABELS.get(c.conclusion, c.conclusion),
                    local(c.closed_at).date() if closed else None,
                    *days,
                    ("Ja" if all(d <= lim for d, lim in timed) else "Nej") if timed else "",
                    "; ".join(subjected),
                    "; ".join(involved),
                    "; ".join(witness),
                ]
                if named:
                    row += [c.reporter_name, c.description]
                yield row


def case_list(
    actor: Actor | None, filters: st.Filters, *, include_names: bool, now: datetime
) -> CaseList:
    """The case list of the filters, checked and logged before any row is read."""
    action = "export_cases_named" if include_names else "export_cases"
    try:
        with session_scope() as s:
            scope = resolve_scope(s, actor, filters)
            access_log.record(s, actor, action, now=now)
    except NoStatisticsAccess:
        if actor is not None:
            access_log.deny(actor, action, now=now)
        raise
    headers = BASE_HEADERS + (NAMED_HEADERS if include_names else [])
    stem = _filename_stem(scope) + ("-med-namn" if include_names else "-pseudonymiserad")
    return CaseList(headers, _rows(scope, include_names, now), include_names, stem)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe_cell(value: str) -> str:
    """Keep spreadsheets from running a CSV cell as a formula (formula injection)."""
    return "'" + value if value[:1] in FORMULA_START else value


def _csv_value(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return _safe_cell(value)


def to_csv(cases: CaseList) -> bytes:
    """Semicolon-separated UTF-8 with BOM: opens straight into Swedish Excel (dates
    as åååå-mm-dd, which Swedish Excel reads as dates)."""
    buf = io.StringIO()
    buf.write("\ufeff")
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(cases.headers)
    for row in cases.rows:
        w.writerow([_csv_value(v) for v in row])
    return buf.getvalue().encode("utf-8")


DATE_FORMAT = "yyyy-mm-dd"  # the Swedish short date
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def to_xlsx(cases: CaseList) -> bytes:
    """Real date cells (Swedish format), numbers as numbers, a frozen header row
    with filters; a text is always stored as text, never as a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Ärenden")
    ws.freeze_panes = "A2"
    for i, h in enumerate(cases.headers, start=1):
        width = _WIDTHS.get(h, 18 if h.endswith("(arbetsdagar)") else max(10, len(h) + 2))
        ws.column_dimensions[get_column_letter(i)].width = width
    header = []
    for h in cases.headers:
        cell = WriteOnlyCell(ws, value=h)
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)

    def cell(value: Value):
        if isinstance(value, str):
            c = WriteOnlyCell(ws, value=value)
            if value[:1] in FORMULA_START:
                c.data_type = "s"  # stored as the text it is: never run as a formula
                c.quotePrefix = True  # and Excel keeps it text when the cell is edited
            return c
        c = WriteOnlyCell(ws, value=value)
        if isinstance(value, datetime):
            c.number_format = DATETIME_FORMAT
        elif isinstance(value, date):
            c.number_format = DATE_FORMAT
        return c

    n = 1
    for row in cases.rows:
        ws.append([cell(v) for v in row])
        n += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(cases.headers))}{n}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def unit_label(s: Session, unit_id: int) -> str:
    u = s.get(Unit, unit_id)
    return u.name if u else ""
