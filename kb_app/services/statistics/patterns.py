"""Repeated events ("Upprepade händelser") for principals (their units) and organisers.

Pupils who appear in several cases within 12 months, as subjected or involved,
matched on the normalised name (``Party.name_key``) and class within a unit; and
places and times that recur. A match can be marked wrong (``PatternDismissal``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, literal_column
from sqlmodel import Session, select

from kb_app.db import read_scope, session_scope
from kb_app.domain import patterns as pt
from kb_app.domain.access import Action, Actor, can, unit_scope, visible_unit_ids
from kb_app.domain.statistics import weekday_from_sql
from kb_app.errors import NoStatisticsAccess
from kb_app.models import Case, Party, PatternDismissal, Unit
from kb_app.services.base import access_log
from kb_app.services.base.conflicts import not_excluded
from kb_app.services.statistics.queries import weekday_sunday0


@dataclass(frozen=True)
class Patterns:
    pupils: list[pt.RepeatedPupil]
    places: list[pt.Recurring]
    times: list[pt.Recurring]
    dismissed: int  # matches currently hidden as wrong
    since: datetime


def _visible_units(s: Session, actor: Actor | None) -> dict[int, str]:
    if actor is None or not can(actor, Action.STATISTICS):
        raise NoStatisticsAccess()
    rows = s.exec(
        select(Unit.id, Unit.name).where(Unit.organisation_id == actor.organisation_id)
    ).all()
    names = dict(rows)
    return {u: names[u] for u in visible_unit_ids(actor, list(names))}


def _unit_ids(actor: Actor, names: dict[int, str]) -> list[int] | None:
    """The visible units as a condition, or None when the actor sees the whole
    organisation (no unit condition)."""
    return None if unit_scope(actor) is None else sorted(names)


def _class_key_sql(col):
    return func.replace(col, " ", "")


# "+ 0": group without steering the planner onto the unit index (see statistics.units)
UNIT = (Case.unit_id + literal_column("0")).label("unit")


def _in_units(unit_ids: list[int] | None, me: int):
    """A unit condition (none when the actor sees the whole organisation), and never
    a case the actor ``me`` is named as involved in (jäv)."""
    units = [] if unit_ids is None else [Case.unit_id.in_(unit_ids)]
    return [*units, not_excluded(me)]


def _groups(
    s: Session, org_id: int, unit_ids: list[int] | None, since: datetime, me: int, key=None
):
    ck = _class_key_sql(Party.class_name)
    q = (
        select(
            UNIT,
            Party.name_key,
            ck.label("ck"),
            func.count(func.distinct(Case.id)),
            func.max(Case.id),
            func.sum(case((Party.role == "subjected", 1), else_=0)),
            func.sum(case((Party.role == "involved", 1), else_=0)),
        )
        .join(Case, Case.id == Party.case_id)
        .where(
            Case.organisation_id == org_id,
            *_in_units(unit_ids, me),
            Case.reported_at >= since,
            Party.kind == "pupil",
            Party.role.in_(["subjected", "involved"]),
            Party.name_key != "",
        )
        .group_by(UNIT, Party.name_key, ck)
        .having(func.count(func.distinct(Case.id)) >= pt.MIN_CASES)
    )
    if key is not None:
        q = q.where(Case.unit_id == key.unit_id, Party.name_key == key.name_key)
    return [
        pt.MatchGroup(pt.MatchKey(u, nk, c or ""), int(n), int(last), int(sj or 0), int(inv or 0))
        for u, nk, c, n, last, sj, inv in s.exec(q)
        if key is None or (c or "") == key.class_key
    ]


def _dismissed(s: Session, org_id: int) -> dict[pt.MatchKey, int]:
    out: dict[pt.MatchKey, int] = {}
    for d in s.exec(select(PatternDismissal).where(PatternDismissal.organisation_id == org_id)):
        k = pt.MatchKey(d.unit_id, d.name_key, d.class_key)
        out[k] = max(out.get(k, 0), d.last_case_id)
    return out


LIST_PATTERNS = "list_patterns"


def find(actor: Actor | None, *, now: datetime) -> Patterns:
    """ "Upprepade händelser" for the actor's units. The list shows pupils' names:
    each read is in the access log."""
    found = _find(actor, now=now)  # raises NoStatisticsAccess for anybody else
    with session_scope() as s:
        access_log.record(s, actor, LIST_PATTERNS, now=now)
    return found


def _find(actor: Actor | None, *, now: datetime) -> Patterns:
    since = now - timedelta(days=pt.WINDOW_DAYS)
    with read_scope() as s:
        names = _visible_units(s, actor)
        if not names:
            return Patterns([], [], [], 0, since)
        unit_ids = _unit_ids(actor, names)
        org_id = actor.organisation_id
        dismissed = _dismissed(s, org_id)
        groups = _groups(s, org_id, unit_ids, since, actor.user_id)
        hidden = sum(1 for g in groups if g.key in dismissed and g.last_case_id <= dismissed[g.key])
        listed = pt.visible_groups(groups, dismissed)
        pupils = []
        if listed:
            keys = {g.key for g, _ in listed}
            rows = s.exec(
                select(
                    Case.unit_id,
                    Party.name_key,
                    Party.class_name,
                    Party.name,
                    Party.role,
                    Case.id,
                    Case.reference,
                    Case.reported_at,
                )
                .join(Case, Case.id == Party.case_id)
                .where(
                    Case.organisation_id == org_id,
                    Case.unit_id.in_(sorted({k.unit_id for k in keys})),
                    not_excluded(actor.user_id),
                    Case.reported_at >= since,
                    Party.kind == "pupil",
                    Party.role.in_(["subjected", "involved"]),
                    Party.name_key.in_(sorted({k.name_key for k in keys})),
                )
            ).all()
            parties: dict[pt.MatchKey, list] = {}
            for u, nk, cls, name, role, cid, ref, at in rows:
                k = pt.MatchKey(u, nk, pt.class_key(cls))
                if k in keys:
                    parties.setdefault(k, []).append((name, cls, pt.CaseRef(cid, ref, at, role)))
            pupils = [
                pt.repeated_pupil(g, again, names[g.key.unit_id], parties.get(g.key, []))
                for g, again in listed
            ]
        base = [
            Case.organisation_id == org_id,
            *_in_units(unit_ids, actor.user_id),
            Case.reported_at >= since,
        ]
        totals = dict(s.exec(select(UNIT, func.count()).where(*base).group_by(UNIT)).all())
        place_rows = s.exec(
            select(UNIT, Case.place, func.count())
            .where(*base)
            .group_by(UNIT, Case.place)
            .having(func.count() >= pt.MIN_RECURRING)
        ).all()
        inner = (
            select(
                Case.unit_id.label("u"),
                weekday_sunday0(s.get_bind().dialect.name, Case.occurred_on).label("wd"),
                func.substr(Case.occurred_time, 1, 2).label("hh"),
            )
            .where(*base, Case.occurred_time != "")
            .subquery()
        )
        time_rows = s.exec(
            select(inner.c.u, inner.c.wd, inner.c.hh, func.count())
            .group_by(inner.c.u, inner.c.wd, inner.c.hh)
            .having(func.count() >= pt.MIN_RECURRING)
        ).all()
    return Patterns(
        pupils=pupils,
        places=pt.recurring_places(place_rows, totals, names),
        times=pt.recurring_times(
            [(u, weekday_from_sql(wd), hh, n) for u, wd, hh, n in time_rows], totals, names
        ),
        dismissed=hidden,
        since=since,
    )


def _key_for_token(s: Session, actor: Actor, token: str, since: datetime) -> pt.MatchGroup | None:
    names = _visible_units(s, actor)
    if not names:
        return None
    unit_ids = _unit_ids(actor, names)
    for g in _groups(s, actor.organisation_id, unit_ids, since, actor.user_id):
        if g.key.token == token:
            return g
    return None


def dismiss(actor: Actor | None, token: str, *, now: datetime) -> bool:
    """Mark the match with ``token`` as wrong. The match is looked up again on the
    server within the actor's units (the page only holds an opaque token)."""
    since = now - timedelta(days=pt.WINDOW_DAYS)
    with session_scope() as s:
        group = _key_for_token(s, actor, token, since)
        if group is None:
            return False
        s.add(
            PatternDismissal(
                organisation_id=actor.organisation_id,
                unit_id=group.key.unit_id,
                name_key=group.key.name_key,
                class_key=group.key.class_key,
                last_case_id=group.last_case_id,
                dismissed_by_user_id=actor.user_id,
                dismissed_at=now,
            )
        )
    return True


def restore_all(actor: Actor | None) -> int:
    """Show every match marked wrong again (within the actor's units)."""
    with session_scope() as s:
        names = _visible_units(s, actor)
        rows = s.exec(
            select(PatternDismissal).where(
                PatternDismissal.organisation_id == actor.organisation_id,
                PatternDismissal.unit_id.in_(sorted(names) or [-1]),
            )
        ).all()
        for r in rows:
            s.delete(r)
        return len(rows)
