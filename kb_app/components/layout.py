"""The frame of every signed-in page: header, navigation, and the states a page can be in."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from kb_app import routes
from kb_app.components.blocks import action_button, callout_when, column, message_card, muted
from kb_app.components.native_form import native_form
from kb_app.state.base import AppState

MAX_WIDTH = "1200px"
SIGNED_IN_PADDING = ["1rem", "1.5rem"]


def _centred(max_width, padding_x, padding_y: str) -> dict:
    """The props of a column centred on the page."""
    return {
        "max_width": max_width,
        "margin_x": "auto",
        "padding_x": padding_x,
        "padding_y": padding_y,
    }


def brand() -> rx.Component:
    return rx.hstack(
        rx.icon("shield-check", size=22, color=rx.color("teal", 9)),
        rx.text("Värna", weight="bold", size="5", color=rx.color("gray", 12)),
        align="center",
        spacing="2",
    )


def _nav_link(label: str, href: str, icon: str, **props) -> rx.Component:
    return rx.link(
        rx.hstack(rx.icon(icon, size=16), rx.text(label, size="2"), spacing="1", align="center"),
        href=href,
        **props,
        color=rx.color("gray", 11),
        underline="none",
        _hover={"color": rx.color("teal", 11)},
        padding_y="0.25rem",
    )


def nav() -> rx.Component:
    return rx.hstack(
        rx.cond(AppState.nav_overview, _nav_link("Översikt", routes.OVERVIEW, "layout-dashboard")),
        rx.cond(AppState.nav_my_cases, _nav_link("Mina ärenden", routes.MY_CASES, "folder-open")),
        rx.cond(AppState.nav_statistics, _nav_link("Statistik", routes.STATISTICS, "chart-column")),
        rx.cond(
            AppState.nav_report_links, _nav_link("Anmälningslänkar", routes.REPORT_LINKS, "link")
        ),
        rx.cond(AppState.nav_settings, _nav_link("Inställningar", routes.SETTINGS, "settings")),
        # A backend page (api.py), not one of the app's: the browser loads it.
        rx.cond(
            AppState.nav_gallring,
            _nav_link("Gallring", routes.GALLRING, "archive", reload_document=True),
        ),
        rx.cond(AppState.nav_admin, _nav_link("Administration", routes.ADMIN, "users")),
        rx.cond(AppState.nav_admin, _nav_link("Utskick", routes.OUTBOX, "mail")),
        spacing="4",
        wrap="wrap",
        align="center",
    )


def logout_form() -> rx.Component:
    return native_form(
        action_button(
            "log-out",
            "Logga ut",
            type="submit",
            variant="soft",
            color_scheme="gray",
            size="2",
        ),
        action=routes.AUTH_LOGOUT,
        method="post",
    )


def header() -> rx.Component:
    return rx.box(
        rx.flex(
            rx.link(brand(), href="/", underline="none"),
            rx.cond(AppState.user_name != "", nav()),
            rx.spacer(),
            rx.cond(
                AppState.user_name != "",
                rx.hstack(
                    rx.vstack(
                        rx.text(AppState.user_name, size="2", weight="medium"),
                        muted(AppState.user_role_label, size="1", shade=10),
                        spacing="0",
                        align="end",
                        display=["none", "none", "flex"],
                    ),
                    rx.link(
                        rx.icon_button(
                            rx.icon("circle-user-round", size=16),
                            variant="soft",
                            color_scheme="gray",
                            size="2",
                            tab_index=-1,
                            aria_hidden="true",
                        ),
                        href=routes.ACCOUNT,
                        aria_label="Mitt konto",
                        title="Mitt konto",
                    ),
                    logout_form(),
                    align="center",
                    spacing="3",
                ),
            ),
            align="center",
            gap="1.5rem",
            wrap="wrap",
            **_centred(MAX_WIDTH, SIGNED_IN_PADDING, "0.75rem"),
        ),
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 1),
        width="100%",
        class_name="kb-noprint",
    )


def loading_view() -> rx.Component:
    return rx.center(
        rx.hstack(rx.spinner(size="3"), muted("Laddar …")),
        padding_y="4rem",
        width="100%",
    )


def forbidden_view() -> rx.Component:
    return rx.center(
        message_card(
            "lock",
            rx.heading("Du saknar behörighet", size="5"),
            rx.cond(
                AppState.forbidden_message != "",
                muted(AppState.forbidden_message, align="center"),
                muted(
                    "Sidan finns inte eller så saknar du behörighet att se den. "
                    "Kontakta din administratör om du behöver åtkomst.",
                    align="center",
                ),
            ),
            rx.link("Till startsidan", href="/"),
            card_props={"max_width": "28rem", "size": "3"},
        ),
        padding_y="4rem",
        width="100%",
    )


def error_callout() -> rx.Component:
    return callout_when(
        AppState.error_message, icon="triangle-alert", color_scheme="red", width="100%"
    )


def footer() -> rx.Component:
    """Every page's footer: the accessibility statement (lagen om tillgänglighet
    till digital offentlig service asks for a link from every page)."""
    return rx.el.footer(
        rx.link(
            "Tillgänglighetsredogörelse",
            href=routes.ACCESSIBILITY,
            size="2",
            color=rx.color("gray", 11),
        ),
        class_name="kb-noprint kb-footer",
        **_centred(MAX_WIDTH, "1rem", "1.5rem"),
    )


def page_frame(title: str, content: Callable[[], rx.Component]) -> rx.Component:
    """A signed-in page: header, then loading / forbidden / the content."""
    return rx.box(
        header(),
        rx.box(
            rx.match(
                AppState.page_status,
                ("loading", loading_view()),
                ("forbidden", forbidden_view()),
                column(
                    *([rx.heading(title, size="6", weight="bold")] if title else []),
                    error_callout(),
                    content(),
                    spacing="5",
                    align="stretch",
                ),
            ),
            **_centred(MAX_WIDTH, SIGNED_IN_PADDING, "1.5rem"),
        ),
        footer(),
        min_height="100vh",
        background=rx.color("gray", 2),
    )


def public_frame(*children: rx.Component, max_width: str = "40rem") -> rx.Component:
    """A page without login (report form, receipt, login)."""
    return rx.box(
        rx.box(
            rx.flex(
                brand(),
                **_centred(max_width, "1rem", "0.75rem"),
            ),
            border_bottom=f"1px solid {rx.color('gray', 5)}",
            background=rx.color("gray", 1),
        ),
        rx.box(
            *children,
            **_centred(max_width, "1rem", "1.5rem"),
        ),
        footer(),
        min_height="100vh",
        background=rx.color("gray", 2),
    )
