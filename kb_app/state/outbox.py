"""State of the admin page "Utskick": one page of outbox rows, a status filter,
the mail being read, and "Försök igen nu"."""

from __future__ import annotations

import asyncio

import reflex as rx

from kb_app.dbtypes import utcnow
from kb_app.domain.access import Page
from kb_app.errors import AccessDenied
from kb_app.services.mail import mailer, outbox_admin
from kb_app.state.base import AppState


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

    async def _refresh(self, actor) -> None:
        status = self.status_filter if self.status_filter in outbox_admin.FILTERS else "all"
        self.rows = await asyncio.to_thread(outbox_admin.list_rows, actor, status, now=utcnow())
        self.counts = await asyncio.to_thread(outbox_admin.counts, actor)
        self.smtp_configured = outbox_admin.smtp_configured()

    @rx.event
    async def load(self):
        self.notice, self.dialog_open, self.error_message = "", False, ""
        actor, events = await self.guard(Page.ADMIN)
        if actor is None:
            self.rows, self.counts = [], dict.fromkeys(outbox_admin.FILTERS, 0)
            return events
        try:
            await self._refresh(actor)
        except Exception as exc:  # noqa: BLE001
            self.fail(exc)

    @rx.event
    async def set_filter(self, status: str):
        actor = await self.actor()
        if actor is None:
            return rx.redirect("/logga-in")
        self.status_filter = status if status in outbox_admin.FILTERS else "all"
        self.notice = ""
        try:
            await self._refresh(actor)
        except AccessDenied:
            self.rows = []
        except Exception as exc:  # noqa: BLE001
            self.fail(exc)

    @rx.event
    async def refresh(self):
        actor = await self.actor()
        if actor is None:
            return rx.redirect("/logga-in")
        self.notice = ""
        try:
            await self._refresh(actor)
        except AccessDenied:
            self.rows = []
        except Exception as exc:  # noqa: BLE001
            self.fail(exc)

    @rx.event
    async def retry(self, row_id: str):
        actor = await self.actor()
        if actor is None:
            return rx.redirect("/logga-in")
        try:
            outbox_id = int(row_id)
        except (TypeError, ValueError):
            return
        try:
            now = utcnow()
            ok = await asyncio.to_thread(outbox_admin.retry_now, actor, outbox_id, now=now)
            if not ok:
                self.notice, self.notice_ok = (
                    "Meddelandet kan inte skickas om just nu (det är redan skickat eller "
                    "skickas i detta ögonblick).",
                    False,
                )
            elif not outbox_admin.smtp_configured():
                self.notice, self.notice_ok = (
                    "Meddelandet står först i kön. Det skickas när e-post (SMTP) är konfigurerad.",
                    True,
                )
            else:
                summary = await asyncio.to_thread(mailer.send_due, now=now, ids=[outbox_id])
                if summary.sent:
                    self.notice, self.notice_ok = "Meddelandet är skickat.", True
                else:
                    self.notice, self.notice_ok = (
                        "Meddelandet kunde inte skickas nu. Se felet i tabellen; "
                        "nya försök görs automatiskt.",
                        False,
                    )
            await self._refresh(actor)
        except AccessDenied:
            self.rows = []
            self.error_message = AccessDenied.message
        except Exception as exc:  # noqa: BLE001
            self.fail(exc)

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
