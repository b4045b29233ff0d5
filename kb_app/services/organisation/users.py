"""Administration: users and their roles (no case content).

An admin invites a person by e-mail (a one-time set-password link, the same token
code as delegation's invitations and password resets), gives roles per
organisation (huvudman, administratör) and per unit (rektor/förskolechef),
resends an invitation, deactivates and reactivates. A principal who is
deactivated or loses a unit first hands that unit's open cases (those they are
responsible for) to another principal of the unit: no case is left without a
responsible person. The admin sees only the cases' references and steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, func, select

from kb_app.db import read_scope, session_scope
from kb_app.domain.access import Action, Actor, can
from kb_app.domain.process import EMAIL_RE, STEP_LABELS, EventKind
from kb_app.domain.vocab import ROLE_LABELS, UNIT_KIND_LABELS, Role
from kb_app.errors import AccessDenied, InvalidInput
from kb_app.models import (
    Case,
    OneTimeToken,
    RoleAssignment,
    SchoolClass,
    Unit,
    User,
    UserSession,
)
from kb_app.services.admin import admin_log, auth
from kb_app.services.admin.admin_log import Kind
from kb_app.services.base import changes, outbox, timeline
from kb_app.services.case import invites

ORG_ROLES = (Role.ORGANISER, Role.ADMIN)
MSG_EMAIL = "Ange en giltig e-postadress."
MSG_EMAIL_TAKEN = "Det finns redan ett konto med den e-postadressen."
MSG_NAME = "Ange personens namn."
MSG_NO_ROLE = "Ge personen minst en roll."
MSG_UNIT = "Välj enheter i listan."
MSG_SELF = "Du kan inte inaktivera dig själv eller ta bort din egen administratörsroll."
MSG_LAST_ADMIN = "Organisationen måste ha minst en aktiv administratör."
MSG_HANDOVER = "Välj vem som tar över ärendena."
MSG_NO_CANDIDATE = (
    "Enheten har ingen annan aktiv rektor. Ge först någon annan rollen rektor för "
    "enheten, och lämna sedan över ärendena."
)
MSG_NOT_INVITED = "Personen har redan valt ett lösenord; inbjudan behöver inte skickas igen."


def _require(actor: Actor | None) -> Actor:
    if not can(actor, Action.ADMINISTER):
        raise AccessDenied()
    return actor


def _user_of(s: Session, actor: Actor, user_id: int) -> User:
    user = s.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or user.organisation_id != actor.organisation_id:
        raise AccessDenied()
    return user


# Reading ---------------------------------------------------------------------------


def list_users(actor: Actor) -> list[dict[str, str]]:
    _require(actor)
    with read_scope() as s:
        users = s.exec(
            select(User).where(User.organisation_id == actor.organisation_id).order_by(User.name)
        ).all()
        units = {
            u.id: u.name
            for u in s.exec(select(Unit).where(Unit.organisation_id == actor.organisation_id))
        }
        roles: dict[int, list[RoleAssignment]] = {}
        for ra in s.exec(
            select(RoleAssignment).where(RoleAssignment.user_id.in_([u.id for u in users]))
        ):
            roles.setdefault(ra.user_id, []).append(ra)
    out = []
    for u in users:
        mine = roles.get(u.id, [])
        labels = sorted(
            f"{ROLE_LABELS.get(r.role, r.role)} ({units.get(r.unit_id, '?')})"
            if r.unit_id
            else ROLE_LABELS.get(r.role, r.role)
            for r in mine
        )
        status = "Inaktiv" if not u.active else "Inbjuden" if not u.password_hash else "Aktiv"
        out.append(
            {
                "id": str(u.id),
                "name": u.name,
                "email": u.email,
                "roles": ", ".join(labels) or "Ingen roll",
                "status": status,
                "active": "1" if u.active else "",
                "invited": "1" if u.active and not u.password_hash else "",
                "organiser": "1" if any(r.role == Role.ORGANISER for r in mine) else "",
                "admin": "1" if any(r.role == Role.ADMIN and not r.unit_id for r in mine) else "",
                "principal_units": ",".join(
                    str(r.unit_id) for r in mine if r.role == Role.PRINCIPAL and r.unit_id
                ),
                "self": "1" if u.id == actor.user_id else "",
            }
        )
    return out


def list_units(actor: Actor) -> list[dict[str, str]]:
    """The units, for the users' role form (active units only)."""
    _require(actor)
    with read_scope() as s:
        units = s.exec(
            select(Unit)
            .where(Unit.organisation_id == actor.organisation_id, Unit.active)
            .order_by(Unit.name)
        ).all()
        classes: dict[int, int] = dict(
            s.exec(
                select(SchoolClass.unit_id, func.count())
                .where(SchoolClass.unit_id.in_([u.id for u in units]))
                .group_by(SchoolClass.unit_id)
            ).all()
        )
    return [
        {
            "id": str(u.id),
            "name": u.name,
            "kind": UNIT_KIND_LABELS.get(u.kind, u.kind),
            "classes": str(classes.get(u.id, 0)),
            "pupils": str(u.pupil_count or ""),
        }
        for u in units
    ]


# Checking the form -----------------------------------------------------------------


@dataclass
class RoleChoice:
    org_roles: frozenset[str]
    principal_units: frozenset[int]

    def labels(self, unit_names: dict[int, str]) -> str:
        parts = [ROLE_LABELS[r] for r in ORG_ROLES if r in self.org_roles]
        parts += [
            f"{ROLE_LABELS[Role.PRINCIPAL]} ({unit_names.get(u, '?')})"
            for u in sorted(self.principal_units, key=lambda u: unit_names.get(u, ""))
        ]
        return ", ".join(parts) or "inga roller"


def _truthy(v: object) -> bool:
    return v is True or str(v).lower() in {"1", "true", "on", "ja", "yes"}


def check_roles(s: Session, actor: Actor, values: dict, errors: dict[str, str]) -> RoleChoice:
    org_roles = frozenset(str(r) for r in ORG_ROLES if _truthy(values.get(str(r))))
    raw = values.get("principal_units", "")
    items = raw if isinstance(raw, list | tuple) else str(raw or "").split(",")
    ids: set[int] = set()
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        if not text.isdigit():
            errors["principal_units"] = MSG_UNIT
            continue
        ids.add(int(text))
    if ids:
        found = set(
            s.exec(
                select(Unit.id).where(
                    Unit.id.in_(sorted(ids)),
                    Unit.organisation_id == actor.organisation_id,
                    Unit.active,
                )
            ).all()
        )
        if found != ids:
            errors["principal_units"] = MSG_UNIT
    return RoleChoice(org_roles, frozenset(ids))


def check_person(values: dict, errors: dict[str, str]) -> tuple[str, str]:
    email = auth.normalise_email(str(values.get("email", "")))
    if not email or not EMAIL_RE.match(email):
        errors["email"] = MSG_EMAIL
    name = " ".join(str(values.get("name", "")).split())
    if not name:
        errors["name"] = MSG_NAME
    elif len(name) > 200:
        errors["name"] = f"Högst 200 tecken (nu {len(name)})."
    return email, name


def _unit_names(s: Session, org_id: int) -> dict[int, str]:
    return dict(s.exec(select(Unit.id, Unit.name).where(Unit.organisation_id == org_id)).all())


def _set_roles(s: Session, user_id: int, choice: RoleChoice) -> None:
    """Replace the user's organisation and principal roles (an investigator role,
    given by delegation, stays)."""
    for ra in s.exec(select(RoleAssignment).where(RoleAssignment.user_id == user_id)):
        if ra.role in ORG_ROLES or ra.role == Role.PRINCIPAL:
            s.delete(ra)
    s.flush()
    for role in sorted(choice.org_roles):
        s.add(RoleAssignment(user_id=user_id, role=role))
    for unit_id in sorted(choice.principal_units):
        s.add(RoleAssignment(user_id=user_id, role=Role.PRINCIPAL, unit_id=unit_id))


def _current_choice(s: Session, user_id: int) -> RoleChoice:
    rows = s.exec(select(RoleAssignment).where(RoleAssignment.user_id == user_id)).all()
    return RoleChoice(
        frozenset(r.role for r in rows if r.role in ORG_ROLES and r.unit_id is None),
        frozenset(r.unit_id for r in rows if r.role == Role.PRINCIPAL and r.unit_id),
    )


# Inviting --------------------------------------------------------------------------


def invite_mail(s: Session, actor: Actor, user: User, token: str, now: datetime) -> None:
    body = (
        f"Hej {user.name}!\n\n{actor.name} har bjudit in dig till Värna, där skolan "
        "hanterar anmälningar om kränkande behandling.\n\n"
        "Välj ditt lösenord här (länken gäller i 7 dagar och kan användas en gång):\n"
        f"{invites.set_password_link(token)}\n\n"
        "Logga sedan in med din e-postadress.\n\n"
        "Detta är ett automatiskt meddelande från Värna.\n"
    )
    outbox.queue_mail(
        s,
        to=user.email,
        subject="Värna: du är inbjuden",
        body=body,
        now=now,
        organisation_id=actor.organisation_id,
    )


def invite_user(actor: Actor, values: dict, *, now: datetime) -> int:
    """A new user with roles, and a mail with a one-time set-password link."""
    _require(actor)
    errors: dict[str, str] = {}
    email, name = check_person(values, errors)
    with session_scope() as s:
        choice = check_roles(s, actor, values, errors)
        if not errors and not choice.org_roles and not choice.principal_units:
            errors["roles"] = MSG_NO_ROLE
        if "email" not in errors and s.exec(select(User.id).where(User.email == email)).first():
            errors["email"] = MSG_EMAIL_TAKEN
        if errors:
            raise InvalidInput(errors)
        user = User(
            organisation_id=actor.organisation_id,
            email=email,
            name=name,
            password_hash=None,
            created_at=now,
        )
        s.add(user)
        s.flush()
        _set_roles(s, user.id, choice)
        token = invites.create_token(s, user.id, now)
        invite_mail(s, actor, user, token, now)
        admin_log.record(
            s,
            actor,
            Kind.USER_INVITED,
            f"{name} <{email}>",
            choice.labels(_unit_names(s, actor.organisation_id)),
            now=now,
        )
        return user.id


def resend_invitation(actor: Actor, user_id: int, *, now: datetime) -> None:
    """A new set-password link for an invited user; earlier links stop working."""
    _require(actor)
    with session_scope() as s:
        user = _user_of(s, actor, user_id)
        if user.password_hash or not user.active:
            raise InvalidInput({"user": MSG_NOT_INVITED})
        s.execute(
            update(OneTimeToken)
            .where(
                OneTimeToken.user_id == user.id,
                OneTimeToken.purpose == invites.PURPOSE,
                OneTimeToken.used_at.is_(None),
            )
            .values(used_at=now)
        )
        token = invites.create_token(s, user.id, now)
        invite_mail(s, actor, user, token, now)
        admin_log.record(s, actor, Kind.INVITATION_RESENT, f"{user.name} <{user.email}>", now=now)


# Handing over open cases -------------------------------------------------------------


@dataclass
class Handover:
    """One unit whose open cases a leaving principal must hand over."""

    unit_id: int
    unit: str
    cases: list[tuple[str, str]] = field(default_factory=list)  # (reference, step label)
    candidates: list[tuple[int, str]] = field(default_factory=list)  # (user id, name)

    def as_dict(self) -> dict[str, str]:
        return {
            "unit_id": str(self.unit_id),
            "unit": self.unit,
            "count": str(len(self.cases)),
            "cases": ", ".join(f"{ref} ({step})" for ref, step in self.cases),
            "candidates": "|".join(f"{uid}:{name}" for uid, name in self.candidates),
        }


def _handovers(s: Session, user: User, lost_units: frozenset[int]) -> list[Handover]:
    if not lost_units:
        return []
    cases = s.exec(
        select(Case.unit_id, Case.reference, Case.step)
        .where(
            Case.unit_id.in_(sorted(lost_units)),
            Case.responsible_user_id == user.id,
            Case.closed_at.is_(None),
        )
        .order_by(Case.reference)
    ).all()
    by_unit: dict[int, Handover] = {}
    names = _unit_names(s, user.organisation_id)
    for unit_id, reference, step in cases:
        h = by_unit.setdefault(unit_id, Handover(unit_id, names.get(unit_id, "?")))
        h.cases.append((reference, STEP_LABELS.get(step, step)))
    for h in by_unit.values():
        h.candidates = [
            (uid, name)
            for uid, name in s.exec(
                select(User.id, User.name)
                .join(RoleAssignment, RoleAssignment.user_id == User.id)
                .where(
                    RoleAssignment.role == Role.PRINCIPAL,
                    RoleAssignment.unit_id == h.unit_id,
                    User.active,
                    User.id != user.id,
                )
                .order_by(User.name)
            ).all()
        ]
    return sorted(by_unit.values(), key=lambda h: h.unit)


def _hand_over(
    s: Session,
    actor: Actor,
    user: User,
    needed: list[Handover],
    handover: dict[int, int],
    now: datetime,
) -> None:
    """Move each lost unit's open cases of ``user`` to the chosen principal, with a
    timeline event on each case, or refuse (InvalidInput) when a choice is missing."""
    errors: dict[str, str] = {}
    for h in needed:
        chosen = handover.get(h.unit_id)
        if not h.candidates:
            errors[f"handover_{h.unit_id}"] = MSG_NO_CANDIDATE
        elif chosen not in {uid for uid, _ in h.candidates}:
            errors[f"handover_{h.unit_id}"] = MSG_HANDOVER
    if errors:
        raise InvalidInput(errors)
    for h in needed:
        new_user = s.get(User, handover[h.unit_id])
        rows = s.exec(
            select(Case).where(
                Case.unit_id == h.unit_id,
                Case.responsible_user_id == user.id,
                Case.closed_at.is_(None),
            )
        ).all()
        for case in rows:
            case.responsible_user_id = new_user.id
            case.updated_at = now
            s.add(case)
            timeline.append_event(
                s,
                case,
                EventKind.HANDED_OVER,
                at=now,
                actor_user_id=actor.user_id,
                actor_label=actor.name,
                payload={
                    "from_user_id": user.id,
                    "from": user.name,
                    "to_user_id": new_user.id,
                    "to": new_user.name,
                },
            )
        admin_log.record(
            s,
            actor,
            Kind.CASES_HANDED_OVER,
            h.unit,
            f"{len(rows)} öppna ärenden från {user.name} till {new_user.name}",
            now=now,
        )
    if needed:
        changes.bump(s, actor.organisation_id, now)


def _active_admins(s: Session, org_id: int) -> set[int]:
    return set(
        s.exec(
            select(User.id)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(
                User.organisation_id == org_id,
                User.active,
                RoleAssignment.role == Role.ADMIN,
                RoleAssignment.unit_id.is_(None),
            )
        ).all()
    )


@dataclass
class Outcome:
    """What a role change or deactivation did: done, or the handovers it needs first."""

    done: bool
    handovers: list[dict[str, str]] = field(default_factory=list)


def _end_sessions(s: Session, user_id: int, now: datetime) -> None:
    s.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def change_roles(
    actor: Actor,
    user_id: int,
    values: dict,
    *,
    handover: dict[int, int] | None = None,
    now: datetime,
) -> Outcome:
    """Replace a user's organisation and principal roles. A principal who loses a
    unit with open cases of theirs must hand them over first: without ``handover``
    (unit id → new principal's user id) the outcome lists what is needed."""
    _require(actor)
    errors: dict[str, str] = {}
    with session_scope() as s:
        user = _user_of(s, actor, user_id)
        choice = check_roles(s, actor, values, errors)
        if errors:
            raise InvalidInput(errors)
        before = _current_choice(s, user.id)
        if user.id == actor.user_id and Role.ADMIN not in choice.org_roles:
            raise InvalidInput({"roles": MSG_SELF})
        if Role.ADMIN in before.org_roles and Role.ADMIN not in choice.org_roles:
            if not (_active_admins(s, actor.organisation_id) - {user.id}):
                raise InvalidInput({"roles": MSG_LAST_ADMIN})
        needed = _handovers(s, user, before.principal_units - choice.principal_units)
        if needed and handover is None:
            return Outcome(False, [h.as_dict() for h in needed])
        _hand_over(s, actor, user, needed, handover or {}, now)
        if choice == before:
            return Outcome(True)
        _set_roles(s, user.id, choice)
        names = _unit_names(s, actor.organisation_id)
        admin_log.record(
            s,
            actor,
            Kind.ROLES_CHANGED,
            f"{user.name} <{user.email}>",
            f"{before.labels(names)} → {choice.labels(names)}",
            now=now,
        )
        changes.bump(s, actor.organisation_id, now)
    auth.forget_sessions()
    return Outcome(True)


def set_active(
    actor: Actor,
    user_id: int,
    active: bool,
    *,
    handover: dict[int, int] | None = None,
    now: datetime,
) -> Outcome:
    """Deactivate a user (no more logins, every session ended; their history and
    authorship stay) or reactivate them. A principal's open cases are handed over
    first, as for a lost unit."""
    _require(actor)
    with session_scope() as s:
        user = _user_of(s, actor, user_id)
        if user.active == active:
            return Outcome(True)
        if not active:
            if user.id == actor.user_id:
                raise InvalidInput({"user": MSG_SELF})
            admins = _active_admins(s, actor.organisation_id)
            if user.id in admins and not (admins - {user.id}):
                raise InvalidInput({"user": MSG_LAST_ADMIN})
            current = _current_choice(s, user.id)
            needed = _handovers(s, user, current.principal_units)
            if needed and handover is None:
                return Outcome(False, [h.as_dict() for h in needed])
            _hand_over(s, actor, user, needed, handover or {}, now)
            _end_sessions(s, user.id, now)
        user.active = active
        s.add(user)
        kind = Kind.USER_REACTIVATED if active else Kind.USER_DEACTIVATED
        admin_log.record(s, actor, kind, f"{user.name} <{user.email}>", now=now)
        changes.bump(s, actor.organisation_id, now)
    auth.forget_sessions()
    return Outcome(True)
