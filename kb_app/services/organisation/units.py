"""Administration of units (enheter) and their classes or preschool groups.

Admins only; every change is written to the administration log in the same
transaction. Archiving a unit keeps its cases and stops its report link.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, func, select

from kb_app.db import read_scope, session_scope
from kb_app.domain.access import Action, Actor, can
from kb_app.domain.vocab import GRADES, UNIT_KIND_LABELS, UnitKind
from kb_app.errors import AccessDenied, InvalidInput
from kb_app.models import Case, ReportLink, SchoolClass, Unit
from kb_app.services.admin import admin_log
from kb_app.services.admin.admin_log import Kind
from kb_app.services.base import changes
from kb_app.services.reporting.report_links import new_token

PUPILS_MAX = 100_000
MSG_NAME = "Ange enhetens namn."
MSG_NAME_TAKEN = "Det finns redan en enhet med det namnet."
MSG_KIND = "Välj typ av verksamhet."
MSG_GRADE = "Välj årskurser i listan."
MSG_PUPILS = f"Ange ett heltal mellan 0 och {PUPILS_MAX}, eller lämna fältet tomt."
MSG_CLASS_NAME = "Ange klassens eller avdelningens namn."
MSG_CLASS_TAKEN = "Enheten har redan en klass eller avdelning med det namnet."


def _require(actor: Actor | None) -> Actor:
    if not can(actor, Action.ADMINISTER):
        raise AccessDenied()
    return actor


def _unit_of(s: Session, actor: Actor, unit_id: int) -> Unit:
    unit = s.get(Unit, unit_id) if isinstance(unit_id, int) else None
    if unit is None or unit.organisation_id != actor.organisation_id:
        raise AccessDenied()  # looks exactly like a missing unit
    return unit


def parse_pupils(raw: object, errors: dict[str, str], key: str) -> int | None:
    text = str(raw if raw is not None else "").strip().replace(" ", "")
    if text == "":
        return None
    if not text.isdigit() or int(text) > PUPILS_MAX:
        errors[key] = MSG_PUPILS
        return None
    return int(text)


def parse_grades(raw: object, errors: dict[str, str]) -> str:
    items = raw if isinstance(raw, list | tuple) else str(raw or "").replace(";", ",").split(",")
    codes = [str(g).strip().upper() for g in items if str(g).strip()]
    if any(c not in GRADES for c in codes):
        errors["grades"] = MSG_GRADE
        return ""
    return ",".join(g for g in GRADES if g in codes)


def check_unit(values: dict) -> dict:
    errors: dict[str, str] = {}
    name = " ".join(str(values.get("name", "")).split())
    if not name:
        errors["name"] = MSG_NAME
    elif len(name) > 200:
        errors["name"] = f"Högst 200 tecken (nu {len(name)})."
    kind = str(values.get("kind", "")).strip()
    if kind not in {k.value for k in UnitKind}:
        errors["kind"] = MSG_KIND
    grades = parse_grades(values.get("grades", ""), errors)
    pupils = parse_pupils(values.get("pupil_count", ""), errors, "pupil_count")
    if errors:
        raise InvalidInput(errors)
    return {"name": name, "kind": kind, "grades": grades, "pupil_count": pupils}


def _name_taken(s: Session, org_id: int, name: str, except_id: int | None = None) -> bool:
    stmt = select(Unit.id).where(
        Unit.organisation_id == org_id, func.lower(Unit.name) == name.lower()
    )
    if except_id is not None:
        stmt = stmt.where(Unit.id != except_id)
    return s.exec(stmt).first() is not None


def _describe(data: dict) -> str:
    parts = [UNIT_KIND_LABELS.get(data["kind"], data["kind"])]
    if data["grades"]:
        parts.append("årskurser " + data["grades"].replace(",", ", "))
    if data["pupil_count"] is not None:
        parts.append(f"{data['pupil_count']} barn/elever")
    return "; ".join(parts)


def create_unit(actor: Actor, values: dict, *, now: datetime) -> int:
    """A new unit with its first report link. Returns its id."""
    _require(actor)
    data = check_unit(values)
    with session_scope() as s:
        if _name_taken(s, actor.organisation_id, data["name"]):
            raise InvalidInput({"name": MSG_NAME_TAKEN})
        unit = Unit(organisation_id=actor.organisation_id, created_at=now, **data)
        s.add(unit)
        s.flush()
        s.add(ReportLink(unit_id=unit.id, token=new_token(), created_at=now))
        admin_log.record(s, actor, Kind.UNIT_CREATED, data["name"], _describe(data), now=now)
        changes.bump(s, actor.organisation_id, now)
        return unit.id


def update_unit(actor: Actor, unit_id: int, values: dict, *, now: datetime) -> None:
    """Rename a unit, change its type, grades or pupil count."""
    _require(actor)
    data = check_unit(values)
    with session_scope() as s:
        unit = _unit_of(s, actor, unit_id)
        if _name_taken(s, actor.organisation_id, data["name"], except_id=unit.id):
            raise InvalidInput({"name": MSG_NAME_TAKEN})
        before = unit.name
        for key, value in data.items():
            setattr(unit, key, value)
        s.add(unit)
        target = data["name"] if before == data["name"] else f"{before} → {data['name']}"
        admin_log.record(s, actor, Kind.UNIT_CHANGED, target, _describe(data), now=now)
        changes.bump(s, actor.organisation_id, now)


def set_archived(actor: Actor, unit_id: int, archived: bool, *, now: datetime) -> None:
    """Archive a unit (its cases stay, its report link stops) or restore it (with a
    new report link: the old one stays dead)."""
    _require(actor)
    with session_scope() as s:
        unit = _unit_of(s, actor, unit_id)
        if unit.active != archived:
            return  # already so
        unit.active = not archived
        s.add(unit)
        links = s.exec(select(ReportLink).where(ReportLink.unit_id == unit.id, ReportLink.active))
        if archived:
            for link in links:
                link.active = False
                link.rotated_at = now
                s.add(link)
        elif links.first() is None:
            s.add(ReportLink(unit_id=unit.id, token=new_token(), created_at=now))
        open_cases = s.exec(
            select(func.count())
            .select_from(Case)
            .where(Case.unit_id == unit.id, Case.closed_at.is_(None))
        ).one()
        detail = f"{open_cases} öppna ärenden finns kvar" if archived and open_cases else ""
        kind = Kind.UNIT_ARCHIVED if archived else Kind.UNIT_RESTORED
        admin_log.record(s, actor, kind, unit.name, detail, now=now)
        changes.bump(s, actor.organisation_id, now)


def list_units(actor: Actor) -> list[dict[str, str]]:
    """Every unit of the organisation (active first), with its class count."""
    _require(actor)
    with read_scope() as s:
        units = s.exec(
            select(Unit)
            .where(Unit.organisation_id == actor.organisation_id)
            .order_by(Unit.active.desc(), Unit.name)
        ).all()
        counts: dict[int, tuple[int, int]] = {
            unit_id: (n, pupils or 0)
            for unit_id, n, pupils in s.exec(
                select(SchoolClass.unit_id, func.count(), func.sum(SchoolClass.pupil_count))
                .where(SchoolClass.unit_id.in_([u.id for u in units]))
                .group_by(SchoolClass.unit_id)
            )
        }
    return [
        {
            "id": str(u.id),
            "name": u.name,
            "kind": u.kind,
            "kind_label": UNIT_KIND_LABELS.get(u.kind, u.kind),
            "grades": u.grades,
            "grades_label": u.grades.replace(",", ", ") if u.grades else "–",
            "pupil_count": "" if u.pupil_count is None else str(u.pupil_count),
            "classes": str(counts.get(u.id, (0, 0))[0]),
            "class_pupils": str(counts.get(u.id, (0, 0))[1]),
            "active": "1" if u.active else "",
        }
        for u in units
    ]


# Classes and preschool groups -----------------------------------------------------


def check_class(values: dict) -> dict:
    errors: dict[str, str] = {}
    name = " ".join(str(values.get("name", "")).split())
    if not name:
        errors["class_name"] = MSG_CLASS_NAME
    elif len(name) > 100:
        errors["class_name"] = f"Högst 100 tecken (nu {len(name)})."
    grade = str(values.get("grade", "")).strip().upper()
    if grade and grade not in GRADES:
        errors["class_grade"] = MSG_GRADE
    pupils = parse_pupils(values.get("pupil_count", ""), errors, "class_pupils")
    if errors:
        raise InvalidInput(errors)
    return {"name": name, "grade": grade, "pupil_count": pupils}


def list_classes(actor: Actor, unit_id: int) -> list[dict[str, str]]:
    _require(actor)
    with read_scope() as s:
        unit = _unit_of(s, actor, unit_id)
        rows = s.exec(
            select(SchoolClass)
            .where(SchoolClass.unit_id == unit.id)
            .order_by(SchoolClass.grade, SchoolClass.name)
        ).all()
    order = {g: i for i, g in enumerate(["", *GRADES])}
    rows = sorted(rows, key=lambda c: (order.get(c.grade, 99), c.name))
    return [
        {
            "id": str(c.id),
            "name": c.name,
            "grade": c.grade,
            "grade_label": c.grade or "–",
            "pupil_count": "" if c.pupil_count is None else str(c.pupil_count),
        }
        for c in rows
    ]


def _class_taken(s: Session, unit_id: int, name: str, except_id: int | None = None) -> bool:
    stmt = select(SchoolClass.id).where(
        SchoolClass.unit_id == unit_id, func.lower(SchoolClass.name) == name.lower()
    )
    if except_id is not None:
        stmt = stmt.where(SchoolClass.id != except_id)
    return s.exec(stmt).first() is not None


def _class_detail(unit: Unit, data: dict) -> str:
    parts = [unit.name]
    if data["grade"]:
        parts.append(f"årskurs {data['grade']}")
    if data["pupil_count"] is not None:
        parts.append(f"{data['pupil_count']} barn/elever")
    return "; ".join(parts)


def add_class(actor: Actor, unit_id: int, values: dict, *, now: datetime) -> int:
    _require(actor)
    data = check_class(values)
    with session_scope() as s:
        unit = _unit_of(s, actor, unit_id)
        if _class_taken(s, unit.id, data["name"]):
            raise InvalidInput({"class_name": MSG_CLASS_TAKEN})
        row = SchoolClass(unit_id=unit.id, **data)
        s.add(row)
        s.flush()
        admin_log.record(
            s, actor, Kind.CLASS_CREATED, data["name"], _class_detail(unit, data), now=now
        )
        changes.bump(s, actor.organisation_id, now)
        return row.id


def _class_of(s: Session, actor: Actor, class_id: int) -> tuple[SchoolClass, Unit]:
    row = s.get(SchoolClass, class_id) if isinstance(class_id, int) else None
    if row is None:
        raise AccessDenied()
    return row, _unit_of(s, actor, row.unit_id)


def update_class(actor: Actor, class_id: int, values: dict, *, now: datetime) -> None:
    _require(actor)
    data = check_class(values)
    with session_scope() as s:
        row, unit = _class_of(s, actor, class_id)
        if _class_taken(s, unit.id, data["name"], except_id=row.id):
            raise InvalidInput({"class_name": MSG_CLASS_TAKEN})
        before = row.name
        for key, value in data.items():
            setattr(row, key, value)
        s.add(row)
        target = data["name"] if before == data["name"] else f"{before} → {data['name']}"
        admin_log.record(s, actor, Kind.CLASS_CHANGED, target, _class_detail(unit, data), now=now)
        changes.bump(s, actor.organisation_id, now)


def remove_class(actor: Actor, class_id: int, *, now: datetime) -> None:
    """Remove a class from the unit's list (cases keep the class name they carry)."""
    _require(actor)
    with session_scope() as s:
        row, unit = _class_of(s, actor, class_id)
        s.delete(row)
        admin_log.record(s, actor, Kind.CLASS_REMOVED, row.name, unit.name, now=now)
        changes.bump(s, actor.organisation_id, now)
