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
from kb_app.services.case import delegation, parties, steps
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
    "start_investigation":  (N,    N,   Y,   N,    Y,   N,   N),
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
    "edit_parties":         (N,    N,   Y,   N,    Y,   N,   N),
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
WITNESS = {"role": "witness", "kind": "pupil", "name": "Vera Vittne", "class_name": ""}


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
        lambda a, c, now, i: steps.take_over(a, c, reason="Rektor är inblandad.", now=now),
        "submit_take_over",
        lambda d: {"reason": "Rektor är inblandad."},
        staff=True,
    ),
    "edit_parties": Spec(
        Step.INVESTIGATION_STARTED,
        lambda a, c, now, i: parties.add_party(
            a, c, party=WITNESS, reason="Ett vittne har hört av sig.", now=now
        ),
        "submit_party",
        lambda d: {**WITNESS, "party_id": "", "reason": "Ett vittne har hört av sig."},
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
        "edit_parties": Action.EDIT_PARTIES,
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


def _prepare(
    spec: Spec, now, inv_id: int, *, for_allowed: bool = False, role: str = ""
) -> int | None:
    if spec.step is None:
        return None
    cid = new_case(now, staff=spec.staff)
    if for_allowed and spec.handler == "start_self" and role == "investigator":
        # The delegate starts the investigation delegated to them (not yet started).
        drive(cid, Step.RECEIVED, now)
        delegation.delegate(actor_for(PRINCIPAL), cid, investigator_user_id=inv_id, now=now)
        return cid
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
                cid = _prepare(spec, now, inv_id, for_allowed=True, role=role)
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


# -- a principal named as involved (jäv): refused like a stranger ----------------


def _bypassed_case(now, step: Step | None) -> int:
    """A Björkskolan case whose report names its principal (Karin Berg) as the
    involved staff member, taken to ``step`` by the organiser (now in charge)."""
    from kb_app.services.reporting import reports
    from tests.services.test_reports import form, sid, token_of

    data = form(involved=[{"kind": "staff", "name": "Karin Berg", "class_name": ""}])
    result = reports.submit_report(token_of("Björkskolan F–6"), data, sid(), now=now)
    assert result.ok, result.errors
    org = actor_for(EMAILS["organiser"])
    if step is not None:
        drive(result.case_id, step, now, delegate_to=actor_for(INVESTIGATOR), principal=org)
    return result.case_id


@pytest.mark.parametrize("action", [a for a in MATRIX if a != "statistics"])
def test_excluded_principal_is_denied_every_action(engine, demo, action, now, clock):
    """The unit's own principal, named as involved, gets "finns inte eller saknar
    behörighet" from every service and handler, and nothing of the case reaches
    their state; the overview leaves the case out."""
    spec = SPECS[action]
    inv_id = actor_for(INVESTIGATOR).user_id
    actor = actor_for(PRINCIPAL)
    token = auth.login(PRINCIPAL, "varna-demo-2026", now=now).token
    cid = _bypassed_case(now, spec.step or Step.INVESTIGATION_STARTED)
    before = len(events(cid))
    if spec.handler == "overview":
        rows = cases.list_visible(actor, limit=500, now=now)
        assert case_row(cid).reference not in {r["reference"] for r in rows}
        root, sub, _ = _call_handler(spec, token, "/oversikt", None, load_first=False)
        assert sub.page_status == "ok"
    else:
        with pytest.raises(AccessDenied) as exc:
            spec.service(actor, cid, now, inv_id)
        assert exc.value.message == DENIED
        form_fn = spec.form or (
            (lambda d: {"investigator": str(inv_id)})
            if spec.handler == "delegate_existing"
            else None
        )
        form = form_fn(today(now)) if form_fn else None
        path = f"/arenden/{cid}{spec.path_suffix}"
        root, sub, _ = _call_handler(spec, token, path, form, load_first=False)
        assert sub.page_status == "forbidden" and sub.forbidden_message == DENIED
    state_json = json.dumps(root.dict(), default=str, ensure_ascii=False)
    # (Her own name is on every page she sees: the party naming her is no secret to her.)
    for secret in [x for x in _secrets(cid) if x != actor.name]:
        assert secret not in state_json, (action, secret)
    assert len(events(cid)) == before


# -- administration (issue 14): role × admin action ------------------------------

# fmt: off
ADMIN_MATRIX: dict[str, tuple[bool, ...]] = {
    #                   admin org  prin oprin inv  oinv anon
    "admin_page":      (Y,    N,   N,   N,    N,   N,   N),
    "create_unit":     (Y,    N,   N,   N,    N,   N,   N),
    "change_unit":     (Y,    N,   N,   N,    N,   N,   N),
    "archive_unit":    (Y,    N,   N,   N,    N,   N,   N),
    "add_class":       (Y,    N,   N,   N,    N,   N,   N),
    "invite_user":     (Y,    N,   N,   N,    N,   N,   N),
    "change_roles":    (Y,    N,   N,   N,    N,   N,   N),
    "deactivate_user": (Y,    N,   N,   N,    N,   N,   N),
    "settings":        (Y,    Y,   N,   N,    N,   N,   N),
    "poster":          (Y,    N,   Y,   N,    N,   N,   N),  # Björkskolan's link
}
# fmt: on


# -- attachments and "who read the case" (services/case/attachments.py, access_history.py)
# fmt: off
FILE_MATRIX: dict[str, tuple[bool, ...]] = {
    #                        admin org  prin oprin inv  oinv anon
    "attach_file":          (N,    Y,   Y,   N,    Y,   N,   N),
    "download_attachment":  (N,    Y,   Y,   N,    Y,   N,   N),
    "view_access_log":      (N,    Y,   Y,   N,    N,   N,   N),
}
# fmt: on


def _admin_ids() -> dict[str, int]:
    from datetime import UTC, datetime

    from kb_app.services.organisation import users
    from tests.support.helpers import unit_named

    return {
        "bjork": unit_named("Björkskolan F–6").id,
        "ekbacke": unit_named("Ekbackeskolan 7–9").id,
        # Someone outside the roles under test (deactivating ends their sessions)
        "target": users.invite_user(
            actor_for(EMAILS["admin"]),
            {"email": "mal@exempelkommun.se", "name": "Mål Person", "organiser": "1"},
            now=datetime.now(UTC),
        ),
    }


def _admin_service(action: str, actor, ids: dict[str, int], n: int, now) -> None:
    from kb_app.services.admin import org_settings
    from kb_app.services.organisation import units, users
    from kb_app.services.reporting import report_links

    match action:
        case "admin_page":
            users.list_users(actor)
        case "create_unit":
            units.create_unit(actor, {"name": f"Enhet {n}", "kind": "annan"}, now=now)
        case "change_unit":
            units.update_unit(
                actor, ids["bjork"], {"name": "Björkskolan F–6", "kind": "grundskola"}, now=now
            )
        case "archive_unit":
            units.set_archived(actor, ids["ekbacke"], True, now=now)
            units.set_archived(actor, ids["ekbacke"], False, now=now)
        case "add_class":
            units.add_class(actor, ids["bjork"], {"name": f"K{n}"}, now=now)
        case "invite_user":
            users.invite_user(
                actor, {"email": f"ny{n}@exempelkommun.se", "name": "Ny", "organiser": "1"}, now=now
            )
        case "change_roles":
            users.change_roles(actor, ids["target"], {"admin": "1"}, now=now)
        case "deactivate_user":
            users.set_active(actor, ids["target"], False, now=now)
            users.set_active(actor, ids["target"], True, now=now)
        case "settings":
            org_settings.save_general(actor, {"retention_years": "5"}, now=now)
        case "poster":
            report_links.poster(actor, ids["bjork"])


def _admin_handler(action: str, token, ids: dict[str, int], n: int):
    """Call the page's handler by name with the role's cookie: (root, substate, result)."""
    from kb_app.state.admin import AdminState
    from kb_app.state.settings import SettingsState

    path = "/installningar" if action == "settings" else "/admin"
    root, _ = state_for(token, path)
    cls = SettingsState if action == "settings" else AdminState
    st = root.get_substate(cls.get_full_name().split("."))

    async def run():
        match action:
            case "admin_page":
                return await AdminState.load.fn(st)
            case "create_unit":
                return await AdminState.create_unit.fn(st, {"name": f"H{n}", "kind": "annan"})
            case "change_unit":
                st.selected_unit_id = str(ids["bjork"])
                return await AdminState.save_unit.fn(
                    st, {"name": "Björkskolan F–6", "kind": "grundskola"}
                )
            case "archive_unit":
                return await AdminState.set_archived.fn(st, str(ids["ekbacke"]), True)
            case "add_class":
                st.selected_unit_id = str(ids["bjork"])
                return await AdminState.add_class.fn(st, {"name": f"HK{n}"})
            case "invite_user":
                return await AdminState.invite.fn(
                    st, {"email": f"h{n}@exempelkommun.se", "name": "H", "organiser": "on"}
                )
            case "change_roles":
                st.editing_user_id = str(ids["target"])
                return await AdminState.save_roles.fn(st, {"organiser": "on"})  # back again
            case "deactivate_user":
                return await AdminState.set_active.fn(st, str(ids["target"]), False)
            case "settings":
                return await SettingsState.save_general.fn(st, {"retention_years": "5"})
        return None

    result = asyncio.run(run())
    return root, st, result


def _admin_log_count() -> int:
    from sqlmodel import func, select

    from kb_app.db import read_scope
    from kb_app.models import AdminLog

    with read_scope() as s:
        return s.exec(select(func.count()).select_from(AdminLog)).one()


def _all_case_secrets() -> list[str]:
    from sqlmodel import select

    from kb_app.db import read_scope
    from kb_app.models import Case, Party

    with read_scope() as s:
        out = [c.description[:25] for c in s.exec(select(Case))]
        out += [p.name for p in s.exec(select(Party)) if len(p.name) > 3]
    return out


def test_admin_matrix_is_the_policy():
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
    from kb_app.domain.access import may_manage_unit_link

    for action, row in ADMIN_MATRIX.items():
        for role, expected in zip(ROLES, row, strict=True):
            actor = actors[role]
            if action == "settings":
                got = can(actor, Action.SETTINGS)
            elif action == "poster":
                got = may_manage_unit_link(actor, 10)
            else:
                got = can(actor, Action.ADMINISTER)
            assert got == expected, (action, role)


def test_the_file_matrix_is_the_policy():
    from kb_app.domain.access import Actor

    facts = CaseFacts(case_id=1, organisation_id=1, unit_id=10, delegated_to=frozenset({5}))
    actors = {
        "admin": Actor(1, 1, org_roles=frozenset({"admin"})),
        "organiser": Actor(2, 1, org_roles=frozenset({"organiser"})),
        "principal": Actor(3, 1, unit_roles=frozenset({("principal", 10)})),
        "other_principal": Actor(4, 1, unit_roles=frozenset({("principal", 11)})),
        "investigator": Actor(5, 1, org_roles=frozenset({"investigator"})),
        "other_investigator": Actor(6, 1, org_roles=frozenset({"investigator"})),
        "anonymous": None,
    }
    for action, row in FILE_MATRIX.items():
        for role, expected in zip(ROLES, row, strict=True):
            assert can_on_case(actors[role], Action(action), facts) == expected, (action, role)


@pytest.mark.parametrize("action", list(ADMIN_MATRIX))
def test_admin_matrix_row(engine, demo, action, now, clock):
    """Each admin action through the service and the handler, for every role: a
    denied cell changes nothing (no admin log row) and is answered like a missing
    object; an allowed one works; no role's state ever holds case content."""
    second_investigator(now)
    ids = _admin_ids()
    tokens = {
        role: auth.login(email, PASSWORDS.get(role, "varna-demo-2026"), now=now).token
        for role, email in EMAILS.items()
    }
    tokens["anonymous"] = None
    actors = {role: actor_for(email) for role, email in EMAILS.items()}
    actors["anonymous"] = None
    secrets = _all_case_secrets()
    for n, (role, allowed) in enumerate(zip(ROLES, ADMIN_MATRIX[action], strict=True)):
        actor, token = actors[role], tokens[role]
        before = _admin_log_count()
        if not allowed:
            with pytest.raises(AccessDenied) as exc:
                _admin_service(action, actor, ids, n, now)
            assert exc.value.message == DENIED
        else:
            _admin_service(action, actor, ids, n, now)
        if action != "poster":  # an HTTP route, not a handler (tests/services)
            root, st, result = _admin_handler(action, token, ids, n + 100)
            if token is None:
                assert result is not None  # sent to the login page
            elif not allowed:
                assert st.page_status == "forbidden" or st.error_message, (action, role)
            else:
                assert not st.error_message, (action, role, st.error_message)
                for errors in ("unit_errors", "new_unit_errors", "user_errors", "general_errors"):
                    assert getattr(st, errors, {}) == {}, (action, role, errors)
            state_json = json.dumps(root.dict(), default=str, ensure_ascii=False)
            for secret in secrets:
                assert secret not in state_json, (action, role, secret)
        writes = action not in ("admin_page", "poster")
        if allowed and writes:
            assert _admin_log_count() > before, (action, role)
        else:
            assert _admin_log_count() == before, (action, role)


# -- the gallring (services/retention/gallring.py, the /gallring page in api.py)
# fmt: off
GALLRING_MATRIX: dict[str, tuple[bool, ...]] = {
    #                   admin org  prin oprin inv  oinv anon
    "gallring_list":   (N,    Y,   N,   N,    N,   N,   N),
    "approve":         (N,    Y,   N,   N,    N,   N,   N),
    "take_off":        (N,    Y,   N,   N,    N,   N,   N),
    "mark_delivered":  (N,    Y,   N,   N,    N,   N,   N),
    "set_hold":        (N,    Y,   N,   N,    N,   N,   N),
    "lift_hold":       (N,    Y,   N,   N,    N,   N,   N),
}
# fmt: on
GALLRING_ACTIONS = {
    "gallring_list": Action.GALLRING,
    "approve": Action.GALLRING,
    "take_off": Action.GALLRING,
    "mark_delivered": Action.GALLRING,
    "set_hold": Action.LEGAL_HOLD,
    "lift_hold": Action.LEGAL_HOLD,
}


def test_the_gallring_matrix_is_the_policy():
    from kb_app.domain.access import Actor, may_use_page

    actors = {
        "admin": Actor(1, 1, org_roles=frozenset({"admin"})),
        "organiser": Actor(2, 1, org_roles=frozenset({"organiser"})),
        "principal": Actor(3, 1, unit_roles=frozenset({("principal", 10)})),
        "other_principal": Actor(4, 1, unit_roles=frozenset({("principal", 11)})),
        "investigator": Actor(5, 1, org_roles=frozenset({"investigator"})),
        "other_investigator": Actor(6, 1, org_roles=frozenset({"investigator"})),
        "anonymous": None,
    }
    for action, row in GALLRING_MATRIX.items():
        for role, expected in zip(ROLES, row, strict=True):
            assert can(actors[role], GALLRING_ACTIONS[action]) == expected, (action, role)
            if action == "gallring_list":
                assert may_use_page(actors[role], Page.GALLRING) == expected, role


@pytest.mark.parametrize("action", list(GALLRING_MATRIX))
def test_gallring_matrix_row(engine, demo, action, now, clock, tmp_path, monkeypatch):
    """Each gallring action through the service and the /gallring route, for every
    role: a denied cell raises AccessDenied (logged), changes nothing and the page
    answers 403 (the login page for anonymous); an allowed one works."""
    import warnings
    from datetime import timedelta

    from sqlmodel import select

    from kb_app import api
    from kb_app.db import read_scope
    from kb_app.models import AccessLog, GallringProposal, LegalHold
    from kb_app.services.retention import gallring
    from kb_app.settings import reset_settings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    monkeypatch.setenv("KB_DATA_DIR", str(tmp_path / "data"))
    reset_settings()
    second_investigator(now)
    then = now - timedelta(days=6 * 365)

    def closed_case() -> int:
        cid = new_case(then)
        drive(cid, Step.CLOSED, then)
        return cid

    def ref(cid: int) -> str:
        return case_row(cid).reference

    def pending(cid: int) -> GallringProposal | None:
        with read_scope() as s:
            return s.exec(
                select(GallringProposal).where(
                    GallringProposal.case_id == cid, GallringProposal.state == "pending"
                )
            ).first()

    def hold_of(cid: int) -> LegalHold | None:
        with read_scope() as s:
            return s.exec(
                select(LegalHold).where(LegalHold.case_id == cid, LegalHold.lifted_at.is_(None))
            ).first()

    organiser = actor_for(EMAILS["organiser"])

    def setup() -> int:
        cid = closed_case()
        if action == "lift_hold":
            gallring.set_hold(organiser, ref(cid), "Ärende hos Skolinspektionen", now=now)
        gallring.propose_due(now=now)
        return cid

    def service(actor, cid: int) -> None:
        p = pending(cid)
        match action:
            case "gallring_list":
                gallring.overview(actor, now=now)
            case "approve":
                assert gallring.approve(actor, [p.id], now=now).thinned
            case "take_off":
                gallring.take_off(actor, p.id, "Arkivarien vill se det", now=now)
            case "mark_delivered":
                gallring.mark_delivered(actor, p.id, now=now)
            case "set_hold":
                gallring.set_hold(actor, ref(cid), "Polisärende", now=now)
            case "lift_hold":
                gallring.lift_hold(actor, hold_of(cid).id, "Avslutat hos Skolinspektionen", now=now)

    def form(cid: int) -> dict[str, str]:
        p, h = pending(cid), hold_of(cid)
        return {
            "gallring_list": {},
            "approve": {"do": "approve", "ids": str(p.id) if p else ""},
            "take_off": {"do": "take_off", "proposal": str(p.id if p else 0), "reason": "Skäl"},
            "mark_delivered": {"do": "delivered", "proposal": str(p.id if p else 0)},
            "set_hold": {"do": "hold", "reference": ref(cid), "reason": "Polisärende"},
            "lift_hold": {"do": "lift", "hold": str(h.id if h else 0), "reason": "Klart nu"},
        }[action]

    def state_of(cid: int) -> tuple:
        return (pending(cid) is not None, hold_of(cid) is not None, len(events(cid)))

    for role, allowed in zip(ROLES, GALLRING_MATRIX[action], strict=True):
        actor = actor_for(EMAILS[role]) if role != "anonymous" else None
        cid = setup()
        before = state_of(cid)
        if allowed:
            service(actor, cid)
            if action != "gallring_list":
                assert state_of(cid) != before, (action, role)
        else:
            with pytest.raises(AccessDenied):
                service(actor, cid)
            assert state_of(cid) == before, (action, role)
            with read_scope() as s:
                denied = s.exec(
                    select(AccessLog)
                    .where(AccessLog.allowed.is_(False))
                    .order_by(AccessLog.id.desc())
                ).first()
            assert denied is not None and denied.action.startswith(("gallring", "legal_hold"))
        # The route, as a browser of this role would call it.
        cid = setup()
        before = state_of(cid)
        client = TestClient(api.build_api(), base_url="http://testserver")
        if actor is not None:
            token = auth.login(EMAILS[role], PASSWORDS.get(role, "varna-demo-2026"), now=now).token
            client.cookies.set(api.SESSION_COOKIE, token)
        data = form(cid)
        if data:
            r = client.post(
                "/gallring",
                data=data,
                headers={"sec-fetch-site": "same-origin"},
                follow_redirects=False,
            )
        else:
            r = client.get("/gallring", follow_redirects=False)
        if actor is None:
            assert r.status_code == 303, action
        elif allowed:
            # A post redirects to the page with its confirmation; the page is a 200.
            assert r.status_code == (303 if data else 200), (action, r.text[:300])
            if data:
                assert r.headers["location"].startswith("/gallring?klart=")
                assert state_of(cid) != before, (action, role)
        else:
            assert r.status_code == 403, (action, role)
            assert ref(cid) not in r.text
            assert state_of(cid) == before, (action, role)


# -- organisation-wide exports of case content ----------------------------------
# Not tied to one case's facts: the archive package (issue 16.4) takes every closed
# case of a closing year (services/case/archive.py, GET /export/arkivpaket.zip).

# fmt: off
EXPORT_MATRIX: dict[str, tuple[bool, ...]] = {
    #                        admin org  prin oprin inv  oinv anon
    "archive_export":       (N,    Y,   N,   N,    N,   N,   N),
}
# fmt: on


def test_the_export_matrix_is_the_policy():
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
    for action, row in EXPORT_MATRIX.items():
        for role, expected in zip(ROLES, row, strict=True):
            assert can(actors[role], Action(action)) == expected, (action, role)


@pytest.mark.parametrize("action", list(EXPORT_MATRIX))
def test_export_matrix_row(engine, demo, action, now, clock):
    """Through the service and the HTTP route, for every role: a denied cell gets
    AccessDenied (logged) and a 403 with nothing of the cases; an allowed one the
    package of the year's closed cases."""
    import io
    import warnings
    import zipfile

    from sqlmodel import func, select

    from kb_app import api
    from kb_app.db import read_scope
    from kb_app.models import AccessLog, Case
    from kb_app.services.case import archive

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    second_investigator(now)
    with read_scope() as s:
        closed = [c for c in s.exec(select(Case).where(Case.closed_at.is_not(None))).all()]
    year = max(c.closed_at.year for c in closed)
    refs = sorted(c.reference for c in closed if c.closed_at.year == year)
    assert refs

    def refused() -> int:
        with read_scope() as s:
            return s.exec(
                select(func.count())
                .select_from(AccessLog)
                .where(AccessLog.action == action, AccessLog.allowed.is_(False))
            ).one()

    for role, allowed in zip(ROLES, EXPORT_MATRIX[action], strict=True):
        email = EMAILS.get(role)
        actor = actor_for(email) if email else None
        before = refused()
        if not allowed:
            with pytest.raises(AccessDenied) as exc:
                archive.build_package(actor, year=year, now=now)
            assert exc.value.message == DENIED
            assert refused() == before + 1, role
        else:
            package = archive.build_package(actor, year=year, now=now)
            assert package.references == refs
        client = TestClient(api.build_api(), base_url="http://testserver")
        if email:
            token = auth.login(email, PASSWORDS.get(role, "varna-demo-2026"), now=now).token
            client.cookies.set(api.SESSION_COOKIE, token)
        r = client.get(f"/export/arkivpaket.zip?ar={year}", follow_redirects=False)
        if email is None:
            assert r.status_code == 303, role
        elif not allowed:
            assert r.status_code == 403, role
            assert not any(ref in r.text for ref in refs), role
        else:
            assert r.status_code == 200, (role, r.text)
            with zipfile.ZipFile(io.BytesIO(r.content)) as z:
                assert any(n.endswith(f"/{refs[0]}/arendeakt.pdf") for n in z.namelist())
