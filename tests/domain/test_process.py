"""The process (domain/process.py): every allowed and forbidden transition, what each
step requires, the loop back from follow-up, reopening; and, with hypothesis over
random sequences of actions, that a case never reaches a state the process forbids."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb_app.domain.access import Action
from kb_app.domain.process import (
    FORM,
    RULES,
    STEP_LABELS,
    Context,
    InvalidInput,
    ProcessState,
    Step,
    Transition,
    apply,
    check,
    check_follow_up,
    check_investigation,
    check_invite,
    check_measures,
    is_allowed,
    next_step,
)

T = Transition
ALWAYS = {T.COMMENT, T.SUPPLEMENT}
# Which transitions the process allows at each step (no delegation, no staff involved).
ALLOWED: dict[Step, set[Transition]] = {
    Step.REPORTED: {T.RECEIVE} | ALWAYS,
    Step.RECEIVED: {T.START_INVESTIGATION, T.DELEGATE} | ALWAYS,
    Step.INVESTIGATION_STARTED: {T.RECORD_INVESTIGATION, T.DELEGATE} | ALWAYS,
    Step.INVESTIGATED: {T.PROPOSE_MEASURES, T.DECIDE_MEASURES, T.DELEGATE} | ALWAYS,
    Step.NEW_MEASURES_NEEDED: {T.PROPOSE_MEASURES, T.DECIDE_MEASURES, T.DELEGATE} | ALWAYS,
    Step.MEASURES_DECIDED: {T.FOLLOW_UP, T.DELEGATE} | ALWAYS,
    Step.FOLLOWED_UP: {T.CLOSE, T.DELEGATE} | ALWAYS,
    Step.CLOSED: {T.REOPEN} | ALWAYS,
}

CTX = Context(today=date(2026, 11, 24), reported_on=date(2026, 11, 20), step_done_on=None)


@pytest.mark.parametrize("step", list(ALLOWED))
@pytest.mark.parametrize("transition", list(Transition))
def test_every_transition_at_every_step(step, transition):
    state = ProcessState(step=step)
    assert is_allowed(state, transition) == (transition in ALLOWED[step])
    if transition not in ALLOWED[step]:
        with pytest.raises(InvalidInput) as exc:
            apply(state, transition, {"stopped": True})
        assert FORM in exc.value.errors


def test_who_may_do_each_step_is_an_access_action():
    assert RULES[T.RECEIVE].action == Action.RECEIVE
    assert RULES[T.PROPOSE_MEASURES].action == Action.PROPOSE_MEASURES
    assert RULES[T.DECIDE_MEASURES].action == Action.DECIDE_MEASURES
    assert RULES[T.REOPEN].action == Action.REOPEN
    assert RULES[T.SUPPLEMENT].action == Action.COMMENT
    assert all(isinstance(r.action, Action) for r in RULES.values())


def test_the_straight_line():
    s = ProcessState()
    s = apply(s, T.RECEIVE)
    assert s.step == Step.RECEIVED
    s = apply(s, T.DELEGATE)
    assert s.step == Step.RECEIVED and s.delegated  # delegating is not starting
    s = apply(s, T.START_INVESTIGATION)
    assert s.step == Step.INVESTIGATION_STARTED
    s = apply(s, T.RECORD_INVESTIGATION)
    assert s.step == Step.INVESTIGATED
    s = apply(s, T.PROPOSE_MEASURES)
    assert s.step == Step.INVESTIGATED  # a proposal does not decide
    s = apply(s, T.DECIDE_MEASURES)
    assert s.step == Step.MEASURES_DECIDED
    s = apply(s, T.FOLLOW_UP, {"stopped": True})
    assert s.step == Step.FOLLOWED_UP
    s = apply(s, T.CLOSE)
    assert s.closed


def test_only_the_delegate_starts_a_delegated_investigation():
    from kb_app.domain.process import delegate_starts, done_by_investigator, may_start_self

    waiting = ProcessState(step=Step.RECEIVED, delegated=True)
    assert may_start_self(waiting, by_delegate=True)
    assert not may_start_self(waiting, by_delegate=False)
    assert may_start_self(ProcessState(step=Step.RECEIVED), by_delegate=False)
    assert delegate_starts(waiting, by_delegate=True)
    assert not delegate_starts(waiting, by_delegate=False)
    started = ProcessState(step=Step.INVESTIGATION_STARTED, delegated=True)
    assert not delegate_starts(started, by_delegate=True)
    assert done_by_investigator(Step.INVESTIGATION_STARTED)


def test_follow_up_not_stopped_goes_back_to_measures():
    s = ProcessState(step=Step.MEASURES_DECIDED)
    s = apply(s, T.FOLLOW_UP, {"stopped": False})
    assert s.step == Step.NEW_MEASURES_NEEDED
    assert STEP_LABELS[s.step] == "Nya åtgärder behövs"
    assert next_step(s.step) == Step.MEASURES_DECIDED
    assert next_step(Step.INVESTIGATED) == Step.MEASURES_DECIDED
    assert not is_allowed(s, T.CLOSE)
    assert is_allowed(s, T.DECIDE_MEASURES)


def test_reopen_starts_a_new_investigation_round():
    s = apply(ProcessState(step=Step.CLOSED), T.REOPEN)
    assert s.step == Step.INVESTIGATION_STARTED and not s.closed
    assert is_allowed(s, T.RECORD_INVESTIGATION)


def test_one_delegation_at_a_time_and_withdraw_needs_one():
    s = ProcessState(step=Step.INVESTIGATED, delegated=True)
    assert not is_allowed(s, T.DELEGATE)
    assert is_allowed(s, T.WITHDRAW_DELEGATION)
    s = apply(s, T.WITHDRAW_DELEGATION)
    assert not s.delegated and not is_allowed(s, T.WITHDRAW_DELEGATION)
    # Nothing is withdrawn from, or delegated anew on, a closed case.
    closed = ProcessState(step=Step.CLOSED, delegated=True)
    assert not is_allowed(closed, T.WITHDRAW_DELEGATION) and not is_allowed(closed, T.DELEGATE)


def test_take_over_only_staff_involved_once_and_not_closed():
    assert not is_allowed(ProcessState(step=Step.RECEIVED), T.TAKE_OVER)
    s = ProcessState(step=Step.RECEIVED, staff_involved=True)
    assert is_allowed(s, T.TAKE_OVER)
    s = apply(s, T.TAKE_OVER)
    assert s.taken_over and not is_allowed(s, T.TAKE_OVER)
    assert not is_allowed(ProcessState(step=Step.CLOSED, staff_involved=True), T.TAKE_OVER)


# -- what each step requires -------------------------------------------------


def test_investigation_requires_talks_guardians_findings_conclusion():
    r = check_investigation({}, CTX)
    assert set(r.errors) == {"talks", "guardians_contacted_on", "findings", "conclusion"}
    assert r.errors["conclusion"] == "Välj en slutsats."
    ok = check_investigation(
        {
            "talks": ["staff", "subjected"],
            "guardians_contacted_on": "2026-11-23",
            "findings": "Händelsen bekräftas av flera.",
            "conclusion": "sexual_harassment",
        },
        CTX,
    )
    assert ok.ok
    assert ok.data["talks"] == ["subjected", "staff"]  # in the order of TALKS


def test_investigation_guardians_reason_instead_of_date_and_no_future_date():
    base = {
        "talks": ["subjected"],
        "findings": "Tillräckligt lång text.",
        "conclusion": "confirmed",
    }
    assert check_investigation(
        {**base, "guardians_not_contacted_reason": "Eleven är myndig."}, CTX
    ).ok
    future = check_investigation({**base, "guardians_contacted_on": "2026-11-25"}, CTX)
    assert future.errors == {"guardians_contacted_on": "Datumet kan inte vara i framtiden."}
    bad = check_investigation({**base, "guardians_contacted_on": "24/11"}, CTX)
    assert bad.errors["guardians_contacted_on"].startswith("Ange ett giltigt datum")
    assert check_investigation({**base, "talks": ["nobody"]}, CTX).errors["talks"]


def test_measures_rows_or_a_reasoned_none():
    assert check_measures({}, CTX).errors == {
        "measures": "Lägg till minst en åtgärd, eller motivera att inga behövs."
    }
    assert "none_reason" in check_measures({"none_needed": True}, CTX).errors
    assert check_measures({"none_needed": True, "none_reason": "Inget behov finns."}, CTX).ok
    row = {"level": "group", "description": "Ökad vuxennärvaro", "responsible": "Rektor"}
    both = check_measures(
        {"none_needed": True, "none_reason": "Inget behov finns.", "measures": [row]}, CTX
    )
    assert FORM in both.errors
    # Errors keep the index of the row they belong to; empty rows are ignored.
    r = check_measures(
        {"measures": [{}, {**row, "due_on": "2026-11-01"}, {**row, "level": "x", "due_on": ""}]},
        CTX,
    )
    assert r.errors == {
        "measures.1.due_on": "Datumet har redan passerat.",
        "measures.2.level": "Välj nivå.",
        "measures.2.due_on": "Ange senast när åtgärden ska vara genomförd.",
    }
    good = check_measures({"measures": [{**row, "due_on": "2026-12-01"}]}, CTX)
    assert good.ok and good.data["measures"][0]["due_on"] == "2026-12-01"


def test_follow_up_requires_date_result_notes():
    ctx = Context(
        today=date(2026, 11, 24), reported_on=date(2026, 11, 1), step_done_on=date(2026, 11, 20)
    )
    r = check_follow_up({}, ctx)
    assert set(r.errors) == {"followed_up_on", "stopped", "notes"}
    early = check_follow_up(
        {"followed_up_on": "2026-11-19", "stopped": "yes", "notes": "Bra nu."}, ctx
    )
    assert early.errors == {
        "followed_up_on": "Uppföljningen kan inte vara före beslutet om åtgärder."
    }
    ok = check_follow_up(
        {"followed_up_on": "2026-11-24", "stopped": "no", "notes": "Fortsätter."}, ctx
    )
    assert ok.ok and ok.data["stopped"] is False


@pytest.mark.parametrize(
    ("transition", "field"),
    [(T.CLOSE, "summary"), (T.REOPEN, "reason"), (T.COMMENT, "text"), (T.SUPPLEMENT, "text")],
)
def test_text_steps_require_their_text(transition, field):
    r = check(transition, {}, CTX)
    assert list(r.errors) == [field]
    assert check(transition, {field: "Ett tillräckligt långt skäl."}, CTX).ok


def test_invite_requires_valid_email_and_name():
    assert set(check_invite({}).errors) == {"email", "name"}
    assert check_invite({"email": "inte-en-adress", "name": "X"}).errors == {
        "email": "Ange en giltig e-postadress."
    }
    ok = check_invite({"email": " Ny.Person@Exempel.se ", "name": "Ny Person"})
    assert ok.ok and ok.data["email"] == "ny.person@exempel.se"


# -- hypothesis: random sequences never reach a forbidden state ---------------

STEP_DONE = {
    T.RECEIVE: Step.RECEIVED,
    T.START_INVESTIGATION: Step.INVESTIGATION_STARTED,
    T.RECORD_INVESTIGATION: Step.INVESTIGATED,
    T.DECIDE_MEASURES: Step.MEASURES_DECIDED,
    T.CLOSE: Step.CLOSED,
}
# What must already be done (in this round) before a transition may happen.
PREREQUISITES = {
    T.RECEIVE: set(),
    T.START_INVESTIGATION: {Step.RECEIVED},
    T.DELEGATE: {Step.RECEIVED},
    T.RECORD_INVESTIGATION: {Step.RECEIVED, Step.INVESTIGATION_STARTED},
    T.PROPOSE_MEASURES: {Step.RECEIVED, Step.INVESTIGATION_STARTED, Step.INVESTIGATED},
    T.DECIDE_MEASURES: {Step.RECEIVED, Step.INVESTIGATION_STARTED, Step.INVESTIGATED},
    T.FOLLOW_UP: {
        Step.RECEIVED,
        Step.INVESTIGATION_STARTED,
        Step.INVESTIGATED,
        Step.MEASURES_DECIDED,
    },
    T.CLOSE: {
        Step.RECEIVED,
        Step.INVESTIGATION_STARTED,
        Step.INVESTIGATED,
        Step.MEASURES_DECIDED,
        Step.FOLLOWED_UP,
    },
    T.REOPEN: {Step.CLOSED},
}

actions = st.lists(
    st.tuples(st.sampled_from(list(Transition)), st.booleans()), min_size=1, max_size=60
)


@settings(max_examples=400, deadline=None)
@given(actions, st.booleans())
def test_random_sequences_never_reach_a_forbidden_state(seq, staff):
    state = ProcessState(staff_involved=staff)
    done: set[Step] = set()  # an independent model of what has been done in this round
    for transition, flag in seq:
        data = {"stopped": flag}
        if not is_allowed(state, transition):
            with pytest.raises(InvalidInput):
                apply(state, transition, data)
            continue
        # An allowed transition never skips a step.
        assert PREREQUISITES.get(transition, set()) <= done, (transition, done)
        state = apply(state, transition, data)
        if transition in STEP_DONE:
            done.add(STEP_DONE[transition])
        elif transition == T.DELEGATE:
            done.add(Step.INVESTIGATION_STARTED)
        elif transition == T.FOLLOW_UP:
            if flag:
                done.add(Step.FOLLOWED_UP)
            else:
                done.discard(Step.MEASURES_DECIDED)  # new measures must be decided
        elif transition == T.REOPEN:
            done -= {Step.INVESTIGATED, Step.MEASURES_DECIDED, Step.FOLLOWED_UP, Step.CLOSED}
        # The state is always one the process knows, and "closed" means every step was done.
        assert state.step in Step and state.step != Step.ORGANISER_NOTIFIED
        if state.closed:
            assert PREREQUISITES[T.CLOSE] <= done
        assert not (state.taken_over and not staff)
