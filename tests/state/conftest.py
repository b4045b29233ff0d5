"""Call Reflex state handlers directly, as a given browser session would.

``make_state(StateCls, token=..., path=..., query=...)`` returns an instance of the
state class inside a fresh state tree, with the session cookie in the handshake
headers exactly where the real server puts it (``router.headers.cookie``).
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("PYTEST_CURRENT_TEST", "state")  # lets Reflex build states outside a server

from reflex.istate.data import RouterData  # noqa: E402
from reflex.state import State  # noqa: E402

import kb_app.kb_app  # noqa: E402,F401  (registers every page and state)
from kb_app.services.admin import auth  # noqa: E402


def _make(state_cls, *, token: str | None = None, path: str = "/", query: dict | None = None):
    root = State(_reflex_internal_init=True)
    names = state_cls.get_full_name().split(".")
    st = root.get_substate(names[1:])
    headers = {"cookie": f"kb_session={token}" if token else "", "origin": "http://localhost:3000"}
    st.router = RouterData.from_router_data(
        {"headers": headers, "pathname": path, "asPath": path, "query": query or {}}
    )
    return st


@pytest.fixture(autouse=True)
def _clock_at_now(clock):
    """State handlers are an edge: they read the wall clock, here set to ``now``."""
    yield


@pytest.fixture
def make_state():
    return _make


@pytest.fixture
def session_token(demo, now):
    """Log in a demo user for real and return the session token."""

    def _login(email: str) -> str:
        result = auth.login(email, "varna-demo-2026", now=now)
        assert result.ok, result.message
        return result.token

    return _login


def redirect_target(events) -> str | None:
    """The path of an rx.redirect among the returned events, if any."""
    for ev in events if isinstance(events, list) else [events]:
        if ev is None:
            continue
        for name, value in getattr(ev, "args", ()):
            if getattr(name, "_js_expr", "") == "path":
                return getattr(value, "_var_value", None)
    return None
