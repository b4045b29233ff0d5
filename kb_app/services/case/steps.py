"""The steps of the process on one case, and how a step is written.

One function per use case, taking the acting user, plain arguments and ``now``.
Each one asks ``domain.access`` (with the case's active delegations, see
``access._run``), lets ``domain.process`` decide whether the step may happen now
and validate its input, then writes the case, its timeline event and any mail
(outbox) in one transaction, bumps the change counter and recomputes the due date
and the responsible person.

A denied request raises ``AccessDenied``; bad input raises ``InvalidInput`` with
Swedish messages per field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from kb_app.domain import process
from kb_app.domain.access import Action, Actor, CaseFacts
from kb_app.domain.fmt import local
from kb_app.domain.process import (
    FORM,
    MSG_NOT_NOW,
    RULES,
    STEP_LABELS,
    Context,
    EventKind,
    ProcessState,
    Step,
    Transition,
    check,
    done_by_investigator,
    due_step,
    is_allowed,
    parse_date,
)
from kb_app.domain.vocab import Role
from kb_app.errors import InvalidInput
from kb_app.models import (
    Case,
    CaseEvent,
    Delegation,
    GallringRecord,
    Measure,
    RoleAssignment,
    User,
)
from kb_app.services.base import changes, conflicts, limits, outbox
from kb_app.services.base.timeline import append_event
from kb_app.services.case.access import (
    _active_delegations,
    _process_state,
    _run,
    _taken_over_by,
)

PRIVACY_NOTE = (
    "Av sekretesskäl innehåller det här meddelandet inga uppgifter om ärendet. "
    "Logga in i Värna för att läsa det."
)


# ---------------------------------------------------------------------------
# Writing a step: event, case fields, responsible, due date, mail
# ---------------------------------------------------------------------------


def _unit_principal(s: Session, unit_id: int, excluded: frozenset[int] = frozenset()) -> int | None:
    stmt = (
        select(RoleAssignment.user_id)
        .join(User, User.id == RoleAssignment.user_id)
        .where(
            RoleAssignment.unit_id == unit_id,
            RoleAssignment.role == Role.PRINCIPAL,
            User.active.is_(True),
        )
        .order_by(RoleAssignment.user_id)
    )
    if excluded:
        stmt = stmt.where(RoleAssignment.user_id.not_in(sorted(excluded)))
    return s.exec(stmt).first()


def _responsible(s: Session, case: Case, delegations: Sequence[Delegation]) -> int | None:
    """Who does the next step: the delegated investigator for the investigation and
    the follow-up, else the principal in charge (an organiser who took over; an
    organiser when a user of the unit is named as involved (jäv); or the unit's
    principal)."""
    excluded = conflicts.excluded_user_ids(s, case.id)
    in_charge = _taken_over_by(s, case.id) or (
        conflicts.organiser_for(s, case.organisation_id, prefer=case.responsible_user_id)
        if excluded
        else _unit_principal(s, case.unit_id)
    )
    nxt = due_step(Step(case.step))
    if delegations and done_by_investigator(nxt):
        return delegations[-1].investigator_user_id
    return in_charge or case.responsible_user_id


def _mail_case(s: Session, case: Case, to_user_id: int, subject: str, lead: str, now) -> None:
    user = s.get(User, to_user_id)
    if user is None or not user.active or to_user_id in conflicts.excluded_user_ids(s, case.id):
        return  # never a mail about a case to a user it names as involved (jäv)
    body = f"Hej!\n\n{lead}\n\nÖppna ärendet: {outbox.case_link(case.id)}\n\n{PRIVACY_NOTE}\n"
    outbox.queue_mail(s, to=user.email, subject=subject, body=body, now=now, case_id=case.id)


def _settle(
    s: Session,
    case: Case,
    actor: Actor,
    new_step: Step,
    now: datetime,
    *,
    notify: bool = True,
    force_notify: bool = False,
) -> None:
    """Apply the new step; recompute due date and responsible; bump; mail the
    person the case now waits for (link and reference only)."""
    old_step, old_resp = Step(case.step), case.responsible_user_id
    if new_step != old_step:
        case.step = new_step
        if new_step == Step.CLOSED:
            case.closed_at = now
            case.due_at = None
        else:
            case.closed_at = None
            case.due_at = limits.due_for_next_step(s, case.organisation_id, new_step, now)
    delegations = _active_delegations(s, case.id)
    case.responsible_user_id = _responsible(s, case, delegations)
    case.updated_at = now
    s.add(case)
    changes.bump(s, case.organisation_id, now)
    resp = case.responsible_user_id
    changed = new_step != old_step or resp != old_resp or force_notify
    if notify and changed and resp is not None and resp != actor.user_id and not case.closed_at:
        nxt = due_step(Step(case.step))
        label = STEP_LABELS[nxt] if nxt else ""
        _mail_case(
            s,
            case,
            resp,
            f"Värna: ärende {case.reference} väntar på dig ({label.lower()})",
            f"Ärende {case.reference} i Värna väntar på dig. Nästa steg: {label}.",
            now,
        )


def _event(s: Session, case: Case, actor: Actor, kind: str, payload: dict, now) -> CaseEvent:
    return append_event(
        s,
        case,
        kind,
        at=now,
        actor_user_id=actor.user_id,
        actor_label=actor.name,
        payload=payload,
    )


def _last_event_at(s: Session, case_id: int, kind: str) -> datetime | None:
    return s.exec(
        select(CaseEvent.at)
        .where(CaseEvent.case_id == case_id, CaseEvent.kind == kind)
        .order_by(CaseEvent.seq.desc())
        .limit(1)
    ).first()


def measure_users(
    s: Session, organisation_id: int, excluded: frozenset[int] = frozenset()
) -> dict[int, str]:
    """The organisation's active users a measure's responsible person may be chosen
    among (id -> name, by name); never one the case names as involved (jäv)."""
    rows = s.exec(
        select(User.id, User.name)
        .where(User.organisation_id == organisation_id, User.active)
        .order_by(User.name, User.id)
    )
    return {uid: name for uid, name in rows.all() if uid not in excluded}


def _context(s: Session, case: Case, now: datetime) -> Context:
    done = _last_event_at(s, case.id, case.step)
    return Context(
        today=local(now).date(),
        reported_on=local(case.reported_at).date(),
        step_done_on=local(done).date() if done else None,
    )


def _delegate_start(s: Session, case: Case, actor: Actor, facts: CaseFacts, now) -> None:
    """The delegated investigator's first recorded action on a case that waits for
    its investigation to start records "Utredning påbörjad" first, by them, now."""
    state = _process_state(case, facts)
    if not process.delegate_starts(state, actor.user_id in facts.delegated_to):
        return
    payload = {"investigator": actor.name, "investigator_user_id": actor.user_id, "delegated": True}
    _event(s, case, actor, EventKind.INVESTIGATION_STARTED, payload, now)
    new = process.apply(state, Transition.START_INVESTIGATION)
    _settle(s, case, actor, new.step, now, notify=False)


def _require(case: Case, facts: CaseFacts, transition: Transition) -> ProcessState:
    state = _process_state(case, facts)
    if not is_allowed(state, transition):
        raise InvalidInput({FORM: MSG_NOT_NOW})
    return state


MSG_THINNED = "Ärendet är gallrat och kan inte öppnas igen."


def _step(
    actor: Actor | None,
    case_id: Any,
    transition: Transition,
    raw: Mapping[str, Any] | None,
    now: datetime,
    extra: Callable[[Session, Case, dict, CaseEvent], None] | None = None,
    *,
    force_notify: bool = False,
) -> None:
    """The common shape of a step: access, process, validation, event, settle."""
    rule = RULES[transition]

    def work(s: Session, case: Case, facts: CaseFacts, _d) -> None:
        starting = process.delegate_starts(
            _process_state(case, facts), actor.user_id in facts.delegated_to
        )
        if not starting:
            _require(case, facts, transition)
        if (
            transition == Transition.REOPEN
            and s.exec(select(GallringRecord.id).where(GallringRecord.case_id == case.id)).first()
        ):
            raise InvalidInput({FORM: MSG_THINNED})
        ctx = _context(s, case, now)
        if transition in (Transition.PROPOSE_MEASURES, Transition.DECIDE_MEASURES):
            ctx = replace(ctx, users=measure_users(s, case.organisation_id, facts.excluded))
        data = check(transition, raw, ctx).raise_if_invalid()
        if starting:
            _delegate_start(s, case, actor, facts, now)
        state = _require(case, facts, transition)
        new = process.apply(state, transition, data)
        ev = _event(s, case, actor, rule.event, data, now)
        if extra is not None:
            extra(s, case, data, ev)
        _settle(s, case, actor, new.step, now, force_notify=force_notify)

    _run(actor, case_id, rule.action, now, work)


# ---------------------------------------------------------------------------
# The steps
# ---------------------------------------------------------------------------


def receive(actor: Actor | None, case_id: int, *, now: datetime) -> None:
    """ "Mottagen av rektor": the principal has read the report."""
    _step(actor, case_id, Transition.RECEIVE, None, now)


def start_investigation(actor: Actor | None, case_id: int, *, now: datetime) -> None:
    """ "Utredning påbörjad": the principal investigates the case themself, or the
    delegated investigator starts the investigation delegated to them."""

    def work(s, case, facts, _d):
        state = _require(case, facts, Transition.START_INVESTIGATION)
        by_delegate = actor.user_id in facts.delegated_to
        if not process.may_start_self(state, by_delegate):
            raise InvalidInput({FORM: process.MSG_DELEGATED})
        payload = {
            "investigator": actor.name,
            "investigator_user_id": actor.user_id,
            "delegated": by_delegate,
        }
        _event(s, case, actor, EventKind.INVESTIGATION_STARTED, payload, now)
        new = process.apply(state, Transition.START_INVESTIGATION)
        _settle(s, case, actor, new.step, now)

    _run(actor, case_id, Action.START_INVESTIGATION, now, work)


def record_investigation(
    actor: Actor | None,
    case_id: int,
    *,
    talks: Sequence[str],
    guardians_contacted_on: str = "",
    guardians_not_contacted_reason: str = "",
    findings: str,
    conclusion: str,
    now: datetime,
) -> None:
    """ "Utredning klar": talks held, guardians contacted, findings, conclusion."""

    def extra(s, case, data, ev):
        case.conclusion = data["conclusion"]

    _step(
        actor,
        case_id,
        Transition.RECORD_INVESTIGATION,
        {
            "talks": list(talks or []),
            "guardians_contacted_on": guardians_contacted_on,
            "guardians_not_contacted_reason": guardians_not_contacted_reason,
            "findings": findings,
            "conclusion": conclusion,
        },
        now,
        extra,
    )


def propose_measures(
    actor: Actor | None,
    case_id: int,
    *,
    measures: Sequence[Mapping[str, Any]] = (),
    none_needed: bool = False,
    none_reason: str = "",
    now: datetime,
) -> None:
    """The investigator proposes measures; the principal decides them."""
    _step(
        actor,
        case_id,
        Transition.PROPOSE_MEASURES,
        {"measures": list(measures), "none_needed": none_needed, "none_reason": none_reason},
        now,
        force_notify=True,
    )


def decide_measures(
    actor: Actor | None,
    case_id: int,
    *,
    measures: Sequence[Mapping[str, Any]] = (),
    none_needed: bool = False,
    none_reason: str = "",
    now: datetime,
) -> None:
    """ "Åtgärder beslutade": measures (level, what, who, by when) or a reasoned none."""

    def extra(s, case, data, ev):
        for m in data["measures"]:
            s.add(
                Measure(
                    case_id=case.id,
                    level=m["level"],
                    description=m["description"],
                    responsible=m["responsible"],
                    responsible_user_id=m.get("responsible_user_id"),
                    due_on=parse_date(m["due_on"]),
                    created_at=now,
                    event_id=ev.id,
                )
            )

    _step(
        actor,
        case_id,
        Transition.DECIDE_MEASURES,
        {"measures": list(measures), "none_needed": none_needed, "none_reason": none_reason},
        now,
        extra,
    )


def follow_up(
    actor: Actor | None,
    case_id: int,
    *,
    followed_up_on: str,
    stopped: bool | str | None,
    notes: str,
    now: datetime,
) -> None:
    """ "Uppföljning": if the acts have not stopped the case goes back to measures."""
    _step(
        actor,
        case_id,
        Transition.FOLLOW_UP,
        {"followed_up_on": followed_up_on, "stopped": stopped, "notes": notes},
        now,
    )


def close(actor: Actor | None, case_id: int, *, summary: str, now: datetime) -> None:
    """ "Avslutad": only after a follow-up that found the acts stopped."""
    _step(actor, case_id, Transition.CLOSE, {"summary": summary}, now)


def reopen(actor: Actor | None, case_id: int, *, reason: str, now: datetime) -> None:
    """A principal or the organiser reopens a closed case with a reason."""
    _step(actor, case_id, Transition.REOPEN, {"reason": reason}, now)


def add_note(
    actor: Actor | None, case_id: int, *, text: str, supplement: bool = False, now: datetime
) -> None:
    """An internal comment, or a supplement (new facts), at any step."""
    transition = Transition.SUPPLEMENT if supplement else Transition.COMMENT
    _step(actor, case_id, transition, {"text": text}, now)


def take_over(actor: Actor | None, case_id: int, *, reason: str, now: datetime) -> None:
    """The organiser takes over a staff-involved case, with a reason (recorded in the
    timeline), and becomes responsible: the next steps and their reminders are theirs."""

    def work(s, case, facts, _d):
        state = _require(case, facts, Transition.TAKE_OVER)
        data = check(Transition.TAKE_OVER, {"reason": reason}, _context(s, case, now))
        data = data.raise_if_invalid()
        principal = _unit_principal(s, case.unit_id, facts.excluded)
        payload = {"organiser": actor.name, "reason": data["reason"]}
        _event(s, case, actor, EventKind.TAKEN_OVER, payload, now)
        new = process.apply(state, Transition.TAKE_OVER)
        _settle(s, case, actor, new.step, now)
        if principal is not None and principal != actor.user_id:
            _mail_case(
                s,
                case,
                principal,
                f"Värna: huvudmannen har tagit över ärende {case.reference}",
                f"Huvudmannen har tagit över ansvaret för ärende {case.reference} i Värna.",
                now,
            )

    _run(actor, case_id, Action.TAKE_OVER, now, work)
