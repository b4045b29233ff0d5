"""``/anmalan/[token]``: the staff report form; public, without login."""

from __future__ import annotations

import reflex as rx

from kb_app.components.blocks import column, error_notice, muted
from kb_app.domain import report as rules
from kb_app.domain.vocab import PLACES, REPORTER_ROLES
from kb_app.pages.report.choices import grounds_group, guardians_group, kinds_group
from kb_app.pages.report.inputs import (
    S,
    area_field,
    section,
    select_field,
    send_button,
    text_field,
    two_columns,
)
from kb_app.pages.report.persons import add_button, involved_row, subjected_row, witness_row
from kb_app.pages.report.receipt import public_page, receipt

WIDTH = "46rem"


def intro() -> rx.Component:
    return column(
        rx.text("Anmälan till rektor och huvudman", size="2", color=rx.color("teal", 11)),
        rx.heading("Anmäl kränkande behandling", as_="h1", size="7", weight="bold"),
        rx.hstack(
            rx.icon("school", size=18, color=rx.color("gray", 10)),
            rx.text(S.unit_name, size="4", weight="medium"),
            align="center",
            spacing="2",
        ),
        muted(
            "När ett barn eller en elev upplever sig kränkt i verksamheten ska du anmäla det "
            "till rektor, som anmäler vidare till huvudmannen (skollagen 6 kap. 10 §). "
            "Anmälan går direkt till båda. Det tar ett par minuter.",
            size="3",
        ),
        muted(
            "Fält markerade med * måste fyllas i. Uppgifterna omfattas av sekretess.",
            size="2",
            shade=10,
        ),
        spacing="2",
    )


def report_form() -> rx.Component:
    return column(
        intro(),
        rx.el.datalist(
            rx.foreach(S.class_options, lambda c: rx.el.option(value=c)), id="kb-classes"
        ),
        section(
            "Om dig",
            text_field(
                "reporter_name",
                "Ditt namn",
                required=True,
                max_length=rules.NAME_MAX,
                auto_complete="name",
            ),
            two_columns(
                text_field(
                    "reporter_email",
                    "Din e-postadress",
                    required=True,
                    max_length=rules.EMAIL_MAX,
                    type="email",
                    auto_complete="email",
                    input_mode="email",
                ),
                select_field("reporter_role", "Din roll", REPORTER_ROLES),
            ),
        ),
        section(
            "Händelsen",
            two_columns(
                text_field(
                    "occurred_on",
                    "Datum",
                    required=True,
                    type="date",
                    max=S.today,
                    max_length=10,
                ),
                text_field(
                    "occurred_time",
                    "Klockslag",
                    optional=True,
                    type="time",
                    max_length=5,
                ),
            ),
            select_field("place", "Var hände det?", PLACES),
            rx.cond(
                S.place == "other",
                text_field(
                    "place_other",
                    "Beskriv platsen",
                    required=True,
                    max_length=rules.PLACE_OTHER_MAX,
                ),
            ),
            area_field(
                "description",
                "Vad hände?",
                required=True,
                max_length=rules.DESCRIPTION_MAX,
                rows="7",
                counter=True,
                hint_text=(
                    "Beskriv så sakligt du kan vad som sades och gjordes, och vad barnet eller "
                    "eleven själv berättar."
                ),
            ),
        ),
        section(
            "Vem blev utsatt?",
            rx.foreach(S.subjected, subjected_row),
            add_button(
                "Lägg till fler utsatta",
                "subjected",
                show=S.subjected.length() < rules.MAX_PARTIES,
            ),
            intro="Barnet eller eleven som upplever sig kränkt. Välj klass i listan eller skriv.",
        ),
        section(
            "Vilka var inblandade?",
            rx.cond(
                S.involved.length() == 0,
                muted(
                    "Inga inblandade tillagda. Lägg till dem du känner till: barn, elever, "
                    "personal, okända eller personer utifrån.",
                    size="2",
                    shade=10,
                ),
            ),
            rx.foreach(S.involved, involved_row),
            add_button(
                "Lägg till inblandad", "involved", show=S.involved.length() < rules.MAX_PARTIES
            ),
        ),
        section(
            "Vilka såg det hända?",
            rx.cond(
                S.witness.length() == 0,
                muted(
                    "Inga vittnen tillagda. Lägg till dem som såg eller hörde det som hände.",
                    size="2",
                    shade=10,
                ),
            ),
            rx.foreach(S.witness, witness_row),
            add_button("Lägg till vittne", "witness", show=S.witness.length() < rules.MAX_PARTIES),
        ),
        section("Slag av kränkning", kinds_group(), grounds_group()),
        section(
            "Efter händelsen",
            area_field(
                "immediate_actions",
                "Vad gjordes direkt?",
                optional=True,
                max_length=rules.ACTIONS_MAX,
                hint_text="Till exempel att du skilde dem åt eller pratade med de inblandade.",
            ),
            guardians_group(),
            area_field(
                "witnesses",
                "Övriga vittnen",
                optional=True,
                max_length=rules.WITNESSES_MAX,
                rows="2",
                hint_text="Om du inte vet vilka, till exempel ”några elever från 5B”.",
            ),
        ),
        error_notice(S.form_error, width="100%"),
        rx.flex(
            send_button(
                "Skicka anmälan",
                S.submit,
                S.submitting,
                width=rx.breakpoints(initial="100%", sm="auto"),
            ),
            muted(
                "Anmälan går till rektor och huvudman.",
                size="2",
                shade=10,
            ),
            spacing="3",
            align="center",
            direction=rx.breakpoints(initial="column", sm="row"),
            width="100%",
        ),
        spacing="5",
        padding_bottom="3rem",
    )


def report_page() -> rx.Component:
    return public_page(S.status, WIDTH, ("form", report_form()), ("receipt", receipt()))
