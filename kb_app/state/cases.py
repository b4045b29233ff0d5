"""States of the case lists: the overview (principals, organisers) and "Mina ärenden"."""

from __future__ import annotations

import asyncio

import reflex as rx

from kb_app.domain.access import Page
from kb_app.services import cases
from kb_app.state.base import AppState


class OverviewState(AppState):
    rows: list[dict[str, str]] = []

    @rx.event
    async def load(self):
        actor, events = await self.guard(Page.OVERVIEW)
        if actor is None:
            self.rows = []
            return events
        try:
            self.rows = await asyncio.to_thread(cases.list_visible, actor)
        except Exception as exc:  # noqa: BLE001 - shown to the user with an id
            self.fail(exc)


class MyCasesState(AppState):
    rows: list[dict[str, str]] = []

    @rx.event
    async def load(self):
        actor, events = await self.guard(Page.MY_CASES)
        if actor is None:
            self.rows = []
            return events
        try:
            self.rows = await asyncio.to_thread(cases.list_delegated, actor)
        except Exception as exc:  # noqa: BLE001
            self.fail(exc)
