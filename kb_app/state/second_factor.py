"""/tvastegsverifiering: the second factor after a right password.

The login post (kb_app/api.py) leaves a session that resolves to no user until
the second factor is done; these handlers read that session from the cookie,
check the code (services/admin/second_factor.py) and promote it. The cookie
stays the same, so no HTTP post is needed. Recovery codes are shown once, then
cleared from the state.
"""

from __future__ import annotations

import asyncio
import json

import reflex as rx

from kb_app import routes
from kb_app.dbtypes import utcnow
from kb_app.services.admin import passkeys as pk
from kb_app.services.admin import second_factor as mfa
from kb_app.state.base import SESSION_COOKIE, AppState, cookie_value

BROWSER_ERRORS = {
    "NotAllowedError": pk.MSG_CANCELLED,
    "AbortError": pk.MSG_CANCELLED,
    "InvalidStateError": pk.MSG_ALREADY,
    "SecurityError": pk.MSG_UNAVAILABLE,
    "unsupported": "Den här webbläsaren kan inte använda passkeys. Uppdatera den, eller "
    "använd autentiseringsappen.",
}


def passkey_script(kind: str, options: str) -> str:
    """The script that runs ``navigator.credentials.create`` or ``.get`` with the
    server's options (JSON from services/admin/passkeys.py, embedded as a string
    literal) and gives back the credential as JSON, or "error:<name>". The
    promise is awaited by Reflex and its value passed to the callback."""
    parse = "parseCreationOptionsFromJSON" if kind == "create" else "parseRequestOptionsFromJSON"
    return (
        "(async () => { try {"
        f" if (!window.PublicKeyCredential || !PublicKeyCredential.{parse})"
        " return 'error:unsupported';"
        f" const publicKey = PublicKeyCredential.{parse}(JSON.parse({json.dumps(options)}));"
        f" const credential = await navigator.credentials.{kind}({{ publicKey }});"
        " return credential ? JSON.stringify(credential.toJSON()) : 'error:NotAllowedError';"
        " } catch (e) { return 'error:' + ((e && e.name) || 'Error'); } })()"
    )


def browser_error(result) -> str:
    """A Swedish message for what the browser's script gave back, "" if it is a
    credential to check."""
    if not isinstance(result, str) or not result:
        return pk.MSG_NOT_ACCEPTED
    if result.startswith("error:"):
        return BROWSER_ERRORS.get(result[6:], pk.MSG_NOT_ACCEPTED)
    return ""


class SecondFactorState(AppState):
    stage: str = ""
    person: str = ""
    qr_data_uri: str = ""
    secret_text: str = ""
    code_error: str = ""
    recovery_codes: list[str] = []
    has_app: bool = False  # verifying: the code field is for the app's code
    has_passkey: bool = False  # verifying: "Använd passkey" is offered
    passkey_error: str = ""
    passkey_busy: bool = False
    _next_page: str = ""

    def _token(self) -> str | None:
        return cookie_value(self.router.headers.cookie, SESSION_COOKIE)

    def _clear(self) -> None:
        self.stage = self.person = self.qr_data_uri = self.secret_text = self.code_error = ""
        self.recovery_codes = []
        self.has_app = self.has_passkey = self.passkey_busy = False
        self.passkey_error = ""
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
        self.has_app, self.has_passkey = pending.has_app, pending.has_passkey
        self.page_status = "ok"
        return None

    @rx.event
    async def submit_code(self, form_data: dict):
        code = str((form_data or {}).get("code", ""))[:40]
        fn = mfa.confirm_enrolment if self.stage == mfa.ENROL else mfa.verify
        outcome = await asyncio.to_thread(
            fn, self._token(), code, now=utcnow(), client=self.router.session.client_ip or ""
        )
        return self._after(outcome)

    def _after(self, outcome: mfa.Outcome, *, passkey: bool = False):
        if outcome.restart:
            self._clear()
            return rx.redirect(routes.LOGIN + "?fel=tvasteg")
        if not outcome.ok:
            if passkey:
                self.passkey_error = outcome.message
            else:
                self.code_error = outcome.message
            return None
        if outcome.recovery_codes:  # enrolled: show the codes once, then go on
            self.code_error = self.qr_data_uri = self.secret_text = self.passkey_error = ""
            self.recovery_codes = outcome.recovery_codes
            self._next_page = outcome.start_page
            return None
        target = outcome.start_page
        self._clear()
        return rx.redirect(target)

    @rx.event
    async def use_passkey(self):
        """ "Använd passkey" (verifying) or "Använd en passkey i stället" (enrolling):
        the browser asks the authenticator with a challenge drawn now."""
        self.passkey_error = self.code_error = ""
        enrolling = self.stage == mfa.ENROL
        fn = pk.enrolment_options if enrolling else pk.login_options
        begun = await asyncio.to_thread(fn, self._token(), now=utcnow())
        if begun.error == mfa.MSG_EXPIRED:
            self._clear()
            return rx.redirect(routes.LOGIN + "?fel=tvasteg")
        if begun.error:
            self.passkey_error = begun.error
            return None
        self.passkey_busy = True
        return rx.call_script(
            passkey_script("create" if enrolling else "get", begun.options),
            callback=SecondFactorState.passkey_done,
        )

    @rx.event
    async def passkey_done(self, result: str):
        """The browser's answer (the credential as JSON, or "error:<name>")."""
        self.passkey_busy = False
        problem = browser_error(result)
        if problem:
            self.passkey_error = problem
            return None
        fn = pk.confirm_enrolment if self.stage == mfa.ENROL else pk.verify
        outcome = await asyncio.to_thread(
            fn, self._token(), result, now=utcnow(), client=self.router.session.client_ip or ""
        )
        return self._after(outcome, passkey=True)

    @rx.event
    def finish(self):
        """ "Jag har sparat koderna": the codes leave the state, the login goes on."""
        target = self._next_page or routes.START
        self._clear()
        return rx.redirect(target)
