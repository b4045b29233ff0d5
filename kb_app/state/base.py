"""The base state: who is asking, resolved from the HttpOnly session cookie.

The cookie of the websocket handshake is readable here as
``self.router.headers.cookie`` and is never sent to the browser. Every handler that
touches data calls ``self._actor()`` (or ``self._call_service``) and asks
``domain.access``; nothing is trusted from the client.

In Reflex every public method of a state class is an event handler any client may
call over the websocket: the helpers here start with ``_``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import Any, Generic, TypeVar

import reflex as rx

from kb_app import routes
from kb_app.dbtypes import utcnow
from kb_app.domain.access import Actor, Page, may_use_page, start_page
from kb_app.domain.vocab import ROLE_LABELS, Role
from kb_app.errors import AccessDenied, InvalidInput
from kb_app.services.admin import auth
from kb_app.settings import get_settings

log = logging.getLogger("kb_app")

SESSION_COOKIE = "kb_session"

T = TypeVar("T")

_RESOLVE = object()  # _call_service: resolve the actor from the session cookie
_UNSET = object()  # _set: the var is not stored on this state


@dataclass(frozen=True)
class Called(Generic[T]):
    """What ``AppState._call_service`` did: ``ok`` with the service's ``value``, or
    not, with the ``events`` the handler returns (a redirect to login, or none)."""

    ok: bool
    value: T | None = None
    events: list = field(default_factory=list)


@functools.lru_cache(maxsize=2048)
def cookie_value(header: str, name: str) -> str | None:
    """One cookie of a Cookie header (parsed once per header: every event of a
    tab carries the same one)."""
    jar = SimpleCookie()
    try:
        jar.load(header or "")
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


class AppState(rx.State):
    """Shared by every page: the signed-in user's name and navigation."""

    user_name: str = ""
    user_role_label: str = ""
    nav_overview: bool = False
    nav_my_cases: bool = False
    nav_statistics: bool = False
    nav_admin: bool = False
    nav_settings: bool = False
    nav_report_links: bool = False
    nav_gallring: bool = False
    # "loading" until the page's on_load has decided; then "ok" or "forbidden"
    page_status: str = "loading"
    error_message: str = ""
    # Shown instead of the generic text when page_status is "forbidden"
    forbidden_message: str = ""
    # The state boundary (state/boundary.py): the session (a derived key, never the
    # token) and the connection this tab's state was filled for.
    _bound_session: str = ""
    _bound_connection: str = ""

    def _set(self, name: str, value) -> None:
        """Assign only a changed value, so unchanged vars are not sent again."""
        # The stored value itself where this state holds it: reading the var
        # would wrap a list or dict in a MutableProxy first, only to compare it.
        state = getattr(self, "__wrapped__", self)  # a StateProxy in a background task
        current = state.__dict__.get(name, _UNSET)
        if current is _UNSET:
            current = getattr(self, name)
        if current != value:
            setattr(self, name, value)

    # ``self.router`` assembles a new RouterData from the router vars on every
    # access (about 20 µs); the hot paths read the one var they need instead.
    def _cookie_header(self) -> str:
        return self.rx_router_headers.cookie

    def _client_token(self) -> str:
        return self.rx_router_session.client_token

    async def _actor(self) -> Actor | None:
        token = cookie_value(self._cookie_header(), SESSION_COOKIE)
        if not token:
            return None
        now = utcnow()
        # A session resolved moments ago is answered without a worker thread.
        cached = auth.cached_session(token, now=now)
        if cached is not None:
            return cached
        return await asyncio.to_thread(auth.resolve_session, token, now=now)

    def _show_user(self, actor: Actor) -> None:
        self._set("user_name", actor.name)
        roles = [ROLE_LABELS[r] for r in Role if r in actor.roles]
        self._set("user_role_label", ", ".join(roles))
        self._set("nav_overview", may_use_page(actor, Page.OVERVIEW))
        self._set("nav_my_cases", may_use_page(actor, Page.MY_CASES))
        self._set("nav_statistics", may_use_page(actor, Page.STATISTICS))
        self._set("nav_admin", may_use_page(actor, Page.ADMIN))
        self._set("nav_settings", may_use_page(actor, Page.SETTINGS))
        self._set("nav_report_links", may_use_page(actor, Page.REPORT_LINKS))
        self._set("nav_gallring", may_use_page(actor, Page.GALLRING))

    async def _guard(self, page: Page | None) -> tuple[Actor | None, list]:
        """Resolve the user for a page load.

        Returns the actor when the page may be shown, else None with the events
        to return (a redirect to login, or nothing when the page shows
        "saknar behörighet").
        """
        # Only what changes is assigned: a navigation between views of one page
        # sends none of these again (the handler does not yield, so no
        # intermediate "loading" would ever reach the browser).
        self._set("error_message", "")
        self._set("forbidden_message", "")
        try:
            actor = await self._actor()
        except BaseException:
            self._set("page_status", "loading")
            raise
        if actor is None:
            self._set("page_status", "loading")
            self._set("user_name", "")
            url = self.router.url
            here = url.path + (f"?{url.query}" if url.query else "")
            return None, [rx.redirect(routes.login_returning_to(here))]
        self._show_user(actor)
        if page is not None and not may_use_page(actor, page):
            self._set("page_status", "forbidden")
            log.info("user %s denied page %s", actor.user_id, page)
            return None, []
        self._set("page_status", "ok")
        return actor, []

    async def _call_service(
        self,
        fn: Callable[..., T],
        *args: Any,
        actor: Any = _RESOLVE,
        denied: Callable[[AccessDenied], Any] | None = None,
        invalid: Callable[[InvalidInput], Any] | None = None,
        signed_out: Callable[[], Any] | None = None,
        **kwargs: Any,
    ) -> Called[T]:
        """Call ``fn(actor, *args, **kwargs)`` off the event loop and turn what can go
        wrong into what the page shows.

        ``actor``: given (a page load has it from ``_guard``; None is passed on to
        the service), else resolved from the session cookie, and when nobody is
        signed in ``signed_out`` runs and the handler gets the redirect to login.
        ``AccessDenied`` and ``InvalidInput`` go to ``denied`` / ``invalid`` when
        given; anything else (those two included, without a callback) is an
        unexpected error, logged with an id (``_fail``).
        """
        if actor is _RESOLVE:
            actor = await self._actor()
            if actor is None:
                if signed_out is not None:
                    signed_out()
                return Called(False, events=[rx.redirect(routes.LOGIN)])
        try:
            value = await asyncio.to_thread(fn, actor, *args, **kwargs)
        except AccessDenied as exc:
            if denied is None:
                self._fail(exc)
            else:
                denied(exc)
            return Called(False)
        except InvalidInput as exc:
            if invalid is None:
                self._fail(exc)
            else:
                invalid(exc)
            return Called(False)
        except Exception as exc:  # noqa: BLE001 - logged with an id, shown in Swedish
            self._fail(exc)
            return Called(False)
        return Called(True, value)

    def _fail(self, exc: BaseException) -> None:
        """An unexpected error: log it with an id, show the user a short message."""
        error_id = uuid.uuid4().hex[:8]
        log.exception("error %s", error_id, exc_info=exc)
        self.error_message = (
            f"Något gick fel (fel-id {error_id}). Försök igen eller kontakta administratören."
        )


SSO_ERRORS = {
    "sso": "Inloggningen via organisationen kunde inte slutföras. Försök igen.",
    "sso-nere": "Organisationens inloggning svarar inte just nu. Försök igen om en stund, "
    "eller logga in med e-post och lösenord.",
    "sso-okand": "Du är inloggad hos din organisation, men har inget konto i Värna. "
    "Värna ger behörighet bara till den som har en roll i arbetet mot kränkande behandling. "
    "Kontakta Värnas administratör i din organisation om du behöver ett konto.",
    "sso-doman": "Din e-postadress hör inte till en domän som får logga in i Värna.",
    "sso-epost": "Organisationens inloggning gav ingen bekräftad e-postadress, så vi kan inte "
    "veta vem du är i Värna. Kontakta administratören.",
}


class LoginState(AppState):
    """The login page: shows the outcome of the last form post."""

    login_error: str = ""
    login_info: str = ""
    prefill_email: str = ""
    next_path: str = ""  # the page to return to after login (a local path or "")
    sso_name: str = ""  # "Logga in med …" when single sign-on is on
    sso_logout: bool = False  # after logging out of an SSO session: the provider's too

    @rx.event
    async def load(self):
        params = self.router.url.query_parameters
        code = params.get("fel", "")
        self.login_error = {
            "fel": auth.MSG_BAD_LOGIN,
            "last": auth.MSG_LOCKED,
            "paus": auth.MSG_THROTTLED,
            "tvasteg": "Inloggningen avbröts (för många felaktiga koder eller för lång tid). "
            "Logga in igen.",
            **SSO_ERRORS,
        }.get(code, "")
        settings = get_settings()
        self.sso_name = settings.oidc_name if settings.oidc_enabled else ""
        self.sso_logout = bool(self.sso_name) and params.get("sso") == "1"
        self.login_info = (
            "Du är utloggad."
            if params.get("utloggad")
            else "Ditt lösenord är sparat. Logga in med din e-postadress."
            if params.get("losenord")
            else ""
        )
        self.prefill_email = cookie_value(self.router.headers.cookie, "kb_login_email") or ""
        from kb_app.services.admin import setup

        if await asyncio.to_thread(setup.needs_setup):
            return rx.redirect(routes.SETUP)  # a fresh installation: first start
        self.next_path = routes.safe_next(params.get(routes.NEXT_PARAM, ""))
        if not code:
            actor = await self._actor()
            if actor is not None:
                return rx.redirect(self.next_path or start_page(actor))
        if params.get("utloggad"):
            # Logged out: the state boundary has already emptied this tab's state on
            # the server (its session ended); the browser forgets the tab's client
            # token and anything kept in sessionStorage (a report draft), so the next
            # page of this tab starts as a new one.
            return rx.call_script("window.sessionStorage.clear()")
