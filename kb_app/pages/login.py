"""/logga-in: a plain HTML form posted to /auth/login (the cookie is set by HTTP)."""

from __future__ import annotations

import reflex as rx

from kb_app import routes
from kb_app.components.blocks import callout_when, column, error_notice, muted
from kb_app.components.layout import public_frame
from kb_app.components.native_form import native_form, native_input
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
                    native_input(
                        "email",
                        "E-postadress",
                        type="email",
                        auto_complete="username",
                        required=True,
                        default_value=LoginState.prefill_email,
                        key=LoginState.prefill_email,
                        max_length=254,
                    ),
                    native_input(
                        "password",
                        "Lösenord",
                        type="password",
                        auto_complete="current-password",
                        required=True,
                        max_length=512,
                    ),
                    rx.button("Logga in", type="submit", size="3", width="100%"),
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
