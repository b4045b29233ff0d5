"""The case page's header, facts bar and banners."""

from __future__ import annotations

import reflex as rx

from kb_app import routes
from kb_app.components.case_table import late_badge
from kb_app.components.forms import textarea
from kb_app.pages.case.parts import (
    GRAY,
    button,
    card,
    case_form,
    document_button,
    field,
    form_error,
    kv,
    link_button,
    pdf_button,
)
from kb_app.state.case import CaseState as S


def header() -> rx.Component:
    """Back link, reference, step and late badge, unit; the export buttons."""
    bar = {"spacing": "3", "align": "end", "wrap": "wrap", "width": "100%"}
    return rx.flex(_title(), rx.spacer(), _exports(), **bar)


def _title() -> rx.Component:
    return rx.vstack(
        rx.link(
            rx.hstack(rx.icon("arrow-left", size=14), rx.text("Till listan", size="2")),
            href="/",
            color=GRAY,
            class_name="kb-noprint",
        ),
        rx.hstack(
            rx.heading(S.head["reference"], size="7", as_="h1"),
            rx.badge(S.head["step"], color_scheme="teal", variant="soft", size="2"),
            rx.cond(S.flags["late"], late_badge()),
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        rx.text(
            S.head["unit"],
            rx.cond(S.head["class_name"] != "", " · " + S.head["class_name"], ""),
            rx.cond(S.head["grade"] != "", " · " + S.head["grade"], ""),
            color=GRAY,
            size="3",
        ),
        spacing="1",
        align="start",
    )


def _exports() -> rx.Component:
    file_href = routes.case_file(S.open_case_id)
    return rx.cond(
        S.flags["can_export"],
        rx.hstack(
            link_button("Ärendeakt", "printer", file_href, variant="soft"),
            pdf_button("PDF", variant="soft"),
            document_button(
                "Svarspaket",
                "file-lock-2",
                routes.reply_pack_preview(S.open_case_id),
                variant="soft",
                id="reply-pack-button",
            ),
            spacing="2",
            class_name="kb-noprint",
        ),
    )


def facts_bar() -> rx.Component:
    """Next step, who is responsible, its limit, when reported."""
    return card(
        rx.grid(
            kv(
                "Nästa steg",
                rx.cond(S.flags["closed"], "Inget, ärendet är avslutat", S.head["next_step"]),
            ),
            kv("Ansvarig", S.head["responsible"]),
            kv(
                "Frist för nästa steg",
                S.head["due"],
                rx.cond(S.flags["late"], late_badge()),
            ),
            kv("Anmält", S.head["reported"]),
            columns=rx.breakpoints(initial="2", md="4"),
            spacing="4",
            width="100%",
        ),
    )


_BANNER = {"color_scheme": "amber", "variant": "surface", "width": "100%"}


def staff_banner() -> rx.Component:
    """When staff are involved: what that means, and the organiser's take-over."""
    return rx.cond(
        S.flags["staff_involved"],
        rx.callout.root(
            rx.callout.icon(rx.icon("user-round-x")),
            rx.vstack(
                rx.text("Personal är inblandad", weight="bold"),
                rx.text(
                    "Anmälan gäller en vuxen i verksamheten (skollagen 6 kap. 9 §). "
                    "Huvudmannen ser ärendet och kan ta över ansvaret, till exempel om "
                    "rektor själv är inblandad.",
                    size="2",
                ),
                rx.cond(
                    S.head["taken_over_by"] != "",
                    rx.text(
                        "Huvudmannen har tagit över ansvaret: " + S.head["taken_over_by"] + ".",
                        size="2",
                        weight="medium",
                    ),
                ),
                rx.cond(S.flags["can_take_over"], _take_over_form()),
                spacing="2",
                align="start",
            ),
            **_BANNER,
        ),
    )


def _take_over_form() -> rx.Component:
    """ "Ta över ärendet" with its reason (required; recorded in the timeline)."""
    return case_form(
        "to-",
        S.submit_take_over,
        form_error(),
        field(
            "Skäl till att huvudmannen tar över",
            textarea("reason", rows=2),
            "reason",
            hint="Skälet skrivs in i ärendets tidslinje. Nästa steg blir huvudmannens.",
        ),
        button("Ta över ärendet", "hand", type="submit", color_scheme="amber", variant="solid"),
        spacing="2",
        align="start",
    )


def conflict_banner() -> rx.Component:
    """Jäv: who is kept away from the case, and the organiser's confirm / reject."""
    return rx.cond(
        S.head["conflict"] != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("shield-alert")),
            rx.vstack(
                rx.text(S.head["conflict"], weight="bold", id="kb-conflict"),
                rx.foreach(S.conflicts, _conflict_row),
                spacing="2",
                align="start",
            ),
            color_scheme="red",
            variant="surface",
            width="100%",
            role="alert",
        ),
    )


def _conflict_row(c) -> rx.Component:
    return rx.hstack(
        rx.text(c["name"] + ": " + c["status_label"], size="2"),
        rx.cond(
            c["open"] != "",
            rx.hstack(
                button(
                    "Bekräfta jävet",
                    "check",
                    on_click=S.resolve_conflict(c["id"], "confirmed"),
                    color_scheme="red",
                ),
                button(
                    "Avvisa (inte samma person)",
                    "x",
                    on_click=S.resolve_conflict(c["id"], "rejected"),
                    color_scheme="gray",
                ),
                spacing="2",
            ),
        ),
        spacing="3",
        align="center",
        wrap="wrap",
    )


def notice() -> rx.Component:
    """What the last action did."""
    return rx.cond(
        S.notice != "",
        rx.callout(
            S.notice, icon="circle-check", color_scheme="green", role="status", width="100%"
        ),
    )
