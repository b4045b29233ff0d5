"""/tvastegsverifiering: the second factor after a right password.

The login post (kb_app/api.py) leaves a session that resolves to no user until
the second factor is done; these handlers read that session from the cookie,
check the code (services/admin/second_factor.py) and promote it. The cookie
stays the same, so no HTTP post is needed. Recovery codes are shown once, then
cleared from the state.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from kb_app import routes
from kb_app.dbtypes import utcnow
from kb_app.services.admin import second_factor as mfa
from kb_app.state.base import SESSION_COOKIE, AppState, cookie_value


class SecondFactorState(AppState):
    stage: str = ""
    person: str = ""
    qr_data_uri: str = ""
    secret_text: str = ""
    code_error: str = ""
    recovery_codes: list[str] = []
    _next_page: str = ""

    def _token(self) -> str | None:
        return cookie_value(self.router.headers.cookie, SESSION_COOKIE)

    def _clear(self) -> None:
        self.stage = self.person = self.qr_data_uri = self.secret_text = self.code_error = ""
        self.recovery_codes = []
        self._next_page = ""

    @rx.event
    async def load(self):
        """on_load of both pages: the half-done login behind the cookie, if any."""
        self._clear()
        pending = await asyncio.to_thread(mfa.pending, self._token(), now=utcnow())
        if pending is None:
            return rx.redirect(routes.LOGIN)
        wanted = routes.SECOND_FACTOR_ENROL if pending.stage == mfa.ENROL else routes.SECOND_FACTOR
        if self.router.url.path.rstrip("/") != wanted:
            return rx.redirect(wanted)
        self.stage = pending.stage
        self.person = f"{pending.name} ({pending.email})"
        self.qr_data_uri = pending.qr_data_uri
        self.secret_text = pending.secret
        self.page_status = "ok"
        return None

    @rx.event
    async def submit_code(self, form_data: dict):
        code = str((form_data or {}).get("code", ""))[:40]
        fn = mfa.confirm_enrolment if self.stage == mfa.ENROL else mfa.verify
        outcome = await asyncio.to_thread(
            fn, self._token(), code, now=utcnow(), client=self.router.session.client_ip or ""
        )
        if outcome.restart:
            self._clear()
            return rx.redirect(routes.LOGIN + "?fel=tvasteg")
        if not outcome.ok:
            self.code_error = outcome.message
            return None
        if outcome.recovery_codes:  # enrolled: show the codes once, then go on
            self.code_error = self.qr_data_uri = self.secret_text = ""
            self.recovery_codes = outcome.recovery_codes
            self._next_page = outcome.start_page
            return None
        target = outcome.start_page
        self._clear()
        return rx.redirect(target)

    @rx.event
    def finish(self):
        """ "Jag har sparat koderna": the codes leave the state, the login goes on."""
        target = self._next_page or routes.START
        self._clear()
        return rx.redirect(target)
