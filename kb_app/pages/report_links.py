"""``/anmalningslankar``: each unit's report link, to copy or rotate."""

from __future__ import annotations

import reflex as rx

from kb_app import routes
from kb_app.components.blocks import (
    action_button,
    callout_when,
    column,
    copy_link_button,
    lead_text,
    muted,
)
from kb_app.components.layout import page_frame
from kb_app.state.report_links import ReportLinksState as S


def _rotate_dialog(row) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            action_button(
                "refresh-cw",
                rx.cond(row["url"] != "", "Byt länk", "Skapa länk"),
                variant="soft",
                color_scheme="gray",
                size="3",
                aria_label=rx.cond(row["url"] != "", "Byt länk för ", "Skapa länk för ")
                + row["unit"],
            )
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Byta länk för " + row["unit"] + "?"),
            rx.alert_dialog.description(
                "Den nuvarande länken slutar fungera direkt, och personalen behöver få den nya. "
                "Byt länk om den har hamnat hos fel personer. Anmälningar som redan har kommit "
                "in påverkas inte.",
                size="2",
            ),
            rx.flex(
                rx.alert_dialog.cancel(rx.button("Avbryt", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button("Byt länk", color_scheme="red", on_click=S.rotate(row["unit_id"]))
                ),
                spacing="3",
                justify="end",
                margin_top="1rem",
            ),
            max_width="28rem",
        ),
    )


def _link_card(row) -> rx.Component:
    input_id = "link-" + row["unit_id"]
    return rx.card(
        column(
            rx.flex(
                rx.heading(row["unit"], as_="h2", size="4", weight="medium"),
                rx.spacer(),
                rx.cond(
                    row["since"] != "",
                    muted("Gäller sedan " + row["since"], size="2", shade=10),
                ),
                align="center",
                wrap="wrap",
                spacing="2",
                width="100%",
            ),
            rx.cond(
                row["url"] != "",
                column(
                    rx.el.label("Anmälningslänk", html_for=input_id, class_name="kb-label"),
                    rx.flex(
                        rx.box(
                            rx.input(
                                id=input_id,
                                value=row["url"],
                                read_only=True,
                                size="3",
                                width="100%",
                                class_name="kb-mono",
                            ),
                            flex="1",
                            min_width="0",
                            width="100%",
                        ),
                        rx.hstack(
                            copy_link_button(
                                row["url"],
                                "Kopiera",
                                size="3",
                                aria_label="Kopiera länken för " + row["unit"],
                            ),
                            _rotate_dialog(row),
                            rx.link(
                                action_button(
                                    "printer",
                                    "Affisch",
                                    variant="soft",
                                    color_scheme="gray",
                                    size="3",
                                    tab_index=-1,
                                ),
                                href=routes.POSTER + "/" + row["unit_id"],
                                is_external=True,
                                aria_label="Affisch med QR-kod för " + row["unit"],
                            ),
                            align="center",
                            spacing="2",
                            flex_shrink="0",
                            wrap="wrap",
                        ),
                        spacing="2",
                        direction=rx.breakpoints(initial="column", md="row"),
                        align=rx.breakpoints(initial="start", md="center"),
                        width="100%",
                    ),
                    spacing="1",
                ),
                rx.hstack(
                    muted("Enheten har ingen aktiv länk."),
                    _rotate_dialog(row),
                    align="center",
                    spacing="3",
                ),
            ),
            spacing="3",
        ),
        size="3",
        width="100%",
    )


def report_links_page() -> rx.Component:
    return page_frame(
        "Anmälningslänkar",
        lambda: column(
            lead_text(
                "Personalen anmäler kränkande behandling via enhetens länk, utan inloggning. "
                "Dela länken internt, till exempel på intranätet eller i personalrummet. "
                "Den som har länken kan skicka in en anmälan men inte läsa några ärenden.",
                "50rem",
            ),
            callout_when(S.notice, icon="check", color_scheme="green", width="100%"),
            rx.cond(
                S.rows.length() > 0,
                column(
                    rx.foreach(S.rows, _link_card),
                    spacing="3",
                ),
                rx.card(muted("Du ansvarar inte för några enheter.")),
            ),
        ),
    )
