"""/admin/utskick: the outbox for admins (status, attempts, errors, retry, read)."""

from __future__ import annotations

import reflex as rx

from kb_app.components.blocks import (
    action_button,
    callout_when,
    column,
    lead_text,
    muted,
    saved_notice,
    table_card,
)
from kb_app.components.layout import page_frame
from kb_app.services.mail.outbox_admin import FILTERS
from kb_app.state.outbox import OutboxState


def _filter_button(key: str, label: str) -> rx.Component:
    active = OutboxState.status_filter == key
    return rx.button(
        label,
        rx.badge(
            OutboxState.counts[key].to_string(),
            variant=rx.cond(active, "solid", "soft"),
            color_scheme=rx.cond(active, "gray", "gray"),
            radius="full",
        ),
        variant=rx.cond(active, "solid", "soft"),
        color_scheme="teal",
        size="2",
        on_click=OutboxState.set_filter(key),
        aria_pressed=rx.cond(active, "true", "false"),
    )


def _row(row) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(row["subject"], weight="medium", size="2"),
                muted(
                    "Till ",
                    row["to"],
                    " · skapat ",
                    row["created"],
                    size="1",
                    shade=10,
                    overflow_wrap="anywhere",
                ),
                spacing="1",
            ),
            min_width="18rem",
        ),
        rx.table.cell(
            rx.vstack(
                rx.badge(row["status_label"], color_scheme=row["status_color"], variant="soft"),
                muted(row["when"], size="1", shade=10, white_space="nowrap"),
                muted("Försök: ", row["attempts"], size="1", shade=10),
                spacing="1",
            ),
            min_width="9rem",
        ),
        rx.table.cell(
            rx.text(row["error"], size="1", color=rx.color("red", 11), overflow_wrap="anywhere"),
            min_width="12rem",
        ),
        rx.table.cell(
            rx.flex(
                action_button(
                    "mail-open",
                    "Visa",
                    variant="soft",
                    color_scheme="gray",
                    size="1",
                    on_click=OutboxState.show(row["id"]),
                    icon_size=14,
                ),
                rx.cond(
                    row["can_retry"] != "",
                    action_button(
                        "send",
                        "Försök igen nu",
                        variant="soft",
                        size="1",
                        on_click=OutboxState.retry(row["id"]),
                        icon_size=14,
                    ),
                ),
                gap="0.5rem",
                wrap="wrap",
                justify="end",
            ),
            min_width="9rem",
        ),
    )


def _table() -> rx.Component:
    return rx.cond(
        OutboxState.rows.length() > 0,
        table_card(["Meddelande", "Status", "Senaste fel", ""], OutboxState.rows, _row, size="2"),
        rx.card(
            rx.vstack(
                rx.icon("inbox", size=28, color=rx.color("gray", 9)),
                muted("Inga meddelanden här."),
                align="center",
                padding_y="2rem",
            )
        ),
    )


def _dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(OutboxState.open_subject),
            rx.dialog.description(
                rx.text("Till: ", OutboxState.open_to, size="2"),
                muted(OutboxState.open_message_id, size="1", shade=10),
            ),
            rx.box(
                rx.text(OutboxState.open_body, white_space="pre-wrap", size="2"),
                background=rx.color("gray", 2),
                border=f"1px solid {rx.color('gray', 5)}",
                border_radius="var(--radius-3)",
                padding="1rem",
                margin_y="1rem",
                max_height="50vh",
                overflow_y="auto",
            ),
            rx.text(
                "Engångslänkar (anmälan, komplettering, inbjudan) visas som "
                "”[dold engångslänk]”: bara mottagaren kan använda dem. En inbjudan som "
                "inte har kommit fram skickas om, den kan inte läsas här.",
                class_name="kb-hint",
                margin_bottom="1rem",
            ),
            rx.flex(
                rx.dialog.close(rx.button("Stäng", variant="soft", color_scheme="gray")),
                justify="end",
            ),
            max_width="40rem",
        ),
        open=OutboxState.dialog_open,
        on_open_change=OutboxState.set_dialog_open,
    )


def _content() -> rx.Component:
    return column(
        lead_text(
            "E-post från Värna läggs först i en utkorg och skickas sedan i bakgrunden. "
            "Tillfälliga fel försöks igen automatiskt; meddelanden som servern vägrar "
            "visas som misslyckade. E-posten innehåller aldrig personuppgifter, bara "
            "ärendenummer och länkar.",
            "52rem",
        ),
        rx.cond(
            ~OutboxState.smtp_configured,
            rx.callout(
                "E-post är inte konfigurerad (KB_SMTP_HOST saknas). Meddelandena stannar i "
                "utkorgen och kan läsas här med ”Visa”. De skickas när SMTP har konfigurerats.",
                icon="mail-warning",
                color_scheme="amber",
                width="100%",
            ),
        ),
        rx.cond(
            OutboxState.notice_ok,
            saved_notice(OutboxState.notice),
            callout_when(
                OutboxState.notice,
                icon="triangle-alert",
                color_scheme="amber",
                role="status",
                width="100%",
            ),
        ),
        rx.flex(
            *[_filter_button(key, label) for key, label in FILTERS.items()],
            rx.spacer(),
            action_button(
                "refresh-cw",
                "Uppdatera",
                variant="ghost",
                size="2",
                on_click=OutboxState.refresh,
                icon_size=14,
            ),
            gap="0.5rem",
            wrap="wrap",
            align="center",
            width="100%",
        ),
        _table(),
        rx.text(
            "De 100 senaste meddelandena visas. Engångslänkar i meddelandena är dolda.",
            class_name="kb-hint",
        ),
        _dialog(),
    )


def outbox_page() -> rx.Component:
    return page_frame("Utskick", _content)
