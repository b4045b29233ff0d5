"""``/anmalningslankar``: admins and principals see, copy and rotate their units' links."""

from __future__ import annotations

import asyncio

import reflex as rx

from kb_app.dbtypes import utcnow
from kb_app.domain.access import Page
from kb_app.errors import AccessDenied
from kb_app.services.reporting import report_links
from kb_app.state.base import AppState


class ReportLinksState(AppState):
    rows: list[dict[str, str]] = []
    notice: str = ""

    @rx.event
    async def load(self):
        self.notice = ""
        actor, events = await self.guard(Page.REPORT_LINKS)
        if actor is None:
            self.rows = []
            return events
        try:
            self.rows = await asyncio.to_thread(report_links.list_links, actor)
        except Exception as exc:  # noqa: BLE001 - logged with an id, shown in Swedish
            self.fail(exc)

    @rx.event
    async def rotate(self, unit_id: str):
        actor = await self.actor()
        if actor is None:
            return rx.redirect("/logga-in")
        try:
            uid = int(unit_id)
            await asyncio.to_thread(report_links.rotate, actor, uid, now=utcnow())
            self.rows = await asyncio.to_thread(report_links.list_links, actor)
        except (ValueError, AccessDenied):
            self.error_message = "Du saknar behörighet att byta länken för den enheten."
            return
        except Exception as exc:  # noqa: BLE001
            self.fail(exc)
            return
        unit = next((r["unit"] for r in self.rows if r["unit_id"] == str(uid)), "")
        self.notice = f"Länken för {unit} är bytt. Den gamla länken fungerar inte längre."
        self.error_message = ""
