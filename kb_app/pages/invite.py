"""/satt-losenord/<token>: choose a first or a new password, and /glomt-losenord:
ask for a reset link (plain HTML form posts)."""

from __future__ import annotations

import reflex as rx

from kb_app import routes
from kb_app.components.blocks import callout_when, column, error_notice, muted
from kb_app.components.layout import public_frame
from kb_app.components.native_form import email_input, native_form, native_input
from kb_app.state.invite import ForgotPasswordState as F
from kb_app.state.invite import SetPasswordState as S


def _password(id_: str, label: str) -> rx.Component:
    return native_input(
        id_,
        label,
        type="password",
        auto_complete="new-password",
        required=True,
        min_length=8,
    )


def set_password_page() -> rx.Component:
    return public_frame(
        rx.card(
            rx.cond(
                S.link_valid,
                native_form(
                    column(
                        rx.heading(
                            rx.cond(S.is_reset, "Välj ett nytt lösenord", "Välj ditt lösenord"),
                            size="6",
                        ),
                        muted(
                            rx.cond(
                                S.is_reset,
                                "Välj ett nytt lösenord med minst 8 tecken. Du loggas ut "
                                "överallt där du är inloggad; sedan loggar du in igen.",
                                "Du har bjudits in till Värna. Välj ett lösenord med minst 8 "
                                "tecken; sedan loggar du in med din e-postadress.",
                            ),
                            size="2",
                        ),
                        muted(
                            "Lätta lösenord (vanliga ord, namn, årtal, tangentmönster) tas inte "
                            "emot. Tre eller fyra ord som inte hör ihop är både lätta att minnas "
                            "och svåra att gissa.",
                            size="1",
                            shade=10,
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
                            "Länken är ogiltig, redan använd eller har gått ut. Begär en ny med "
                            "”Glömt lösenordet?” på inloggningssidan.",
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


def forgot_password_page() -> rx.Component:
    return public_frame(
        rx.card(
            column(
                rx.heading("Glömt lösenordet?", size="6"),
                callout_when(F.sent_message, icon="mail-check", color_scheme="teal", width="100%"),
                native_form(
                    column(
                        muted(
                            "Skriv e-postadressen du loggar in med. Hör den till ett konto "
                            "skickar vi en länk där du väljer ett nytt lösenord.",
                            size="2",
                        ),
                        email_input(),
                        rx.button("Skicka länken", type="submit", size="3", width="100%"),
                    ),
                    action=routes.AUTH_FORGOT_PASSWORD,
                    method="post",
                ),
                rx.link("Till inloggningen", href=routes.LOGIN, size="2"),
            ),
            size="4",
            width="100%",
        ),
        max_width="28rem",
    )
