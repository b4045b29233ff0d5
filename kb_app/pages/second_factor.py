"""/tvastegsverifiering: the code from the authenticator app (or a passkey) after the password,
and /tvastegsverifiering/aktivera: set up the app (QR code), then ten recovery codes."""

from __future__ import annotations

import reflex as rx

from kb_app import routes
from kb_app.components.blocks import column, error_notice, muted
from kb_app.components.layout import public_frame
from kb_app.state.second_factor import SecondFactorState as S


def _code_form(button: str) -> rx.Component:
    return rx.form(
        column(
            rx.el.label("Kod", html_for="code", class_name="kb-label"),
            rx.input(
                id="code",
                name="code",
                size="3",
                width="100%",
                auto_complete="one-time-code",
                input_mode="numeric",
                required=True,
                auto_focus=True,
            ),
            error_notice(S.code_error, width="100%"),
            rx.button(button, type="submit", size="3", width="100%"),
            spacing="2",
        ),
        on_submit=S.submit_code,
        reset_on_submit=True,
        width="100%",
    )


def _passkey_button(label: str, variant: str = "solid") -> rx.Component:
    return column(
        error_notice(S.passkey_error, width="100%"),
        rx.button(
            rx.cond(S.passkey_busy, rx.spinner(size="2"), rx.icon("fingerprint", size=16)),
            label,
            on_click=S.use_passkey,
            disabled=S.passkey_busy,
            size="3",
            width="100%",
            variant=variant,
        ),
        spacing="2",
    )


def _or() -> rx.Component:
    return rx.hstack(
        rx.separator(size="4"),
        muted("eller", size="1"),
        rx.separator(size="4"),
        align="center",
        width="100%",
    )


def _loading() -> rx.Component:
    return muted("Hämtar …")


def second_factor_page() -> rx.Component:
    return public_frame(
        rx.card(
            rx.cond(
                S.stage != "",
                column(
                    rx.heading("Tvåstegsverifiering", size="6"),
                    muted(S.person, size="2"),
                    rx.cond(
                        S.has_passkey,
                        column(
                            muted(
                                "Använd en av dina passkeys: din dator eller telefon frågar "
                                "efter fingeravtryck, ansikte eller pinkod.",
                                size="2",
                            ),
                            _passkey_button("Använd passkey"),
                            _or(),
                        ),
                    ),
                    muted(
                        rx.cond(
                            S.has_app,
                            "Skriv koden som din autentiseringsapp visar för Värna. Har du inte "
                            "telefonen till hands kan du skriva en av dina reservkoder i stället.",
                            "Har du inte din passkey till hands kan du skriva en av dina "
                            "reservkoder.",
                        ),
                        size="2",
                    ),
                    _code_form("Logga in"),
                    rx.link("Avbryt och logga in igen", href=routes.LOGIN, size="2"),
                ),
                _loading(),
            ),
            size="4",
            width="100%",
        ),
        max_width="28rem",
    )


def enrol_page() -> rx.Component:
    return public_frame(
        rx.card(
            rx.cond(
                S.recovery_codes.length() > 0,
                column(
                    rx.heading("Spara dina reservkoder", size="6"),
                    muted(
                        "Varje kod fungerar en gång, om du inte har telefonen med dig. Skriv ut "
                        "dem eller spara dem på ett säkert ställe: de visas bara nu.",
                        size="2",
                    ),
                    rx.el.ul(
                        rx.foreach(S.recovery_codes, lambda c: rx.el.li(rx.code(c, size="3"))),
                        class_name="kb-codes",
                        aria_label="Reservkoder",
                    ),
                    rx.button("Jag har sparat koderna", on_click=S.finish, size="3", width="100%"),
                ),
                rx.cond(
                    S.stage != "",
                    column(
                        rx.heading("Aktivera tvåstegsverifiering", size="6"),
                        muted(S.person, size="2"),
                        muted(
                            "Din roll kräver tvåstegsverifiering innan du kan fortsätta. Skanna "
                            "QR-koden med en autentiseringsapp (till exempel Microsoft "
                            "Authenticator, Google Authenticator eller FreeOTP) och skriv "
                            "sedan koden som appen visar.",
                            size="2",
                        ),
                        rx.center(
                            rx.image(
                                src=S.qr_data_uri,
                                alt="QR-kod för autentiseringsappen",
                                width="12rem",
                                height="12rem",
                            ),
                            width="100%",
                        ),
                        muted("Kan du inte skanna? Skriv in den här nyckeln i appen:", size="1"),
                        rx.code(S.secret_text, size="2", class_name="kb-secret"),
                        _code_form("Aktivera och logga in"),
                        _or(),
                        muted(
                            "Har du hellre en passkey (fingeravtryck, ansikte eller pinkod "
                            "i din dator eller telefon)? Då behövs ingen app.",
                            size="2",
                        ),
                        _passkey_button("Använd en passkey i stället", variant="soft"),
                        rx.link("Avbryt och logga in igen", href=routes.LOGIN, size="2"),
                    ),
                    _loading(),
                ),
            ),
            size="4",
            width="100%",
        ),
        max_width="28rem",
    )
