"""State of the admin page "Utskick": one page of outbox rows, a status filter,
the mail being read, and "Försök igen nu"."""

from __future__ import annotations

import reflex as rx

from kb_app import routes
from kb_app.dbtypes import utcnow
from kb_app.domain.access import Page
from kb_app.errors import AccessDenied
from kb_app.services.mail import mailer, outbox_admin
from kb_app.state.base import AppState


def _listing(actor, status: str, *, now) -> tuple[list[dict[str, str]], dict[str, int]]:
    return outbox_admin.list_rows(actor, status, now=now), outbox_admin.counts(actor)


def _retry(actor, outbox_id: int, *, now) -> tuple[str, bool]:
    """Put one mail first in the queue and, with SMTP set up, send it: the notice."""
    if not outbox_admin.retry_now(actor, outbox_id, now=now):
        return (
            "Meddelandet kan inte skickas om just nu (det är redan skickat eller "
            "skickas i detta ögonblick).",
            False,
        )
    if not outbox_admin.smtp_configured():
        return "Meddelandet står först i kön. Det skickas när e-post (SMTP) är konfigurerad.", True
    if mailer.send_due(now=now, ids=[outbox_id]).sent:
        return "Meddelandet är skickat.", True
    return (
        "Meddelandet kunde inte skickas nu. Se felet i tabellen; nya försök görs automatiskt.",
        False,
    )


class OutboxState(AppState):
    rows: list[dict[str, str]] = []
    counts: dict[str, int] = dict.fromkeys(outbox_admin.FILTERS, 0)
    status_filter: str = "all"
    smtp_configured: bool = True
    notice: str = ""
    notice_ok: bool = True
    # the mail being read in the dialog
    open_subject: str = ""
    open_to: str = ""
    open_body: str = ""
    open_message_id: str = ""
    dialog_open: bool = False

    async def _refresh(self, actor, denied=None) -> bool:
        status = self.status_filter if self.status_filter in outbox_admin.FILTERS else "all"
        called = await self._call_service(
            _listing, status, now=utcnow(), actor=actor, denied=denied
        )
        if called.ok:
            self.rows, self.counts = called.value
            self.smtp_configured = outbox_admin.smtp_configured()
        return called.ok

    def _no_rows(self, _exc: AccessDenied) -> None:
        self.rows = []

    @rx.event
    async def load(self):
        self.notice, self.dialog_open, self.error_message = "", False, ""
        actor, events = await self._guard(Page.ADMIN)
        if actor is None:
            self.rows, self.counts = [], dict.fromkeys(outbox_admin.FILTERS, 0)
            return events
        await self._refresh(actor)

    @rx.event
    async def set_filter(self, status: str):
        actor = await self._actor()
        if actor is None:
            return rx.redirect(routes.LOGIN)
        self.status_filter = status if status in outbox_admin.FILTERS else "all"
        self.notice = ""
        await self._refresh(actor, denied=self._no_rows)

    @rx.event
    async def refresh(self):
        actor = await self._actor()
        if actor is None:
            return rx.redirect(routes.LOGIN)
        self.notice = ""
        await self._refresh(actor, denied=self._no_rows)

    def _retry_denied(self, _exc: AccessDenied) -> None:
        self.rows = []
        self.error_message = AccessDenied.message

    @rx.event
    async def retry(self, row_id: str):
        actor = await self._actor()
        if actor is None:
            return rx.redirect(routes.LOGIN)
        try:
            outbox_id = int(row_id)
        except (TypeError, ValueError):
            return
        called = await self._call_service(
            _retry, outbox_id, now=utcnow(), actor=actor, denied=self._retry_denied
        )
        if not called.ok:
            return
        self.notice, self.notice_ok = called.value
        await self._refresh(actor, denied=self._retry_denied)

    @rx.event
    async def show(self, row_id: str):
        # Only rows already loaded for this admin (the server-side list) can be shown.
        for row in self.rows:
            if row["id"] == row_id:
                self.open_subject = row["subject"]
                self.open_to = row["to"]
                self.open_body = row["body"]
                self.open_message_id = row["message_id"]
                self.dialog_open = True
                return

    @rx.event
    async def set_dialog_open(self, value: bool):
        self.dialog_open = bool(value)
