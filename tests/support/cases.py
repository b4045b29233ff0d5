"""Making and driving cases for tests, through the real seed and services."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlmodel import select

from kb_app.db import read_scope, session_scope
from kb_app.devdata import seed
from kb_app.domain.access import Actor
from kb_app.domain.fmt import local
from kb_app.domain.process import Step
from kb_app.models import AccessLog, Case, CaseEvent, Outbox, SchoolClass, User
from kb_app.services.admin import auth
from kb_app.services.case import delegation, steps
from tests.support.helpers import actor_for, unit_named

PRINCIPAL = "rektor@exempelkommun.se"
INVESTIGATOR = "utredare@exempelkommun.se"
_counter = iter(range(1000, 100000))


class _Earliest(random.Random):
    """The seed's randomness, but every range at its low end: reported exactly when asked."""

    def randint(self, a: int, b: int) -> int:
        return a


def new_case(now: datetime, *, unit: str = "Björkskolan F–6", staff: bool = False) -> int:
    """A new case reported two hours before ``now`` (as the seed makes them: report +
    organiser notified)."""
    u = unit_named(unit)
    with session_scope() as s:
        principal = s.exec(select(User).where(User.email == PRINCIPAL)).one()
        investigator = s.exec(select(User).where(User.email == INVESTIGATOR)).one()
        classes = list(s.exec(select(SchoolClass).where(SchoolClass.unit_id == u.id)))
        n = next(_counter)
        i = n * 8 + 7 if staff else n * 8  # the seed makes every 8th story a staff case
        before = set(s.exec(select(Case.id)))
        seed._seed_case(
            s,
            _Earliest(n),
            u.organisation_id,
            u,
            classes,
            principal,
            investigator,
            Step.REPORTED,
            now - timedelta(hours=2),
            now,
            i,
        )
        s.flush()
        (case_id,) = set(s.exec(select(Case.id))) - before
    return case_id


def drive(
    case_id: int,
    target: Step,
    now: datetime,
    *,
    delegate_to: Actor | None = None,
    principal: Actor | None = None,
) -> None:
    """Take a reported case to ``target`` through the services, as its principal
    (delegating to ``delegate_to``, who then starts the investigation)."""
    p = principal or actor_for(PRINCIPAL)
    today = local(now).date().isoformat()
    order = [
        Step.RECEIVED,
        Step.INVESTIGATION_STARTED,
        Step.INVESTIGATED,
        Step.MEASURES_DECIDED,
        Step.FOLLOWED_UP,
        Step.CLOSED,
    ]
    for step in order[: order.index(target) + 1] if target in order else []:
        if step == Step.RECEIVED:
            steps.receive(p, case_id, now=now)
        elif step == Step.INVESTIGATION_STARTED:
            if delegate_to is not None:
                delegation.delegate(p, case_id, investigator_user_id=delegate_to.user_id, now=now)
                steps.start_investigation(delegate_to, case_id, now=now)  # the delegate starts
            else:
                steps.start_investigation(p, case_id, now=now)
        elif step == Step.INVESTIGATED:
            steps.record_investigation(p, case_id, **investigation(today), now=now)
        elif step == Step.MEASURES_DECIDED:
            steps.decide_measures(p, case_id, measures=[measure(now)], now=now)
        elif step == Step.FOLLOWED_UP:
            steps.follow_up(
                p, case_id, followed_up_on=today, stopped=True, notes="Det har upphört.", now=now
            )
        elif step == Step.CLOSED:
            steps.close(p, case_id, summary="Åtgärderna har haft effekt.", now=now)


def investigation(today: str) -> dict:
    return {
        "talks": ["subjected", "involved", "staff"],
        "guardians_contacted_on": today,
        "findings": "Samtalen bekräftar händelsen i sak.",
        "conclusion": "confirmed",
    }


def measure(now: datetime) -> dict:
    return {
        "level": "group",
        "description": "Ökad vuxennärvaro på rasterna.",
        "responsible": "Mentor 3A",
        "due_on": (local(now).date() + timedelta(days=14)).isoformat(),
    }


def case_row(case_id: int) -> Case:
    with read_scope() as s:
        return s.get(Case, case_id)


def events(case_id: int) -> list[CaseEvent]:
    with read_scope() as s:
        return list(
            s.exec(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq))
        )


def access_rows(case_id: int | None = None) -> list[AccessLog]:
    with read_scope() as s:
        stmt = select(AccessLog).order_by(AccessLog.id)
        if case_id is not None:
            stmt = stmt.where(AccessLog.case_id == case_id)
        return list(s.exec(stmt))


def outbox_rows() -> list[Outbox]:
    with read_scope() as s:
        return list(s.exec(select(Outbox).order_by(Outbox.id)))


def second_investigator(now: datetime, password: str = "utredare-tva-2026") -> Actor:
    """An invited investigator with a password, delegated to another new case."""
    other = new_case(now)
    drive(other, Step.RECEIVED, now)
    delegation.delegate(
        actor_for(PRINCIPAL),
        other,
        invite_email="utredare.tva@exempelkommun.se",
        invite_name="Olle Utredare",
        now=now,
    )
    actor = actor_for("utredare.tva@exempelkommun.se")
    auth.set_password(actor.user_id, password)
    return actor
