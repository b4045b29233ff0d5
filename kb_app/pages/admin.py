from __future__ import annotations

import reflex as rx

from kb_app.components.blocks import column, message_card, muted, table_card
from kb_app.components.layout import loading_view, page_frame, public_frame
from kb_app.state.admin import AdminState


def _table(headers: list[str], rows, keys: list[str]) -> rx.Component:
    return table_card(headers, rows, lambda r: rx.table.row(*[rx.table.cell(r[k]) for k in keys]))


def admin_page() -> rx.Component:
    return page_frame(
        "Administration",
        lambda: column(
            rx.heading("Användare", size="4"),
            _table(
                ["Namn", "E-post", "Roller", "Status"],
                AdminState.users,
                ["name", "email", "roles", "active"],
            ),
            rx.heading("Enheter", size="4"),
            _table(
                ["Enhet", "Typ", "Klasser/avdelningar", "Barn/elever"],
                AdminState.units,
                ["name", "kind", "classes", "pupils"],
            ),
        ),
    )


def start_page() -> rx.Component:
    return rx.box(loading_view())


def not_found_page() -> rx.Component:
    return public_frame(
        message_card(
            "search-x",
            rx.heading("Sidan finns inte", size="5"),
            muted(
                "Adressen kan vara felskriven, eller så har sidan flyttats.",
                align="center",
            ),
            rx.link("Till startsidan", href="/"),
            card_props={"size": "3"},
        ),
        max_width="28rem",
    )
