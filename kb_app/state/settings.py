"""States of "Inställningar" (the organisation's limits) and "Mitt konto" (the
signed-in user's notification choice)."""

from __future__ import annotations

import reflex as rx

from kb_app import routes
from kb_app.dbtypes import utcnow
from kb_app.domain.access import Page
from kb_app.errors import AccessDenied
from kb_app.services.admin import org_settings
from kb_app.state.base import AppState

MSG_DENIED = "Du saknar behörighet att ändra inställningarna."


class SettingsState(AppState):
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    saved_message: str = ""
    saving: bool = False
    # Changes when values are loaded from the server, so the (uncontrolled) inputs
    # show them; a failed save keeps what the user typed.
    form_key: int = 0

    @rx.event
    async def load(self):
        # (error_message lives on AppState and would otherwise follow the user here)
        self.errors, self.saved_message, self.saving, self.error_message = {}, "", False, ""
        actor, events = await self._guard(Page.SETTINGS)
        if actor is None:
            self.values = {}
            return events
        called = await self._call_service(org_settings.current_values, actor=actor)
        if called.ok:
            self.values = called.value
            self.form_key += 1

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


class AccountState(AppState):
    account_name: str = ""
    account_email: str = ""
    daily_digest: bool = False
    saved_message: str = ""

    @rx.event
    async def load(self):
        self.saved_message, self.error_message = "", ""
        actor, events = await self._guard(None)
        if actor is None:
            return events
        called = await self._call_service(org_settings.my_account, actor=actor)
        if not called.ok:
            return
        account = called.value
        self.account_name = str(account["name"])
        self.account_email = str(account["email"])
        self.daily_digest = bool(account["daily_digest"])

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
