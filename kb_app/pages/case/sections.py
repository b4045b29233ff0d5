"""The content sections of the case page: incident, timeline, note, parties,
promptness, measures."""

from __future__ import annotations

import reflex as rx

from kb_app.components.case_table import scroll_table
from kb_app.components.forms import radio, textarea
from kb_app.pages.case.parts import (
    GRAY,
    button,
    card,
    case_form,
    column,
    field,
    kv,
    listing,
    section,
    two_lines,
)
from kb_app.state.case import CaseState as S


def incident_section() -> rx.Component:
    """The report: when, where, what kind, who reported it, and its texts."""

    def para(label: str, value) -> rx.Component:
        return rx.cond(
            value != "",
            rx.vstack(
                rx.text(label, size="1", color=rx.color("gray", 10), weight="medium"),
                rx.text(value, size="2", white_space="pre-wrap"),
                spacing="1",
                align="start",
                width="100%",
            ),
        )

    return section(
        "Anmälan",
        rx.grid(
            kv("När", S.head["occurred"]),
            kv("Var", S.head["place"]),
            kv("Slag av kränkning", S.head["kinds"]),
            kv(
                "Diskrimineringsgrund",
                rx.cond(S.head["grounds"] != "", S.head["grounds"], "Ingen angiven"),
            ),
            kv("Vårdnadshavare informerade", S.head["guardians_informed"]),
            kv("Anmälare", S.head["reporter"]),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="3",
            width="100%",
        ),
        para("Vad hände", S.head["description"]),
        para("Åtgärder som vidtogs direkt", S.head["immediate_actions"]),
        para("Vittnen", S.head["witnesses"]),
        para("Slutsats av utredningen", S.head["conclusion"]),
        icon="file-text",
    )


def timeline_item(ev) -> rx.Component:
    """One event: what, when, who, and its details."""
    return rx.box(
        rx.flex(
            rx.text(ev["label"], weight="bold", size="2"),
            rx.text(ev["when"], size="2", color=GRAY),
            rx.text("·", size="2", color=rx.color("gray", 8)),
            rx.text(ev["who"], size="2", color=GRAY),
            spacing="2",
            wrap="wrap",
            align="baseline",
        ),
        rx.cond(
            ev["details"] != "",
            rx.text(ev["details"], size="2", white_space="pre-wrap", margin_top="0.15rem"),
        ),
        border_left=f"3px solid {rx.color('teal', 6)}",
        padding_left="0.9rem",
        padding_y="0.35rem",
        class_name="kb-event",
    )


def timeline_section() -> rx.Component:
    """Every step with who and when, oldest first."""
    return section(
        "Tidslinje",
        rx.text("Varje steg med vem och när. Äldst först, senast nederst.", size="1", color=GRAY),
        rx.vstack(
            rx.foreach(S.timeline, timeline_item), spacing="2", width="100%", align="stretch"
        ),
        icon="history",
        id="tidslinje",
    )


def note_section() -> rx.Component:
    """An internal comment or a supplement with new information."""
    return rx.cond(
        S.flags["can_comment"],
        section(
            "Kommentar eller komplettering",
            case_form(
                "n-",
                S.submit_note,
                radio(
                    "note_kind",
                    [
                        ("comment", "Intern kommentar"),
                        ("supplement", "Komplettering (nya uppgifter)"),
                    ],
                    direction="row",
                    default="comment",
                ),
                field("Text", textarea("text", rows=3), "text"),
                button(
                    "Spara",
                    "message-square-plus",
                    type="submit",
                    size=None,
                ),
                spacing="3",
            ),
            icon="message-square",
            class_name="kb-noprint",
        ),
    )


def parties_section() -> rx.Component:
    """The children and adults the case is about."""
    return section(
        "Parter",
        listing(
            S.parties,
            lambda p: rx.hstack(
                rx.badge(
                    p["role"],
                    color_scheme=rx.cond(p["role"] == "Utsatt", "teal", "gray"),
                    variant="soft",
                ),
                two_lines(
                    p["name"],
                    p["kind"],
                    rx.cond(p["class_name"] != "", " · " + p["class_name"], ""),
                    rx.cond(p["grade"] != "", " · " + p["grade"], ""),
                ),
                align="start",
                spacing="2",
            ),
            "Inga parter angivna.",
        ),
        icon="users",
    )


def status_badge(row) -> rx.Component:
    """Met, late or overdue."""
    return rx.badge(
        row["status_label"],
        color_scheme=rx.match(
            row["status"], ("met", "green"), ("late", "red"), ("overdue", "red"), "gray"
        ),
        variant="soft",
    )


def promptness_section() -> rx.Component:
    """Every step, its limit in working days and whether it was met."""
    return section(
        "Skyndsamhet",
        rx.text("Varje steg, dess frist i arbetsdagar och om den hölls.", size="1", color=GRAY),
        listing(
            S.promptness,
            lambda r: rx.flex(
                two_lines(
                    r["step"],
                    "Frist " + r["limit"] + ", senast " + r["due"],
                    rx.cond(r["done"] != "", ". Klart " + r["done"], ""),
                ),
                rx.spacer(),
                status_badge(r),
                align="center",
                spacing="2",
                width="100%",
            ),
            "Inga frister ännu.",
            width="100%",
        ),
        icon="timer",
    )


def closed_summary() -> rx.Component:
    """A closed case: one page that shows every step, its time, its limit, met or not."""
    return rx.cond(
        S.flags["closed"],
        card(
            column(
                rx.hstack(
                    rx.icon("circle-check-big", size=20, color=rx.color("teal", 10)),
                    rx.heading(
                        "Ärendet är avslutat: sammanfattning av skyndsamhet", size="5", as_="h2"
                    ),
                    align="center",
                    spacing="2",
                ),
                rx.text(
                    "Avslutat " + S.head["closed_at"] + ". ",
                    rx.cond(
                        S.flags["all_met"],
                        "Alla steg togs inom sina frister.",
                        "Minst ett steg togs inte inom sin frist.",
                    ),
                    size="2",
                ),
                promptness_table(),
            ),
            size="3",
        ),
    )


def promptness_table() -> rx.Component:
    """Every step: its limit, when it was due and done, the time taken, met or not."""
    return scroll_table(
        ["Steg", "Frist", "Senast", "Utfört", "Tid", "Bedömning"],
        rx.foreach(
            S.promptness,
            lambda r: rx.table.row(
                rx.table.row_header_cell(r["step"]),
                rx.table.cell(r["limit"]),
                rx.table.cell(r["due"]),
                rx.table.cell(rx.cond(r["done"] != "", r["done"], "–")),
                rx.table.cell(r["taken"]),
                rx.table.cell(status_badge(r)),
            ),
        ),
    )


def measures_section() -> rx.Component:
    """The measures decided on, with who and by when."""
    return rx.cond(
        S.measures.length() > 0,
        section(
            "Beslutade åtgärder",
            rx.vstack(
                rx.foreach(
                    S.measures,
                    lambda m: two_lines(
                        m["description"],
                        m["level"] + " · ansvarig " + m["responsible"] + " · senast " + m["due"],
                        weight=None,
                        white_space="pre-wrap",
                    ),
                ),
                spacing="3",
            ),
            icon="list-checks",
        ),
    )
