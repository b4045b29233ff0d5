"""Live updates for open overviews: the database is the bus.

Every write to a case bumps its organisation's row in ``change_counter``
(``services.changes.bump``, in the writer's own transaction). In each worker
process one poller task reads the counters of the organisations that have an
overview open (one indexed read every ``POLL_SECONDS``, however many overviews
are open) and wakes the overviews' background loops when a counter moved; each
loop then reloads its one page of rows and its counts, keeping the user's
filters, sort and page.

Why a counter and not ``rx.SharedState`` with ``app.modify_state``: cases are
written by processes that hold no Reflex state at all (the scheduler, ``kb-app``
commands, another worker), and a pushed update reaches only the states the
writing process can modify. A committed counter is seen by every process,
whichever wrote it, with or without Redis, and costs almost nothing to read.
A new report therefore shows on every open overview within about
``POLL_SECONDS`` plus one page query.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import Counter
from typing import Any

from reflex_base.event import Event
from reflex_base.event.context import EventContext

from kb_app.services.overview import query as overview

log = logging.getLogger("kb_app.live")

POLL_SECONDS = 0.5
IDLE_POLLS_BEFORE_STOP = 20

# Overview loops running in this process: client token -> (loop id, its task).
LOOPS: dict[str, tuple[str, asyncio.Task | None]] = {}


def loop_running(token: str, loop_id: str) -> bool:
    """Does the overview loop ``loop_id`` run for this tab, and go on running?

    A loop being cancelled (a shutdown; before ``start_detached``, every
    navigation, which superseded the page-load chain the loop belonged to) has
    not yet unwound. Counting it as running left the tab without a loop (the
    next load started none, then the cancelled one removed itself)."""
    entry = LOOPS.get(token)
    if not loop_id or entry is None or entry[0] != loop_id:
        return False
    task = entry[1]
    return task is None or not (task.done() or task.cancelling())


async def start_detached(handler: Any) -> Any:
    """Start a tab's live loop (a background handler) as an event of its own.

    Returned from a page load, the loop would belong to that load's chain, and
    Reflex cancels the whole chain when the tab navigates (``on_load_internal``
    supersedes the previous one): every sort, filter or page change of the
    overview cancelled the loop and started a new one, more than a third of the
    server's time per view under load (``make bench``). Enqueued as a top-level
    event it lives on across navigations; it ends by itself when the tab leaves
    the page, closes or signs out (its own checks).

    Returns None when enqueued, else ``handler`` for the caller to return (no
    event processor runs: a handler called directly, as in the state tests)."""
    if handler is None:
        return None
    try:
        ctx = EventContext.get()
    except LookupError:
        return handler
    # Forks of a context without a txid are top-level events (EventContext.fork).
    top = dataclasses.replace(ctx, txid="", parent_txid=None)
    reset = EventContext.set(top)
    try:
        await top.enqueue(*Event.from_event_type([handler]))
    finally:
        EventContext.reset(reset)
    return None


def register_loop(token: str, loop_id: str) -> bool:
    """Record this task as the tab's loop; False if that loop already runs."""
    if loop_running(token, loop_id):
        return False
    LOOPS[token] = (loop_id, asyncio.current_task())
    return True


def unregister_loop(token: str, loop_id: str) -> None:
    entry = LOOPS.get(token)
    if entry is not None and entry[0] == loop_id:
        del LOOPS[token]


class CounterWatch:
    """One poller per process and event loop; overview loops wait on it.

    Waiters wait on a per-organisation ``asyncio.Event`` that the poller sets and
    replaces when the organisation's counter moves. No lock is shared between
    waiters, so a waiter cancelled at any moment (a tab that goes away) leaves
    nothing behind for the others (an ``asyncio.Condition`` with ``wait_for``
    could be left unowned: "Lock is not acquired")."""

    def __init__(self) -> None:
        self._values: dict[int, int] = {}
        self._waiting: Counter[int] = Counter()
        self._events: dict[int, asyncio.Event] = {}
        self._task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _ensure(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new event loop (tests, a restarted worker)
            self._loop, self._task = loop, None
            self._values.clear()
            self._waiting.clear()
            self._events.clear()
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._poll(), name="kb-counter-watch")
        return loop

    async def wait(self, organisation_id: int, seen: int, timeout: float) -> int | None:
        """Wait until the organisation's counter is above ``seen`` or ``timeout``
        seconds pass. Returns the last value read (None before the first read)."""
        loop = self._ensure()
        deadline = loop.time() + timeout
        self._waiting[organisation_id] += 1
        try:
            while self._values.get(organisation_id, seen) <= seen:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                event = self._events.setdefault(organisation_id, asyncio.Event())
                try:
                    await asyncio.wait_for(event.wait(), remaining)
                except TimeoutError:
                    break
        finally:
            self._waiting[organisation_id] -= 1
            if self._waiting[organisation_id] <= 0:
                del self._waiting[organisation_id]
        return self._values.get(organisation_id)

    async def _poll(self) -> None:
        idle = 0
        while idle < IDLE_POLLS_BEFORE_STOP:
            orgs = sorted(self._waiting)
            if not orgs:
                idle += 1
            else:
                idle = 0
                try:
                    values = await asyncio.to_thread(overview.counter_values, orgs)
                except Exception:  # noqa: BLE001 - the database may be briefly away
                    log.exception("reading the change counters failed")
                    values = {}
                for org, value in values.items():
                    if self._values.get(org) != value:
                        self._values[org] = value
                        event = self._events.pop(org, None)
                        if event is not None:
                            event.set()
            await asyncio.sleep(POLL_SECONDS)
        self._task = None


WATCH = CounterWatch()


async def connected(token: str) -> bool:
    """Is a browser tab with this client token still connected (to any worker)?"""
    try:
        from reflex_base.registry import RegistrationContext

        namespace = RegistrationContext.get().app.event_namespace
    except Exception:  # noqa: BLE001 - no running app (tests): assume connected
        return True
    if namespace is None:
        return True
    return await namespace._token_manager.is_token_connected(token)
