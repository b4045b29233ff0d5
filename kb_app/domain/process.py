"""The legal process of a case (skollagen 6 kap. 10 §), in one place.

Steps in order; the UI labels; which step follows which; every transition with
who may do it (an ``access.Action``) and what it requires (pure validation of its
input, returning Swedish field errors). Pages, states and services ask this
module; they never repeat its rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

from kb_app.domain.access import Action
from kb_app.errors import InvalidInput


class Step(StrEnum):
    REPORTED = "reported"
    RECEIVED = "received"
    ORGANISER_NOTIFIED = "organiser_notified"
    INVESTIGATION_STARTED = "investigation_started"
    INVESTIGATED = "investigated"
    # A follow-up found that the acts have not stopped: new measures are due. Not a
    # timeline event of its own (the follow-up is); it stands where "investigated"
    # stands in the order, waiting for a decision on measures.
    NEW_MEASURES_NEEDED = "new_measures_needed"
    MEASURES_DECIDED = "measures_decided"
    FOLLOWED_UP = "followed_up"
    CLOSED = "closed"


STEP_ORDER: list[Step] = list(Step)

STEP_LABELS: dict[str, str] = {
    Step.REPORTED: "Anmälan",
    Step.RECEIVED: "Mottagen av rektor",
    Step.ORGANISER_NOTIFIED: "Anmäld till huvudman",
    Step.INVESTIGATION_STARTED: "Utredning påbörjad",
    Step.INVESTIGATED: "Utredning klar",
    Step.NEW_MEASURES_NEEDED: "Nya åtgärder behövs",
    Step.MEASURES_DECIDED: "Åtgärder beslutade",
    Step.FOLLOWED_UP: "Uppföljning",
    Step.CLOSED: "Avslutad",
}


class EventKind(StrEnum):
    """Timeline events: every step, plus the events beside the steps."""

    REPORTED = "reported"
    RECEIVED = "received"
    ORGANISER_NOTIFIED = "organiser_notified"
    INVESTIGATION_STARTED = "investigation_started"
    INVESTIGATED = "investigated"
    MEASURES_DECIDED = "measures_decided"
    FOLLOWED_UP = "followed_up"
    CLOSED = "closed"
    SUPPLEMENT = "supplement"
    COMMENT = "comment"
    DELEGATED = "delegated"
    DELEGATION_WITHDRAWN = "delegation_withdrawn"
    REMINDER = "reminder"
    REOPENED = "reopened"
    TAKEN_OVER = "taken_over"
    MEASURES_PROPOSED = "measures_proposed"
    CONFLICT_BYPASSED = "conflict_bypassed"  # jäv: a named user kept away at the report
    CONFLICT_CONFIRMED = "conflict_confirmed"
    CONFLICT_REJECTED = "conflict_rejected"
    HANDED_OVER = "handed_over"  # the admin handed a leaving principal's case to another
    ATTACHMENT_ADDED = "attachment_added"
    PARTY_CHANGED = "party_changed"  # a party added, corrected or removed, with a reason
    # Retention (services/retention): a legal hold set or lifted, the case marked
    # delivered to the e-archive, and the gallring itself (carries the keyed hashes
    # of the events it redacted: services/case/audit.py).
    LEGAL_HOLD_SET = "legal_hold_set"
    LEGAL_HOLD_LIFTED = "legal_hold_lifted"
    ARCHIVE_DELIVERED = "archive_delivered"
    THINNED = "thinned"


EVENT_LABELS: dict[str, str] = {
    **{k: v for k, v in STEP_LABELS.items() if k != Step.NEW_MEASURES_NEEDED},
    EventKind.SUPPLEMENT: "Komplettering",
    EventKind.COMMENT: "Kommentar",
    EventKind.DELEGATED: "Delegerad",
    EventKind.DELEGATION_WITHDRAWN: "Delegering återkallad",
    EventKind.REMINDER: "Påminnelse",
    EventKind.REOPENED: "Återöppnad",
    EventKind.TAKEN_OVER: "Övertagen av huvudman",
    EventKind.MEASURES_PROPOSED: "Åtgärder föreslagna",
    EventKind.CONFLICT_BYPASSED: "Jävsituation: ansvarig bortkopplad",
    EventKind.CONFLICT_CONFIRMED: "Jäv bekräftat",
    EventKind.CONFLICT_REJECTED: "Jäv avvisat",
    EventKind.HANDED_OVER: "Överlämnat till ny ansvarig",
    EventKind.ATTACHMENT_ADDED: "Bilaga",
    EventKind.PARTY_CHANGED: "Berörda personer ändrade",
    EventKind.LEGAL_HOLD_SET: "Bevarandespärr satt",
    EventKind.LEGAL_HOLD_LIFTED: "Bevarandespärr hävd",
    EventKind.ARCHIVE_DELIVERED: "Levererad till e-arkiv",
    EventKind.THINNED: "Gallrat",
}

# The step a case is "at" is the last one completed; the next step is what is due.
# organiser_notified is recorded automatically together with the report, so a newly
# reported case waits for "received".
OPEN_STEPS = [s for s in STEP_ORDER if s != Step.CLOSED]


def next_step(current: Step) -> Step | None:
    """The step that is due after ``current`` in the straight line of the process."""
    if current == Step.CLOSED:
        return None
    if current == Step.REPORTED:
        return Step.RECEIVED
    if current == Step.RECEIVED:
        return Step.INVESTIGATION_STARTED
    if current in (Step.INVESTIGATED, Step.NEW_MEASURES_NEEDED):
        return Step.MEASURES_DECIDED
    idx = STEP_ORDER.index(current)
    return STEP_ORDER[idx + 1]


# ---------------------------------------------------------------------------
# The vocabulary of the steps' records
# ---------------------------------------------------------------------------

# Talks held during the investigation.
TALKS: list[tuple[str, str]] = [
    ("subjected", "Med den utsatta eleven/barnet"),
    ("involved", "Med de inblandade"),
    ("staff", "Med personal"),
]
TALK_LABELS = dict(TALKS)

# The conclusion of the investigation (stored on the case for statistics).
CONCLUSIONS: list[tuple[str, str]] = [
    ("confirmed", "Kränkning konstaterad"),
    ("not_confirmed", "Kränkning ej konstaterad"),
    ("harassment", "Trakasserier enligt diskrimineringslagen"),
    ("sexual_harassment", "Sexuella trakasserier enligt diskrimineringslagen"),
]
CONCLUSION_LABELS = dict(CONCLUSIONS)

# The level a measure works on.
MEASURE_LEVELS: list[tuple[str, str]] = [
    ("individual", "Individnivå"),
    ("group", "Gruppnivå"),
    ("organisational", "Organisationsnivå"),
]
MEASURE_LEVEL_LABELS = dict(MEASURE_LEVELS)

MAX_TEXT = 10_000
MAX_MEASURES = 20
FORM = "_form"  # the key of an error that belongs to the whole form


# ---------------------------------------------------------------------------
# Transitions: who may do each, from which steps, to which step
# ---------------------------------------------------------------------------


class Transition(StrEnum):
    RECEIVE = "receive"
    START_INVESTIGATION = "start_investigation"  # the principal investigates themself
    DELEGATE = "delegate"  # ... or delegates (the delegate then starts it)
    WITHDRAW_DELEGATION = "withdraw_delegation"
    RECORD_INVESTIGATION = "record_investigation"
    PROPOSE_MEASURES = "propose_measures"
    DECIDE_MEASURES = "decide_measures"
    FOLLOW_UP = "follow_up"
    CLOSE = "close"
    REOPEN = "reopen"
    COMMENT = "comment"
    SUPPLEMENT = "supplement"
    TAKE_OVER = "take_over"


OPEN_AFTER_RECEIPT = frozenset(
    {
        Step.RECEIVED,
        Step.INVESTIGATION_STARTED,
        Step.INVESTIGATED,
        Step.NEW_MEASURES_NEEDED,
        Step.MEASURES_DECIDED,
        Step.FOLLOWED_UP,
    }
)
# Where a decision on measures is due: after the investigation, or after a
# follow-up that found the acts have not stopped.
MEASURES_DUE = frozenset({Step.INVESTIGATED, Step.NEW_MEASURES_NEEDED})
ALL_STEPS = frozenset(Step)


@dataclass(frozen=True)
class Rule:
    action: Action  # who may do it: asked through access.can_on_case
    from_steps: frozenset[Step]
    event: EventKind
    label: str  # the button in the UI


RULES: dict[Transition, Rule] = {
    Transition.RECEIVE: Rule(
        Action.RECEIVE,
        frozenset({Step.REPORTED, Step.ORGANISER_NOTIFIED}),
        EventKind.RECEIVED,
        "Markera som mottagen",
    ),
    Transition.START_INVESTIGATION: Rule(
        Action.START_INVESTIGATION,
        frozenset({Step.RECEIVED}),
        EventKind.INVESTIGATION_STARTED,
        "Jag utreder själv",
    ),
    Transition.DELEGATE: Rule(
        Action.DELEGATE, OPEN_AFTER_RECEIPT, EventKind.DELEGATED, "Delegera utredningen"
    ),
    Transition.WITHDRAW_DELEGATION: Rule(
        Action.WITHDRAW_DELEGATION,
        ALL_STEPS - {Step.CLOSED},  # nothing to withdraw from on a closed case
        EventKind.DELEGATION_WITHDRAWN,
        "Återkalla delegeringen",
    ),
    Transition.RECORD_INVESTIGATION: Rule(
        Action.RECORD_INVESTIGATION,
        frozenset({Step.INVESTIGATION_STARTED}),
        EventKind.INVESTIGATED,
        "Spara utredningen",
    ),
    Transition.PROPOSE_MEASURES: Rule(
        Action.PROPOSE_MEASURES,
        MEASURES_DUE,
        EventKind.MEASURES_PROPOSED,
        "Föreslå åtgärder",
    ),
    Transition.DECIDE_MEASURES: Rule(
        Action.DECIDE_MEASURES,
        MEASURES_DUE,
        EventKind.MEASURES_DECIDED,
        "Besluta åtgärder",
    ),
    Transition.FOLLOW_UP: Rule(
        Action.FOLLOW_UP,
        frozenset({Step.MEASURES_DECIDED}),
        EventKind.FOLLOWED_UP,
        "Spara uppföljningen",
    ),
    Transition.CLOSE: Rule(
        Action.CLOSE, frozenset({Step.FOLLOWED_UP}), EventKind.CLOSED, "Avsluta ärendet"
    ),
    Transition.REOPEN: Rule(
        Action.REOPEN, frozenset({Step.CLOSED}), EventKind.REOPENED, "Återöppna ärendet"
    ),
    Transition.COMMENT: Rule(Action.COMMENT, ALL_STEPS, EventKind.COMMENT, "Spara kommentar"),
    Transition.SUPPLEMENT: Rule(
        Action.COMMENT, ALL_STEPS, EventKind.SUPPLEMENT, "Spara komplettering"
    ),
    Transition.TAKE_OVER: Rule(
        Action.TAKE_OVER, ALL_STEPS - {Step.CLOSED}, EventKind.TAKEN_OVER, "Ta över ärendet"
    ),
}

# The transitions that move a case along its steps (the "next step" form).
STEP_TRANSITIONS = [
    Transition.RECEIVE,
    Transition.START_INVESTIGATION,
    Transition.DELEGATE,
    Transition.RECORD_INVESTIGATION,
    Transition.PROPOSE_MEASURES,
    Transition.DECIDE_MEASURES,
    Transition.FOLLOW_UP,
    Transition.CLOSE,
    Transition.REOPEN,
]

MSG_NOT_NOW = (
    "Steget kan inte registreras nu: ärendet har ändrats sedan sidan laddades. "
    "Ladda om sidan och försök igen."
)


@dataclass(frozen=True)
class ProcessState:
    """Where a case stands, as far as the process is concerned."""

    step: Step = Step.REPORTED
    delegated: bool = False  # an active delegation exists
    staff_involved: bool = False
    taken_over: bool = False

    @property
    def closed(self) -> bool:
        return self.step == Step.CLOSED


def is_allowed(state: ProcessState, transition: Transition) -> bool:
    """May ``transition`` happen when the case is in ``state`` (the process alone;
    who may do it is access.can_on_case with ``RULES[transition].action``)."""
    if state.step not in RULES[transition].from_steps:
        return False
    if transition == Transition.DELEGATE:
        return not state.delegated  # one investigator at a time: withdraw first
    if transition == Transition.WITHDRAW_DELEGATION:
        return state.delegated
    if transition == Transition.TAKE_OVER:
        return state.staff_involved and not state.taken_over
    return True


def apply(state: ProcessState, transition: Transition, data: Mapping[str, Any] | None = None):
    """The state after ``transition`` (with its validated ``data``); raises
    ``InvalidInput`` when the process does not allow it now."""
    if not is_allowed(state, transition):
        raise InvalidInput({FORM: MSG_NOT_NOW})
    data = data or {}
    match transition:
        case Transition.RECEIVE:
            return replace(state, step=Step.RECEIVED)
        case Transition.START_INVESTIGATION:
            return replace(state, step=Step.INVESTIGATION_STARTED)
        case Transition.DELEGATE:
            # Delegating is not starting: "Utredning påbörjad" is recorded by the
            # investigator when they start (see ``delegate_starts``).
            return replace(state, delegated=True)
        case Transition.WITHDRAW_DELEGATION:
            return replace(state, delegated=False)
        case Transition.RECORD_INVESTIGATION:
            return replace(state, step=Step.INVESTIGATED)
        case Transition.DECIDE_MEASURES:
            return replace(state, step=Step.MEASURES_DECIDED)
        case Transition.FOLLOW_UP:
            # Not stopped: back to measures (the case waits for a new decision).
            return replace(
                state, step=Step.FOLLOWED_UP if data.get("stopped") else Step.NEW_MEASURES_NEEDED
            )
        case Transition.CLOSE:
            return replace(state, step=Step.CLOSED)
        case Transition.REOPEN:
            # A reopened case is investigated again, then measures, follow-up, close.
            return replace(state, step=Step.INVESTIGATION_STARTED)
        case Transition.TAKE_OVER:
            return replace(state, taken_over=True)
    return state  # comment, supplement, proposal: no change of step


def available(state: ProcessState) -> list[Transition]:
    """Every transition the process allows now (before asking who the actor is)."""
    return [t for t in Transition if is_allowed(state, t)]


def due_step(step: Step) -> Step | None:
    """The step the case waits for."""
    return next_step(Step.REPORTED if step == Step.ORGANISER_NOTIFIED else step)


def done_by_investigator(step: Step | None) -> bool:
    """Is the step ``step`` done by the delegated investigator when there is one?
    (Receiving, deciding and closing stay with the principal.)"""
    return step in {Step.INVESTIGATION_STARTED, Step.INVESTIGATED, Step.FOLLOWED_UP}


MSG_DELEGATED = (
    "Utredningen är delegerad. Den påbörjas av utredaren; återkalla delegeringen "
    "om du vill utreda själv."
)


def delegate_starts(state: ProcessState, by_delegate: bool) -> bool:
    """Does a recorded action of ``by_delegate`` (the delegated investigator) start the
    investigation? The investigator's first recorded action on a delegated case that
    waits for its start records "Utredning påbörjad", with the investigator as author."""
    return by_delegate and state.delegated and state.step == Step.RECEIVED


def may_start_self(state: ProcessState, by_delegate: bool) -> bool:
    """May this actor record "Utredning påbörjad" now? While the investigation is
    delegated only the investigator starts it (the principal withdraws first)."""
    return is_allowed(state, Transition.START_INVESTIGATION) and (
        by_delegate or not state.delegated
    )


# ---------------------------------------------------------------------------
# What each step requires: pure validation, Swedish messages
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """Facts validation needs: today's local date and when the current step was done."""

    today: date
    reported_on: date
    step_done_on: date | None = None
    # The organisation's active users (id -> name) a measure's responsible person
    # may be chosen among (only filled in for the measure steps).
    users: Mapping[int, str] = field(default_factory=dict)


@dataclass
class Checked:
    """Clean data or field errors."""

    data: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_if_invalid(self) -> dict[str, Any]:
        if self.errors:
            raise InvalidInput(self.errors)
        return self.data


EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _text(
    raw: Mapping[str, Any],
    key: str,
    errors: dict[str, str],
    missing: str,
    *,
    min_len: int = 1,
    max_len: int = MAX_TEXT,
    error_key: str | None = None,
) -> str:
    value = str(raw.get(key) or "").strip()
    ek = error_key or key
    if not value:
        errors[ek] = missing
    elif len(value) < min_len:
        errors[ek] = f"Skriv minst {min_len} tecken."
    elif len(value) > max_len:
        errors[ek] = f"Texten får vara högst {max_len} tecken."
    return value


def parse_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


def _date(
    raw: Mapping[str, Any],
    key: str,
    errors: dict[str, str],
    missing: str,
    *,
    error_key: str | None = None,
) -> date | None:
    ek = error_key or key
    value = raw.get(key)
    if value in (None, ""):
        errors[ek] = missing
        return None
    d = parse_date(value)
    if d is None or d.year < 2000 or d.year > 2100:
        errors[ek] = "Ange ett giltigt datum (åååå-mm-dd)."
        return None
    return d


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    v = str(value or "").strip().lower()
    if v in {"yes", "ja", "true", "on", "1"}:
        return True
    if v in {"no", "nej", "false", "0"}:
        return False
    return None


def check_investigation(raw: Mapping[str, Any], ctx: Context) -> Checked:
    errors: dict[str, str] = {}
    talks_raw = raw.get("talks") or []
    if isinstance(talks_raw, str):
        talks_raw = [t for t in talks_raw.split(",") if t]
    talks = [t for code, _ in TALKS for t in talks_raw if t == code]
    if any(t not in TALK_LABELS for t in talks_raw):
        errors["talks"] = "Okänt val av samtal."
    elif not talks:
        errors["talks"] = "Ange vilka samtal som har hållits."
    contacted = None
    reason = str(raw.get("guardians_not_contacted_reason") or "").strip()
    if raw.get("guardians_contacted_on") not in (None, "") or not reason:
        contacted = _date(
            raw,
            "guardians_contacted_on",
            errors,
            "Ange när vårdnadshavare kontaktades, eller varför de inte har kontaktats.",
        )
        if contacted and contacted > ctx.today:
            errors["guardians_contacted_on"] = "Datumet kan inte vara i framtiden."
    if len(reason) > 1000:
        errors["guardians_not_contacted_reason"] = "Texten får vara högst 1000 tecken."
    findings = _text(
        raw, "findings", errors, "Beskriv vad utredningen har kommit fram till.", min_len=10
    )
    conclusion = str(raw.get("conclusion") or "")
    if conclusion not in CONCLUSION_LABELS:
        errors["conclusion"] = "Välj en slutsats."
    return Checked(
        {
            "talks": talks,
            "guardians_contacted_on": contacted.isoformat() if contacted else "",
            "guardians_not_contacted_reason": "" if contacted else reason,
            "findings": findings,
            "conclusion": conclusion,
        },
        errors,
    )


MSG_MEASURE_USER = "Välj en person i listan, eller skriv namnet på någon utanför Värna."


def _user_id(row: Mapping[str, Any], ctx: Context, errors: dict[str, str], key: str) -> int | None:
    """The chosen user of a measure row: one of ``ctx.users``, or None when none."""
    raw = str(row.get("responsible_user_id") or "").strip()
    if not raw:
        return None
    uid = int(raw) if raw.isdigit() and len(raw) < 13 else None
    if uid is None or uid not in ctx.users:
        errors[key] = MSG_MEASURE_USER
        return None
    return uid


def check_measures(raw: Mapping[str, Any], ctx: Context) -> Checked:
    """One or more measures, or a reasoned decision that none is needed.

    ``raw["measures"]`` is a list of {level, description, responsible,
    responsible_user_id, due_on}; errors of row i are keyed ``measures.<i>.<field>``.
    The responsible person is one of ``ctx.users`` (their name is the text when
    none is typed), or only a typed name for someone outside Värna.
    """
    errors: dict[str, str] = {}
    none_needed = bool(_bool(raw.get("none_needed")))
    given: Sequence[Mapping[str, Any]] = raw.get("measures") or []
    # Rows the user left completely empty are not measures (errors keep the row's index).
    rows = [
        (i, r)
        for i, r in enumerate(given)
        if any(
            str(r.get(k) or "").strip()
            for k in ("description", "responsible", "responsible_user_id", "due_on")
        )
    ]
    clean: list[dict[str, str]] = []
    reason = ""
    if none_needed:
        if rows:
            errors[FORM] = "Ange antingen åtgärder eller att inga åtgärder behövs, inte båda."
        reason = _text(
            raw,
            "none_reason",
            errors,
            "Motivera varför inga åtgärder behövs.",
            min_len=10,
        )
    else:
        if not rows:
            errors["measures"] = "Lägg till minst en åtgärd, eller motivera att inga behövs."
        if len(rows) > MAX_MEASURES:
            errors["measures"] = f"Högst {MAX_MEASURES} åtgärder åt gången."
        for i, row in rows[:MAX_MEASURES]:
            level = str(row.get("level") or "")
            if level not in MEASURE_LEVEL_LABELS:
                errors[f"measures.{i}.level"] = "Välj nivå."
            desc = _text(
                row,
                "description",
                errors,
                "Beskriv åtgärden.",
                max_len=2000,
                error_key=f"measures.{i}.description",
            )
            uid = _user_id(row, ctx, errors, f"measures.{i}.responsible_user_id")
            if uid is not None and not str(row.get("responsible") or "").strip():
                row = {**row, "responsible": ctx.users[uid]}
            resp = _text(
                row,
                "responsible",
                errors,
                "Ange vem som ansvarar.",
                max_len=200,
                error_key=f"measures.{i}.responsible",
            )
            if f"measures.{i}.responsible_user_id" in errors and not resp:
                errors.pop(f"measures.{i}.responsible", None)  # one message: choose again
            due = _date(
                row,
                "due_on",
                errors,
                "Ange senast när åtgärden ska vara genomförd.",
                error_key=f"measures.{i}.due_on",
            )
            if due and due < ctx.today:
                errors[f"measures.{i}.due_on"] = "Datumet har redan passerat."
            clean.append(
                {
                    "level": level,
                    "description": desc,
                    "responsible": resp,
                    "responsible_user_id": uid,
                    "due_on": due.isoformat() if due else "",
                }
            )
    return Checked({"none_needed": none_needed, "none_reason": reason, "measures": clean}, errors)


def check_follow_up(raw: Mapping[str, Any], ctx: Context) -> Checked:
    errors: dict[str, str] = {}
    on = _date(raw, "followed_up_on", errors, "Ange när uppföljningen gjordes.")
    if on and on > ctx.today:
        errors["followed_up_on"] = "Datumet kan inte vara i framtiden."
    elif on and ctx.step_done_on and on < ctx.step_done_on:
        errors["followed_up_on"] = "Uppföljningen kan inte vara före beslutet om åtgärder."
    stopped = _bool(raw.get("stopped"))
    if stopped is None:
        errors["stopped"] = "Ange om kränkningarna har upphört."
    notes = _text(raw, "notes", errors, "Beskriv vad uppföljningen visade.", min_len=5)
    return Checked(
        {"followed_up_on": on.isoformat() if on else "", "stopped": bool(stopped), "notes": notes},
        errors,
    )


def check_close(raw: Mapping[str, Any], ctx: Context) -> Checked:
    errors: dict[str, str] = {}
    summary = _text(
        raw,
        "summary",
        errors,
        "Skriv en kort sammanfattning av varför ärendet avslutas.",
        min_len=5,
    )
    return Checked({"summary": summary}, errors)


def check_reopen(raw: Mapping[str, Any], ctx: Context) -> Checked:
    errors: dict[str, str] = {}
    reason = _text(raw, "reason", errors, "Ange varför ärendet återöppnas.", min_len=10)
    return Checked({"reason": reason}, errors)


MSG_TAKE_OVER_REASON = "Skriv varför du tar över ärendet."


def check_take_over(raw: Mapping[str, Any], ctx: Context) -> Checked:
    """Taking over a case needs a reason (it is recorded in the timeline)."""
    errors: dict[str, str] = {}
    reason = _text(raw, "reason", errors, MSG_TAKE_OVER_REASON, max_len=2000)
    return Checked({"reason": reason}, errors)


def check_note(raw: Mapping[str, Any], ctx: Context) -> Checked:
    """A comment or a supplement."""
    errors: dict[str, str] = {}
    text = _text(raw, "text", errors, "Skriv något innan du sparar.", max_len=5000)
    return Checked({"text": text}, errors)


def check_invite(raw: Mapping[str, Any]) -> Checked:
    """A new person to invite as investigator."""
    errors: dict[str, str] = {}
    email = str(raw.get("email") or "").strip().lower()
    if not email:
        errors["email"] = "Ange personens e-postadress."
    elif len(email) > 254 or not EMAIL_RE.match(email):
        errors["email"] = "Ange en giltig e-postadress."
    name = _text(raw, "name", errors, "Ange personens namn.", max_len=200)
    return Checked({"email": email, "name": name}, errors)


CHECKS = {
    Transition.RECORD_INVESTIGATION: check_investigation,
    Transition.PROPOSE_MEASURES: check_measures,
    Transition.DECIDE_MEASURES: check_measures,
    Transition.FOLLOW_UP: check_follow_up,
    Transition.CLOSE: check_close,
    Transition.REOPEN: check_reopen,
    Transition.TAKE_OVER: check_take_over,
    Transition.COMMENT: check_note,
    Transition.SUPPLEMENT: check_note,
}


def check(transition: Transition, raw: Mapping[str, Any] | None, ctx: Context) -> Checked:
    """Validate the input of ``transition`` (transitions without input pass)."""
    fn = CHECKS.get(transition)
    return fn(raw or {}, ctx) if fn else Checked({}, {})
