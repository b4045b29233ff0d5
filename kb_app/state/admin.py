from __future__ import annotations

import asyncio

import reflex as rx

from kb_app.domain.access import Page
from kb_app.services.admin import users as admin
from kb_app.state.base import AppState


class AdminState(AppState):
    users: list[dict[str, str]] = []
    units: list[dict[str, str]] = []

    @rx.event
    async def load(self):
        actor, events = await self.guard(Page.ADMIN)
        if actor is None:
            self.users, self.units = [], []
            return events
        try:
            self.users = await asyncio.to_thread(admin.list_users, actor)
            self.units = await asyncio.to_thread(admin.list_units, actor)
        except Exception as exc:  # noqa: BLE001
            self.fail(exc)


class StartState(AppState):
    """``/``: send each role to its own start page."""

    @rx.event
    async def load(self):
        from kb_app.domain.access import start_page

        actor = await self.actor()
        if actor is None:
            return rx.redirect("/logga-in")
        return rx.redirect(start_page(actor))
