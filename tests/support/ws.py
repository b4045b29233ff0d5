"""A raw websocket client speaking Reflex 0.10's protocol, as a browser tab does.

Socket.IO on path ``/_event``, namespace ``/_event``; the client token in the query
string (``?token=``, what the tab keeps in sessionStorage), the ``kb_session`` cookie
in the handshake, and the hydrate (``hydrate_and_load``) in the CONNECT ``auth``
payload. Every update the server sends is kept, raw (``raw``, the JSON text) and
decoded (``updates``), so a test can assert on exactly what reached the client.
In 0.10 an event's updates are streamed with none marked final: wait for the delta
you expect (``wait_for``), never for "the end".
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import json
import uuid
from collections.abc import Callable
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlsplit

import aiohttp
import socketio
from reflex.state import OnLoadInternalState, State

NS = "/_event"
HYDRATE = f"{State.get_full_name()}.hydrate_and_load"
ON_LOAD = f"{OnLoadInternalState.get_full_name()}.on_load_internal"


# As a browser's JSON.stringify: a lone surrogate goes out as its escape (\\ud800).
_JSON = SimpleNamespace(
    dumps=lambda obj, **kw: json.dumps(obj, **{**kw, "ensure_ascii": True}),
    loads=json.loads,
)


def in_thread(fn):
    """An async test run to its end on its own event loop in a worker thread: the
    browser tests' sync Playwright keeps a loop running in the main thread."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        ctx = contextvars.copy_context()  # Reflex keeps its registry in a context var
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(ctx.run, asyncio.run, fn(*args, **kwargs)).result()

    return run


def router_data(path: str) -> dict:
    parts = urlsplit(path)
    return {"pathname": parts.path, "asPath": path, "query": dict(parse_qsl(parts.query))}


async def login(base: str, email: str, password: str = "varna-demo-2026") -> str:
    """A real login (the form post): the session cookie's value."""
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


async def logout(base: str, cookie: str) -> None:
    async with aiohttp.ClientSession() as http:
        await http.post(
            base + "/auth/logout",
            headers={"Origin": base, "Cookie": f"kb_session={cookie}"},
            allow_redirects=False,
        )


class Tab:
    """One browser tab: a client token and, per connection, a cookie and a page."""

    def __init__(self, base: str, token: str | None = None) -> None:
        self.base = base
        self.token = token or str(uuid.uuid4())
        self.raw: list[str] = []
        self.updates: list[dict] = []
        self.path = "/"
        self._changed: asyncio.Event | None = None
        self.sio: socketio.AsyncClient | None = None

    async def connect(self, path: str, cookie: str | None = None) -> None:
        self.path = path
        self._changed = asyncio.Event()
        self.sio = socketio.AsyncClient(reconnection=False, json=_JSON)
        self.sio.on("event", self._on_event, namespace=NS)
        headers = {"Origin": self.base}
        if cookie:
            headers["Cookie"] = f"kb_session={cookie}"
        hydrate = {"name": HYDRATE, "payload": {}, "router_data": router_data(path)}
        await self.sio.connect(
            f"{self.base}?token={self.token}",
            headers=headers,
            auth={"event": hydrate},
            transports=["websocket"],
            namespaces=[NS],
            socketio_path="/_event",
            wait_timeout=30,
        )

    async def _on_event(self, update) -> None:
        text = update if isinstance(update, str) else json.dumps(update, ensure_ascii=False)
        self.raw.append(text)
        self.updates.append(json.loads(text) if isinstance(update, str) else update)
        if self._changed is not None:
            self._changed.set()

    async def emit(self, name: str, payload: dict | None = None, path: str | None = None) -> None:
        assert self.sio is not None
        await self.sio.emit(
            "event",
            {"name": name, "payload": payload or {}, "router_data": router_data(path or self.path)},
            NS,
        )

    def deltas(self, substate: str) -> list[dict]:
        """Every delta the server sent for one state (by its full name)."""
        return [
            (u.get("delta") or {})[substate]
            for u in self.updates
            if substate in (u.get("delta") or {})
        ]

    def text(self) -> str:
        return "\n".join(self.raw)

    async def wait_for(self, predicate: Callable[[Tab], bool], timeout: float = 30) -> None:
        """Until ``predicate(self)`` holds (checked on every update), or TimeoutError."""
        assert self._changed is not None

        async def loop() -> None:
            while not predicate(self):
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(loop(), timeout)

    async def hydrated(self, timeout: float = 30) -> None:
        """Until the page's on_load has run (is_hydrated is set true)."""
        await self.wait_for(lambda t: '"is_hydrated_rx_state_": true' in t.text(), timeout)

    async def close(self) -> None:
        if self.sio is not None:
            await self.sio.disconnect()
            self.sio = None


def var(name: str) -> str:
    """A state var's key in a delta."""
    return f"{name}_rx_state_"
