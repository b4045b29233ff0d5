"""The state boundary: what every event passes before any handler runs.

A Reflex middleware (``App.add_middleware``); its ``preprocess`` runs inside the
event processor for every event of every connection, the hydrate included, with
the tab's state locked and before anything is sent. It

- binds the tab's state to the session behind its connection: when the session
  differs from the one the state was filled for (logout, expiry, another user's
  cookie, no cookie), every substate is reset to its defaults first, so a client
  token reused after logout or by someone else receives nothing of the old data;
- resets the public pages' states (``PER_CONNECTION``) on every new connection,
  so a reused token on a shared computer never shows the last reporter's receipt,
  supplement link or form;
- refuses ``setvar`` (Reflex's generic setter) and any handler of ours not defined
  in our own code (auto-setters), unless listed in ``ALLOWED_SETTERS``;
- checks the arguments against the handler's annotations (a list or dict where a
  string is expected, unknown or missing arguments) and refuses with a quiet log
  line, never a stack trace;
- cleans every string of what the transport or an XML export cannot carry
  (``domain.report.transport_safe``) and refuses values over the size caps with a
  Swedish message instead of a closed socket.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import inspect
import logging
import time
import types
import typing
from typing import Any

from reflex.middleware import Middleware
from reflex.state import State, StateUpdate
from reflex_base.event import Event

from kb_app.dbtypes import utcnow
from kb_app.domain.report import transport_safe
from kb_app.services.admin import auth
from kb_app.state.base import SESSION_COOKIE, AppState, cookie_value

log = logging.getLogger("kb_app.boundary")

# One string argument may hold at most this many characters, all strings of one
# event together at most TOTAL_MAX (the longest form field is 10 000 characters).
STRING_MAX = 200_000
TOTAL_MAX = 1_000_000
# The socket accepts messages this large, so an over-long value reaches the checks
# here (and gets a message) instead of closing the connection (rxconfig.py).
SOCKET_BUFFER = 4 * 1024 * 1024

MSG_TOO_LARGE = (
    "Texten är för lång för att skickas (högst 200 000 tecken i ett fält). "
    "Inget har sparats. Korta texten och försök igen."
)
MSG_REFUSED = "Begäran kunde inte behandlas. Ladda om sidan och försök igen."

# Fully qualified handler names of generic setters a page may use (none today).
ALLOWED_SETTERS: frozenset[str] = frozenset()


def _per_connection() -> frozenset[type]:
    # Imported here: the public pages' states import this module's neighbours.
    from kb_app.state.invite import ForgotPasswordState, SetPasswordState
    from kb_app.state.report import ReportState, SupplementState
    from kb_app.state.second_factor import SecondFactorState
    from kb_app.state.setup import SetupState

    return frozenset(
        {
            ReportState,
            SupplementState,
            SetPasswordState,
            ForgotPasswordState,
            SecondFactorState,
            SetupState,
        }
    )


def binding_key(cookie_token: str | None) -> str:
    """What a state is bound to for a live session's cookie (never the token
    itself, so the state at rest holds nothing usable)."""
    if not cookie_token:
        return ""
    return _binding_of(auth.token_hash(cookie_token))


@functools.lru_cache(maxsize=4096)
def _binding_of(stored_hash: str) -> str:
    return hashlib.sha256(b"kb-state-binding\0" + stored_hash.encode()).hexdigest()[:32]


async def current_binding(cookie_header: str) -> str:
    """The binding of the session behind a connection's cookie: "" when there is
    no cookie or its session has ended (logout, expiry, revoked)."""
    token = cookie_value(cookie_header, SESSION_COOKIE)
    if not token:
        return ""
    now = utcnow()
    actor = auth.cached_session(token, now=now)
    if actor is None:
        actor = await asyncio.to_thread(auth.resolve_session, token, now=now)
    return binding_key(token) if actor is not None else ""


def _all_app_states() -> list[type]:
    seen: list[type] = []
    todo = [AppState]
    while todo:
        cls = todo.pop()
        seen.append(cls)
        todo.extend(cls.get_substates())
    return seen


async def reset_all(root: Any) -> None:
    """Every substate of ``AppState`` back to its defaults, also those not loaded
    for this event (the Redis manager loads substates lazily)."""
    for cls in _all_app_states():
        await root.get_state(cls)
    (await root.get_state(AppState)).reset()


# ------------------------------------------------------------------ arguments


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)


def conforms(value: Any, tp: Any) -> bool:
    """Whether a JSON value fits an annotation (as Reflex converts it: a numeric
    string is accepted for an int or a float)."""
    if tp is Any or tp is inspect.Parameter.empty:
        return True
    if tp is None or tp is type(None):
        return value is None
    if _is_union(tp):
        return any(conforms(value, arg) for arg in typing.get_args(tp))
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        return value in typing.get_args(tp)
    if origin in (list, tuple, set, frozenset) or tp in (list, tuple, set, frozenset):
        if not isinstance(value, list):
            return False
        args = typing.get_args(tp)
        inner = args[0] if args else Any
        return all(conforms(v, inner) for v in value)
    if origin is dict or tp is dict:
        if not isinstance(value, dict):
            return False
        args = typing.get_args(tp)
        kt, vt = args if len(args) == 2 else (Any, Any)
        return all(conforms(k, kt) and conforms(v, vt) for k, v in value.items())
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        if isinstance(value, str):
            try:
                int(value)
            except ValueError:
                return False
            return True
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        if isinstance(value, str):
            try:
                float(value)
            except ValueError:
                return False
            return True
        return isinstance(value, int | float) and not isinstance(value, bool)
    if tp is str:
        return isinstance(value, str)
    if isinstance(tp, type):
        return isinstance(value, tp) or isinstance(value, dict | str)  # Reflex builds it
    return True


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


@functools.lru_cache(maxsize=1024)
def _signature(fn: Any) -> tuple[list[inspect.Parameter], dict[str, Any]] | None:
    """A handler's parameters (without self) and resolved annotations, once."""
    try:
        sig = inspect.signature(fn)
        hints = typing.get_type_hints(fn)
    except (TypeError, ValueError, NameError):
        return None
    return list(sig.parameters.values())[1:], hints


def check_arguments(fn: Any, payload: dict) -> str | None:
    """Why a payload does not fit a handler's signature, or None when it does."""
    found = _signature(fn)
    if found is None:
        return "signature"
    params, hints = found
    if any(p.kind is p.VAR_KEYWORD for p in params):
        known = None
    else:
        known = {p.name for p in params}
    if known is not None and set(payload) - known:
        return "unknown argument"
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name not in payload:
            if p.default is p.empty:
                return f"missing {p.name}"
            continue
        value = payload[p.name]
        tp = hints.get(p.name, inspect.Parameter.empty)
        if tp is inspect.Parameter.empty:
            if not _scalar(value):
                return f"{p.name}: {type(value).__name__}"
        elif not conforms(value, tp):
            return f"{p.name}: {type(value).__name__}"
    return None


def _clean(value: Any, budget: list[int]) -> Any:
    """Strings made transport-safe, recursively; ``budget`` counts characters and
    raises OverflowError past the caps."""
    if isinstance(value, str):
        if len(value) > STRING_MAX:
            raise OverflowError
        budget[0] += len(value)
        if budget[0] > TOTAL_MAX:
            raise OverflowError
        return transport_safe(value)
    if isinstance(value, list):
        return [_clean(v, budget) for v in value]
    if isinstance(value, dict):
        return {_clean(k, budget): _clean(v, budget) for k, v in value.items()}
    return value


def _handler(event_name: str) -> tuple[type | None, Any]:
    path, _, name = event_name.rpartition(".")
    try:
        cls = State.get_class_substate(path) if path != State.get_full_name() else State
    except ValueError:
        return None, None
    handler = cls.event_handlers.get(name)
    return cls, handler


def _ours(cls: type) -> bool:
    return isinstance(cls, type) and issubclass(cls, AppState)


class StateBoundary(Middleware):
    """See the module's docstring."""

    async def preprocess(self, app: Any, state: Any, event: Event) -> StateUpdate | None:
        root = state._get_root_state()
        app_state = await root.get_state(AppState)

        # 1. The session: reset everything before anything is sent.
        # The root's router vars, not ``router`` (a RouterData assembled per access).
        binding = await current_binding(root.rx_router_headers.cookie)
        if binding != app_state._bound_session:
            if app_state._bound_session or app_state._bound_connection:
                log.info("state of a tab reset: its session changed")
            await reset_all(root)
            app_state._bound_session = binding

        # 2. The connection: public pages start empty on every connection.
        sid = root.rx_router_session.session_id
        if sid != app_state._bound_connection:
            for cls in _per_connection():
                (await root.get_state(cls)).reset()
            app_state._bound_connection = sid

        # 3. Which handler, with which arguments.
        cls, handler = _handler(event.name)
        if handler is None:
            return None  # Reflex answers an unknown event itself
        name = event.name.rpartition(".")[2]
        if _ours(cls):
            defined_here = getattr(handler.fn, "__module__", "").startswith("kb_app.")
            if (name == "setvar" or not defined_here) and event.name not in ALLOWED_SETTERS:
                log.warning("refused event %s: generic setter", name)
                return await self._refuse(root, app_state, MSG_REFUSED)
        payload = event.payload if isinstance(event.payload, dict) else {}
        try:
            cleaned = _clean(payload, [0])
        except OverflowError:
            log.warning("refused event %s: value too large", name)
            return await self._refuse(root, app_state, MSG_TOO_LARGE)
        why = check_arguments(handler.fn, cleaned)
        if why is not None:
            log.warning("refused event %s: %s", name, transport_safe(why)[:80])
            return await self._refuse(root, app_state, MSG_REFUSED if _ours(cls) else None)
        if isinstance(event.payload, dict):
            event.payload.clear()
            event.payload.update(cleaned)
        return None

    @staticmethod
    async def _refuse(root: Any, app_state: Any, message: str | None) -> StateUpdate:
        """The event is dropped; the user sees ``message`` (and any reset above)."""
        if message is not None:
            app_state.error_message = message
        delta = await root._get_resolved_delta()
        root._clean()
        return StateUpdate(delta=delta, events=[])


def private_states_dir() -> None:
    """Reflex's folder of client states (``.states``) 0700 and its files 0600, also
    when an earlier run created them readable by others."""
    from reflex.utils import prerequisites

    from kb_app.settings import private_dir

    folder = prerequisites.get_states_dir().absolute()
    private_dir(folder)
    for path in folder.glob("*.pkl"):
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)


PURGE_INTERVAL_SECONDS = 60.0


def throttle_state_purge(interval: float = PURGE_INTERVAL_SECONDS) -> None:
    """Reflex's disk state manager looks at every file in ``.states`` (a stat each)
    after every batch of state writes, to delete the expired ones: with a few
    thousand tabs that is most of a worker thread under load (py-spy, make bench).
    Doing it at most once a minute keeps the expiry (``KB_STATE_EXPIRY_MINUTES``,
    give or take that minute) and takes the work out of the event path."""
    from reflex.istate.manager.disk import StateManagerDisk

    original = StateManagerDisk._purge_expired_states
    if getattr(original, "kb_throttled", False):
        return

    def purge(self) -> None:
        now = time.monotonic()
        last = self.__dict__.get("_kb_last_purge")
        if last is not None and now - last < interval:
            return
        self.__dict__["_kb_last_purge"] = now
        original(self)

    purge.kb_throttled = True
    StateManagerDisk._purge_expired_states = purge
