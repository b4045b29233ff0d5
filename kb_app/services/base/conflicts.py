"""Who is excluded from which case (jäv), as rows and as SQL.

The policy (``domain.access.can_on_case``) keeps an excluded user away from one
case; lists (the overview, "Upprepade händelser", exports, statistics) leave the
user's excluded cases out with ``not_excluded``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import literal_column
from sqlmodel import Session, select

from kb_app.domain.conflict import EXCLUDING, Candidate, ConflictStatus, NamedParty, matches
from kb_app.domain.vocab import Role
from kb_app.models import Case, CaseConflict, Party, RoleAssignment, User

_EXCLUDING = [str(s) for s in EXCLUDING]


def _excluding():
    # Constants of our own vocabulary, inlined: the overview's prepared statements
    # take no expanding IN.
    return CaseConflict.status.in_([literal_column(f"'{s}'") for s in _EXCLUDING])


def excluded_user_ids(s: Session, case_id: int) -> frozenset[int]:
    return frozenset(
        s.exec(
            select(CaseConflict.user_id).where(
                CaseConflict.case_id == case_id, CaseConflict.status.in_(_EXCLUDING)
            )
        )
    )


def excluded_cases(user_id):
    """SELECT of the case ids ``user_id`` (a value or a bound parameter) is excluded from."""
    return select(CaseConflict.case_id).where(CaseConflict.user_id == user_id, _excluding())


def not_excluded(user_id, column=None):
    """Condition: the case (``column``, default ``Case.id``) is not one ``user_id`` is
    excluded from."""
    return (Case.id if column is None else column).not_in(excluded_cases(user_id))


def organiser_for(s: Session, organisation_id: int, prefer: int | None = None) -> int | None:
    """The organiser a bypassed case goes to: ``prefer`` if that is an active
    organiser of the organisation, else the first one."""
    ids = list(
        s.exec(
            select(User.id)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(
                RoleAssignment.role == Role.ORGANISER,
                RoleAssignment.unit_id.is_(None),
                User.organisation_id == organisation_id,
                User.active.is_(True),
            )
            .order_by(User.id)
        )
    )
    if prefer in ids:
        return prefer
    return ids[0] if ids else None


def detect(s: Session, case: Case, *, now: datetime, new_only: bool = False) -> list[User]:
    """At the report: the users with a role at the case's unit whom an involved party
    names (normalised name). Each gets a suspected conflict, which excludes them
    until an organiser rejects it. Returns those users (in id order).

    ``new_only`` (after a party is added or corrected): only users with no conflict
    recorded on the case yet, so one an organiser has already decided stays decided."""
    users = list(
        s.exec(
            select(User)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(
                RoleAssignment.unit_id == case.unit_id, User.organisation_id == case.organisation_id
            )
            .order_by(User.id)
        ).unique()
    )
    parties = s.exec(select(Party).where(Party.case_id == case.id).order_by(Party.id))
    found = matches(
        [NamedParty(p.id, p.role, p.kind, p.name) for p in parties],
        [Candidate(u.id, u.name) for u in users],
    )
    if new_only:
        known = set(s.exec(select(CaseConflict.user_id).where(CaseConflict.case_id == case.id)))
        found = [m for m in found if m.user_id not in known]
    by_id = {u.id: u for u in users}
    for m in found:
        s.add(
            CaseConflict(
                case_id=case.id,
                user_id=m.user_id,
                party_id=m.party_id,
                status=ConflictStatus.SUSPECTED,
                created_at=now,
            )
        )
    s.flush()
    return [by_id[m.user_id] for m in found]


def conflicts_of(s: Session, case_id: int) -> list[tuple[CaseConflict, str]]:
    """Every conflict recorded on a case, with the user's name."""
    return list(
        s.exec(
            select(CaseConflict, User.name)
            .join(User, User.id == CaseConflict.user_id)
            .where(CaseConflict.case_id == case_id)
            .order_by(CaseConflict.id)
        )
    )


def bypass(s: Session, case: Case, *, now: datetime, new_only: bool = False) -> list[User]:
    """Detect the users an involved party names (``detect``); if any, the organiser
    takes the case (at the report always; after a party change, ``new_only``, when
    one of them was responsible) and a "conflict bypassed" event says so."""
    from kb_app.domain.process import EventKind
    from kb_app.services.base.timeline import append_event

    bypassed = detect(s, case, now=now, new_only=new_only)
    if not bypassed:
        return []
    if not new_only or case.responsible_user_id in {u.id for u in bypassed}:
        case.responsible_user_id = organiser_for(s, case.organisation_id)
        s.add(case)
    append_event(
        s,
        case,
        EventKind.CONFLICT_BYPASSED,
        at=now,
        actor_label="Värna (automatiskt)",
        payload={
            "users": [u.name for u in bypassed],
            "user_ids": [u.id for u in bypassed],
            "responsible_user_id": case.responsible_user_id,
        },
    )
    return bypassed
