"""The state boundary (kb_app/state/boundary.py) called as the event processor
calls it: before the handler, on the tab's locked state tree."""

from __future__ import annotations

import logging

import pytest
from reflex.istate.data import RouterData
from reflex_base.event import Event

from kb_app.services.admin import auth
from kb_app.state.base import AppState
from kb_app.state.boundary import (
    MSG_REFUSED,
    MSG_TOO_LARGE,
    StateBoundary,
    _all_app_states,
    check_arguments,
)
from kb_app.state.case import CaseState
from kb_app.state.report import ReportState
from tests.support.cases import PRINCIPAL
from tests.support.state import state_for


def _route(root, token: str | None, sid: str, path: str = "/arenden/1") -> None:
    headers = {"origin": "http://127.0.0.1:3000"}
    if token:
        headers["cookie"] = f"kb_session={token}"
    root.router_data = {"headers": headers, "pathname": path, "asPath": path, "sid": sid}
    root.router = RouterData.from_router_data(root.router_data)


async def _pre(root, state_cls, name: str, payload: dict | None = None):
    event = Event(name=f"{state_cls.get_full_name()}.{name}", payload=payload or {})
    return await StateBoundary().preprocess(None, root, event), event


@pytest.fixture
def organiser_token(demo, now):
    return auth.login("huvudman@exempelkommun.se", "varna-demo-2026", now=now).token


@pytest.fixture
def other_token(demo, now):
    return auth.login(PRINCIPAL, "varna-demo-2026", now=now).token


def _fill(root) -> CaseState:
    case = root.get_substate(CaseState.get_full_name().split("."))
    case.parties = [{"name": "Noah Berg"}]
    case.open_case_id = 2
    root.get_substate(AppState.get_full_name().split(".")).user_name = "Huvudman Hult"
    return case


async def test_a_changed_session_resets_every_substate_before_the_handler(
    engine, organiser_token, other_token, now, clock
):
    root, case = state_for(organiser_token, "/arenden/2")
    _route(root, organiser_token, "sid-1")
    assert (await _pre(root, CaseState, "load"))[0] is None
    _fill(root)
    # The same session on a new connection (a reconnect): the case page is kept.
    _route(root, organiser_token, "sid-2")
    await _pre(root, CaseState, "load")
    assert case.parties == [{"name": "Noah Berg"}]
    for cookie in (None, other_token, "not-a-session"):
        _fill(root)
        _route(root, cookie, "sid-3")
        assert (await _pre(root, CaseState, "load"))[0] is None  # the handler still runs
        assert case.parties == []
        assert case.open_case_id is None or case.open_case_id == CaseState().open_case_id
        assert root.get_substate(AppState.get_full_name().split(".")).user_name == ""
    # Logout ends the session: the cookie the tab still carries is worth nothing.
    _route(root, organiser_token, "sid-4")
    await _pre(root, CaseState, "load")
    _fill(root)
    auth.logout(organiser_token, now=now)
    await _pre(root, CaseState, "load")
    assert case.parties == []


async def test_the_public_form_starts_empty_on_every_connection(engine, now, clock):
    root, _ = state_for(None, "/anmalan/x")
    _route(root, None, "sid-1", "/anmalan/x")
    await _pre(root, ReportState, "load")
    report = root.get_substate(ReportState.get_full_name().split("."))
    report.reference, report.supplement_link, report.description = "KB-1", "/k/t", "utkast"
    await _pre(root, ReportState, "set_field", {"key": "place", "value": "x"})
    assert report.reference == "KB-1"
    _route(root, None, "sid-2", "/anmalan/x")
    await _pre(root, ReportState, "load")
    assert (report.reference, report.supplement_link, report.description) == ("", "", "")


async def test_generic_setters_and_wrong_types_are_refused_quietly(engine, now, clock, caplog):
    root, case = state_for(None, "/")
    _route(root, None, "sid-1", "/")
    app_state = root.get_substate(AppState.get_full_name().split("."))
    caplog.set_level(logging.INFO)
    update, _ = await _pre(root, AppState, "setvar", {"var_name": "user_name", "value": "x"})
    assert update is not None and app_state.error_message == MSG_REFUSED
    for payload in (
        {"key": ["a"], "value": "x"},
        {"key": "a", "value": {"b": 1}},
        {"key": "a"},
        {"key": "a", "value": "x", "extra": 1},
    ):
        app_state.error_message = ""
        update, _ = await _pre(root, ReportState, "set_field", payload)
        assert update is not None and app_state.error_message == MSG_REFUSED
    app_state.error_message = ""
    update, _ = await _pre(root, ReportState, "set_field", {"key": "a", "value": "å" * 300_000})
    assert update is not None and app_state.error_message == MSG_TOO_LARGE
    assert not [r for r in caplog.records if r.exc_info]
    # Strings reach the handler without what the transport cannot carry.
    update, event = await _pre(
        root, ReportState, "set_field", {"key": "description", "value": "a\ud800b\uffffc\x00d"}
    )
    assert update is None and event.payload["value"] == "abcd"


def test_argument_checks_follow_the_annotations():
    assert check_arguments(CaseState.set_delegate_mode.fn, {"mode": ["x"]}) is None
    assert check_arguments(CaseState.set_delegate_mode.fn, {"mode": [{"x": 1}]}) is not None
    assert check_arguments(CaseState.set_none_needed.fn, {"value": True}) is None
    assert check_arguments(CaseState.set_none_needed.fn, {"value": "ja"}) is not None
    assert check_arguments(ReportState.set_row.fn, {
        "which": "subjected", "index": 0, "key": "name", "value": "x"
    }) is None  # fmt: skip
    assert check_arguments(ReportState.set_row.fn, {
        "which": "subjected", "index": True, "key": "name", "value": "x"
    }) is not None  # fmt: skip


# Every event handler of every state class, reviewed: a public method is callable
# by any client over the websocket, so a new one must be added here on purpose
# (a helper starts with "_").
EVENTS = {
    "AppState": [],
    "LoginState": ["load"],
    "StartState": ["load"],
    "AdminState": [
        "add_class", "apply_import", "cancel_edit", "cancel_handover", "cancel_import",
        "close_unit", "create_unit", "edit_user", "hand_over", "invite", "load",
        "remove_class", "resend", "save_class", "save_roles", "save_unit", "select_unit",
        "set_active", "set_archived", "set_tab", "upload_import",
    ],
    "SetupState": ["load", "submit"],
    "SetPasswordState": ["load"],
    "ForgotPasswordState": ["load"],
    "OverviewState": ["load", "ping", "set_filter", "set_flag", "submit_search", "toggle_more", "watch"],
    "MyCasesState": ["load"],
    "SettingsState": ["load", "save", "save_general", "save_second_factor"],
    "CaseState": [
        "add_measure_row", "attach_done", "attach_file", "close_party_form", "delegate_existing", "delegate_invite",
        "hide_access_log", "load", "load_file", "show_access_log", "open_delegate", "open_party_form", "receive",
        "remove_measure_row", "resolve_conflict", "set_delegate_mode", "set_none_needed",
        "show_next_step", "start_self", "submit_close", "submit_decision",
        "submit_follow_up", "submit_investigation", "submit_note", "submit_party",
        "submit_party_removal", "submit_proposal", "submit_reopen", "submit_take_over",
        "watch", "withdraw",
    ],
    "ReportState": [
        "add_row", "attach_done", "attach_file", "load", "new_report", "remove_row", "set_field",
        "set_row", "submit", "toggle",
    ],
    "SupplementState": ["another", "attach_done", "attach_file", "load", "set_text", "submit"],
    "OutboxState": ["load", "refresh", "retry", "set_dialog_open", "set_filter", "show"],
    "StatisticsState": [
        "apply_custom", "dismiss", "load", "restore_dismissed", "set_archive_ref",
        "set_archive_year", "set_custom_from", "set_custom_to", "set_grade",
        "set_include_names", "set_pack_ref", "set_period_kind", "set_unit", "set_year",
    ],
    "AccountState": [
        "add_passkey", "end_other_sessions", "end_session", "hide_codes", "load",
        "passkey_created", "remove_passkey", "renew_codes", "set_daily_digest",
        "start_enrolment",
    ],
    "SecondFactorState": ["finish", "load", "passkey_done", "submit_code", "use_passkey"],
    "ReportLinksState": ["load", "rotate"],
}  # fmt: skip


def test_every_public_method_of_a_state_is_a_reviewed_event():
    import kb_app.kb_app  # noqa: F401

    found = {}
    for cls in _all_app_states():
        found[cls.__name__] = sorted(
            n
            for n, h in cls.event_handlers.items()
            if h.fn.__qualname__.split(".")[0] == cls.__name__
        )
    assert found == {k: sorted(v) for k, v in EVENTS.items()}
    for cls in _all_app_states():
        for name in vars(cls):
            if name in ("actor", "guard", "fail", "call_service", "show_user"):
                raise AssertionError(f"{cls.__name__}.{name} is public")


def test_the_folder_of_client_states_is_closed(tmp_path, monkeypatch):
    import stat

    from kb_app.state.boundary import private_states_dir

    folder = tmp_path / ".states"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    (folder / "a.pkl").write_bytes(b"x")
    (folder / "a.pkl").chmod(0o644)
    monkeypatch.setenv("REFLEX_STATES_WORKDIR", str(folder))
    private_states_dir()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "a.pkl").stat().st_mode) == 0o600


def test_client_state_expires_after_the_setting():
    import rxconfig
    from kb_app.settings import get_settings

    assert rxconfig.config.redis_token_expiration == get_settings().state_expiry_minutes * 60
    assert get_settings().state_expiry_minutes <= get_settings().session_idle_minutes


def test_the_disk_state_purge_runs_at_most_once_a_minute(tmp_path):
    """Reflex's disk manager stats every state file after each batch of writes;
    ours looks at most once a minute, and still deletes what has expired."""
    import os

    from reflex.istate.manager.disk import StateManagerDisk

    from kb_app.state.boundary import PURGE_INTERVAL_SECONDS, throttle_state_purge

    throttle_state_purge()
    throttle_state_purge()  # twice is once
    assert StateManagerDisk._purge_expired_states.kb_throttled
    manager = object.__new__(StateManagerDisk)
    manager.__dict__["states_directory"] = tmp_path
    manager.token_expiration = 60

    def expired(name: str):
        path = tmp_path / name
        path.write_bytes(b"")
        os.utime(path, (1, 1))  # modified in 1970: long expired
        return path

    first = expired("a.pkl")
    manager._purge_expired_states()
    assert not first.exists()
    second = expired("b.pkl")
    manager._purge_expired_states()
    assert second.exists()  # within the minute: not looked at again
    manager.__dict__["_kb_last_purge"] -= PURGE_INTERVAL_SECONDS + 1
    manager._purge_expired_states()
    assert not second.exists()
