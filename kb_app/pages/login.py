"""/logga-in: a plain HTML form posted to /auth/login (the cookie is set by HTTP)."""

from __future__ import annotations

import reflex as rx

from kb_app.components.layout import public_frame
from kb_app.components.native_form import native_form
from kb_app.state.base import LoginState


def login_page() -> rx.Component:
    return public_frame(
        rx.card(
            native_form(
                rx.vstack(
                    rx.heading("Logga in", size="6"),
                    rx.text(
                        "För rektorer, huvudman, utredare och administratörer.",
                        color=rx.color("gray", 11),
                        size="2",
                    ),
                    rx.cond(
                        LoginState.login_error != "",
                        rx.callout(
                            LoginState.login_error,
                            icon="circle-alert",
                            color_scheme="red",
                            role="alert",
                            width="100%",
                        ),
                    ),
                    rx.cond(
                        LoginState.login_info != "",
                        rx.callout(
                            LoginState.login_info, icon="info", color_scheme="teal", width="100%"
                        ),
                    ),
                    rx.vstack(
                        rx.el.label("E-postadress", html_for="email", class_name="kb-label"),
                        rx.input(
                            id="email",
                            name="email",
                            type="email",
                            auto_complete="username",
                            required=True,
                            default_value=LoginState.prefill_email,
                            key=LoginState.prefill_email,
                            size="3",
                            width="100%",
                            max_length=254,
                        ),
                        spacing="1",
                        width="100%",
                    ),
                    rx.vstack(
                        rx.el.label("Lösenord", html_for="password", class_name="kb-label"),
                        rx.input(
                            id="password",
                            name="password",
                            type="password",
                            auto_complete="current-password",
                            required=True,
                            size="3",
                            width="100%",
                            max_length=512,
                        ),
                        spacing="1",
                        width="100%",
                    ),
                    rx.button("Logga in", type="submit", size="3", width="100%"),
                    rx.text(
                        "Vill du anmäla kränkande behandling? Använd din enhets anmälningslänk; "
                        "ingen inloggning behövs.",
                        size="1",
                        color=rx.color("gray", 10),
                    ),
                    spacing="4",
                    width="100%",
                ),
                action="/auth/login",
                method="post",
            ),
            size="4",
            width="100%",
        ),
        max_width="26rem",
    )
