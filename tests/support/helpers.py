"""Small helpers for tests (no mocks: they read the real database)."""

from __future__ import annotations

from sqlmodel import select

from kb_app.db import read_scope
from kb_app.domain.access import Actor
from kb_app.models import Case, Unit, User
from kb_app.services.admin.auth import load_actor


def actor_for(email: str) -> Actor:
    with read_scope() as s:
        user = s.exec(select(User).where(User.email == email)).one()
        return load_actor(s, user)


def unit_named(name: str) -> Unit:
    with read_scope() as s:
        return s.exec(select(Unit).where(Unit.name == name)).one()


def cases_of_unit(unit_id: int) -> list[Case]:
    with read_scope() as s:
        return list(s.exec(select(Case).where(Case.unit_id == unit_id).order_by(Case.id)))
