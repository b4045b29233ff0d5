"""The authorization matrix: every role × every action, kept as ONE table.

Each cell is exercised twice, against a real database (SQLite and PostgreSQL):
through the service, and through the Reflex state handler the page calls (as a
client could call it by name, with its own session cookie). A denied cell must
answer like a missing case, change nothing, be logged, and leak no case data into
the state that is sent to the browser. An allowed cell must work.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from kb_app.domain.access import Action, CaseFacts, Page, can, can_on_case
from kb_app.domain.fmt import local
from kb_app.domain.process import Step
from kb_app.errors import AccessDenied
from kb_app.services.admin import auth
from kb_app.services.case import delegation, steps
from kb_app.services.case import view as case_view
from kb_app.services.overview import lists as cases
from tests.support.cases import (
    INVESTIGATOR,
    PRINCIPAL,
    access_rows,
    case_row,
    drive,
    events,
    investigation,
    measure,
    new_case,
    second_investigator,
)
from tests.support.helpers import actor_for
from tests.support.state import state_for

Y, N = True, False
ROLES = [
    "admin",
    "organiser",
    "principal",  # of the case's unit
    "other_principal",  # of another unit
    "investigator",  # delegated to this case
    "other_investigator",  # delegated to another case
    "anonymous",
]
# fmt: off
MATRIX: dict[str, tuple[bool, ...]] = {
    #                        admin org  prin oprin inv  oinv anon
    "read_case":            (N,    Y,   Y,   N,    Y,   N,   N),
    "read_list":            (N,    Y,   Y,   Y,    N,   N,   N),
    "receive":              (N,    N,   Y,   N,    N,   N,   N),
    "start_investigation":  (N,    N,   Y,   N,    N,   N,   N),
    "record_investigation": (N,    N,   Y,   N,    Y,   N,   N),
    "propose_measures":     (N,    N,   Y,   N,    Y,   N,   N),
    "decide_measures":      (N,    N,   Y,   N,    N,   N,   N),
    "follow_up":            (N,    N,   Y,   N,    Y,   N,   N),
    "close":                (N,    N,   Y,   N,    N,   N,   N),
    "comment":              (N,    Y,   Y,   N,    Y,   N,   N),
    "delegate":             (N,    N,   Y,   N,    N,   N,   N),
    "withdraw":             (N,    N,   Y,   N,    N,   N,   N),
    "reopen":               (N,    Y,   Y,   N,    N,   N,   N),
    "export":               (N,    Y,   Y,   N,    N,   N,   N),
    "statistics":           (N,    Y,   Y,   Y,    N,   N,   N),
    "take_over":            (N,    Y,   N,   N,    N,   N,   N),
}
# fmt: on

EMAILS = {
    "admin": "admin@exempelkommun.se",
    "organiser": "huvudman@exempelkommun.se",
    "principal": PRINCIPAL,
    "other_principal": "rektor.ekbacke@exempelkommun.se",
    "investigator": INVESTIGATOR,
    "other_investigator": "utredare.tva@exempelkommun.se",
}
PASSWORDS = {"other_investigator": "utredare-tva-2026"}
DENIED = AccessDenied.message


def today(now) -> str:
    return local(now).date().isoformat()


@dataclass(frozen=True)
class Spec:
    """How one action is set up and called."""

    step: Step | None  # the step the case must be at (None: no case needed)
    service: Callable  # (actor, case_id, now, investigator_id) -> None
    handler: str  # the CaseState handler (or "overview"/"statistics")
    form: Callable[[str], dict] | None = None  # now-date -> form data for the handler
    staff: bool = False
    delegated: bool = True  # the investigator is delegated on the case (steps >= started)
    writes: bool = True
    path_suffix: str = ""


SPECS: dict[str, Spec] = {
    "read_case": Spec(
        Step.INVESTIGATION_STARTED,
        lambda a, c, now, i: case_view.load_case(a, c, now=now),
        "load",
        writes=False,
    ),
    "read_list": Spec(None, lambda a, c, now, i: cases.list_visible(a, now=now), "overview"),
    "receive": Spec(Step.REPORTED, lambda a, c, now, i: steps.receive(a, c, now=now), "receive"),
    "start_investigation": Spec(
        Step.RECEIVED,
        lambda a, c, now, i: steps.start_investigation(a, c, now=now),
        "start_self",
    ),
    "record_investigation": Spec(
        Step.INVESTIGATION_STARTED,
        lambda a, c, now, i: steps.record_investigation(a, c, **investigation(today(now)), now=now),
        "submit_investigation",
        lambda d: {
            "talk_subjected": "on",
            "talk_staff": "on",
            "guardians_contacted_on": d,
            "findings": "Samtalen bekräftar händelsen.",
            "conclusion": "confirmed",
        },
    ),
    "propose_measures": Spec(
        Step.INVESTIGATED,
        lambda a, c, now, i: steps.propose_measures(a, c, measures=[measure(now)], now=now),
        "submit_proposal",
        lambda d: {
            "m1_level": "group",
            "m1_description": "Ökad vuxennärvaro.",
            "m1_responsible": "Mentor",
            "m1_due_on": "2099-01-01",
        },
    ),
    "decide_measures": Spec(
        Step.INVESTIGATED,
        lambda a, c, now, i: steps.decide_measures(a, c, measures=[measure(now)], now=now),
        "submit_decision",
        lambda d: {
            "m1_level": "individual",
            "m1_description": "Samtal.",
            "m1_responsible": "Mentor",
            "m1_due_on": "2099-01-01",
        },
    ),
    "follow_up": Spec(
        Step.MEASURES_DECIDED,
        lambda a, c, now, i: steps.follow_up(
            a, c, followed_up_on=today(now), stopped=True, notes="Det har upphört.", now=now
        ),
        "submit_follow_up",
        lambda d: {"followed_up_on": d, "stopped": "yes", "notes": "Det har upphört."},
    ),
    "close": Spec(
        Step.FOLLOWED_UP,
        lambda a, c, now, i: steps.close(a, c, summary="Klart nu.", now=now),
        "submit_close",
        lambda d: {"summary": "Klart nu."},
    ),
    "comment": Spec(
        Step.INVESTIGATION_STARTED,
        lambda a, c, now, i: steps.add_note(a, c, text="En anteckning.", now=now),
        "submit_note",
        lambda d: {"note_kind": "comment", "text": "En anteckning."},
    ),
    "delegate": Spec(
        Step.INVESTIGATION_STARTED,
        lambda a, c, now, i: delegation.delegate(a, c, investigator_user_id=i, now=now),
        "delegate_existing",
        None,  # filled in with the investigator's id
    ),
    "withdraw": Spec(
        Step.INVESTIGATION_STARTED,
        lambda a, c, now, i: delegation.withdraw_delegation(a, c, now=now),
        "withdraw",
    ),
    "reopen": Spec(
        Step.CLOSED,
        lambda a, c, now, i: steps.reopen(a, c, reason="Nya uppgifter har kommit.", now=now),
        "submit_reopen",
        lambda d: {"reason": "Nya uppgifter har kommit."},
    ),
    "export": Spec(
        Step.INVESTIGATION_STARTED,
        lambda a, c, now, i: case_view.case_file(a, c, now=now),
        "load_file",
        writes=False,
        path_suffix="/akt",
    ),
    "statistics": Spec(None, None, "statistics"),
    "take_over": Spec(
        Step.INVESTIGATION_STARTED,
        lambda a, c, now, i: steps.take_over(a, c, now=now),
        "take_over",
        staff=True,
    ),
}


def test_the_matrix_is_the_policy():
    """The table says what domain/access.py says, for facts like the tests' case."""
    facts = CaseFacts(case_id=1, organisation_id=1, unit_id=10, delegated_to=frozenset({5}))
    from kb_app.domain.access import Actor

    actors = {
        "admin": Actor(1, 1, org_roles=frozenset({"admin"})),
        "organiser": Actor(2, 1, org_roles=frozenset({"organiser"})),
        "principal": Actor(3, 1, unit_roles=frozenset({("principal", 10)})),
        "other_principal": Actor(4, 1, unit_roles=frozenset({("principal", 11)})),
        "investigator": Actor(5, 1, org_roles=frozenset({"investigator"})),
        "other_investigator": Actor(6, 1, org_roles=frozenset({"investigator"})),
        "anonymous": None,
    }
    case_action = {
        "read_case": Action.READ_CASE,
        "receive": Action.RECEIVE,
        "start_investigation": Action.START_INVESTIGATION,
        "record_investigation": Action.RECORD_INVESTIGATION,
        "propose_measures": Action.PROPOSE_MEASURES,
        "decide_measures": Action.DECIDE_MEASURES,
        "follow_up": Action.FOLLOW_UP,
        "close": Action.CLOSE,
        "comment": Action.COMMENT,
        "delegate": Action.DELEGATE,
        "withdraw": Action.WITHDRAW_DELEGATION,
        "reopen": Action.REOPEN,
        "export": Action.EXPORT_CASE,
        "take_over": Action.TAKE_OVER,
    }
    for action, row in MATRIX.items():
        for role, expected in zip(ROLES, row, strict=True):
            actor = actors[role]
            if action == "read_list":
                got = can(actor, Action.LIST_CASES)
            elif action == "statistics":
                got = can(actor, Action.STATISTICS)
            else:
                got = can_on_case(actor, case_action[action], facts)
            assert got == expected, (action, role)


# -- the matrix against the real services and state handlers --------------------


def _call_handler(spec: Spec, token, path, form: dict | None, *, load_first: bool):
    from kb_app.state.case import CaseState
    from kb_app.state.cases import OverviewState

    root, st = state_for(token, path)

    async def run():
        if spec.handler == "overview":
            ov = root.get_substate(OverviewState.get_full_name().split("."))
            result = await OverviewState.load.fn(ov)
            return ov, result
        if spec.handler == "statistics":
            actor, result = await st._guard(Page.STATISTICS)
            return st, result
        if load_first:
            await CaseState.load.fn(st)
        fn = getattr(CaseState, spec.handler).fn
        result = await (fn(st, form) if form is not None else fn(st))
        return st, result

    sub, result = asyncio.run(run())
    return root, sub, result


def _secrets(case_id: int) -> list[str]:
    """Strings that would betray the case if they reached a denied user's browser."""
    from sqlmodel import select

    from kb_app.db import read_scope
    from kb_app.models import Party

    c = case_row(case_id)
    with read_scope() as s:
        names = [p.name for p in s.exec(select(Party).where(Party.case_id == case_id))]
    return [c.reference, c.description[:25], c.reporter_name, *[n for n in names if n]]


def _prepare(spec: Spec, now, inv_id: int, *, for_allowed: bool = False) -> int | None:
    if spec.step is None:
        return None
    cid = new_case(now, staff=spec.staff)
    delegated = spec.delegated and not (for_allowed and spec.handler == "delegate_existing")
    target = spec.step
    if for_allowed and spec.handler == "delegate_existing":
        target = Step.RECEIVED  # delegating needs a case nobody is delegated on yet
    drive(cid, target, now, delegate_to=actor_for(INVESTIGATOR) if delegated else None)
    return cid


@pytest.mark.parametrize("action", list(MATRIX))
def test_matrix_row(engine, demo, action, now, clock):
    spec = SPECS[action]
    other_inv = second_investigator(now)
    inv_id = actor_for(INVESTIGATOR).user_id
    tokens = {
        role: auth.login(email, PASSWORDS.get(role, "varna-demo-2026"), now=now).token
        for role, email in EMAILS.items()
    }
    tokens["anonymous"] = None
    actors = {role: actor_for(email) for role, email in EMAILS.items()}
    actors["anonymous"] = None
    assert actors["other_investigator"].user_id == other_inv.user_id
    form_fn = spec.form or (
        (lambda d: {"investigator": str(inv_id)}) if spec.handler == "delegate_existing" else None
    )

    shared = _prepare(spec, now, inv_id)
    for role, allowed in zip(ROLES, MATRIX[action], strict=True):
        actor, token = actors[role], tokens[role]
        if not allowed:
            cid = shared
            before = len(events(cid)) if cid else 0
            denied_before = len([r for r in access_rows(cid) if not r.allowed]) if cid else 0
            # 1. The service says "finns inte" and changes nothing.
            with pytest.raises(AccessDenied) as exc:
                if spec.service is None:  # statistics: the policy the statistics page asks
                    if not can(actor, Action.STATISTICS):
                        raise AccessDenied()
                else:
                    spec.service(actor, cid, now, inv_id)
            assert exc.value.message == DENIED
            # 2. The state handler, called by name with the role's own cookie.
            path = f"/arenden/{cid}{spec.path_suffix}" if cid else "/oversikt"
            form = form_fn(today(now)) if form_fn else None
            root, sub, result = _call_handler(spec, token, path, form, load_first=False)
            if token is None:
                assert result is not None  # sent to the login page
            else:
                assert sub.page_status == "forbidden", (action, role)
                if cid:
                    assert sub.forbidden_message == DENIED
            state_json = json.dumps(root.dict(), default=str, ensure_ascii=False)
            for secret in _secrets(cid) if cid else []:
                assert secret not in state_json, (action, role, secret)
            if spec.handler == "overview":
                assert sub.rows == []
            if cid:
                assert len(events(cid)) == before, (action, role)
                denied_after = len([r for r in access_rows(cid) if not r.allowed])
                # Logged by the service, and again by the handler (an anonymous
                # visitor is sent to the login page before any case is looked up).
                expected = denied_before + (1 if token is None else 2)
                assert denied_after == expected, (action, role)
        else:
            # Allowed: through the service on one fresh case, through the page on another.
            for via_state in (False, True):
                cid = _prepare(spec, now, inv_id, for_allowed=True)
                before = len(events(cid)) if cid else 0
                if not via_state:
                    if spec.service is not None:
                        spec.service(actor, cid, now, inv_id)
                    else:
                        assert can(actor, Action.STATISTICS)
                else:
                    path = f"/arenden/{cid}{spec.path_suffix}" if cid else "/oversikt"
                    form = form_fn(today(now)) if form_fn else None
                    root, sub, result = _call_handler(
                        spec,
                        token,
                        path,
                        form,
                        load_first=spec.handler not in ("load", "load_file"),
                    )
                    assert sub.page_status == "ok", (action, role, sub.error_message)
                    if cid:
                        assert sub.errors == {} if hasattr(sub, "errors") else True
                        assert sub.head.get("reference") == case_row(cid).reference
                    if spec.handler == "overview":
                        assert sub.rows
                if cid and spec.writes:
                    assert len(events(cid)) > before, (action, role, via_state)
