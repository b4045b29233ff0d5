"""/arenden/<id>: the case page."""

from __future__ import annotations

import reflex as rx

from kb_app.pages.case.delegation import delegation_section
from kb_app.pages.case.header import conflict_banner, facts_bar, header, notice, staff_banner
from kb_app.pages.case.parts import column
from kb_app.pages.case.sections import (
    access_log_section,
    attachments_section,
    closed_summary,
    incident_section,
    measures_section,
    note_section,
    parties_section,
    promptness_section,
    timeline_section,
)
from kb_app.pages.case.step_forms import next_step_card
from kb_app.state.case import CaseState as S


def _pane(flex: str, *sections: rx.Component) -> rx.Component:
    """One of the page's two columns (side by side on wide screens)."""
    return rx.vstack(*sections, spacing="4", flex=flex, min_width="0", width="100%")


def case_content() -> rx.Component:
    """The case page: header and banners, then the two columns."""
    return column(
        header(),
        notice(),
        conflict_banner(),
        staff_banner(),
        facts_bar(),
        closed_summary(),
        rx.flex(
            _pane(
                "2",
                next_step_card(),
                incident_section(),
                timeline_section(),
                attachments_section(),
                note_section(),
            ),
            _pane(
                "1",
                parties_section(),
                delegation_section(),
                measures_section(),
                rx.cond(~S.flags["closed"], promptness_section()),
                access_log_section(),
            ),
            direction=rx.breakpoints(initial="column", md="row"),
            spacing="4",
            width="100%",
            align="start",
        ),
        spacing="4",
    )
