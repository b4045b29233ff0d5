"""/logga-in: a plain HTML form posted to /auth/login (the cookie is set by HTTP)."""

from __future__ import annotations

import reflex as rx

from kb_app import routes
from kb_app.components.blocks import callout_when, column, error_notice, muted
from kb_app.components.layout import public_frame
from kb_app.components.native_form import email_input, native_form, native_input
from kb_app.state.base import LoginState


def login_page() -> rx.Component:
    return public_frame(
        rx.card(
            native_form(
                column(
                    rx.heading("Logga in", size="6"),
                    muted(
                        "För rektorer, huvudman, utredare och administratörer.",
                        size="2",
                    ),
                    error_notice(LoginState.login_error, width="100%"),
                    callout_when(
                        LoginState.login_info, icon="info", color_scheme="teal", width="100%"
                    ),
                    email_input(
                        default_value=LoginState.prefill_email, key=LoginState.prefill_email
                    ),
                    native_input(
                        "password",
                        "Lösenord",
                        type="password",
                        auto_complete="current-password",
                        required=True,
                    ),
                    rx.el.input(type="hidden", name=routes.NEXT_PARAM, value=LoginState.next_path),
                    rx.button("Logga in", type="submit", size="3", width="100%"),
                    rx.link("Glömt lösenordet?", href=routes.FORGOT_PASSWORD, size="2"),
                    rx.cond(
                        LoginState.sso_name != "",
                        column(
                            rx.separator(size="4"),
                            rx.button(
                                # A plain <a>: a full navigation to the server, not the
                                # client-side router's.
                                rx.el.a(
                                    rx.icon("building-2", size=16),
                                    "Logga in med " + LoginState.sso_name,
                                    href=routes.AUTH_SSO_START,
                                    reload_document=True,
                                ),
                                as_child=True,
                                variant="outline",
                                size="3",
                                width="100%",
                            ),
                            rx.cond(
                                LoginState.sso_logout,
                                muted(
                                    "Du är utloggad ur Värna men kan fortfarande vara inloggad "
                                    "hos din organisation. ",
                                    rx.link(
                                        rx.el.a(
                                            "Logga ut även där",
                                            href=routes.AUTH_SSO_LOGOUT,
                                            reload_document=True,
                                        ),
                                        as_child=True,
                                    ),
                                    ".",
                                    size="2",
                                ),
                            ),
                            spacing="2",
                        ),
                    ),
                    muted(
                        "Vill du anmäla kränkande behandling? Använd din enhets anmälningslänk; "
                        "ingen inloggning behövs.",
                        size="1",
                        shade=10,
                    ),
                ),
                action=routes.AUTH_LOGIN,
                method="post",
            ),
            size="4",
            width="100%",
        ),
        max_width="26rem",
    )
