"""Part 2: event round trips through the running production server's websocket.

Each client is what a browser tab is to Reflex: a Socket.IO connection on path and
namespace ``/_event`` with its client token in the query string and the hydrate
event in the CONNECT ``auth`` payload, carrying the ``kb_session`` cookie from a
real login (POST /auth/login). It then does what the page does: a filter change
is the ``set_filter``/``set_flag`` event (answered with the new rows and a
redirect, after which the client navigates, i.e. sends ``on_load_internal`` with
the new URL, like the browser); a sort or page change is a link, i.e. a
navigation. A round trip ends when the delta with the new view arrives.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

import aiohttp
import socketio
from reflex.state import OnLoadInternalState, State

from kb_app.domain import overview as ov
from kb_app.state.cases import OverviewState

NS = "/_event"
OV = OverviewState.get_full_name()
HYDRATE = f"{State.get_full_name()}.hydrate_and_load"
ON_LOAD = f"{OnLoadInternalState.get_full_name()}.on_load_internal"
SET_FILTER = f"{OV}.set_filter"
SET_FLAG = f"{OV}.set_flag"
PING = f"{OV}.ping"
VIEW_KEY = "view_key_rx_state_"
ROWS = "rows_rx_state_"
PONG = "pong_rx_state_"

# What a user does on the overview, over and over: (kind, key, value)
ACTIONS = [
    ("filter", "steg", "received"),
    ("sort", "enhet", None),
    ("page", None, 2),
    ("filter", "slag", "verbal"),
    ("sort", "frist", None),
    ("page", None, 2),
    ("flag", "forsenade", True),
    ("filter", "steg", ""),
    ("sort", "ansvarig", None),
    ("filter", "arskurs", "4"),
    ("page", None, 2),
    ("page", None, 3),
    ("flag", "forsenade", False),
    ("sort", "datum", None),
    ("filter", "slag", ""),
    ("filter", "grund", "any"),
    ("sort", "steg", None),
    ("filter", "arskurs", ""),
    ("filter", "grund", ""),
    ("sort", "datum", None),
]


def router_data(path: str) -> dict:
    parts = urlsplit(path)
    return {"pathname": parts.path, "asPath": path, "query": dict(parse_qsl(parts.query))}


def key_of(f: ov.OverviewFilter) -> str:
    return urlencode(ov.to_query(f))


def apply_action(f: ov.OverviewFilter, action) -> ov.OverviewFilter:
    kind, key, value = action
    if kind == "sort":
        return f.sorted_by(ov.SortKey(key))
    if kind == "page":
        return f.on_page(value)
    query = ov.to_query(f)
    if kind == "flag":
        if value:
            query[key] = "1"
        else:
            query.pop(key, None)
    elif value:
        query[key] = value
    else:
        query.pop(key, None)
    query.pop("sida", None)
    return ov.from_query(query)


async def login(base: str, email: str, password: str) -> str:
    async with aiohttp.ClientSession() as http:
        r = await http.post(
            base + "/auth/login",
            data={"email": email, "password": password},
            headers={"Origin": base},
            allow_redirects=False,
        )
        if r.status != 303 or "kb_session" not in r.cookies:
            raise RuntimeError(f"inloggningen misslyckades ({r.status})")
        return r.cookies["kb_session"].value


@dataclass
class Waiter:
    predicate: Callable[[dict], bool]
    future: asyncio.Future


@dataclass
class Client:
    base: str
    cookie: str
    token: str = field(default_factory=lambda: str(uuid.uuid4()))
    view: ov.OverviewFilter = field(default_factory=ov.OverviewFilter)
    waiters: list[Waiter] = field(default_factory=list)
    redirects: int = 0
    seen: dict[str, float] = field(default_factory=dict)  # reference -> first shown
    pings: int = 0

    async def connect(self, path: str = "/oversikt") -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sio.on("event", self._on_event, namespace=NS)
        loaded = self._wait(lambda d: ROWS in d)
        hydrate = {"name": HYDRATE, "payload": {}, "router_data": router_data(path)}
        await self.sio.connect(
            f"{self.base}?token={self.token}",
            headers={"Cookie": f"kb_session={self.cookie}", "Origin": self.base},
            auth={"event": hydrate},
            transports=["websocket"],
            namespaces=[NS],
            socketio_path="/_event",
            wait_timeout=30,
        )
        await asyncio.wait_for(loaded, 60)
        self.view = ov.from_query(router_data(path)["query"])

    async def close(self) -> None:
        await self.sio.disconnect()

    def _wait(self, predicate) -> asyncio.Future:
        fut = asyncio.get_running_loop().create_future()
        self.waiters.append(Waiter(predicate, fut))
        return fut

    async def _on_event(self, update: dict) -> None:
        now = time.perf_counter()
        delta = (update.get("delta") or {}).get(OV)
        if delta is not None:
            if ROWS in delta:
                for r in delta[ROWS]:
                    self.seen.setdefault(r["reference"], now)
            for w in list(self.waiters):
                if w.predicate(delta):
                    self.waiters.remove(w)
                    if not w.future.done():
                        w.future.set_result(now)
        for ev in update.get("events") or []:
            if ev.get("name") == "_redirect":
                # The browser navigates: React Router runs the page's on_load.
                await self._emit(ON_LOAD, {}, ev["payload"]["path"])
                self.redirects += 1

    async def _emit(self, name: str, payload: dict, path: str | None = None) -> None:
        path = path or ov.href(self.view)
        await self.sio.emit(
            "event", {"name": name, "payload": payload, "router_data": router_data(path)}, NS
        )

    def next_action(self, actions) -> tuple:
        """The next action from the cycle that changes this client's view."""
        current = key_of(self.view)
        for _ in range(len(ACTIONS)):
            action = next(actions)
            if key_of(apply_action(self.view, action)) != current:
                return action
        raise RuntimeError("no action changes the view")

    async def act(self, action) -> tuple[float, Callable[[], bool]]:
        """Do one user action; returns the time the new view arrived, and a
        check whether the follow-up navigation (after a filter change) is sent."""
        target = apply_action(self.view, action)
        key = key_of(target)
        kind, name, value = action
        redirect_seen = self.redirects
        fut = self._wait(lambda d: d.get(VIEW_KEY) == key)
        if kind == "filter":
            await self._emit(SET_FILTER, {"key": name, "value": value})
        elif kind == "flag":
            await self._emit(SET_FLAG, {"key": name, "checked": value})
        else:
            await self._emit(ON_LOAD, {}, ov.href(target))
        arrived = await asyncio.wait_for(fut, 60)
        self.view = target
        if kind in ("filter", "flag"):
            return arrived, lambda: self.redirects > redirect_seen
        return arrived, lambda: True

    async def navigate(self, path: str, timeout: float) -> float | None:
        """Open an overview URL (a link, the back button): the time its view
        arrived, or None when it did not arrive within ``timeout`` (lost)."""
        target = ov.from_query(router_data(path)["query"])
        key = key_of(target)
        fut = self._wait(lambda d: d.get(VIEW_KEY) == key)
        await self._emit(ON_LOAD, {}, path)
        try:
            arrived = await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            self.waiters = [w for w in self.waiters if w.future is not fut]
            return None
        self.view = target
        return arrived

    async def ping(self, n: int) -> float:
        fut = self._wait(lambda d: d.get(PONG) == n)
        await self._emit(PING, {"n": n})
        return await asyncio.wait_for(fut, 60)

    async def shown(self, reference: str, timeout: float = 30) -> float:
        deadline = time.perf_counter() + timeout
        while reference not in self.seen:
            if time.perf_counter() > deadline:
                raise TimeoutError(reference)
            await asyncio.sleep(0.005)
        return self.seen[reference]


async def settle(done: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.perf_counter() + timeout
    while not done() and time.perf_counter() < deadline:
        await asyncio.sleep(0.002)


async def clients_with(base: str, cookies: list[str]) -> list[Client]:
    """One connected client per session cookie (the same cookie may repeat)."""
    sem = asyncio.Semaphore(4)

    async def one(cookie: str) -> Client:
        async with sem:
            c = Client(base, cookie)
            await c.connect()
            return c

    return list(await asyncio.gather(*[one(c) for c in cookies]))


async def make_clients(base: str, email: str, password: str, n: int) -> list[Client]:
    sem = asyncio.Semaphore(4)

    async def one() -> Client:
        async with sem:
            cookie = await login(base, email, password)
            c = Client(base, cookie)
            await c.connect()
            return c

    return list(await asyncio.gather(*[one() for _ in range(n)]))


# --- Scenarios ----------------------------------------------------------------------


async def single(client: Client, runs: int) -> dict:
    """One client alone: view changes and the trivial event, one after the other."""
    views: list[float] = []
    pings: list[float] = []
    by_view: dict[str, list[float]] = {}
    actions = itertools.cycle(ACTIONS)
    for i in range(runs):
        action = client.next_action(actions)
        t = time.perf_counter()
        arrived, done = await client.act(action)
        views.append((arrived - t) * 1000)
        by_view.setdefault(key_of(client.view), []).append(views[-1])
        await settle(done)
        await asyncio.sleep(0.01)
        t = time.perf_counter()
        pings.append((await client.ping(client.pings + i + 1) - t) * 1000)
    client.pings += runs
    return {
        "views_ms": views,
        "ping_ms": pings,
        "by_view": {k: sorted(v)[len(v) // 2] for k, v in by_view.items()},
    }


async def open_loop(clients: list[Client], seconds: float, rate: float = 1.0) -> dict:
    """Every client acts about once a second (randomised start and spacing);
    every tenth action is the trivial event. Latency counts from the scheduled
    time, so a slow answer delays and is charged to the next action too."""
    views: list[float] = []
    pings: list[float] = []
    started = time.perf_counter()

    async def run(c: Client, seed: int) -> None:
        rng = random.Random(seed)
        actions = itertools.cycle(ACTIONS[seed % len(ACTIONS) :] + ACTIONS[: seed % len(ACTIONS)])
        due = started + rng.random() / rate
        n = 0
        while due < started + seconds:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            n += 1
            if n % 10 == 0:
                pings.append((await c.ping(10_000 + n) - due) * 1000)
            else:
                arrived, done = await c.act(c.next_action(actions))
                views.append((arrived - due) * 1000)
                await settle(done)
            due += rng.uniform(0.5, 1.5) / rate

    await asyncio.gather(*[run(c, i) for i, c in enumerate(clients)])
    elapsed = time.perf_counter() - started
    return {
        "views_ms": views,
        "ping_ms": pings,
        "seconds": elapsed,
        "events_per_s": (len(views) + len(pings)) / elapsed,
    }


async def closed_loop(clients: list[Client], seconds: float, trivial: bool) -> dict:
    """Every client sends its next action as soon as the last one is answered."""
    latencies: list[float] = []
    started = time.perf_counter()

    async def run(c: Client, seed: int) -> None:
        actions = itertools.cycle(ACTIONS[seed % len(ACTIONS) :] + ACTIONS[: seed % len(ACTIONS)])
        n = 0
        while time.perf_counter() - started < seconds:
            n += 1
            t = time.perf_counter()
            if trivial:
                latencies.append((await c.ping(1_000_000 + seed * 100_000 + n) - t) * 1000)
            else:
                arrived, done = await c.act(c.next_action(actions))
                latencies.append((arrived - t) * 1000)
                await settle(done)

    await asyncio.gather(*[run(c, i) for i, c in enumerate(clients)])
    elapsed = time.perf_counter() - started
    return {"latency_ms": latencies, "seconds": elapsed, "events_per_s": len(latencies) / elapsed}


def overview_urls(n: int = 11) -> list[str]:
    """The navigation cycle: the bare overview and ``n - 1`` other views of it
    (filters, sorts, pages), each a distinct URL."""
    urls = [ov.href(ov.OverviewFilter())]
    f = ov.OverviewFilter()
    for action in itertools.cycle(ACTIONS):
        f = apply_action(f, action)
        if ov.href(f) not in urls:
            urls.append(ov.href(f))
        if len(urls) == n:
            return urls
    raise AssertionError("unreachable")


async def navigations(
    clients: list[Client], seconds: float, rate: float = 1.0, timeout: float = 20.0
) -> dict:
    """Every client opens the next URL of the cycle about once a second (open
    loop, randomised start and spacing) and waits for its view; a view that does
    not arrive within ``timeout`` seconds is a lost navigation."""
    urls = overview_urls()
    views: list[float] = []
    lost: list[str] = []
    started = time.perf_counter()

    async def run(c: Client, seed: int) -> None:
        rng = random.Random(seed)
        i = seed % len(urls)
        due = started + rng.random() / rate
        while due < started + seconds:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            i = (i + 1) % len(urls)
            if urls[i] == ov.href(c.view):  # a lost one left the client there
                i = (i + 1) % len(urls)
            arrived = await c.navigate(urls[i], timeout)
            if arrived is None:
                lost.append(urls[i])
            else:
                views.append((arrived - due) * 1000)
            due += rng.uniform(0.5, 1.5) / rate

    await asyncio.gather(*[run(c, i) for i, c in enumerate(clients)])
    elapsed = time.perf_counter() - started
    return {
        "views_ms": views,
        "lost": lost,
        "navigations": len(views) + len(lost),
        "seconds": elapsed,
        "per_s": (len(views) + len(lost)) / elapsed,
    }


async def report_to_overviews(
    clients: list[Client], insert: Callable[[], str], reports: int
) -> dict:
    """A new report (written in this process, as another worker would) until it
    shows on every open overview. Measured from just before the write."""
    delays: list[float] = []
    for _ in range(reports):
        await asyncio.sleep(1.5)
        t = time.perf_counter()
        reference = await asyncio.to_thread(insert)
        arrived = await asyncio.gather(*[c.shown(reference) for c in clients])
        delays.extend((a - t) * 1000 for a in arrived)
    return {"delay_ms": delays}
