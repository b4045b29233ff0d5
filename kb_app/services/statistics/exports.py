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
from datetime import datetime

from sqlmodel import Session, select

from kb_app.db import read_scope, session_scope
from kb_app.domain import statistics as st
from kb_app.domain.access import Actor
from kb_app.domain.fmt import sv_date
from kb_app.domain.masking import Pseudonyms, person_key
from kb_app.domain.process import CONCLUSION_LABELS, STEP_LABELS
from kb_app.domain.vocab import (
    GRADE_LABELS,
    PARTY_KIND_LABELS,
    PLACE_LABELS,
    grounds_label,
    kinds_label,
)
from kb_app.errors import NoStatisticsAccess
from kb_app.models import Case, Party, Unit
from kb_app.services.base import access_log
from kb_app.services.statistics.queries import Scope, _conds, resolve_scope

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
    "Personal inblandad",
    "Slutsats",
    "Avslutad",
    "Utsatta",
    "Inblandade",
]
NAMED_HEADERS = ["Anmälare", "Vad hände"]

CHUNK = 1000


@dataclass(frozen=True)
class CaseList:
    headers: list[str]
    rows: Iterator[list[str]]
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


def _rows(scope: Scope, named: bool) -> Iterator[list[str]]:
    """Cases in scope, oldest first, fetched in chunks (keyset on reported_at, id)."""
    pseudo = Pseudonyms()
    with read_scope() as s:
        unit_names = {u.id: u.name for u in scope.units}
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
                    _person(p, c.unit_id, named, pseudo) for p in ps if p.role != "subjected"
                ]
                row = [
                    c.reference,
                    unit_names.get(c.unit_id, ""),
                    sv_date(c.reported_at),
                    sv_date(c.occurred_on),
                    c.occurred_time,
                    PLACE_LABELS.get(c.place, c.place),
                    kinds_label(c.kinds),
                    grounds_label(c.grounds),
                    c.class_name,
                    GRADE_LABELS.get(c.grade, c.grade) if c.grade else "",
                    STEP_LABELS.get(c.step, c.step),
                    "Ja" if c.staff_involved else "Nej",
                    CONCLUSION_LABELS.get(c.conclusion, c.conclusion),
                    sv_date(c.closed_at),
                    "; ".join(subjected),
                    "; ".join(involved),
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
    return CaseList(headers, _rows(scope, include_names), include_names, stem)


def _safe_cell(value: str) -> str:
    """Keep spreadsheets from running a cell as a formula (CSV/formula injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def to_csv(cases: CaseList) -> bytes:
    """Semicolon-separated UTF-8 with BOM: opens straight into Swedish Excel."""
    buf = io.StringIO()
    buf.write("\ufeff")
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(cases.headers)
    for row in cases.rows:
        w.writerow([_safe_cell(v) for v in row])
    return buf.getvalue().encode("utf-8")


def to_xlsx(cases: CaseList) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Ärenden")
    ws.freeze_panes = "A2"
    widths = [16, 24, 14, 14, 9, 22, 24, 24, 10, 16, 20, 10, 24, 14, 30, 30, 24, 60]
    for i, wdt in enumerate(widths[: len(cases.headers)]):
        ws.column_dimensions[chr(ord("A") + i)].width = wdt
    header = []
    for h in cases.headers:
        cell = WriteOnlyCell(ws, value=h)
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    for row in cases.rows:
        ws.append([_safe_cell(v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def unit_label(s: Session, unit_id: int) -> str:
    u = s.get(Unit, unit_id)
    return u.name if u else ""
