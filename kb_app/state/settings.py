"""States of "Inställningar" (the organisation's limits) and "Mitt konto" (the
signed-in user's notification choice, password and sessions)."""

from __future__ import annotations

import reflex as rx

from kb_app import routes
from kb_app.dbtypes import utcnow
from kb_app.domain.access import Page
from kb_app.errors import AccessDenied
from kb_app.services.admin import account, auth, org_settings
from kb_app.services.admin import passkeys as pk
from kb_app.services.admin import second_factor as mfa
from kb_app.state.base import SESSION_COOKIE, AppState, cookie_value
from kb_app.state.second_factor import browser_error, passkey_script

MSG_DENIED = "Du saknar behörighet att ändra inställningarna."


class SettingsState(AppState):
    general: dict[str, str] = {}
    general_errors: dict[str, str] = {}
    general_message: str = ""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    saved_message: str = ""
    saving: bool = False
    # Changes when values are loaded from the server, so the (uncontrolled) inputs
    # show them; a failed save keeps what the user typed.
    form_key: int = 0
    # Roles that must use a second factor (vocab.Role values), and its notice
    second_factor: list[str] = []
    second_factor_message: str = ""

    @rx.event
    async def load(self):
        # (error_message lives on AppState and would otherwise follow the user here)
        self.errors, self.saved_message, self.saving, self.error_message = {}, "", False, ""
        actor, events = await self._guard(Page.SETTINGS)
        if actor is None:
            self.values = {}
            return events
        self.general_errors, self.general_message = {}, ""
        self.second_factor_message = ""
        called = await self._call_service(org_settings.current_values, actor=actor)
        if called.ok:
            self.values = called.value
            self.form_key += 1
        called = await self._call_service(org_settings.general_values, actor=actor)
        if called.ok:
            self.general = called.value

    @rx.event
    async def save_general(self, form_data: dict):
        """Retention and the sender name."""
        actor = await self._actor()
        if actor is None:
            return rx.redirect(routes.LOGIN)
        values = {
            "retention_years": str(form_data.get("retention_years", ""))[:20],
            "retention_action": str(form_data.get("retention_action", ""))[:20],
            "sender_name": str(form_data.get("sender_name", ""))[:200],
        }
        self.general_message, self.error_message, self.general_errors = "", "", {}
        called = await self._call_service(
            org_settings.save_general, values, now=utcnow(), actor=actor, denied=self._save_denied
        )
        if not called.ok:
            return
        if called.value.ok:
            self.general_message = "Inställningarna är sparade."
            called = await self._call_service(org_settings.general_values, actor=actor)
            if called.ok:
                self.general = called.value
        else:
            self.general_errors = called.value.errors
        called = await self._call_service(org_settings.second_factor_roles, actor=actor)
        if called.ok:
            self.second_factor = called.value

    @rx.event
    async def save_second_factor(self, form_data: dict):
        """The checkboxes of "Tvåstegsverifiering" (names ``mfa_<role>``)."""
        chosen = [
            str(role)
            for role in org_settings.SECOND_FACTOR_CHOICES
            if (form_data or {}).get(f"mfa_{role}") in ("on", True, "true")
        ]
        self.second_factor_message = ""
        called = await self._call_service(
            org_settings.save_second_factor_roles,
            chosen,
            now=utcnow(),
            denied=self._save_denied,
        )
        if called.ok:
            self.second_factor = called.value
            self.second_factor_message = (
                "Sparat. Ändringen gäller från varje användares nästa inloggning."
            )

    def _save_denied(self, _exc: AccessDenied) -> None:
        self.error_message = MSG_DENIED

    @rx.event
    async def save(self, form_data: dict):
        actor = await self._actor()
        if actor is None:
            yield rx.redirect(routes.LOGIN)
            return
        values = {name: str(form_data.get(name, ""))[:20] for name in org_settings.FIELD_NAMES}
        self.values = values
        self.saved_message = ""
        self.error_message = ""
        self.saving = True
        yield
        called = await self._call_service(
            org_settings.save, values, now=utcnow(), actor=actor, denied=self._save_denied
        )
        self.saving = False
        if not called.ok:
            return
        result = called.value
        self.errors = result.errors
        if result.ok:
            n = result.recomputed
            self.saved_message = "Tidsgränserna är sparade. " + (
                f"Förfallodagen har räknats om för {n} öppna ärenden."
                if n != 1
                else "Förfallodagen har räknats om för 1 öppet ärende."
            )
        else:
            self.error_message = "Kontrollera de markerade fälten."


PASSWORD_ERRORS = {
    "nuvarande": account.MSG_WRONG_CURRENT,
    "olika": account.MSG_MISMATCH,
    "svagt": account.MSG_WEAK,
    "samma": account.MSG_SAME,
    "kort": f"Lösenordet måste ha minst {auth.PASSWORD_MIN} och högst {auth.PASSWORD_MAX} tecken.",
}


def _session_dicts(rows: list[account.SessionRow]) -> list[dict[str, str]]:
    return [
        {
            "id": str(r.id),
            "started": r.started,
            "last_seen": r.last_seen,
            "client": r.client,
            "device": r.device,
            "current": "1" if r.current else "",
        }
        for r in rows
    ]


class AccountState(AppState):
    account_name: str = ""
    account_email: str = ""
    daily_digest: bool = False
    saved_message: str = ""
    password_error: str = ""
    password_message: str = ""
    sessions: list[dict[str, str]] = []
    sessions_message: str = ""
    has_app: bool = False  # an authenticator app (second factor) is set up
    recovery_left: int = 0
    new_codes: list[str] = []  # shown once, right after they were made
    passkeys: list[dict[str, str]] = []  # id, name, created, last_used
    passkey_error: str = ""  # beside the name field
    passkey_message: str = ""
    passkey_busy: bool = False
    passkey_form_key: int = 0  # changes after a passkey is added: the name field empties
    _passkey_name: str = ""  # the name typed for the ceremony under way

    def _token(self) -> str | None:
        return cookie_value(self.router.headers.cookie, SESSION_COOKIE)

    async def _load_sessions(self, actor) -> None:
        called = await self._call_service(
            account.my_sessions, self._token(), now=utcnow(), actor=actor
        )
        if called.ok:
            self.sessions = _session_dicts(called.value)

    @rx.event
    async def load(self):
        self.saved_message, self.error_message, self.sessions_message = "", "", ""
        params = self.router.url.query_parameters
        self.password_error = PASSWORD_ERRORS.get(params.get("fel", ""), "")
        self.password_message = (
            "Ditt lösenord är bytt. Du har loggats ut på alla andra enheter."
            if params.get("losenord") == "andrat"
            else ""
        )
        actor, events = await self._guard(None)
        if actor is None:
            self.sessions = []
            return events
        await self._load_sessions(actor)
        self.new_codes = []
        self.passkey_error = self.passkey_message = ""
        self.passkey_busy = False
        called = await self._call_service(mfa.status, actor=actor)
        if called.ok:
            self.has_app, self.recovery_left = called.value
        await self._load_passkeys(actor)
        called = await self._call_service(org_settings.my_account, actor=actor)
        if not called.ok:
            return
        account = called.value
        self.account_name = str(account["name"])
        self.account_email = str(account["email"])
        self.daily_digest = bool(account["daily_digest"])

    async def _load_passkeys(self, actor=None) -> None:
        called = await self._call_service(
            pk.my_passkeys, **({} if actor is None else {"actor": actor})
        )
        if called.ok:
            self.passkeys = [
                {"id": str(k.id), "name": k.name, "created": k.created, "last_used": k.last_used}
                for k in called.value
            ]

    @rx.event
    async def add_passkey(self, form_data: dict):
        """ "Lägg till passkey": the browser makes one with a challenge drawn now."""
        name = str((form_data or {}).get("passkey_name", ""))[: pk.NAME_MAX * 4]
        self.passkey_error = self.passkey_message = ""
        called = await self._call_service(pk.begin_registration, self._token(), name, now=utcnow())
        if not called.ok:
            return called.events or None
        if called.value.error:
            self.passkey_error = called.value.error
            return None
        self._passkey_name = name
        self.passkey_busy = True
        return rx.call_script(
            passkey_script("create", called.value.options), callback=AccountState.passkey_created
        )

    @rx.event
    async def passkey_created(self, result: str):
        """The browser's answer to "Lägg till passkey"."""
        self.passkey_busy = False
        problem = browser_error(result)
        if problem:
            self.passkey_error = problem
            return None
        called = await self._call_service(
            pk.finish_registration, self._token(), result, self._passkey_name, now=utcnow()
        )
        if not called.ok:
            return called.events or None
        if called.value.error:
            self.passkey_error = called.value.error
            return None
        self._passkey_name = ""
        self.passkey_form_key += 1
        self.passkey_message = "Passkeyn är tillagd. Nästa gång du loggar in kan du använda den."
        if called.value.recovery_codes:
            self.new_codes = called.value.recovery_codes
            self.recovery_left = len(called.value.recovery_codes)
        await self._load_passkeys()
        return None

    @rx.event
    async def remove_passkey(self, passkey_id: str):
        if not isinstance(passkey_id, str) or not passkey_id.isdigit():
            return None
        self.passkey_error = self.passkey_message = ""
        called = await self._call_service(
            pk.remove, int(passkey_id), now=utcnow(), client=self.router.session.client_ip or ""
        )
        if not called.ok:
            return called.events or None
        if called.value:
            self.passkey_error = called.value
        else:
            self.passkey_message = "Passkeyn är borttagen."
        await self._load_passkeys()
        return None

    @rx.event
    async def start_enrolment(self):
        """ "Aktivera tvåstegsverifiering": this session waits for the app's first code."""
        called = await self._call_service(mfa.start_enrolment, self._token(), now=utcnow())
        if called.ok and called.value:
            return rx.redirect(routes.SECOND_FACTOR_ENROL)
        return called.events or None

    @rx.event
    async def renew_codes(self):
        called = await self._call_service(mfa.new_recovery_codes_for, self._token(), now=utcnow())
        if not called.ok:
            return called.events or None
        if called.value:
            self.new_codes = called.value
            self.recovery_left = len(called.value)
        return None

    @rx.event
    def hide_codes(self):
        self.new_codes = []

    @rx.event
    async def set_daily_digest(self, enabled: bool):
        called = await self._call_service(org_settings.set_daily_digest, bool(enabled))
        if not called.ok:
            return called.events or None
        self.daily_digest = bool(enabled)
        self.saved_message = (
            "Sparat. Du får en daglig sammanfattning i stället för en påminnelse per ärende."
            if enabled
            else "Sparat. Du får en påminnelse per ärende när ett steg är försenat."
        )

    async def _end(self, session_id: int | None):
        actor = await self._actor()
        if actor is None:
            return rx.redirect(routes.LOGIN)
        called = await self._call_service(
            account.end_session, session_id, self._token(), now=utcnow(), actor=actor
        )
        if called.ok:
            n = called.value
            self.sessions_message = (
                "Inloggningen är avslutad."
                if session_id is not None and n
                else f"{n} andra inloggningar är avslutade."
                if n != 1
                else "1 annan inloggning är avslutad."
            )
        await self._load_sessions(actor)

    @rx.event
    async def end_session(self, session_id: str):
        """End one of the user's own sessions (the id from the list)."""
        if not isinstance(session_id, str) or not session_id.isdigit():
            return
        return await self._end(int(session_id))

    @rx.event
    async def end_other_sessions(self):
        return await self._end(None)
