"""The state boundary over a raw websocket against the production server.

A client token (what a tab keeps in sessionStorage) reused after logout, after a
disconnect without a cookie, or with another role's cookie receives none of what
the first connection was shown: for the case page, the overview, statistics and
the public report form. "What it was shown" is every string in the first
connection's deltas that a fresh tab with the same cookie (or none) does not get
too; the reused token's raw deltas must hold none of them.

Then the anonymous probe: every event handler of every state class, called with
odd arguments, changes no data, closes no socket and leaves no stack trace in the
server's log.
"""

from __future__ import annotations

import asyncio
import sqlite3
import stat
from datetime import UTC, datetime

import pytest

from tests.e2e.conftest import REPO
from tests.support import ws

ORGANISER = "huvudman@exempelkommun.se"
INVESTIGATOR = "utredare@exempelkommun.se"
PRINCIPAL_EKBACKE = "rektor.ekbacke@exempelkommun.se"


def strings(tab: ws.Tab) -> dict[str, set[str]]:
    """Every string (of 4 characters or more) in the tab's deltas, with where it was."""
    out: dict[str, set[str]] = {}

    def walk(v, where: str) -> None:
        if isinstance(v, str):
            if len(v) >= 4 and v != tab.token:
                out.setdefault(v, set()).add(where)
        elif isinstance(v, dict):
            for k, x in v.items():
                walk(x, where if "." in where else f"{where}.{k}")
        elif isinstance(v, list):
            for x in v:
                walk(x, where)

    for u in tab.updates:
        for state, delta in (u.get("delta") or {}).items():
            walk(delta, state.rsplit(".", 1)[-1])
    return out


def db(app_server) -> sqlite3.Connection:
    return sqlite3.connect(app_server.env["KB_DATABASE_URL"].removeprefix("sqlite:///"))


def a_case_at_bjorkskolan(app_server) -> tuple[int, str, list[str]]:
    with db(app_server) as c:
        case_id, ref = c.execute(
            "SELECT k.id, k.reference FROM kb_case k JOIN unit u ON u.id = k.unit_id "
            "WHERE u.name = 'Björkskolan F–6' AND EXISTS "
            "(SELECT 1 FROM party p WHERE p.case_id = k.id AND p.name != '') "
            "AND NOT EXISTS (SELECT 1 FROM delegation d WHERE d.case_id = k.id) "
            "ORDER BY k.id LIMIT 1"
        ).fetchone()
        names = [r[0] for r in c.execute("SELECT name FROM party WHERE case_id = ?", (case_id,))]
    return case_id, ref, [n for n in names if n]


async def shown(base: str, path: str, cookie: str | None, token: str | None = None) -> ws.Tab:
    tab = ws.Tab(base, token)
    await tab.connect(path, cookie)
    await tab.hydrated()
    # Whatever the page's load sent after the hydrated flag.
    await asyncio.sleep(0.5)
    return tab


async def leaked_on_reuse(
    base: str, path: str, first: ws.Tab, cookie: str | None, ready=None
) -> set[str]:
    """Reconnect ``first``'s token to ``path`` with ``cookie``; the strings of the
    first connection that reach it and that a fresh tab with that cookie does not get."""
    baseline = await shown(base, path, cookie)
    await baseline.close()
    again = await shown(base, path, cookie, token=first.token)
    await again.close()
    fresh = strings(baseline)
    now_seen = strings(again)
    return {
        f"{s} at {sorted(now_seen[s])}" for s in strings(first) if s not in fresh and s in now_seen
    }


@pytest.mark.parametrize("after", ["logout", "disconnect", "other_role"])
@ws.in_thread
async def test_case_page_token_reuse_gets_no_case_data(app_server, after):
    base = app_server.base_url
    case_id, ref, names = a_case_at_bjorkskolan(app_server)
    path = f"/arenden/{case_id}"
    cookie = await ws.login(base, ORGANISER)
    first = ws.Tab(base)
    await first.connect(path, cookie)
    await first.wait_for(lambda t: ref in t.text() and all(n in t.text() for n in names))
    await asyncio.sleep(0.5)
    await first.close()
    if after == "logout":
        await ws.logout(base, cookie)
        reuse_cookie = cookie  # the ended session's cookie, kept by an attacker
    elif after == "disconnect":
        reuse_cookie = None
    else:
        reuse_cookie = await ws.login(base, INVESTIGATOR)
    leaked = await leaked_on_reuse(base, path, first, reuse_cookie)
    assert leaked == set()
    again = ws.Tab(base, first.token)
    await again.connect(path, reuse_cookie)
    await again.hydrated()
    await again.close()
    assert ref not in again.text()
    assert not [n for n in names if n in again.text()]


@pytest.mark.parametrize(
    ("path", "marker"), [("/oversikt", "KB-"), ("/statistik", '"ready_rx_state_": true')]
)
@ws.in_thread
async def test_overview_and_statistics_token_reuse(app_server, path, marker):
    base = app_server.base_url
    cookie = await ws.login(base, ORGANISER)
    first = await shown(base, path, cookie)
    await first.wait_for(lambda t: marker in t.text(), 60)
    await first.close()
    await ws.logout(base, cookie)
    for reuse in (cookie, None, await ws.login(base, PRINCIPAL_EKBACKE)):
        assert await leaked_on_reuse(base, path, first, reuse) == set()


def _report_link(app_server) -> str:
    with db(app_server) as c:
        return c.execute(
            "SELECT l.token FROM report_link l JOIN unit u ON u.id = l.unit_id "
            "WHERE u.name = 'Björkskolan F–6' AND l.active"
        ).fetchone()[0]


@ws.in_thread
async def test_public_form_token_reuse_shows_no_receipt_or_draft(app_server):
    from kb_app.state.report import ReportState

    base = app_server.base_url
    path = f"/anmalan/{_report_link(app_server)}"
    rs = ReportState.get_full_name()
    first = await shown(base, path, None)
    fields = {
        "reporter_name": "Ingrid Sandberg-Uddmark",
        "reporter_email": "ingrid.uddmark@exempelkommun.se",
        "reporter_role": "teacher",
        "occurred_on": datetime.now(UTC).date().isoformat(),
        "place": "schoolyard",
        "description": "Eleven Vilgot Ärlemark knuffades i kön till matsalen.",
        "guardians_informed": "no",
    }
    for key, value in fields.items():
        await first.emit(f"{rs}.set_field", {"key": key, "value": value})
    await first.emit(
        f"{rs}.set_row",
        {"which": "subjected", "index": 0, "key": "name", "value": "Vilgot Ärlemark"},
    )
    await first.emit(f"{rs}.toggle", {"which": "kinds", "code": "physical", "checked": True})
    await first.emit(f"{rs}.submit")
    try:
        await first.wait_for(lambda t: '"status_rx_state_": "receipt"' in t.text(), 60)
    except TimeoutError:
        raise AssertionError([d for d in first.deltas(rs) if "errors_rx_state_" in d]) from None
    receipt = first.deltas(rs)
    reference = next(d["reference_rx_state_"] for d in receipt if d.get("reference_rx_state_"))
    link = next(
        d["supplement_link_rx_state_"] for d in receipt if d.get("supplement_link_rx_state_")
    )
    await first.close()
    again = await shown(base, path, None, token=first.token)
    await again.close()
    for secret in (reference, link, "Vilgot", "Sandberg-Uddmark"):
        assert secret not in again.text()

    # A draft typed but not sent is not handed to the next connection either.
    draft = await shown(base, path, None)
    await draft.emit(f"{rs}.set_field", {"key": "description", "value": "Utkast om Tekla Ö."})
    await draft.wait_for(lambda t: "Tekla" in t.text())
    await draft.close()
    again = await shown(base, path, None, token=draft.token)
    await again.close()
    assert "Tekla" not in again.text()


# ---------------------------------------------------------------- the probe

ODD = [
    ["liste", "av", "strängar"],
    {"nyckel": "värde", "n": [1, 2]},
    "\ud800ensam surrogat\udfff och \ufffe\uffff",
    12345,
    None,
    True,
    [{"djup": {"djupare": ["\ud83d"]}}],
]
# Over 1 MB (what closed the socket before), under the socket's 4 MB as JSON.
HUGE = "kränkning " * 120_000


def _counts(app_server) -> dict[str, int]:
    tables = [
        "kb_case", "case_event", "party", "outbox", "report_link", "app_user",
        "user_session", "access_log", "case_conflict", "org_setting", "measure",
        "delegation", "one_time_token", "role_assignment", "unit",
    ]  # fmt: skip
    with db(app_server) as c:
        out = {}
        for t in tables:
            try:
                out[t] = c.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
            except sqlite3.OperationalError:
                continue
        out["cases_changed"] = c.execute(
            "SELECT coalesce(max(updated_at), '') FROM kb_case"
        ).fetchone()[0]
    return out


def _all_handlers() -> list[tuple[str, list[str]]]:
    import inspect

    import kb_app.kb_app  # noqa: F401
    from kb_app.state.boundary import _all_app_states

    out = []
    for cls in _all_app_states():
        for name, h in cls.event_handlers.items():
            params = list(inspect.signature(h.fn).parameters)[1:]
            out.append((f"{cls.get_full_name()}.{name}", params))
    return out


@ws.in_thread
async def test_anonymous_probe_of_every_handler_changes_nothing(app_server):
    from kb_app.state.cases import OverviewState

    base = app_server.base_url
    log = app_server.data_dir / "server.log"
    before = _counts(app_server)
    start = log.stat().st_size
    handlers = _all_handlers()
    names = {n.rsplit(".", 1)[1] for n, _ in handlers}
    # The handlers of the newest pages are in the probe too.
    assert {"resolve_conflict", "submit_take_over", "end_session", "set_pack_ref"} <= names
    link = _report_link(app_server)
    paths = ["/", f"/anmalan/{link}", "/arenden/1", "/oversikt", "/statistik", "/mitt-konto"]
    for path in paths:
        tab = ws.Tab(base)
        await tab.connect(path)
        await tab.hydrated()
        for name, params in handlers:
            payloads = [{p: odd for p in params} for odd in ODD]
            payloads += [{}, {"okänt": "x"}, {p: "1" for p in params}]
            for payload in payloads:
                await tab.emit(name, payload)
            if params and path == paths[0]:
                await tab.emit(name, {p: HUGE for p in params[:1]})
        sentinel = 900_000 + len(tab.raw)
        await tab.emit(f"{OverviewState.get_full_name()}.ping", {"n": sentinel})
        await tab.wait_for(lambda t, s=sentinel: f'"pong_rx_state_": {s}' in t.text(), 300)
        assert tab.sio is not None and tab.sio.connected
        if path == paths[0]:
            # The over-long value got its Swedish message, not a closed socket.
            assert "Texten är för lång" in tab.text()
        await tab.close()
        # What the server kept of the fuzzed tab is small: reconnecting with its
        # token hydrates the whole state, and none of the over-long values is in it.
        again = ws.Tab(base, tab.token)
        await again.connect(path)
        await again.hydrated()
        await again.close()
        assert sum(len(r) for r in again.raw) < 200_000
        assert "kränkning kränkning" not in again.text()
    output = log.read_bytes()[start:].decode("utf-8", "replace")
    assert "Traceback" not in output
    assert "Exception" not in output
    assert _counts(app_server) == before
    # The client states at rest are the app user's alone.
    states = REPO / ".states"
    assert stat.S_IMODE(states.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in states.iterdir())
