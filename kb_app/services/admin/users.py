"""Administration: users and units (no case content)."""

from __future__ import annotations

from sqlmodel import select

from kb_app.db import read_scope
from kb_app.domain.access import Action, Actor, can
from kb_app.domain.vocab import ROLE_LABELS, UNIT_KIND_LABELS
from kb_app.errors import AccessDenied
from kb_app.models import RoleAssignment, SchoolClass, Unit, User


def list_users(actor: Actor) -> list[dict[str, str]]:
    if not can(actor, Action.ADMINISTER):
        raise AccessDenied()
    with read_scope() as s:
        users = s.exec(
            select(User).where(User.organisation_id == actor.organisation_id).order_by(User.name)
        ).all()
        units = {
            u.id: u.name
            for u in s.exec(select(Unit).where(Unit.organisation_id == actor.organisation_id))
        }
        roles: dict[int, list[str]] = {}
        for ra in s.exec(
            select(RoleAssignment).where(RoleAssignment.user_id.in_([u.id for u in users]))
        ):
            label = ROLE_LABELS.get(ra.role, ra.role)
            roles.setdefault(ra.user_id, []).append(
                f"{label} ({units[ra.unit_id]})" if ra.unit_id else label
            )
    return [
        {
            "name": u.name,
            "email": u.email,
            "roles": ", ".join(sorted(roles.get(u.id, []))),
            "active": "Aktiv" if u.active else "Inaktiv",
        }
        for u in users
    ]


def list_units(actor: Actor) -> list[dict[str, str]]:
    if not can(actor, Action.ADMINISTER):
        raise AccessDenied()
    with read_scope() as s:
        units = s.exec(
            select(Unit).where(Unit.organisation_id == actor.organisation_id).order_by(Unit.name)
        ).all()
        classes: dict[int, int] = {}
        for c in s.exec(select(SchoolClass).where(SchoolClass.unit_id.in_([u.id for u in units]))):
            classes[c.unit_id] = classes.get(c.unit_id, 0) + 1
    return [
        {
            "name": u.name,
            "kind": UNIT_KIND_LABELS.get(u.kind, u.kind),
            "classes": str(classes.get(u.id, 0)),
            "pupils": str(u.pupil_count or ""),
        }
        for u in units
    ]
