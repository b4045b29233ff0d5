"""Reading a case: the case page's view (``load_case``) and the case file
(``case_file``, for the printable page and the PDF).

Both read in a transaction that takes no lock (``access._read``) and are logged.
The view is a ``CaseView``: display strings made for this user, the rows of the
lists, the flags for what this user may do, and which next-step form they get.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from kb_app.db import read_scope
from kb_app.domain import case_text, process, promptness
from kb_app.domain import conflict as conflict_rules
from kb_app.domain.access import Action, Actor, CaseFacts, can_on_case
from kb_app.domain.fmt import sv_date, sv_datetime
from kb_app.domain.process import (
    CONCLUSION_LABELS,
    RULES,
    STEP_LABELS,
    EventKind,
    ProcessState,
    Step,
    Transition,
    due_step,
    is_allowed,
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
    from_mask,
)
from kb_app.models import Case, CaseEvent, Delegation, Measure, Party, Unit, User
from kb_app.services.base import conflicts, limits
from kb_app.services.base.timeline import event_payload
from kb_app.services.case import attachments
from kb_app.services.case.access import _allowed, _process_state, _read
from kb_app.services.case.delegation import _candidate_rows
from kb_app.services.case.steps import measure_users

Row = dict[str, str]

# The display strings of the head of the case (the page's ``head``) and its flags.
HEAD_FIELDS = (
    "reference",
    "unit",
    "class_name",
    "grade",
    "step",
    "next_step",
    "responsible",
    "due",
    "reported",
    "closed_at",
    "taken_over_by",
    "occurred",
    "place",
    "kinds",
    "grounds",
    "description",
    "immediate_actions",
    "guardians_informed",
    "witnesses",
    "reporter",
    "conclusion",
    "waiting_for",
    "printed",
    "printed_by",
    "conflict",
)
FLAG_FIELDS = (
    "late",
    "closed",
    "staff_involved",
    "can_comment",
    "can_delegate",
    "can_withdraw",
    "can_take_over",
    "can_export",
    "all_met",
    "can_resolve_conflict",
    "can_attach",
    "can_attach_investigation",
    "can_view_access_log",
    "can_edit_parties",
)


@dataclass(frozen=True)
class CaseView:
    """One case as this user sees it (strings ready to show)."""

    id: int
    reference: str
    unit: str
    class_name: str
    grade: str
    step: str
    step_code: str
    next_step: str
    responsible: str
    due: str
    late: bool
    closed: bool
    closed_at: str
    reported: str
    staff_involved: bool
    taken_over_by: str
    occurred: str
    place: str
    kinds: str
    grounds: str
    description: str
    immediate_actions: str
    guardians_informed: str
    witnesses: str
    reporter: str
    conclusion: str
    parties: list[Row]
    timeline: list[Row]
    measures: list[Row]
    delegations: list[Row]
    promptness: list[Row]
    all_met: bool
    # The next-step form this user gets ("" = none) and whom the case waits for.
    form: str
    waiting_for: str
    # The latest proposal of measures (for the decision), {} when there is none.
    proposal: dict[str, Any]
    can_comment: bool
    can_delegate: bool
    can_withdraw: bool
    can_take_over: bool
    can_export: bool
    candidates: list[Row]
    # Whom a measure's responsible person may be chosen among (the measure forms).
    measure_users: list[Row] = dataclasses.field(default_factory=list)
    # Only in the case file: when and by whom it was made.
    printed: str = ""
    printed_by: str = ""
    # Jäv: the banner ("" when nobody is excluded), every recorded match, and whether
    # this user (an organiser) may confirm or reject the suspected ones.
    conflict: str = ""
    conflicts: list[Row] = dataclasses.field(default_factory=list)
    can_resolve_conflict: bool = False
    # What the view was made from (``case_stamp``): the live case page reloads
    # when the stamp moves. Stays on the server, never shown.
    stamp: str = ""
    # Attachments (services/case/attachments.py) and who may add them or see the log.
    attachments: list[Row] = dataclasses.field(default_factory=list)
    can_attach: bool = False
    can_attach_investigation: bool = False
    can_view_access_log: bool = False
    can_edit_parties: bool = False

    def head(self) -> dict[str, str]:
        return {k: str(getattr(self, k) or "") for k in HEAD_FIELDS}

    def flags(self) -> dict[str, bool]:
        return {k: bool(getattr(self, k)) for k in FLAG_FIELDS}


def _next_form(actor: Actor, state: ProcessState, facts: CaseFacts) -> str:
    """Which "next step" form this actor gets: one form, for the next step only."""

    def may(t: Transition) -> bool:
        return is_allowed(state, t) and can_on_case(actor, RULES[t].action, facts)

    if may(Transition.RECEIVE):
        return "receive"
    by_delegate = actor.user_id in facts.delegated_to
    if state.step == Step.RECEIVED and by_delegate and may(Transition.START_INVESTIGATION):
        return "begin"  # the investigator starts the investigation delegated to them
    if state.step == Step.RECEIVED and (
        (may(Transition.START_INVESTIGATION) and process.may_start_self(state, by_delegate))
        or may(Transition.DELEGATE)
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


def _stamp_of(case: Case, last_seq: int | None, n_events: int) -> str:
    updated = case.updated_at.isoformat() if case.updated_at else ""
    return f"{updated}|{last_seq or 0}|{n_events}"


def _view(s: Session, actor: Actor, case: Case, facts: CaseFacts, now: datetime) -> CaseView:
    unit = s.get(Unit, case.unit_id)
    events = list(
        s.exec(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq))
    )
    stamp = _stamp_of(case, events[-1].seq if events else None, len(events))
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

    recorded = conflicts.conflicts_of(s, case.id)
    may_resolve = may(Action.RESOLVE_CONFLICT)
    conflict_rows = [
        {
            "id": str(c.id),
            "name": name,
            "status": c.status,
            "status_label": conflict_rules.STATUS_LABELS.get(c.status, c.status),
            "open": "1"
            if may_resolve and c.status == conflict_rules.ConflictStatus.SUSPECTED
            else "",
        }
        for c, name in recorded
    ]
    guardians = dict(GUARDIANS_INFORMED)
    occurred = sv_date(case.occurred_on)
    if case.occurred_time:
        occurred += f" kl. {case.occurred_time}"
    return CaseView(
        id=case.id,
        reference=case.reference,
        unit=unit.name if unit else "",
        class_name=case.class_name,
        grade=GRADE_LABELS.get(case.grade, case.grade) if case.grade else "",
        step=STEP_LABELS.get(case.step, case.step),
        step_code=case.step,
        next_step=STEP_LABELS[nxt] if nxt and not closed else "",
        responsible=responsible,
        due=sv_date(case.due_at) if case.due_at and not closed else "",
        late=late,
        closed=closed,
        closed_at=sv_datetime(case.closed_at) if closed else "",
        reported=sv_datetime(case.reported_at),
        staff_involved=case.staff_involved,
        taken_over_by=_name_of(s, facts.taken_over_by),
        occurred=occurred,
        place=PLACE_LABELS.get(case.place, case.place)
        + (f": {case.place_other}" if case.place_other else ""),
        kinds=", ".join(KIND_LABELS[k] for k in from_mask(case.kinds, KIND_CODES)),
        grounds=", ".join(GROUND_LABELS[g] for g in from_mask(case.grounds, GROUND_CODES)),
        description=case.description,
        immediate_actions=case.immediate_actions,
        guardians_informed=guardians.get(case.guardians_informed, ""),
        witnesses=case.witnesses,
        reporter=", ".join(
            x
            for x in (
                case.reporter_name,
                dict(REPORTER_ROLES).get(case.reporter_role, ""),
                case.reporter_email,
            )
            if x
        ),
        conclusion=CONCLUSION_LABELS.get(case.conclusion, ""),
        parties=[
            {
                "id": str(p.id),
                "role_code": p.role,
                "kind_code": p.kind,
                "name_value": p.name,
                "role": case_text.PARTY_ROLE_LABELS.get(p.role, p.role),
                "kind": PARTY_KIND_LABELS.get(p.kind, p.kind),
                "name": p.name or "(namn ej angivet)",
                "class_name": p.class_name,
                "grade": GRADE_LABELS.get(p.grade, p.grade) if p.grade else "",
            }
            for p in parties
        ],
        timeline=[
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
        measures=[
            {
                "level": case_text.MEASURE_LEVEL_LABELS.get(m.level, m.level),
                "description": m.description,
                "responsible": m.responsible,
                "responsible_user_id": str(m.responsible_user_id or ""),
                "due": sv_date(m.due_on) if m.due_on else "",
                "decided": sv_date(m.created_at),
            }
            for m in measures
        ],
        delegations=[
            {
                "id": str(d.id),
                "investigator": _name_of(s, d.investigator_user_id),
                "since": sv_datetime(d.created_at),
                "withdrawn": sv_datetime(d.withdrawn_at) if d.withdrawn_at else "",
            }
            for d in all_delegations
        ],
        promptness=[t.as_row() for t in timing],
        all_met=promptness.all_met(timing),
        form=form,
        waiting_for=(
            f"{STEP_LABELS[nxt]}" + (f" ({responsible})" if responsible else "")
            if nxt and not closed and not form
            else ""
        ),
        proposal=proposal,
        can_comment=allowed(Transition.COMMENT),
        can_delegate=allowed(Transition.DELEGATE) and state.step != Step.RECEIVED,
        can_withdraw=allowed(Transition.WITHDRAW_DELEGATION),
        can_take_over=allowed(Transition.TAKE_OVER),
        can_export=may(Action.EXPORT_CASE),
        conflict=conflict_rules.banner(
            [name for c, name in recorded if c.status in conflict_rules.EXCLUDING]
        ),
        conflicts=conflict_rows,
        can_resolve_conflict=any(r["open"] for r in conflict_rows),
        stamp=stamp,
        attachments=attachments.rows(s, case.id),
        can_attach=may(Action.ATTACH_FILE),
        can_attach_investigation=may(Action.RECORD_INVESTIGATION) and not closed,
        can_view_access_log=may(Action.VIEW_ACCESS_LOG),
        can_edit_parties=may(Action.EDIT_PARTIES) and not closed,
        measure_users=(
            [
                {"id": str(uid), "name": name}
                for uid, name in measure_users(s, case.organisation_id, facts.excluded).items()
            ]
            if form in ("decide", "propose")
            else []
        ),
        candidates=(
            [{"id": str(u.id), "name": u.name} for u in _candidate_rows(s, actor, case)]
            if allowed(Transition.DELEGATE)
            else []
        ),
    )


def load_case(actor: Actor | None, case_id: Any, *, now: datetime) -> CaseView:
    """Everything the case page shows, for an actor who may read the case (logged)."""
    return _read(
        actor, case_id, Action.READ_CASE, now, lambda s, c, f, _d: _view(s, actor, c, f, now)
    )


def case_stamp(actor: Actor | None, case_id: Any) -> str | None:
    """What the case's view is made from now, for the live case page: a string that
    moves with every recorded step, comment, supplement or change of the case, or
    None when the actor may no longer read the case (or it is gone).

    Not logged and nothing of the case's content: the open page compares it with
    the stamp of the view it shows and reloads through ``load_case`` (which checks
    access again and logs the read, or the refusal) when it differs."""
    if not (actor is not None and isinstance(case_id, int) and 0 < case_id < 2**62):
        return None
    with read_scope() as s:
        found = _allowed(s, actor, case_id, Action.READ_CASE, lock=False)
        if found is None:
            return None
        case = found[0]
        last, count = s.exec(
            select(func.max(CaseEvent.seq), func.count()).where(CaseEvent.case_id == case.id)
        ).one()
        return _stamp_of(case, last, count)


def case_file(actor: Actor | None, case_id: Any, *, now: datetime) -> CaseView:
    """The whole case for the printable case file and the PDF (EXPORT_CASE, logged)."""

    def work(s, case, facts, _d) -> CaseView:
        view = _view(s, actor, case, facts, now)
        return dataclasses.replace(view, printed=sv_datetime(now), printed_by=actor.name)

    return _read(actor, case_id, Action.EXPORT_CASE, now, work)
