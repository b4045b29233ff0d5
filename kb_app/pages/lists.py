"""The overview (placeholder list) and "Mina ärenden"."""

from __future__ import annotations

import reflex as rx

from kb_app.components.case_table import case_table
from kb_app.components.layout import page_frame
from kb_app.state.cases import MyCasesState, OverviewState


def overview_page() -> rx.Component:
    return page_frame(
        "Översikt",
        lambda: rx.vstack(
            rx.text(
                "De senaste ärendena för de enheter du ansvarar för.",
                color=rx.color("gray", 11),
            ),
            case_table(OverviewState.rows, "Inga ärenden ännu."),
            spacing="3",
            width="100%",
        ),
    )


def my_cases_page() -> rx.Component:
    return page_frame(
        "Mina ärenden",
        lambda: rx.vstack(
            rx.text(
                "Ärenden som har delegerats till dig för utredning.", color=rx.color("gray", 11)
            ),
            case_table(MyCasesState.rows, "Inga ärenden är delegerade till dig just nu."),
            spacing="3",
            width="100%",
        ),
    )
