"""/satt-losenord/<token>: choose a first password (a plain HTML form post)."""

from __future__ import annotations

import reflex as rx

from kb_app import routes
from kb_app.components.blocks import column, error_notice, muted
from kb_app.components.layout import public_frame
from kb_app.components.native_form import native_form, native_input
from kb_app.state.invite import SetPasswordState as S


def _password(id_: str, label: str) -> rx.Component:
    return native_input(
        id_,
        label,
        type="password",
        auto_complete="new-password",
        required=True,
        min_length=8,
        max_length=128,
    )


def set_password_page() -> rx.Component:
    return public_frame(
        rx.card(
            rx.cond(
                S.link_valid,
                native_form(
                    column(
                        rx.heading("Välj ditt lösenord", size="6"),
                        muted(
                            "Du har bjudits in till Värna. Välj ett lösenord med minst 8 tecken; "
                            "sedan loggar du in med din e-postadress.",
                            size="2",
                        ),
                        error_notice(S.set_error),
                        rx.el.input(type="hidden", name="token", value=S.token_value),
                        _password("password", "Nytt lösenord"),
                        _password("password2", "Upprepa lösenordet"),
                        rx.button("Spara lösenordet", type="submit", size="3", width="100%"),
                    ),
                    action=routes.AUTH_SET_PASSWORD,
                    method="post",
                ),
                rx.vstack(
                    rx.heading("Länken fungerar inte", size="6"),
                    muted(
                        rx.cond(
                            S.set_error != "",
                            S.set_error,
                            "Länken är ogiltig, redan använd eller har gått ut. Be den som bjöd in dig om en ny.",
                        ),
                    ),
                    rx.link("Till inloggningen", href=routes.LOGIN),
                    spacing="3",
                ),
            ),
            size="4",
            width="100%",
        ),
        max_width="28rem",
    )
