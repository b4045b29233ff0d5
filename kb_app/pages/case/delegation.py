"""Delegating the investigation: the two forms and the section."""

from __future__ import annotations

import reflex as rx

from kb_app.components import forms
from kb_app.pages.case.parts import (
    GRAY,
    button,
    case_form,
    column,
    field,
    listing,
    section,
    submit,
    two_lines,
)
from kb_app.state.case import CaseState as S


def delegate_forms(intro: str) -> rx.Component:
    """Delegate to a person in the organisation, or invite a new one."""
    existing = case_form(
        "d-existing-",
        S.delegate_existing,
        field(
            "Utredare",
            forms.select(
                "investigator",
                rx.foreach(S.candidates, lambda c: rx.select.item(c["name"], value=c["id"])),
                placeholder="Välj person …",
                name="investigator",
            ),
            "investigator",
        ),
        submit("Delegera", "user-round-check"),
        spacing="3",
        align="start",
    )
    invite = case_form(
        "d-invite-",
        S.delegate_invite,
        field("Namn", rx.input(id="name", name="name", width="100%"), "name"),
        field(
            "E-postadress",
            rx.input(id="email", name="email", type="email", width="100%"),
            "email",
            hint="Personen får ett e-postmeddelande med en länk för att välja lösenord.",
        ),
        submit("Bjud in och delegera", "send"),
        spacing="3",
        align="start",
    )
    return column(
        rx.text(intro, size="2", color=GRAY),
        rx.segmented_control.root(
            rx.segmented_control.item("I organisationen", value="existing"),
            rx.segmented_control.item("Bjud in ny", value="invite"),
            value=S.delegate_mode,
            on_change=S.set_delegate_mode,
            size="2",
            width="100%",
        ),
        rx.cond(S.delegate_mode == "invite", invite, existing),
    )


def delegation_section() -> rx.Component:
    """Who investigates, since when; withdraw or delegate."""
    return section(
        "Utredare",
        listing(
            S.delegations,
            lambda d: two_lines(
                d["investigator"],
                "Delegerad " + d["since"],
                rx.cond(d["withdrawn"] != "", ", återkallad " + d["withdrawn"], ""),
            ),
            "Utredningen är inte delegerad.",
        ),
        rx.cond(
            S.flags["can_withdraw"],
            button(
                "Återkalla delegeringen",
                "user-round-minus",
                on_click=S.withdraw,
                color_scheme="red",
                class_name="kb-noprint",
            ),
        ),
        rx.cond(
            S.flags["can_delegate"],
            rx.box(
                rx.cond(
                    S.delegate_open,
                    delegate_forms("Delegera utredningen till en annan person."),
                    button(
                        "Delegera utredningen",
                        "user-round-plus",
                        on_click=S.open_delegate,
                        width=None,
                    ),
                ),
                class_name="kb-noprint",
            ),
        ),
        icon="user-round-search",
    )
