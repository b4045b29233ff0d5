"""``/anmalningslankar``: admins and principals see, copy and rotate their units' links."""

from __future__ import annotations

import reflex as rx

from kb_app import routes
from kb_app.dbtypes import utcnow
from kb_app.domain.access import Page
from kb_app.services.reporting import report_links
from kb_app.state.base import AppState


def _rotate(actor, unit_id: int, *, now) -> list[dict[str, str]]:
    """Rotate one unit's link; the links as they are now."""
    report_links.rotate(actor, unit_id, now=now)
    return report_links.list_links(actor)


class ReportLinksState(AppState):
    rows: list[dict[str, str]] = []
    notice: str = ""

    @rx.event
    async def load(self):
        self.notice = ""
        actor, events = await self._guard(Page.REPORT_LINKS)
        if actor is None:
            self.rows = []
            return events
        called = await self._call_service(report_links.list_links, actor=actor)
        if called.ok:
            self.rows = called.value

    def _no_rotate(self, _exc: Exception | None = None) -> None:
        self.error_message = "Du saknar behörighet att byta länken för den enheten."

    @rx.event
    async def rotate(self, unit_id: str):
        actor = await self._actor()
        if actor is None:
            return rx.redirect(routes.LOGIN)
        try:
            uid = int(unit_id)
        except ValueError:
            self._no_rotate()
            return
        called = await self._call_service(
            _rotate, uid, now=utcnow(), actor=actor, denied=self._no_rotate
        )
        if not called.ok:
            return
        self.rows = called.value
        unit = next((r["unit"] for r in self.rows if r["unit_id"] == str(uid)), "")
        self.notice = f"Länken för {unit} är bytt. Den gamla länken fungerar inte längre."
        self.error_message = ""
