from __future__ import annotations

import reflex as rx

from kb_app import routes
from kb_app.domain.access import Page
from kb_app.services.admin import users as admin
from kb_app.state.base import AppState


def _users_and_units(actor) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    return admin.list_users(actor), admin.list_units(actor)


class AdminState(AppState):
    users: list[dict[str, str]] = []
    units: list[dict[str, str]] = []

    @rx.event
    async def load(self):
        actor, events = await self._guard(Page.ADMIN)
        if actor is None:
            self.users, self.units = [], []
            return events
        called = await self._call_service(_users_and_units, actor=actor)
        if called.ok:
            self.users, self.units = called.value


class StartState(AppState):
    """``/``: send each role to its own start page."""

    @rx.event
    async def load(self):
        from kb_app.domain.access import start_page

        actor = await self._actor()
        if actor is None:
            return rx.redirect(routes.LOGIN)
        return rx.redirect(start_page(actor))
