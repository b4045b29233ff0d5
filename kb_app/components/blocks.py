"""Small blocks the pages share: notices, cards, tables and buttons."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx


def callout_when(message, *, icon: str, color_scheme: str, **props) -> rx.Component:
    """A callout with ``message``, shown only while the message is not empty."""
    return rx.cond(
        message != "",
        rx.callout(message, icon=icon, color_scheme=color_scheme, **props),
    )


def error_notice(message, **props) -> rx.Component:
    """A red alert while ``message`` is set (a form's or the page's error)."""
    return callout_when(message, icon="circle-alert", color_scheme="red", role="alert", **props)


def saved_notice(message) -> rx.Component:
    """A green status line while ``message`` is set ("Sparat", "Ändrat" …)."""
    return callout_when(
        message, icon="circle-check", color_scheme="green", role="status", width="100%"
    )


def column(*children, spacing: str = "4", **props) -> rx.Component:
    """Children stacked top to bottom, the full width."""
    return rx.vstack(*children, spacing=spacing, width="100%", **props)


def muted(*children, shade: int = 11, **props) -> rx.Component:
    """Text in grey: shade 11 (4.5:1 on the page; gray-10 was 3.6:1, under WCAG AA,
    so a lighter shade asked for is drawn at 11 too)."""
    return rx.text(*children, color=rx.color("gray", max(shade, 11)), **props)


def lead_text(text: str, max_width: str) -> rx.Component:
    """The grey paragraph that opens a page and says what it is for."""
    return muted(text, max_width=max_width)


def section_card(title, *children, spacing: str = "3", weight=None, **card_props) -> rx.Component:
    """A card with an h2 heading over its content."""
    heading_props = {"weight": weight} if weight else {}
    return rx.card(
        rx.vstack(
            rx.heading(title, size="4", as_="h2", **heading_props),
            *children,
            spacing=spacing,
            width="100%",
        ),
        size="3",
        width="100%",
        **card_props,
    )


def message_card(
    icon: str, heading: rx.Component, *body, icon_size: int = 28, card_props=None, **stack_props
) -> rx.Component:
    """A centred card with an icon, a heading and a few lines (not found, no access …)."""
    return rx.card(
        rx.vstack(
            rx.icon(icon, size=icon_size, color=rx.color("gray", 10)),
            heading,
            *body,
            align="center",
            spacing="3",
            **stack_props,
        ),
        **(card_props or {}),
    )


def table_card(
    headers: list[str], rows, row: Callable[..., rx.Component], **table_props
) -> rx.Component:
    """A table in a card that scrolls sideways on narrow screens."""
    return rx.card(
        rx.box(
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
                rx.table.body(rx.foreach(rows, row)),
                variant="surface",
                width="100%",
                **table_props,
            ),
            overflow_x="auto",
        ),
        padding="0",
    )


def action_button(icon: str, *children, icon_size: int = 16, **props) -> rx.Component:
    """A button with an icon before its text."""
    return rx.button(rx.icon(icon, size=icon_size), *children, **props)


def copy_link_button(value, text: str, **props) -> rx.Component:
    """Copies a link to the clipboard and says so in a toast."""
    return action_button(
        "copy", text, on_click=[rx.set_clipboard(value), rx.toast("Länken är kopierad.")], **props
    )
