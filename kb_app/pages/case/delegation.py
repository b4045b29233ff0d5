"""Delegating the investigation: the two forms and the section."""

from __future__ import annotations

import reflex as rx

from kb_app.pages.case.parts import GRAY, field, section, submit
from kb_app.state.case import CaseState as S


def delegate_forms(intro: str) -> rx.Component:
    existing = rx.form(
        rx.vstack(
            field(
                "Utredare",
                rx.select.root(
                    rx.select.trigger(placeholder="Välj person …", width="100%", id="investigator"),
                    rx.select.content(
                        rx.foreach(S.candidates, lambda c: rx.select.item(c["name"], value=c["id"]))
                    ),
                    name="investigator",
                ),
                "investigator",
            ),
            submit("Delegera", "user-round-check"),
            spacing="3",
            align="start",
            width="100%",
        ),
        on_submit=S.delegate_existing,
        key="d-existing-" + S.form_key.to_string(),
        width="100%",
    )
    invite = rx.form(
        rx.vstack(
            field("Namn", rx.input(id="name", name="name", max_length=200, width="100%"), "name"),
            field(
                "E-postadress",
                rx.input(id="email", name="email", type="email", max_length=254, width="100%"),
                "email",
                hint="Personen får ett e-postmeddelande med en länk för att välja lösenord.",
            ),
            submit("Bjud in och delegera", "send"),
            spacing="3",
            align="start",
            width="100%",
        ),
        on_submit=S.delegate_invite,
        key="d-invite-" + S.form_key.to_string(),
        width="100%",
    )
    return rx.vstack(
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
        spacing="3",
        width="100%",
        align="stretch",
    )


def delegation_section() -> rx.Component:
    return section(
        "Utredare",
        rx.cond(
            S.delegations.length() > 0,
            rx.vstack(
                rx.foreach(
                    S.delegations,
                    lambda d: rx.vstack(
                        rx.text(d["investigator"], size="2", weight="medium"),
                        rx.text(
                            "Delegerad " + d["since"],
                            rx.cond(d["withdrawn"] != "", ", återkallad " + d["withdrawn"], ""),
                            size="1",
                            color=GRAY,
                        ),
                        spacing="0",
                    ),
                ),
                spacing="2",
            ),
            rx.text("Utredningen är inte delegerad.", size="2", color=GRAY),
        ),
        rx.cond(
            S.flags["can_withdraw"],
            rx.button(
                rx.icon("user-round-minus", size=16),
                "Återkalla delegeringen",
                on_click=S.withdraw,
                variant="soft",
                color_scheme="red",
                size="2",
                width="fit-content",
                class_name="kb-noprint",
            ),
        ),
        rx.cond(
            S.flags["can_delegate"],
            rx.box(
                rx.cond(
                    S.delegate_open,
                    delegate_forms("Delegera utredningen till en annan person."),
                    rx.button(
                        rx.icon("user-round-plus", size=16),
                        "Delegera utredningen",
                        on_click=S.open_delegate,
                        variant="soft",
                        size="2",
                    ),
                ),
                class_name="kb-noprint",
            ),
        ),
        icon="user-round-search",
    )
