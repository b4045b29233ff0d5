"""The live-update poller: waiters wake when their organisation's counter moves,
and waiters that go away (cancelled at any moment) disturb nobody."""

from __future__ import annotations

import asyncio
import contextlib
import random

from kb_app.db import session_scope
from kb_app.services.base import changes
from kb_app.state import live
from tests.support.world import make_world


def _bump(org_id: int, now) -> None:
    with session_scope() as s:
        changes.bump(s, org_id, now)


async def test_cancelled_waiters_leave_the_others_working(sqlite_engine, now, monkeypatch):
    monkeypatch.setattr(live, "POLL_SECONDS", 0.01)
    org = make_world(now).org_id
    watch = live.CounterWatch()
    errors: list = []
    asyncio.get_running_loop().set_exception_handler(lambda _l, ctx: errors.append(ctx))
    await watch.wait(org, -1, 1.0)  # the first read
    rng = random.Random(7)
    for round_ in range(15):
        seen = watch._values[org]
        waiters = [asyncio.create_task(watch.wait(org, seen, 5.0)) for _ in range(30)]
        await asyncio.sleep(rng.uniform(0, 0.03))
        doomed = rng.sample(waiters, 15)
        for w in doomed:  # tabs closed while the poller may be waking them
            w.cancel()
        await asyncio.to_thread(_bump, org, now)
        if round_ % 2:
            await asyncio.sleep(rng.uniform(0, 0.02))
            for w in doomed:
                w.cancel()
        results = await asyncio.gather(*waiters, return_exceptions=True)
        survivors = [r for w, r in zip(waiters, results, strict=True) if w not in doomed]
        assert survivors and all(r == seen + 1 for r in survivors), survivors
        assert all(isinstance(r, (asyncio.CancelledError, int)) for r in results)
    assert errors == []
    assert not watch._waiting


async def test_a_wait_times_out_with_the_last_value(sqlite_engine, now, monkeypatch):
    monkeypatch.setattr(live, "POLL_SECONDS", 0.01)
    org = make_world(now).org_id
    watch = live.CounterWatch()
    first = await watch.wait(org, -1, 1.0)
    assert first is not None
    assert await watch.wait(org, first, 0.1) == first


async def test_waiters_cancelled_and_timing_out_under_constant_change(
    sqlite_engine, now, monkeypatch
):
    """Short timeouts, cancellations and bumps all at once (tabs coming and going
    on a busy organisation). The old Condition-based watch hung here for good."""
    monkeypatch.setattr(live, "POLL_SECONDS", 0.002)
    org = make_world(now).org_id
    watch = live.CounterWatch()
    await watch.wait(org, -1, 1.0)
    rng = random.Random(1)
    errors: list[str] = []

    async def bumper():
        for _ in range(150):
            await asyncio.to_thread(_bump, org, now)
            await asyncio.sleep(0.003)

    async def clients():
        b = asyncio.create_task(bumper())
        while not b.done():
            seen = watch._values[org]
            ws = [
                asyncio.create_task(watch.wait(org, seen, rng.uniform(0, 0.01))) for _ in range(20)
            ]
            await asyncio.sleep(rng.uniform(0, 0.006))
            for w in ws:
                if rng.random() < 0.5:
                    w.cancel()
            for r in await asyncio.gather(*ws, return_exceptions=True):
                if isinstance(r, BaseException) and not isinstance(r, asyncio.CancelledError):
                    errors.append(repr(r))

    await asyncio.wait_for(clients(), 60)
    assert errors == []


async def test_a_superseded_loop_does_not_count_as_running():
    """A navigation cancels the previous page-load chain and the overview loop it
    started; the next load must start a new loop at once, not take the one
    still unwinding for running (the tab was left without live updates)."""
    started = asyncio.Event()

    async def loop_body():
        assert live.register_loop("tab-1", "loop-a")
        started.set()
        try:
            await asyncio.sleep(3600)
        finally:
            await asyncio.sleep(0)  # still unwinding when the next load runs
            live.unregister_loop("tab-1", "loop-a")

    task = asyncio.create_task(loop_body())
    await started.wait()
    assert live.loop_running("tab-1", "loop-a")
    assert not live.register_loop("tab-1", "loop-a")  # a second start is refused
    task.cancel()  # the supersession, before the task has seen it
    assert not live.loop_running("tab-1", "loop-a")

    async def next_loop():
        assert live.register_loop("tab-1", "loop-b")
        await asyncio.sleep(0.05)

    following = asyncio.create_task(next_loop())
    await asyncio.sleep(0.01)
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert live.loop_running("tab-1", "loop-b")  # the old one did not remove it
    await following
    live.unregister_loop("tab-1", "loop-b")
    assert "tab-1" not in live.LOOPS


async def test_a_loop_is_started_outside_the_page_loads_chain():
    """Returned from a page load, the live loop belonged to the load's chain, and
    each navigation (which supersedes that chain) cancelled it and started a new
    one: most of the server's time per overview view under load. It is enqueued
    as a top-level event instead, which no navigation cancels."""
    from reflex_base.event.context import EventContext

    from kb_app.state.cases import OverviewState

    enqueued = []

    async def enqueue(token, *events):
        # What the event processor does with an enqueued event: fork the context.
        enqueued.append((token, [e.name for e in events], EventContext.get().fork(token=token)))

    load = EventContext(token="tab-2", state_manager=None, enqueue_impl=enqueue, txid="load-1")
    with load:
        assert await live.start_detached(OverviewState.watch) is None
        assert EventContext.get() is load  # the load's own context is back
        assert await live.start_detached(None) is None
    ((token, names, forked),) = enqueued
    assert token == "tab-2"
    assert names == [f"{OverviewState.get_full_name()}.watch"]
    assert forked.parent_txid is None  # top-level: not a child of the load

    # No event processor (a handler called directly): the handler is handed back.
    assert await live.start_detached(OverviewState.watch) is OverviewState.watch
