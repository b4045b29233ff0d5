"""/satt-losenord/<token>: an invited user chooses a first password.

The form is a plain HTTP post to /auth/set-password (kb_app/api.py); this state
only tells the page whether the link is still valid and shows the last error.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from kb_app.dbtypes import utcnow
from kb_app.services.admin import auth
from kb_app.services.case import invites
from kb_app.state.base import AppState

ERRORS = {
    "ogiltig": invites.MSG_INVALID,
    "olika": invites.MSG_MISMATCH,
    "kort": f"Lösenordet måste ha minst {auth.PASSWORD_MIN} och högst {auth.PASSWORD_MAX} tecken.",
}


class SetPasswordState(AppState):
    link_valid: bool = False
    set_error: str = ""
    token_value: str = ""

    @rx.event
    async def load(self):
        path = self.router.url.path.rstrip("/")
        token = path.rsplit("/", 1)[-1] if path.startswith("/satt-losenord/") else ""
        self.set_error = ERRORS.get(self.router.url.query_parameters.get("fel", ""), "")
        self.link_valid = await asyncio.to_thread(invites.token_is_valid, token, now=utcnow())
        self.token_value = token if self.link_valid else ""
        self.page_status = "ok"
