"""Use cases on one case: read it, and take each step of the process.

One function per use case, taking the acting user, plain arguments and ``now``.
Each one asks ``domain.access`` (with the case's active delegations), lets
``domain.process`` decide whether the step may happen now and validate its
input, then writes the case, its timeline event and any mail (outbox) in one
transaction, bumps the change counter and recomputes the due date and the
responsible person.

A denied request raises ``AccessDenied``, which says the same as a missing case,
and is written to the access log (allowed=False). Every read is logged too.
Bad input raises ``process.InvalidInput`` with Swedish messages per field.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func
from sqlmodel import Session, select

from kb_app.db import session_scope
from kb_app.domain import case_text, process, promptness
from kb_app.domain.access import Action, Actor, CaseFacts, can_on_case
from kb_app.domain.fmt import local, sv_date, sv_datetime
from kb_app.domain.process import (
    CONCLUSION_LABELS,
    FORM,
    MSG_NOT_NOW,
    RULES,
    STEP_LABELS,
    Context,
    EventKind,
    InvalidInput,
    ProcessState,
    Step,
    Transition,
    check,
    check_invite,
    done_by_investigator,
    due_step,
    is_allowed,
    parse_date,
)
from kb_app.domain.vocab import (
    GRADE_LABELS,
    GROUND_CODES,
    GROUND_LABELS,
    GUARDIANS_INFORMED,
    KIND_CODES,
    KIND_LABELS,
    PARTY_KIND_LABELS,
    PLACE_LABELS,
    REPORTER_ROLES,
    Role,
    from_mask,
)
from kb_app.errors import AccessDenied
from kb_app.models import (
    AccessLog,
    Case,
    CaseEvent,
    Delegation,
    Measure,
    Party,
    RoleAssignment,
    Unit,
    User,
)
from kb_app.services.base import access_log, changes, limits, outbox
from kb_app.services.base.timeline import append_event, event_payload
from kb_app.services.case import invites

log = logging.getLogger("kb_app.cases")

T = TypeVar("T")

PRIVACY_NOTE = (
    "Av sekretesskäl innehåller det här meddelandet inga uppgifter om ärendet. "
    "Logga in i Värna för att läsa det."
)


# ---------------------------------------------------------------------------
# Access: facts, the check, the log
# ---------------------------------------------------------------------------


def _active_delegations(s: Session, case_id: int) -> list[Delegation]:
    return list(
        s.exec(
            select(Delegation)
            .where(Delegation.case_id == case_id, Delegation.withdrawn_at.is_(None))
            .order_by(Delegation.id)
        )
    )


def _taken_over_by(s: Session, case_id: int) -> int | None:
    """The organiser who took the case over (its "taken_over" event), if any."""
    return s.exec(
        select(CaseEvent.actor_user_id)
        .where(CaseEvent.case_id == case_id, CaseEvent.kind == EventKind.TAKEN_OVER)
        .order_by(CaseEvent.seq.desc())
        .limit(1)
    ).first()


def case_facts(s: Session, case: Case, delegations: Sequence[Delegation]) -> CaseFacts:
    return CaseFacts(
        case_id=case.id,
        organisation_id=case.organisation_id,
        unit_id=case.unit_id,
        delegated_to=frozenset(d.investigator_user_id for d in delegations),
        closed=case.closed_at is not None,
        staff_involved=case.staff_involved,
        responsible_user_id=case.responsible_user_id,
        taken_over_by=_taken_over_by(s, case.id),
    )


def _process_state(case: Case, facts: CaseFacts) -> ProcessState:
    return ProcessState(
        step=Step(case.step),
        delegated=bool(facts.delegated_to),
        staff_involved=case.staff_involved,
        taken_over=facts.taken_over_by is not None,
    )


def _deny(actor: Actor | None, case_id: Any, action: str, now: datetime):
    access_log.deny(actor, action, now=now, case_id=case_id)
    raise AccessDenied()


def _run(
    actor: Actor | None,
    case_id: Any,
    action: Action,
    now: datetime,
    work: Callable[[Session, Case, CaseFacts, list[Delegation]], T],
) -> T:
    """Load the case (locked for the write), ask the policy, do ``work`` in the
    same transaction; a missing case and a denied one answer alike."""
    if actor is not None and isinstance(case_id, int) and 0 < case_id < 2**62:
        with session_scope() as s:
            case = s.exec(select(Case).where(Case.id == case_id).with_for_update()).first()
            if case is not None:
                delegations = _active_delegations(s, case.id)
                facts = case_facts(s, case, delegations)
                if can_on_case(actor, action, facts):
                    access_log.record(s, actor, action, now=now, case_id=case.id)
                    return work(s, case, facts, delegations)
    _deny(actor, case_id, action, now)
    raise AssertionError("unreachable")  # _deny raises


# ---------------------------------------------------------------------------
# Writing a step: event, case fields, responsible, due date, mail
# ---------------------------------------------------------------------------


def _unit_principal(s: Session, unit_id: int) -> int | None:
    return s.exec(
        select(RoleAssignment.user_id)
        .join(User, User.id == RoleAssignment.user_id)
        .where(
            RoleAssignment.unit_id == unit_id,
            RoleAssignment.role == Role.PRINCIPAL,
            User.active.is_(True),
        )
        .order_by(RoleAssignment.user_id)
    ).first()


def _responsible(s: Session, case: Case, delegations: Sequence[Delegation]) -> int | None:
    """Who does the next step: the delegated investigator for the investigation and
    the follow-up, else the principal in charge (an organiser who took over, or the
    unit's principal)."""
    in_charge = _taken_over_by(s, case.id) or _unit_principal(s, case.unit_id)
    nxt = due_step(Step(case.step))
    if delegations and done_by_investigator(nxt):
        return delegations[-1].investigator_user_id
    return in_charge or case.responsible_user_id


def _mail_case(s: Session, case: Case, to_user_id: int, subject: str, lead: str, now) -> None:
    user = s.get(User, to_user_id)
    if user is None or not user.active:
        return
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


def _context(s: Session, case: Case, now: datetime) -> Context:
    done = _last_event_at(s, case.id, case.step)
    return Context(
        today=local(now).date(),
        reported_on=local(case.reported_at).date(),
        step_done_on=local(done).date() if done else None,
    )


def _require(case: Case, facts: CaseFacts, transition: Transition) -> ProcessState:
    state = _process_state(case, facts)
    if not is_allowed(state, transition):
        raise InvalidInput({FORM: MSG_NOT_NOW})
    return state


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
        state = _require(case, facts, transition)
        data = check(transition, raw, _context(s, case, now)).raise_if_invalid()
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
    """The principal investigates the case themself."""

    def work(s, case, facts, _d):
        state = _require(case, facts, Transition.START_INVESTIGATION)
        payload = {
            "investigator": actor.name,
            "investigator_user_id": actor.user_id,
            "delegated": False,
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


def take_over(actor: Actor | None, case_id: int, *, now: datetime) -> None:
    """The organiser takes over a staff-involved case and becomes responsible."""

    def work(s, case, facts, _d):
        state = _require(case, facts, Transition.TAKE_OVER)
        principal = _unit_principal(s, case.unit_id)
        _event(s, case, actor, EventKind.TAKEN_OVER, {"organiser": actor.name}, now)
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


# ---------------------------------------------------------------------------
# Delegation
# ---------------------------------------------------------------------------

MSG_PICK = "Välj en person i listan."


def _candidate_rows(s: Session, actor: Actor, case: Case) -> list[User]:
    """Active users of the organisation who can investigate: investigators,
    principals and organisers (administrators alone see no case content)."""
    roles = [Role.INVESTIGATOR, Role.PRINCIPAL, Role.ORGANISER]
    ids = select(RoleAssignment.user_id).where(RoleAssignment.role.in_(roles))
    return list(
        s.exec(
            select(User)
            .where(
                User.organisation_id == case.organisation_id,
                User.active.is_(True),
                User.id != actor.user_id,
                User.id.in_(ids),
            )
            .order_by(User.name)
        )
    )


def delegate(
    actor: Actor | None,
    case_id: int,
    *,
    investigator_user_id: int | None = None,
    invite_email: str = "",
    invite_name: str = "",
    now: datetime,
) -> str:
    """Delegate the investigation to a user of the organisation, or invite a new
    person by e-mail (account + investigator role + one-time set-password link).
    At "received" this also starts the investigation. Returns the investigator's name."""

    def work(s: Session, case: Case, facts: CaseFacts, _d) -> str:
        state = _require(case, facts, Transition.DELEGATE)
        invited_token = None
        if investigator_user_id is not None:
            user = s.get(User, investigator_user_id)
            if user is None or user.id not in {u.id for u in _candidate_rows(s, actor, case)}:
                raise InvalidInput({"investigator": MSG_PICK})
        else:
            data = check_invite({"email": invite_email, "name": invite_name}).raise_if_invalid()
            if s.exec(select(User).where(User.email == data["email"])).first():
                raise InvalidInput(
                    {
                        "email": "Det finns redan ett konto med den e-postadressen. "
                        "Välj personen i listan i stället."
                    }
                )
            user = User(
                organisation_id=case.organisation_id,
                email=data["email"],
                name=data["name"],
                password_hash=None,
                created_at=now,
            )
            s.add(user)
            s.flush()
            s.add(RoleAssignment(user_id=user.id, role=Role.INVESTIGATOR))
            invited_token = invites.create_token(s, user.id, now)
        s.add(
            Delegation(
                case_id=case.id,
                investigator_user_id=user.id,
                delegated_by_user_id=actor.user_id,
                created_at=now,
            )
        )
        s.flush()
        payload = {
            "investigator_user_id": user.id,
            "investigator": user.name,
            "invited": invited_token is not None,
        }
        _event(s, case, actor, EventKind.DELEGATED, payload, now)
        new = process.apply(state, Transition.DELEGATE)
        if new.step != state.step:  # delegating at "received" starts the investigation
            _event(
                s,
                case,
                actor,
                EventKind.INVESTIGATION_STARTED,
                {"investigator": user.name, "investigator_user_id": user.id, "delegated": True},
                now,
            )
        _settle(s, case, actor, new.step, now, notify=False)
        link = outbox.case_link(case.id)
        if invited_token is not None:
            body = (
                "Hej!\n\nDu har bjudits in till Värna för att utreda ärende "
                f"{case.reference}.\n\nVälj ditt lösenord här (länken gäller i 7 dagar och "
                f"kan användas en gång):\n{invites.set_password_link(invited_token)}\n\n"
                f"Logga sedan in och öppna ärendet: {link}\n\n{PRIVACY_NOTE}\n"
            )
            outbox.queue_mail(
                s,
                to=user.email,
                subject=f"Värna: inbjudan att utreda ärende {case.reference}",
                body=body,
                now=now,
                case_id=case.id,
            )
        else:
            _mail_case(
                s,
                case,
                user.id,
                f"Värna: ärende {case.reference} har delegerats till dig",
                f"Utredningen av ärende {case.reference} har delegerats till dig i Värna.",
                now,
            )
        return user.name

    return _run(actor, case_id, Action.DELEGATE, now, work)


def withdraw_delegation(actor: Actor | None, case_id: int, *, now: datetime) -> None:
    """Withdraw the active delegation; the investigator loses access to the case."""

    def work(s: Session, case: Case, facts: CaseFacts, delegations) -> None:
        state = _require(case, facts, Transition.WITHDRAW_DELEGATION)
        for d in delegations:
            d.withdrawn_at = now
            d.withdrawn_by_user_id = actor.user_id
            s.add(d)
            user = s.get(User, d.investigator_user_id)
            _event(
                s,
                case,
                actor,
                EventKind.DELEGATION_WITHDRAWN,
                {"investigator_user_id": user.id, "investigator": user.name},
                now,
            )
            if user.active:
                outbox.queue_mail(
                    s,
                    to=user.email,
                    subject=f"Värna: delegeringen av ärende {case.reference} är återkallad",
                    body=(
                        f"Hej!\n\nDelegeringen av ärende {case.reference} till dig har "
                        f"återkallats. Du behöver inte göra något mer i ärendet.\n\n"
                        f"{PRIVACY_NOTE}\n"
                    ),
                    now=now,
                    case_id=case.id,
                )
        s.flush()
        new = process.apply(state, Transition.WITHDRAW_DELEGATION)
        _settle(s, case, actor, new.step, now)

    _run(actor, case_id, Action.WITHDRAW_DELEGATION, now, work)


# ---------------------------------------------------------------------------
# Reading: the case view (logged), the case file (export)
# ---------------------------------------------------------------------------


def _next_form(actor: Actor, state: ProcessState, facts: CaseFacts) -> str:
    """Which "next step" form this actor gets: one form, for the next step only."""

    def may(t: Transition) -> bool:
        return is_allowed(state, t) and can_on_case(actor, RULES[t].action, facts)

    if may(Transition.RECEIVE):
        return "receive"
    if state.step == Step.RECEIVED and (
        may(Transition.START_INVESTIGATION) or may(Transition.DELEGATE)
    ):
        return "start"
    if may(Transition.RECORD_INVESTIGATION):
        return "investigate"
    if may(Transition.DECIDE_MEASURES):
        return "decide"
    if may(Transition.PROPOSE_MEASURES):
        return "propose"
    if may(Transition.FOLLOW_UP):
        return "follow_up"
    if may(Transition.CLOSE):
        return "close"
    if may(Transition.REOPEN):
        return "reopen"
    return ""


def _name_of(s: Session, user_id: int | None) -> str:
    if user_id is None:
        return ""
    user = s.get(User, user_id)
    return user.name if user else ""


def _view(s: Session, actor: Actor, case: Case, facts: CaseFacts, now: datetime) -> dict:
    unit = s.get(Unit, case.unit_id)
    events = list(
        s.exec(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq))
    )
    payloads = [event_payload(e) for e in events]
    parties = list(s.exec(select(Party).where(Party.case_id == case.id).order_by(Party.id)))
    measures = list(s.exec(select(Measure).where(Measure.case_id == case.id).order_by(Measure.id)))
    all_delegations = list(
        s.exec(select(Delegation).where(Delegation.case_id == case.id).order_by(Delegation.id))
    )
    state = _process_state(case, facts)
    step_limits = limits.limits_for(s, case.organisation_id)
    timing = promptness.timings(
        [(e.kind, e.at, p) for e, p in zip(events, payloads, strict=True)], step_limits, now
    )
    closed = case.closed_at is not None
    late = not closed and case.due_at is not None and case.due_at < now
    nxt = due_step(Step(case.step))
    responsible = _name_of(s, case.responsible_user_id)
    form = _next_form(actor, state, facts)

    # The latest proposal since the investigation (or the last loop back), for the decision.
    proposal: dict = {}
    for e, p in zip(events, payloads, strict=True):
        if e.kind in {EventKind.INVESTIGATED, EventKind.MEASURES_DECIDED, EventKind.FOLLOWED_UP}:
            proposal = {}
        elif e.kind == EventKind.MEASURES_PROPOSED:
            proposal = {**p, "by": e.actor_label, "at": sv_datetime(e.at)}

    def may(action: Action) -> bool:
        return can_on_case(actor, action, facts)

    def allowed(t: Transition) -> bool:
        return is_allowed(state, t) and may(RULES[t].action)

    guardians = dict(GUARDIANS_INFORMED)
    occurred = sv_date(case.occurred_on)
    if case.occurred_time:
        occurred += f" kl. {case.occurred_time}"
    view = {
        "id": case.id,
        "reference": case.reference,
        "unit": unit.name if unit else "",
        "class_name": case.class_name,
        "grade": GRADE_LABELS.get(case.grade, case.grade) if case.grade else "",
        "step": STEP_LABELS.get(case.step, case.step),
        "step_code": case.step,
        "next_step": STEP_LABELS[nxt] if nxt and not closed else "",
        "responsible": responsible,
        "due": sv_date(case.due_at) if case.due_at and not closed else "",
        "late": late,
        "closed": closed,
        "closed_at": sv_datetime(case.closed_at) if closed else "",
        "reported": sv_datetime(case.reported_at),
        "staff_involved": case.staff_involved,
        "taken_over_by": _name_of(s, facts.taken_over_by),
        "occurred": occurred,
        "place": PLACE_LABELS.get(case.place, case.place)
        + (f": {case.place_other}" if case.place_other else ""),
        "kinds": ", ".join(KIND_LABELS[k] for k in from_mask(case.kinds, KIND_CODES)),
        "grounds": ", ".join(GROUND_LABELS[g] for g in from_mask(case.grounds, GROUND_CODES)),
        "description": case.description,
        "immediate_actions": case.immediate_actions,
        "guardians_informed": guardians.get(case.guardians_informed, ""),
        "witnesses": case.witnesses,
        "reporter": ", ".join(
            x
            for x in (
                case.reporter_name,
                dict(REPORTER_ROLES).get(case.reporter_role, ""),
                case.reporter_email,
            )
            if x
        ),
        "conclusion": CONCLUSION_LABELS.get(case.conclusion, ""),
        "parties": [
            {
                "role": case_text.PARTY_ROLE_LABELS.get(p.role, p.role),
                "kind": PARTY_KIND_LABELS.get(p.kind, p.kind),
                "name": p.name or "(namn ej angivet)",
                "class_name": p.class_name,
                "grade": GRADE_LABELS.get(p.grade, p.grade) if p.grade else "",
            }
            for p in parties
        ],
        "timeline": [
            {
                "seq": str(e.seq),
                "kind": e.kind,
                "label": case_text.event_label(e.kind),
                "who": e.actor_label,
                "when": sv_datetime(e.at),
                "details": "\n".join(case_text.describe(e.kind, p)),
            }
            for e, p in zip(events, payloads, strict=True)
        ],
        "measures": [
            {
                "level": case_text.MEASURE_LEVEL_LABELS.get(m.level, m.level),
                "description": m.description,
                "responsible": m.responsible,
                "due": sv_date(m.due_on) if m.due_on else "",
                "decided": sv_date(m.created_at),
            }
            for m in measures
        ],
        "delegations": [
            {
                "id": str(d.id),
                "investigator": _name_of(s, d.investigator_user_id),
                "since": sv_datetime(d.created_at),
                "withdrawn": sv_datetime(d.withdrawn_at) if d.withdrawn_at else "",
            }
            for d in all_delegations
        ],
        "promptness": [t.as_row() for t in timing],
        "all_met": promptness.all_met(timing),
        "form": form,
        "waiting_for": (
            f"{STEP_LABELS[nxt]}" + (f" ({responsible})" if responsible else "")
            if nxt and not closed and not form
            else ""
        ),
        "proposal": proposal,
        "can_comment": allowed(Transition.COMMENT),
        "can_delegate": allowed(Transition.DELEGATE) and state.step != Step.RECEIVED,
        "can_withdraw": allowed(Transition.WITHDRAW_DELEGATION),
        "can_take_over": allowed(Transition.TAKE_OVER),
        "can_export": may(Action.EXPORT_CASE),
        "candidates": (
            [{"id": str(u.id), "name": u.name} for u in _candidate_rows(s, actor, case)]
            if allowed(Transition.DELEGATE)
            else []
        ),
    }
    return view


def load_case(actor: Actor | None, case_id: Any, *, now: datetime) -> dict:
    """Everything the case page shows, for an actor who may read the case (logged)."""
    return _run(
        actor, case_id, Action.READ_CASE, now, lambda s, c, f, _d: _view(s, actor, c, f, now)
    )


def case_file(actor: Actor | None, case_id: Any, *, now: datetime) -> dict:
    """The whole case for the printable case file and the PDF (EXPORT_CASE, logged)."""

    def work(s, case, facts, _d):
        view = _view(s, actor, case, facts, now)
        view["printed"] = sv_datetime(now)
        view["printed_by"] = actor.name
        return view

    return _run(actor, case_id, Action.EXPORT_CASE, now, work)


def access_count(case_id: int, *, allowed: bool | None = None) -> int:
    """Rows in the access log for a case (tests, audit views)."""
    with session_scope() as s:
        stmt = select(func.count()).select_from(AccessLog).where(AccessLog.case_id == case_id)
        if allowed is not None:
            stmt = stmt.where(AccessLog.allowed.is_(allowed))
        return s.exec(stmt).one()
