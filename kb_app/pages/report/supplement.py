"""``/komplettering/[token]``: the reporter's supplement; public, without login."""

from __future__ import annotations

import reflex as rx

from kb_app.components.blocks import muted
from kb_app.components.forms import field
from kb_app.domain import report as rules
from kb_app.pages.report.files import reporter_files
from kb_app.pages.report.inputs import done_heading, public_card, send_button, text_area
from kb_app.pages.report.receipt import public_page
from kb_app.state.report import SupplementState

T = SupplementState


def supplement_form() -> rx.Component:
    has_error = T.error != ""
    return public_card(
        rx.heading("Komplettera din anmälan", as_="h1", size="6"),
        rx.text("Ärende ", rx.text.strong(T.reference), size="3"),
        muted(
            "Det du skriver här läggs till i ärendet och går till den som ansvarar för det. "
            "Du kan inte se eller ändra det du skrev tidigare.",
            size="2",
        ),
        field(
            text_area(
                "f-supplement",
                has_error,
                T.text,
                T.set_text,
                max_length=rules.SUPPLEMENT_MAX,
                rows="8",
            ),
            label_text="Vad vill du lägga till?",
            control_id="f-supplement",
            error=T.error,
            has_error=has_error,
            required=True,
        ),
        send_button("Skicka komplettering", T.submit, T.submitting),
        rx.divider(),
        reporter_files(T),
    )


def supplement_done() -> rx.Component:
    return public_card(
        done_heading("Tack – kompletteringen är skickad"),
        rx.text(
            "Den finns nu i ärende ",
            rx.text.strong(T.reference),
            " och den som ansvarar för ärendet har fått ett meddelande.",
        ),
        rx.button(
            "Skriv en komplettering till",
            on_click=T.another,
            variant="outline",
            size="2",
            type="button",
        ),
        rx.divider(),
        reporter_files(T),
    )


def supplement_page() -> rx.Component:
    return public_page(T.status, "40rem", ("form", supplement_form()), ("done", supplement_done()))
