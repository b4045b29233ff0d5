"""Import of units, classes and users from CSV or XLSX (what school administration
systems export): a template, a preview per row (created, changed, unchanged or an
error in Swedish), then apply in one transaction. Applying the same file twice
changes nothing: every row is matched on its natural key (unit name; unit and
class name; e-mail address) and only what differs is written.

One sheet, one row per thing, columns (case and order free):
``typ`` (enhet, klass, användare), ``enhet``, ``enhetstyp``, ``årskurser``,
``klass``, ``årskurs``, ``antal`` (barn/elever), ``namn``, ``e-post``, ``roll``
(rektor, huvudman, administratör; a rektor row names its unit).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, func, select

from kb_app.db import read_scope, session_scope
from kb_app.domain.access import Action, Actor, can
from kb_app.domain.process import EMAIL_RE
from kb_app.domain.vocab import GRADES, UNIT_KIND_LABELS, Role, UnitKind
from kb_app.errors import AccessDenied, InvalidInput
from kb_app.models import ReportLink, RoleAssignment, SchoolClass, Unit, User
from kb_app.services.admin import admin_log, auth
from kb_app.services.admin.admin_log import Kind
from kb_app.services.base import changes
from kb_app.services.case import invites
from kb_app.services.organisation import users
from kb_app.services.reporting.report_links import new_token

COLUMNS = [
    "typ",
    "enhet",
    "enhetstyp",
    "årskurser",
    "klass",
    "årskurs",
    "antal",
    "namn",
    "e-post",
    "roll",
]
MAX_ROWS = 5000
MAX_BYTES = 5_000_000
KINDS = {
    "enhet": "unit",
    "klass": "class",
    "avdelning": "class",
    "användare": "user",
    "anvandare": "user",
}
UNIT_KINDS = (
    {label.lower(): code for code, label in UNIT_KIND_LABELS.items()}
    | {k.value: k.value for k in UnitKind}
    | {"annan": UnitKind.OTHER}
)
ROLES = {
    "rektor": Role.PRINCIPAL,
    "förskolechef": Role.PRINCIPAL,
    "huvudman": Role.ORGANISER,
    "administratör": Role.ADMIN,
    "admin": Role.ADMIN,
}

CREATE, CHANGE, SAME, ERROR = "Skapas", "Ändras", "Oförändrad", "Fel"
MSG_FILE = "Filen kunde inte läsas. Använd mallen och spara som CSV (UTF-8) eller XLSX."
MSG_TOO_BIG = f"Filen är för stor (högst {MAX_ROWS} rader)."
MSG_TYPE = "Okänd typ: skriv enhet, klass eller användare."
MSG_UNIT_MISSING = "Ange enhetens namn."
MSG_UNKNOWN_UNIT = "Okänd enhet: finns inte och skapas inte i filen."
MSG_UNIT_KIND = "Okänd enhetstyp: förskola, grundskola, gymnasieskola, fritidshem eller annan."
MSG_GRADE = "Okänd årskurs: F, 1–9 eller G1–G3."
MSG_COUNT = "Antal ska vara ett heltal (eller tomt)."
MSG_CLASS = "Ange klassens namn."
MSG_EMAIL = "Ogiltig e-postadress."
MSG_NAME = "Ange personens namn."
MSG_ROLE = "Okänd roll: rektor, huvudman eller administratör."
MSG_DUPLICATE = "Dubblett: samma rad finns tidigare i filen (rad {line})."
MSG_OTHER_ORG = "E-postadressen hör till ett konto i en annan organisation."


def template_csv() -> bytes:
    rows = [
        COLUMNS,
        ["enhet", "Ängsskolan", "grundskola", "F,1,2,3", "", "", "180", "", "", ""],
        ["klass", "Ängsskolan", "", "", "1A", "1", "24", "", "", ""],
        ["enhet", "Backens förskola", "förskola", "", "", "", "40", "", "", ""],
        ["klass", "Backens förskola", "", "", "Avdelning Ekorren", "", "18", "", "", ""],
        ["användare", "Ängsskolan", "", "", "", "", "", "Rut Rektor", "rut@example.se", "rektor"],
        ["användare", "", "", "", "", "", "", "Hans Huvudman", "hans@example.se", "huvudman"],
    ]
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _normal_header(h: object) -> str:
    text = str(h or "").strip().lower().replace("_", "-")
    return {
        "epost": "e-post",
        "email": "e-post",
        "e-mail": "e-post",
        "arskurser": "årskurser",
        "arskurs": "årskurs",
        "antal elever": "antal",
        "elever": "antal",
    }.get(text, text)


def parse(data: bytes, filename: str) -> list[dict[str, str]]:
    """The rows of an uploaded CSV or XLSX file as dicts of the template's columns."""
    if len(data) > MAX_BYTES:
        raise InvalidInput({"file": MSG_TOO_BIG})
    try:
        if filename.lower().endswith(".xlsx"):
            from openpyxl import load_workbook

            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            raw = [
                ["" if c is None else str(c) for c in row]
                for row in wb.active.iter_rows(values_only=True)
            ]
        else:
            text = data.decode("utf-8-sig")
            delimiter = (
                ";"
                if text.split("\n", 1)[0].count(";") >= text.split("\n", 1)[0].count(",")
                else ","
            )
            raw = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets one Swedish answer
        raise InvalidInput({"file": MSG_FILE}) from exc
    raw = [r for r in raw if any(str(c).strip() for c in r)]
    if not raw:
        raise InvalidInput({"file": MSG_FILE})
    header = [_normal_header(h) for h in raw[0]]
    if "typ" not in header:
        raise InvalidInput({"file": MSG_FILE})
    if len(raw) - 1 > MAX_ROWS:
        raise InvalidInput({"file": MSG_TOO_BIG})
    rows = []
    for cells in raw[1:]:
        row = {col: "" for col in COLUMNS}
        for name, value in zip(header, cells, strict=False):
            if name in row:
                row[name] = " ".join(str(value).split())
        rows.append(row)
    return rows


@dataclass
class Planned:
    line: int  # the row in the file (the header is row 1)
    kind: str  # unit, class, user
    outcome: str  # CREATE, CHANGE, SAME, ERROR
    text: str
    error: str = ""
    values: dict = field(default_factory=dict)

    def as_dict(self) -> dict[str, str]:
        return {
            "line": str(self.line),
            "outcome": self.outcome,
            "text": self.text,
            "error": self.error,
        }


@dataclass
class Plan:
    rows: list[Planned]

    @property
    def counts(self) -> dict[str, int]:
        out = {CREATE: 0, CHANGE: 0, SAME: 0, ERROR: 0}
        for r in self.rows:
            out[r.outcome] += 1
        return out

    @property
    def ok(self) -> bool:
        return not any(r.outcome == ERROR for r in self.rows)


def _count(raw: str) -> tuple[int | None, bool]:
    text = raw.replace(" ", "")
    if not text:
        return None, True
    return (int(text), True) if text.isdigit() else (None, False)


def _plan(s: Session, actor: Actor, rows: list[dict[str, str]]) -> Plan:
    org = actor.organisation_id
    units = {u.name.lower(): u for u in s.exec(select(Unit).where(Unit.organisation_id == org))}
    classes = {
        (c.unit_id, c.name.lower()): c
        for c in s.exec(
            select(SchoolClass).where(SchoolClass.unit_id.in_([u.id for u in units.values()]))
        )
    }
    file_units: set[str] = set()
    seen: dict[tuple, int] = {}
    out: list[Planned] = []
    for i, row in enumerate(rows, start=2):
        kind = KINDS.get(row["typ"].lower())
        if kind is None:
            out.append(Planned(i, "", ERROR, row["typ"] or "(tom)", MSG_TYPE))
            continue
        unit_name = row["enhet"]
        if kind == "unit":
            key = ("unit", unit_name.lower())
            code = UNIT_KINDS.get(row["enhetstyp"].lower(), None) if row["enhetstyp"] else None
            grades = [
                g.strip().upper()
                for g in row["årskurser"].replace(";", ",").split(",")
                if g.strip()
            ]
            pupils, count_ok = _count(row["antal"])
            error = (
                MSG_UNIT_MISSING
                if not unit_name
                else MSG_UNIT_KIND
                if row["enhetstyp"] and code is None
                else MSG_GRADE
                if any(g not in GRADES for g in grades)
                else MSG_COUNT
                if not count_ok
                else ""
            )
            text = f"Enhet {unit_name}"
            values = {
                "name": unit_name,
                "kind": code,
                "grades": ",".join(g for g in GRADES if g in grades),
                "pupil_count": pupils,
            }
        elif kind == "class":
            key = ("class", unit_name.lower(), row["klass"].lower())
            grade = row["årskurs"].strip().upper()
            pupils, count_ok = _count(row["antal"])
            known_unit = unit_name.lower() in units or unit_name.lower() in file_units
            error = (
                MSG_UNIT_MISSING
                if not unit_name
                else MSG_UNKNOWN_UNIT
                if not known_unit
                else MSG_CLASS
                if not row["klass"]
                else MSG_GRADE
                if grade and grade not in GRADES
                else MSG_COUNT
                if not count_ok
                else ""
            )
            text = f"Klass {row['klass']} i {unit_name}"
            values = {
                "unit": unit_name,
                "name": row["klass"],
                "grade": grade,
                "pupil_count": pupils,
            }
        else:
            email = auth.normalise_email(row["e-post"])
            key = ("user", email)
            role = ROLES.get(row["roll"].lower())
            needs_unit = role == Role.PRINCIPAL
            known_unit = unit_name.lower() in units or unit_name.lower() in file_units
            error = (
                MSG_EMAIL
                if not EMAIL_RE.match(email)
                else MSG_NAME
                if not row["namn"]
                else MSG_ROLE
                if role is None
                else MSG_UNIT_MISSING
                if needs_unit and not unit_name
                else MSG_UNKNOWN_UNIT
                if needs_unit and not known_unit
                else ""
            )
            text = f"{row['namn']} <{email}>, {row['roll']}" + (
                f" ({unit_name})" if needs_unit else ""
            )
            values = {
                "email": email,
                "name": row["namn"],
                "role": role,
                "unit": unit_name if needs_unit else "",
            }
            key = ("user", email, role, unit_name.lower() if needs_unit else "")
        if not error and key in seen:
            error = MSG_DUPLICATE.format(line=seen[key])
        if error:
            out.append(Planned(i, kind, ERROR, text, error))
            continue
        seen[key] = i
        if kind == "unit":
            file_units.add(unit_name.lower())
            existing = units.get(unit_name.lower())
            if existing is None:
                values["kind"] = values["kind"] or UnitKind.OTHER
                outcome = CREATE
            else:
                changed = (
                    (values["kind"] and values["kind"] != existing.kind)
                    or (values["grades"] and values["grades"] != existing.grades)
                    or (
                        values["pupil_count"] is not None
                        and values["pupil_count"] != existing.pupil_count
                    )
                )
                outcome = CHANGE if changed else SAME
        elif kind == "class":
            unit = units.get(unit_name.lower())
            existing = classes.get((unit.id, row["klass"].lower())) if unit else None
            if existing is None:
                outcome = CREATE
            else:
                changed = (values["grade"] and values["grade"] != existing.grade) or (
                    values["pupil_count"] is not None
                    and values["pupil_count"] != existing.pupil_count
                )
                outcome = CHANGE if changed else SAME
        else:
            user = s.exec(select(User).where(User.email == values["email"])).first()
            if user is not None and user.organisation_id != org:
                out.append(Planned(i, kind, ERROR, text, MSG_OTHER_ORG))
                continue
            if user is None:
                outcome = CREATE
            else:
                unit = units.get(values["unit"].lower()) if values["unit"] else None
                has = s.exec(
                    select(func.count())
                    .select_from(RoleAssignment)
                    .where(
                        RoleAssignment.user_id == user.id,
                        RoleAssignment.role == values["role"],
                        RoleAssignment.unit_id == (unit.id if unit else None)
                        if unit
                        else RoleAssignment.unit_id.is_(None),
                    )
                ).one()
                outcome = SAME if has else CHANGE
        out.append(Planned(i, kind, outcome, text, "", values))
    return Plan(out)


def preview(actor: Actor, rows: list[dict[str, str]]) -> Plan:
    if not can(actor, Action.ADMINISTER):
        raise AccessDenied()
    with read_scope() as s:
        return _plan(s, actor, rows)


def apply(actor: Actor, rows: list[dict[str, str]], *, now: datetime) -> dict[str, int]:
    """Apply the file in one transaction (planned again inside it). Refused as a
    whole while any row has an error. Returns the counts."""
    if not can(actor, Action.ADMINISTER):
        raise AccessDenied()
    invited: list[tuple[User, str]] = []
    with session_scope() as s:
        plan = _plan(s, actor, rows)
        if not plan.ok:
            raise InvalidInput({"file": "Filen har rader med fel. Rätta dem och försök igen."})
        units = {
            u.name.lower(): u
            for u in s.exec(select(Unit).where(Unit.organisation_id == actor.organisation_id))
        }
        for p in plan.rows:
            if p.outcome == SAME:
                continue
            v = p.values
            if p.kind == "unit":
                unit = units.get(v["name"].lower())
                if unit is None:
                    unit = Unit(
                        organisation_id=actor.organisation_id,
                        name=v["name"],
                        kind=v["kind"],
                        grades=v["grades"],
                        pupil_count=v["pupil_count"],
                        created_at=now,
                    )
                    s.add(unit)
                    s.flush()
                    s.add(ReportLink(unit_id=unit.id, token=new_token(), created_at=now))
                    units[v["name"].lower()] = unit
                    admin_log.record(s, actor, Kind.UNIT_CREATED, unit.name, "import", now=now)
                else:
                    if v["kind"]:
                        unit.kind = v["kind"]
                    if v["grades"]:
                        unit.grades = v["grades"]
                    if v["pupil_count"] is not None:
                        unit.pupil_count = v["pupil_count"]
                    s.add(unit)
                    admin_log.record(s, actor, Kind.UNIT_CHANGED, unit.name, "import", now=now)
            elif p.kind == "class":
                unit = units[v["unit"].lower()]
                row = s.exec(
                    select(SchoolClass).where(
                        SchoolClass.unit_id == unit.id,
                        func.lower(SchoolClass.name) == v["name"].lower(),
                    )
                ).first()
                if row is None:
                    row = SchoolClass(
                        unit_id=unit.id,
                        name=v["name"],
                        grade=v["grade"],
                        pupil_count=v["pupil_count"],
                    )
                    kind = Kind.CLASS_CREATED
                else:
                    if v["grade"]:
                        row.grade = v["grade"]
                    if v["pupil_count"] is not None:
                        row.pupil_count = v["pupil_count"]
                    kind = Kind.CLASS_CHANGED
                s.add(row)
                s.flush()
                admin_log.record(s, actor, kind, v["name"], f"{unit.name}; import", now=now)
            else:
                unit = units.get(v["unit"].lower()) if v["unit"] else None
                user = s.exec(select(User).where(User.email == v["email"])).first()
                if user is None:
                    user = User(
                        organisation_id=actor.organisation_id,
                        email=v["email"],
                        name=v["name"],
                        password_hash=None,
                        created_at=now,
                    )
                    s.add(user)
                    s.flush()
                    invited.append((user, invites.create_token(s, user.id, now)))
                    admin_log.record(
                        s,
                        actor,
                        Kind.USER_INVITED,
                        f"{user.name} <{user.email}>",
                        "import",
                        now=now,
                    )
                else:
                    admin_log.record(
                        s,
                        actor,
                        Kind.ROLES_CHANGED,
                        f"{user.name} <{user.email}>",
                        "import",
                        now=now,
                    )
                s.add(
                    RoleAssignment(
                        user_id=user.id, role=v["role"], unit_id=unit.id if unit else None
                    )
                )
                s.flush()
        for user, token in invited:
            users.invite_mail(s, actor, user, token, now)
        changes.bump(s, actor.organisation_id, now)
    auth.forget_sessions()
    return plan.counts
