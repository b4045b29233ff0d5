"""The overview over a raw websocket against the production server: what a
navigation between its views sends, and that the live loop outlives them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from kb_app.devdata import bench as seed_bench
from kb_app.state.base import AppState
from kb_app.state.cases import OverviewState
from tests.support import ws
from tests.support.helpers import unit_named

OV = OverviewState.get_full_name()
APP = AppState.get_full_name()
VIEWS = [
    "/oversikt?sortera=enhet",
    "/oversikt?sortera=enhet&sida=2",
    "/oversikt?steg=reported",
    "/oversikt?steg=reported&sortera=frist",
    "/oversikt",
]


def _view_key(path: str) -> str:
    return path.partition("?")[2]


@ws.in_thread
async def test_navigations_send_only_the_view_and_keep_the_live_loop(app_server, server_db):
    base = app_server.base_url
    cookie = await ws.login(base, "rektor@exempelkommun.se")
    tab = ws.Tab(base)
    await tab.connect("/oversikt", cookie)
    await tab.wait_for(lambda t: any(ws.var("rows") in d for d in t.deltas(OV)))
    await asyncio.sleep(0.5)  # the live loop starts after the first view
    assert tab.deltas(APP), "the first view sends the user's name and menu"

    for path in VIEWS:
        seen = len(tab.updates)
        await tab.emit(ws.ON_LOAD, path=path)
        key = _view_key(path)
        await tab.wait_for(
            lambda t, key=key, seen=seen: (
                any(d.get(ws.var("view_key")) == key for d in t.deltas(OV))
                and '"is_hydrated_rx_state_": true' in "".join(t.raw[seen:])
            )
        )
        after = tab.updates[seen:]
        # The user, the menu and the page status did not change: not sent again.
        assert not [u for u in after if APP in (u.get("delta") or {})], after
        tab.path = path

    # The live loop started by the first view is still running after the
    # navigations: a new report in the principal's unit shows on the current view.
    _, reference = seed_bench.insert_report(
        unit_named("Björkskolan F–6").id, now=datetime.now(UTC), class_name="4A", grade="4"
    )
    await tab.wait_for(lambda t: reference in t.text(), timeout=15)
    await tab.close()
