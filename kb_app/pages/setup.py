"""``/kom-igang``: the first start of a fresh installation (no organisation yet)."""

from __future__ import annotations

import reflex as rx

from kb_app import routes
from kb_app.components.blocks import column, error_notice, muted
from kb_app.components.forms import error_text, hint, label
from kb_app.components.layout import loading_view, public_frame
from kb_app.services.admin.auth import PASSWORD_MIN
from kb_app.state.setup import SetupState as S


def _input(name: str, text: str, *, hint_text: str = "", **props) -> rx.Component:
    has_error = S.setup_errors.contains(name)
    return rx.vstack(
        label(text, name, required=True),
        *([hint(hint_text, f"{name}-hint")] if hint_text else []),
        rx.input(
            id=name,
            name=name,
            size="3",
            width="100%",
            custom_attrs={
                "aria-invalid": rx.cond(has_error, "true", "false"),
                "aria-describedby": rx.cond(has_error, f"{name}-error", f"{name}-hint"),
            },
            **props,
        ),
        rx.cond(has_error, error_text(S.setup_errors[name], f"{name}-error")),
        spacing="1",
        width="100%",
    )


def _form() -> rx.Component:
    return rx.el.form(
        column(
            _input(
                "code",
                "Installationskod",
                hint_text="Koden skrivs ut i serverns logg och i konsolen när Värna startar "
                "utan organisation. Den skyddar installationen mot andra i nätverket.",
                auto_complete="off",
                class_name="kb-mono",
                auto_focus=True,
            ),
            _input(
                "organisation",
                "Organisationens namn",
                hint_text="Huvudmannen, till exempel kommunen eller skolans huvudman.",
                auto_complete="organization",
            ),
            rx.heading("Första administratören", size="4", as_="h2", margin_top="0.5rem"),
            _input("name", "Ditt namn", auto_complete="name"),
            _input("email", "Din e-postadress", type="email", auto_complete="email"),
            _input(
                "password",
                "Lösenord",
                type="password",
                auto_complete="new-password",
                hint_text=f"Minst {PASSWORD_MIN} tecken. Lätta lösenord tas inte emot; tre "
                "eller fyra ord som inte hör ihop fungerar bra.",
            ),
            _input(
                "password2", "Upprepa lösenordet", type="password", auto_complete="new-password"
            ),
            rx.el.label(
                rx.el.input(type="checkbox", name="demo", id="demo"),
                rx.text("Lägg också in demodata (en påhittad kommun att prova med)", size="2"),
                html_for="demo",
                class_name="kb-choice",
            ),
            rx.button(
                rx.cond(S.submitting, rx.spinner(size="2"), rx.icon("rocket", size=16)),
                "Skapa organisationen",
                type="submit",
                size="3",
                disabled=S.submitting,
            ),
            spacing="4",
        ),
        on_submit=S.submit,
        no_validate=True,
        width="100%",
    )


def _done() -> rx.Component:
    return column(
        rx.callout(
            "Organisationen är skapad. Logga in med " + S.admin_email + " och lägg sedan "
            "till enheter, klasser och användare under Administration.",
            icon="circle-check",
            color_scheme="green",
            role="status",
        ),
        rx.cond(S.demo_note != "", muted(S.demo_note, size="2")),
        rx.link(rx.button("Till inloggningen", size="3"), href=routes.LOGIN),
    )


def setup_page() -> rx.Component:
    return public_frame(
        rx.cond(
            S.page_status == "loading",
            loading_view(),
            rx.card(
                column(
                    rx.heading("Kom igång med Värna", size="6", as_="h1"),
                    muted(
                        "Värna är installerad men har ingen organisation än. Ange "
                        "installationskoden och skapa den första administratören. Resten "
                        "(enheter, klasser, rektorer) gör du sedan i webbläsaren."
                    ),
                    error_notice(S.error_message, width="100%"),
                    rx.cond(S.setup_done, _done(), _form()),
                ),
                size="3",
                width="100%",
            ),
        ),
        max_width="36rem",
    )
