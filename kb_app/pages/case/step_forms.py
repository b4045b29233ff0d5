"""The form of the next step."""

from __future__ import annotations

import reflex as rx

from kb_app.components import forms
from kb_app.components.forms import date_input, radio, textarea
from kb_app.domain.process import CONCLUSIONS, MEASURE_LEVELS, TALKS
from kb_app.pages.case.delegation import delegate_forms
from kb_app.pages.case.parts import (
    GRAY,
    button,
    card,
    case_form,
    choices,
    column,
    error_for,
    field,
    form_error,
    submit,
)
from kb_app.state.case import CaseState as S


def _intro(text: str, action: rx.Component, *more: rx.Component, **props) -> rx.Component:
    """A step done with one button: what it means, the form's error, the button."""
    return rx.vstack(rx.text(text, size="2"), form_error(), action, *more, spacing="3", **props)


def receive_form() -> rx.Component:
    return _intro(
        "Anmälan har inte markerats som mottagen. När du har läst den markerar du den som "
        "mottagen; tidpunkten och ditt namn sparas i tidslinjen.",
        button(
            "Markera som mottagen",
            "inbox",
            icon_size=18,
            on_click=S.receive,
            size="4",
            width=["100%", "auto"],
            variant=None,
        ),
        align="start",
    )


def start_form() -> rx.Component:
    return _intro(
        "Utredningen ska påbörjas skyndsamt. Utred själv, eller delegera utredningen till "
        "en annan person; den som utreder ser då bara det här ärendet.",
        button(
            "Jag utreder själv",
            "search",
            on_click=S.start_self,
            size="3",
            width=["100%", "fit-content"],
        ),
        rx.divider(),
        rx.heading("Delegera utredningen", size="3", as_="h3"),
        delegate_forms("Välj en person i organisationen eller bjud in en ny."),
        width="100%",
        align="stretch",
    )


def begin_form() -> rx.Component:
    """The delegated investigator starts the investigation delegated to them."""
    return _intro(
        "Utredningen av ärendet har delegerats till dig. När du påbörjar utredningen "
        "sparas tidpunkten och ditt namn i tidslinjen; det är från den tidpunkten "
        "skyndsamheten räknas för utredningen.",
        button(
            "Påbörja utredningen",
            "search",
            on_click=S.start_self,
            size="3",
            width=["100%", "fit-content"],
        ),
        align="start",
    )


def investigation_form() -> rx.Component:
    """Talks held, guardians contacted, findings, conclusion."""
    return case_form(
        "inv-",
        S.submit_investigation,
        form_error(),
        choices(
            "Samtal som har hållits",
            rx.flex(
                *[forms.checkbox(label, f"talk_{c}", name=f"talk_{c}") for c, label in TALKS],
                direction=rx.breakpoints(initial="column", sm="row"),
                spacing="4",
                padding_top="0.4rem",
            ),
            "talks",
        ),
        rx.flex(
            field(
                "Vårdnadshavare kontaktade (datum)",
                date_input("guardians_contacted_on"),
                "guardians_contacted_on",
            ),
            field(
                "… eller varför de inte har kontaktats",
                rx.input(
                    id="guardians_not_contacted_reason",
                    name="guardians_not_contacted_reason",
                    width="100%",
                ),
                "guardians_not_contacted_reason",
            ),
            direction=rx.breakpoints(initial="column", sm="row"),
            spacing="4",
            width="100%",
        ),
        field(
            "Vad har utredningen kommit fram till?",
            textarea("findings", rows=6),
            "findings",
            hint="Beskriv vad som framkommit i samtalen och vad som har hänt.",
        ),
        choices(
            "Slutsats", rx.box(radio("conclusion", CONCLUSIONS), padding_top="0.4rem"), "conclusion"
        ),
        submit("Spara utredningen"),
    )


def measure_row(row) -> rx.Component:
    """One measure of the form: level, responsible, due date, description."""
    k = row["key"]

    def mid(name: str):
        return "m" + k + f"_{name}"

    return rx.card(
        column(
            rx.flex(
                field(
                    "Nivå",
                    forms.select(
                        mid("level"),
                        *[rx.select.item(label, value=code) for code, label in MEASURE_LEVELS],
                        name=mid("level"),
                        default_value=row["level"],
                    ),
                    mid("level"),
                ),
                field(
                    "Ansvarig i Värna",
                    rx.el.select(
                        rx.el.option("Ingen vald (skriv namnet)", value=""),
                        rx.foreach(
                            S.measure_users,
                            lambda u: rx.el.option(u["name"], value=u["id"]),
                        ),
                        id=mid("responsible_user_id"),
                        name=mid("responsible_user_id"),
                        default_value=row["responsible_user_id"],
                        class_name="kb-select",
                    ),
                    mid("responsible_user_id"),
                    hint="Påminns med e-post när åtgärden ska vara klar.",
                ),
                field(
                    "Ansvarig",
                    rx.input(
                        id=mid("responsible"),
                        name=mid("responsible"),
                        default_value=row["responsible"],
                        width="100%",
                    ),
                    mid("responsible"),
                    hint="Namn, också för någon utanför Värna.",
                ),
                field("Senast", date_input(mid("due_on"), row["due_on"]), mid("due_on")),
                direction=rx.breakpoints(initial="column", md="row"),
                spacing="3",
                width="100%",
            ),
            field(
                "Åtgärd",
                textarea(mid("description"), rows=2, default=row["description"]),
                mid("description"),
            ),
            button(
                "Ta bort",
                "trash-2",
                icon_size=14,
                type="button",
                variant="ghost",
                color_scheme="gray",
                size="1",
                on_click=S.remove_measure_row(k),
            ),
            spacing="2",
        ),
        key=k + "-" + S.form_key.to_string(),
        variant="surface",
        width="100%",
    )


def measures_form(decide: bool) -> rx.Component:
    """The proposal (investigator) or decision (principal) of measures."""
    intro = (
        "Besluta om de åtgärder som skäligen kan krävas för att förhindra fortsatt "
        "kränkande behandling, eller motivera att inga behövs."
        if decide
        else "Föreslå åtgärder. Rektor beslutar sedan om dem."
    )
    proposal = (
        [
            rx.cond(
                S.proposal_by != "",
                rx.callout(S.proposal_by + ". Förslaget är ifyllt nedan.", icon="info", size="1"),
            )
        ]
        if decide
        else []
    )
    return case_form(
        "d-" if decide else "p-",
        S.submit_decision if decide else S.submit_proposal,
        rx.text(intro, size="2"),
        *proposal,
        form_error(),
        forms.checkbox(
            "Inga åtgärder behövs",
            "none_needed",
            checked=S.none_needed,
            on_change=S.set_none_needed,
            name="none_needed",
        ),
        rx.cond(
            S.none_needed,
            field(
                "Motivering",
                textarea("none_reason", rows=3, default=S.none_reason),
                "none_reason",
                hint="Förklara varför inga åtgärder behövs.",
            ),
            column(
                error_for("measures"),
                rx.foreach(S.measure_rows, measure_row),
                button(
                    "Lägg till åtgärd",
                    "plus",
                    type="button",
                    on_click=S.add_measure_row,
                    size=None,
                ),
            ),
        ),
        submit("Besluta åtgärder", "gavel") if decide else submit("Föreslå åtgärder", "send"),
    )


def follow_up_form() -> rx.Component:
    """When the follow-up was made, whether it stopped, what it showed."""
    return case_form(
        "f-",
        S.submit_follow_up,
        form_error(),
        field("Datum för uppföljningen", date_input("followed_up_on"), "followed_up_on"),
        choices(
            "Har kränkningarna upphört?",
            rx.box(
                radio("stopped", [("yes", "Ja"), ("no", "Nej, nya åtgärder behövs")]),
                padding_top="0.4rem",
            ),
            "stopped",
        ),
        field(
            "Vad visade uppföljningen?",
            textarea("notes", rows=4),
            "notes",
            hint="Om kränkningarna inte har upphört går ärendet tillbaka till beslut om nya åtgärder.",
        ),
        submit("Spara uppföljningen"),
    )


def _text_form(prefix, on_submit, intro: rx.Component, label: str, key: str, action, **props):
    """A step that takes one text: what it means, the form's error, the text, the button."""
    return case_form(
        prefix,
        on_submit,
        intro,
        form_error(),
        field(label, textarea(key, rows=3), key),
        action,
        **props,
    )


def close_form() -> rx.Component:
    intro = rx.text(
        "Alla steg är gjorda och uppföljningen visar att kränkningarna har upphört. "
        "Ärendet kan avslutas.",
        size="2",
    )
    action = submit("Avsluta ärendet", "circle-check-big")
    return _text_form("c-", S.submit_close, intro, "Sammanfattning", "summary", action)


def reopen_form() -> rx.Component:
    intro = rx.text(
        "Ett avslutat ärende kan återöppnas, till exempel om kränkningarna har börjat "
        "igen. Utredningen kompletteras då och följs av nya steg.",
        size="2",
        color=GRAY,
    )
    action = button("Återöppna ärendet", "rotate-ccw", type="submit")
    label = "Skäl till att ärendet återöppnas"
    return _text_form("r-", S.submit_reopen, intro, label, "reason", action, spacing="3")


def stale_notice() -> rx.Component:
    """Said in the form's card when its step was recorded elsewhere meanwhile."""
    return rx.cond(
        S.stale_form != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("info")),
            rx.vstack(
                rx.callout.text(S.stale_form),
                button("Visa nästa steg", "arrow-right", on_click=S.show_next_step),
                spacing="2",
                align="start",
            ),
            color_scheme="amber",
            role="status",
            id="kb-stale-form",
        ),
    )


def next_step_card() -> rx.Component:
    """The form of the step that is the user's to take, under its title."""
    title = rx.match(
        S.form,
        ("receive", "Ta emot anmälan"),
        ("start", "Påbörja utredningen"),
        ("begin", "Påbörja utredningen"),
        ("investigate", "Registrera utredningen"),
        ("propose", "Föreslå åtgärder"),
        ("decide", "Besluta om åtgärder"),
        ("follow_up", "Följ upp åtgärderna"),
        ("close", "Avsluta ärendet"),
        ("reopen", "Återöppna ärendet"),
        "Nästa steg",
    )
    body = rx.match(
        S.form,
        ("receive", receive_form()),
        ("start", start_form()),
        ("begin", begin_form()),
        ("investigate", investigation_form()),
        ("propose", measures_form(False)),
        ("decide", measures_form(True)),
        ("follow_up", follow_up_form()),
        ("close", close_form()),
        ("reopen", reopen_form()),
        rx.text(
            rx.cond(
                S.head["waiting_for"] != "",
                "Väntar på: " + S.head["waiting_for"] + ".",
                "Det finns inget steg för dig att göra i ärendet just nu.",
            ),
            size="2",
            color=GRAY,
        ),
    )
    return rx.cond(
        S.flags["closed"] & (S.form == ""),
        rx.fragment(),
        card(
            column(rx.heading(title, size="5", as_="h2"), stale_notice(), body),
            size="3",
            class_name="kb-noprint kb-next",
        ),
    )
