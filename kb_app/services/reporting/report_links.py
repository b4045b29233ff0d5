"""The secret report link of each unit: resolve, list, rotate.

A link is ``<public_url>/anmalan/<token>`` with a random token of 192 bits. Rotating
deactivates the old row (kept for the record) and creates a new one; the old link
then answers "länken gäller inte längre" without naming the unit.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from kb_app import routes
from kb_app.db import read_scope, session_scope
from kb_app.domain.access import Action, Actor, can, may_manage_unit_link
from kb_app.domain.fmt import sv_date
from kb_app.errors import AccessDenied
from kb_app.models import Organisation, ReportLink, SchoolClass, Unit
from kb_app.settings import get_settings

REPORT_PATH = routes.REPORT + "/"
SUPPLEMENT_PATH = routes.SUPPLEMENT + "/"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_token() -> str:
    return secrets.token_urlsafe(24)  # 192 bits


def plausible_token(token: object) -> bool:
    """Cheap shape check before any query (URLs can carry anything)."""
    return isinstance(token, str) and bool(_TOKEN.match(token))


def report_url(token: str) -> str:
    return f"{get_settings().public_url}{REPORT_PATH}{token}"


def supplement_url(token: str) -> str:
    return f"{get_settings().public_url}{SUPPLEMENT_PATH}{token}"


@dataclass(frozen=True)
class LinkTarget:
    """What the report form needs to know about the unit behind a valid link."""

    link_id: int
    unit_id: int
    unit_name: str
    organisation_id: int
    classes: dict[str, str]  # class name -> grade, in the unit's order


def active_link(session: Session, token: str) -> tuple[ReportLink, Unit] | None:
    if not plausible_token(token):
        return None
    row = session.exec(
        select(ReportLink, Unit)
        .join(Unit, Unit.id == ReportLink.unit_id)
        .where(ReportLink.token == token, ReportLink.active, Unit.active)
    ).first()
    return (row[0], row[1]) if row else None


def unit_classes(session: Session, unit_id: int) -> dict[str, str]:
    rows = session.exec(
        select(SchoolClass).where(SchoolClass.unit_id == unit_id).order_by(SchoolClass.name)
    ).all()
    return {c.name: c.grade for c in rows}


def resolve(token: str) -> LinkTarget | None:
    """The unit behind an active link, or None for a rotated or unknown one."""
    if not plausible_token(token):
        return None
    with read_scope() as s:
        found = active_link(s, token)
        if found is None:
            return None
        link, unit = found
        return LinkTarget(
            link.id, unit.id, unit.name, unit.organisation_id, unit_classes(s, unit.id)
        )


def _managed_units(s: Session, actor: Actor) -> list[Unit]:
    stmt = select(Unit).where(Unit.organisation_id == actor.organisation_id, Unit.active)
    if not actor.is_admin:
        stmt = stmt.where(Unit.id.in_(sorted(actor.principal_units)))
    return list(s.exec(stmt.order_by(Unit.name)))


def list_links(actor: Actor) -> list[dict[str, str]]:
    """The units whose link the actor may manage, with their current link."""
    if not can(actor, Action.MANAGE_REPORT_LINKS):
        raise AccessDenied()
    with read_scope() as s:
        units = _managed_units(s, actor)
        links = {
            link.unit_id: link
            for link in s.exec(
                select(ReportLink).where(
                    ReportLink.unit_id.in_([u.id for u in units]), ReportLink.active
                )
            )
        }
    out = []
    for unit in units:
        link = links.get(unit.id)
        out.append(
            {
                "unit_id": str(unit.id),
                "unit": unit.name,
                "url": report_url(link.token) if link else "",
                "since": sv_date(link.rotated_at or link.created_at) if link else "",
            }
        )
    return out


def rotate(actor: Actor, unit_id: int, *, now: datetime) -> str:
    """Replace the unit's link (or create its first one); returns the new full link."""
    with session_scope() as s:
        unit = s.get(Unit, unit_id)
        if (
            unit is None
            or unit.organisation_id != actor.organisation_id
            or not may_manage_unit_link(actor, unit_id)
        ):
            raise AccessDenied()
        for old in s.exec(
            select(ReportLink).where(ReportLink.unit_id == unit_id, ReportLink.active)
        ):
            old.active = False
            old.rotated_at = now
            s.add(old)
        token = new_token()
        s.add(ReportLink(unit_id=unit_id, token=token, created_at=now))
    return report_url(token)


def all_links(*, create_missing: bool = False, now: datetime) -> list[tuple[str, str, str]]:
    """Every active unit as (organisation, unit, link or ""): for the operator's CLI."""
    with session_scope() as s:
        rows = s.exec(
            select(Unit, Organisation)
            .join(Organisation, Organisation.id == Unit.organisation_id)
            .where(Unit.active)
            .order_by(Organisation.name, Unit.name)
        ).all()
        out = []
        for unit, org in rows:
            link = s.exec(
                select(ReportLink).where(ReportLink.unit_id == unit.id, ReportLink.active)
            ).first()
            if link is None and create_missing:
                link = ReportLink(unit_id=unit.id, token=new_token(), created_at=now)
                s.add(link)
            out.append((org.name, unit.name, report_url(link.token) if link else ""))
    return out


def poster(actor: Actor, unit_id: int) -> tuple[str, str, str]:
    """The staff-room poster of a unit's report link: (unit name, link, QR code as SVG).
    For those who manage the unit's link; creates no link (an archived unit has none)."""
    import segno

    with read_scope() as s:
        unit = s.get(Unit, unit_id) if isinstance(unit_id, int) else None
        if (
            unit is None
            or actor is None
            or unit.organisation_id != actor.organisation_id
            or not unit.active
            or not may_manage_unit_link(actor, unit_id)
        ):
            raise AccessDenied()
        link = s.exec(
            select(ReportLink).where(ReportLink.unit_id == unit_id, ReportLink.active)
        ).first()
        if link is None:
            raise AccessDenied()
        url = report_url(link.token)
        name = unit.name
    svg = segno.make(url, error="m").svg_inline(scale=8, border=2, dark="#111")
    return name, url, svg
