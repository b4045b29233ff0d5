"""The organiser's settings page: step limits (working days) and escalation.

Saving new limits recomputes the due date of every open case's current step from
the moment that step was reached, in the same transaction, so the limits in use
and the due dates shown never disagree.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, select

from kb_app.db import read_scope, session_scope
from kb_app.domain import deadlines
from kb_app.domain.access import Action, Actor, can
from kb_app.domain.process import STEP_LABELS, EventKind, Step, next_step
from kb_app.domain.retention import HANDLING_LABELS, Handling
from kb_app.domain.vocab import Role
from kb_app.errors import AccessDenied
from kb_app.models import Case, CaseEvent, OrgSetting, User
from kb_app.services.admin import admin_log, auth
from kb_app.services.base import changes
from kb_app.services.base.limits import FIELD_BY_STEP, limits_for

log = logging.getLogger("kb_app.settings")

LIMIT_MIN, LIMIT_MAX = 0, 100
ESCALATE_MIN, ESCALATE_MAX = 1, 60

# The form: (field, label, help) in process order.
FIELDS: list[tuple[str, str, str]] = [
    (
        "limit_received",
        STEP_LABELS[Step.RECEIVED],
        "Arbetsdagar från anmälan tills rektor har tagit emot den.",
    ),
    (
        "limit_investigation_started",
        STEP_LABELS[Step.INVESTIGATION_STARTED],
        "Arbetsdagar från mottagandet tills utredningen har påbörjats.",
    ),
    (
        "limit_investigated",
        STEP_LABELS[Step.INVESTIGATED],
        "Arbetsdagar från att utredningen påbörjades tills den är klar.",
    ),
    (
        "limit_measures_decided",
        STEP_LABELS[Step.MEASURES_DECIDED],
        "Arbetsdagar från avslutad utredning tills åtgärder är beslutade.",
    ),
    (
        "limit_followed_up",
        STEP_LABELS[Step.FOLLOWED_UP],
        "Arbetsdagar från beslutade åtgärder tills de har följts upp.",
    ),
    (
        "escalate_after_days",
        "Eskalering till huvudman",
        "Arbetsdagar som ett steg får vara försenat innan huvudmannen underrättas.",
    ),
]
FIELD_NAMES = [f for f, _, _ in FIELDS]

# Timeline events that start a new step (the moment a due date counts from).
_STEP_EVENT_KINDS = [str(s) for s in Step] + [str(EventKind.REOPENED)]


@dataclass
class SaveResult:
    ok: bool
    errors: dict[str, str] = field(default_factory=dict)
    recomputed: int = 0


def current_values(actor: Actor) -> dict[str, str]:
    if not can(actor, Action.SETTINGS):
        raise AccessDenied()
    with read_scope() as s:
        limits = limits_for(s, actor.organisation_id)
        row = s.get(OrgSetting, actor.organisation_id)
        values = {FIELD_BY_STEP[step]: str(days) for step, days in limits.items()}
        values["escalate_after_days"] = str(
            row.escalate_after_days if row else deadlines.ESCALATE_AFTER_DAYS
        )
    return values


def validate(values: dict[str, str]) -> tuple[dict[str, int], dict[str, str]]:
    parsed: dict[str, int] = {}
    errors: dict[str, str] = {}
    for name in FIELD_NAMES:
        lo, hi = (
            (ESCALATE_MIN, ESCALATE_MAX)
            if name == "escalate_after_days"
            else (LIMIT_MIN, LIMIT_MAX)
        )
        raw = str(values.get(name, "")).strip()
        if raw == "":
            errors[name] = "Ange ett antal arbetsdagar."
            continue
        try:
            number = int(raw)
        except ValueError:
            errors[name] = f"Ange ett heltal mellan {lo} och {hi}."
            continue
        if not lo <= number <= hi:
            errors[name] = f"Ange ett heltal mellan {lo} och {hi}."
            continue
        parsed[name] = number
    return parsed, errors


def step_started_at(session: Session, case_ids: list[int]) -> dict[int, datetime]:
    """When each case reached its current step: its latest step (or reopen) event."""
    result: dict[int, datetime] = {}
    for i in range(0, len(case_ids), 500):
        chunk = case_ids[i : i + 500]
        for case_id, at in session.exec(
            select(CaseEvent.case_id, func.max(CaseEvent.at))
            .where(CaseEvent.case_id.in_(chunk), CaseEvent.kind.in_(_STEP_EVENT_KINDS))
            .group_by(CaseEvent.case_id)
        ):
            result[case_id] = at
    return result


def recompute_due_dates(session: Session, organisation_id: int) -> int:
    """Recompute the due date of every open case of the organisation from the limits
    in ``OrgSetting``. Returns how many due dates changed."""
    limits = limits_for(session, organisation_id)
    open_cases = session.exec(
        select(Case.id, Case.step, Case.reported_at, Case.due_at).where(
            Case.organisation_id == organisation_id,
            Case.closed_at.is_(None),
            Case.step != Step.CLOSED,
        )
    ).all()
    started = step_started_at(session, [c.id for c in open_cases])
    changed = 0
    for case_id, step, reported_at, old_due in open_cases:
        nxt = next_step(Step(step))
        days = limits.get(nxt) if nxt else None
        new_due = (
            deadlines.due_at(started.get(case_id, reported_at), days) if days is not None else None
        )
        if new_due != old_due:
            session.execute(update(Case).where(Case.id == case_id).values(due_at=new_due))
            changed += 1
    return changed


def save(actor: Actor, values: dict[str, str], *, now: datetime) -> SaveResult:
    """Validate and store the organisation's limits; recompute open cases' due dates."""
    if not can(actor, Action.SETTINGS):
        raise AccessDenied()
    parsed, errors = validate(values)
    if errors:
        return SaveResult(False, errors)
    with session_scope() as s:
        row = s.get(OrgSetting, actor.organisation_id)
        if row is None:
            row = OrgSetting(organisation_id=actor.organisation_id)
        for name, number in parsed.items():
            setattr(row, name, number)
        s.add(row)
        s.flush()
        recomputed = recompute_due_dates(s, actor.organisation_id)
        admin_log.record(
            s,
            actor,
            admin_log.Kind.SETTINGS_CHANGED,
            "Tidsgränser",
            ", ".join(f"{name}={number}" for name, number in parsed.items()),
            now=now,
        )
        changes.bump(s, actor.organisation_id, now)
    log.info(
        "user %s changed the limits of organisation %s (%s due dates recomputed)",
        actor.user_id,
        actor.organisation_id,
        recomputed,
    )
    return SaveResult(True, {}, recomputed)


# Retention and sender name ------------------------------------------------------

RETENTION_MIN, RETENTION_MAX = 1, 20
MSG_RETENTION = f"Ange ett heltal mellan {RETENTION_MIN} och {RETENTION_MAX} år."
MSG_RETENTION_ACTION = "Välj vad som ska hända när tiden har gått."
MSG_SENDER = 'Avsändarnamnet får inte innehålla radbrytningar, < > eller ", och högst 100 tecken.'


def general_values(actor: Actor) -> dict[str, str]:
    """Retention (years) and the sender name."""
    if not can(actor, Action.SETTINGS):
        raise AccessDenied()
    with read_scope() as s:
        row = s.get(OrgSetting, actor.organisation_id) or OrgSetting(
            organisation_id=actor.organisation_id
        )
        return {
            "retention_years": str(row.retention_years),
            "retention_action": row.retention_action or str(Handling.THIN),
            "sender_name": row.sender_name,
        }


def save_general(actor: Actor, values: dict, *, now: datetime) -> SaveResult:
    if not can(actor, Action.SETTINGS):
        raise AccessDenied()
    errors: dict[str, str] = {}
    raw = str(values.get("retention_years", "")).strip()
    retention = int(raw) if raw.isdigit() else None
    if retention is None or not RETENTION_MIN <= retention <= RETENTION_MAX:
        errors["retention_years"] = MSG_RETENTION
    action = str(values.get("retention_action", Handling.THIN) or Handling.THIN)
    if action not in {str(h) for h in Handling}:
        errors["retention_action"] = MSG_RETENTION_ACTION
    sender = " ".join(str(values.get("sender_name", "")).split())
    if len(sender) > 100 or any(c in sender for c in '<>"\\'):
        errors["sender_name"] = MSG_SENDER
    if errors:
        return SaveResult(False, errors)
    with session_scope() as s:
        row = s.get(OrgSetting, actor.organisation_id) or OrgSetting(
            organisation_id=actor.organisation_id
        )
        row.retention_years = retention
        row.retention_action = action
        row.sender_name = sender
        s.add(row)
        admin_log.record(
            s,
            actor,
            admin_log.Kind.SETTINGS_CHANGED,
            "Gallring, avsändare",
            f"gallring {retention} år ({HANDLING_LABELS[Handling(action)].lower()}); "
            f"avsändare: {sender or '(standard)'}",
            now=now,
        )
    return SaveResult(True)


# Which roles must log in with a second factor ---------------------------------

SECOND_FACTOR_CHOICES = [Role.ORGANISER, Role.PRINCIPAL, Role.ADMIN, Role.INVESTIGATOR]


def second_factor_roles(actor: Actor) -> list[str]:
    if not can(actor, Action.SETTINGS):
        raise AccessDenied()
    with read_scope() as s:
        required = auth.second_factor_roles(s, actor.organisation_id)
    return [str(r) for r in SECOND_FACTOR_CHOICES if r in required]


def save_second_factor_roles(actor: Actor, roles: list[str], *, now: datetime) -> list[str]:
    """Store the roles that must use a second factor (unknown roles are ignored).
    Takes effect at each user's next login."""
    if not can(actor, Action.SETTINGS):
        raise AccessDenied()
    chosen = [str(r) for r in SECOND_FACTOR_CHOICES if str(r) in set(roles)]
    with session_scope() as s:
        row = s.get(OrgSetting, actor.organisation_id)
        if row is None:
            row = OrgSetting(organisation_id=actor.organisation_id)
        row.second_factor_roles = ",".join(chosen)
        s.add(row)
        admin_log.record(
            s,
            actor,
            admin_log.Kind.SETTINGS_CHANGED,
            "Tvåstegsverifiering",
            f"krävs för: {row.second_factor_roles or 'ingen roll'}",
            now=now,
        )
    log.info(
        "user %s set the second-factor roles of organisation %s to %s at %s",
        actor.user_id,
        actor.organisation_id,
        ",".join(chosen) or "(none)",
        now.isoformat(timespec="seconds"),
    )
    return chosen


# The signed-in user's own notification choice -----------------------------------


def my_account(actor: Actor) -> dict[str, str | bool]:
    if actor is None:
        raise AccessDenied()
    with read_scope() as s:
        user = s.get(User, actor.user_id)
        if user is None:
            raise AccessDenied()
        return {"name": user.name, "email": user.email, "daily_digest": user.daily_digest}


def set_daily_digest(actor: Actor, enabled: bool) -> None:
    """A user chooses one daily digest instead of a mail per reminder (own account only)."""
    if actor is None:
        raise AccessDenied()
    with session_scope() as s:
        s.execute(update(User).where(User.id == actor.user_id).values(daily_digest=bool(enabled)))
