"""/satt-losenord/<token>: an invited user chooses a first password, or a user
who forgot theirs chooses a new one; /glomt-losenord asks for such a link.

The form is a plain HTTP post to /auth/set-password (kb_app/api.py); this state
only tells the page whether the link is still valid and shows the last error.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from kb_app.dbtypes import utcnow
from kb_app.services.admin import account, auth
from kb_app.services.case import invites
from kb_app.state.base import AppState

ERRORS = {
    "ogiltig": invites.MSG_INVALID,
    "olika": invites.MSG_MISMATCH,
    "kort": f"Lösenordet måste ha minst {auth.PASSWORD_MIN} och högst {auth.PASSWORD_MAX} tecken.",
    "svagt": account.MSG_WEAK,
}


class SetPasswordState(AppState):
    link_valid: bool = False
    set_error: str = ""
    token_value: str = ""
    is_reset: bool = False

    @rx.event
    async def load(self):
        path = self.router.url.path.rstrip("/")
        token = path.rsplit("/", 1)[-1] if path.startswith("/satt-losenord/") else ""
        self.set_error = ERRORS.get(self.router.url.query_parameters.get("fel", ""), "")
        purpose = await asyncio.to_thread(invites.token_purpose, token, now=utcnow())
        self.link_valid = purpose is not None
        self.is_reset = purpose == account.RESET_PURPOSE
        self.token_value = token if self.link_valid else ""
        self.page_status = "ok"


class ForgotPasswordState(AppState):
    """/glomt-losenord: the form posts to /auth/forgot-password; this says it was sent."""

    sent_message: str = ""

    @rx.event
    async def load(self):
        sent = self.router.url.query_parameters.get("skickat")
        self.sent_message = account.RESET_ANSWER if sent else ""
        self.page_status = "ok"
