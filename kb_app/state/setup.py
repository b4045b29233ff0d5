"""``/kom-igang``: the first start of an installation without an organisation.

The form carries the one-time setup code printed in the server log; nothing is
kept in the state but the field errors and the outcome (never the password).
"""

from __future__ import annotations

import asyncio

import reflex as rx

from kb_app import routes
from kb_app.dbtypes import utcnow
from kb_app.errors import InvalidInput
from kb_app.services.admin import setup
from kb_app.state.base import AppState

FIELDS = ("code", "organisation", "name", "email", "password", "password2")


class SetupState(AppState):
    setup_errors: dict[str, str] = {}
    setup_done: bool = False
    admin_email: str = ""
    demo_note: str = ""
    submitting: bool = False

    @rx.event
    async def load(self):
        self.setup_errors, self.submitting = {}, False
        if not self.setup_done and not await asyncio.to_thread(setup.needs_setup):
            return rx.redirect(routes.LOGIN)
        self.page_status = "ok"

    @rx.event
    async def submit(self, form_data: dict):
        if self.setup_done:
            return
        values = {k: str(form_data.get(k, ""))[:300] for k in FIELDS}
        demo = bool(form_data.get("demo"))
        self.setup_errors = {}
        self.submitting = True
        yield
        try:
            email = await asyncio.to_thread(setup.complete, values, now=utcnow())
        except InvalidInput as exc:
            self.setup_errors = exc.errors
            self.submitting = False
            return
        except Exception as exc:  # noqa: BLE001 - logged with an id, shown in Swedish
            self._fail(exc)
            self.submitting = False
            return
        if demo:
            from kb_app.devdata import seed

            logins = await asyncio.to_thread(seed.seed_demo, now=utcnow())
            if logins:
                self.demo_note = (
                    "Demodata är skapad i en egen organisation, Exempelkommun. Logga in "
                    f"där som {logins[0].email} med lösenordet {logins[0].password}."
                )
        self.admin_email = email
        self.setup_done = True
        self.submitting = False
