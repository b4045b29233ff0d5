"""The report's receipt, and the page for a link that no longer works."""

from __future__ import annotations

import reflex as rx

from kb_app.components.blocks import action_button, column, copy_link_button, message_card, muted
from kb_app.components.layout import loading_view, public_frame
from kb_app.pages.report.files import reporter_files
from kb_app.pages.report.inputs import S, done_heading, public_card


def receipt() -> rx.Component:
    return public_card(
        done_heading(
            rx.cond(
                S.already_received,
                "Anmälan var redan mottagen",
                "Tack – anmälan är skickad",
            )
        ),
        rx.box(
            muted(
                "Ärendenummer",
                size="2",
            ),
            rx.text(
                S.reference,
                size="7",
                weight="bold",
                class_name="kb-reference",
                id="kb-reference",
            ),
            padding="1rem",
            border_radius="var(--radius-3)",
            background=rx.color("teal", 2),
            border=f"1px solid {rx.color('teal', 5)}",
            width="100%",
        ),
        rx.text(
            "Rektor och huvudmannen har fått ett meddelande om att en anmälan har kommit in. "
            "Ange ärendenumret om du har kontakt med skolan om händelsen.",
            size="3",
        ),
        rx.heading("Vad händer nu?", as_="h2", size="4", weight="medium"),
        rx.el.ol(
            rx.el.li("Rektor tar emot anmälan och ser till att barnet eller eleven är trygg."),
            rx.el.li("Huvudmannen har fått veta att anmälan har kommit in."),
            rx.el.li(
                "Det som hänt utreds skyndsamt. Behövs det sätts åtgärder in så att "
                "kränkningarna upphör."
            ),
            rx.el.li("Rektor eller den som utreder kan kontakta dig om något behöver klaras ut."),
            class_name="kb-steps",
        ),
        rx.cond(
            S.supplement_link != "",
            rx.callout.root(
                rx.callout.icon(rx.icon("key-round")),
                rx.callout.text(
                    rx.text("Spara din länk för komplettering", weight="bold"),
                    rx.text(
                        "Med länken kan du lägga till uppgifter senare, till exempel om "
                        "något nytt händer. Den visas bara nu på sidan, och vi har skickat "
                        "den och ärendenumret till din e-postadress (inga uppgifter om "
                        "händelsen). Länken ger inte tillgång till anmälan. Dela den inte "
                        "med någon.",
                    ),
                ),
                color_scheme="amber",
                width="100%",
            ),
        ),
        rx.cond(
            S.supplement_link != "",
            column(
                rx.text(
                    "Länk för komplettering",
                    id="kb-supplement-label",
                    class_name="kb-label",
                ),
                rx.text(
                    S.supplement_link,
                    id="kb-supplement",
                    class_name="kb-linkbox",
                    custom_attrs={"aria-labelledby": "kb-supplement-label"},
                ),
                copy_link_button(
                    S.supplement_link,
                    "Kopiera länken",
                    size="2",
                    variant="soft",
                    type="button",
                ),
                spacing="2",
            ),
        ),
        rx.cond(S.supplement_link != "", reporter_files(S)),
        rx.divider(),
        action_button(
            "file-plus",
            "Gör en ny anmälan",
            on_click=S.new_report,
            variant="outline",
            size="2",
            type="button",
        ),
    )


def link_invalid(title: str = "Länken gäller inte längre") -> rx.Component:
    """Deliberately says nothing about any unit or organisation."""
    return message_card(
        "link-2-off",
        rx.heading(title, as_="h1", size="6", align="center"),
        muted(
            "Länken har bytts ut eller finns inte. Fråga din rektor eller förskolechef "
            "efter den aktuella länken.",
            align="center",
        ),
        muted(
            "Är det bråttom? Berätta direkt för rektor vad som har hänt.",
            align="center",
            size="2",
            shade=10,
        ),
        icon_size=32,
        padding_y="1rem",
        card_props={"size": rx.breakpoints(initial="3", sm="4"), "width": "100%"},
    )


def public_page(status, max_width: str, *cases) -> rx.Component:
    """A public page by its status: the cases, "invalid" (the link), or loading."""
    return public_frame(
        rx.match(status, *cases, ("invalid", link_invalid()), loading_view()),
        max_width=max_width,
    )
