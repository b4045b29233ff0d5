"""Tables of cases: the sortable overview table (with a card list on phones) and
the plain list of "Mina ärenden"; and the scrolling table the case and statistics
pages share."""

from __future__ import annotations

import reflex as rx

from kb_app import routes


def late_badge() -> rx.Component:
    return rx.badge("Försenad", color_scheme="red", variant="soft")


def staff_badge() -> rx.Component:
    return rx.badge("Personal inblandad", color_scheme="amber", variant="soft")


def scroll_table(headers, body: rx.Component, *, variant="surface", size="1", **props):
    """A table under its column headers, in a box that scrolls sideways when narrow."""
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
            rx.table.body(body),
            variant=variant,
            size=size,
            width="100%",
        ),
        **{"overflow_x": "auto", "width": "100%", **props},
    )


def _reference_cell(row, **props) -> rx.Component:
    return rx.table.row_header_cell(
        rx.link(row["reference"], href=routes.case(row["id"]), weight="medium"), **props
    )


def _row(row) -> rx.Component:
    return rx.table.row(
        _reference_cell(row),
        *[rx.table.cell(row[key]) for key in ("reported", "unit", "class_name", "kinds")],
        rx.table.cell(
            rx.hstack(
                rx.text(row["step"]),
                rx.cond(row["staff"] != "", staff_badge()),
                spacing="2",
                wrap="wrap",
            )
        ),
        rx.table.cell(row["responsible"]),
        rx.table.cell(
            rx.hstack(rx.text(row["due"]), rx.cond(row["late"] != "", late_badge()), spacing="2")
        ),
    )


def empty_card(text, *children) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.icon("inbox", size=28, color=rx.color("gray", 9)),
            rx.text(text, color=rx.color("gray", 11), align="center"),
            *children,
            align="center",
            padding_y="2rem",
        )
    )


def case_table(rows, empty_text: str) -> rx.Component:
    """A plain (unsorted) table, used by "Mina ärenden"."""
    return rx.cond(
        rows.length() > 0,
        rx.card(
            scroll_table(
                ["Ärende", "Anmält", "Enhet", "Klass", "Slag", "Steg", "Ansvarig", "Nästa frist"],
                rx.foreach(rows, _row),
                size="2",
                width=None,
            ),
            padding="0",
        ),
        empty_card(empty_text),
    )


# --- The overview ---------------------------------------------------------------------

# (sort key, header, width hint)
OVERVIEW_COLUMNS = [
    ("arende", "Ärende", "8.5rem"),
    ("datum", "Anmält", "7rem"),
    ("enhet", "Enhet", None),
    ("klass", "Klass", "6rem"),
    ("arskurs", "Åk", "3.5rem"),
    ("slag", "Slag", None),
    ("steg", "Steg", None),
    ("ansvarig", "Ansvarig", None),
    ("frist", "Frist", "7rem"),
    ("forsenad", "Försenad", "6rem"),
]


def _sort_header(key: str, label: str, width, sort_col, sort_desc, hrefs) -> rx.Component:
    active = sort_col == key
    return rx.table.column_header_cell(
        rx.link(
            rx.hstack(
                rx.text(label),
                rx.cond(
                    active,
                    rx.cond(
                        sort_desc,
                        rx.icon("arrow-down", size=14, aria_hidden="true"),
                        rx.icon("arrow-up", size=14, aria_hidden="true"),
                    ),
                    rx.icon(
                        "arrow-up-down", size=13, color=rx.color("gray", 8), aria_hidden="true"
                    ),
                ),
                spacing="1",
                align="center",
                wrap="nowrap",
            ),
            href=hrefs[key],
            color=rx.cond(active, rx.color("teal", 11), rx.color("gray", 12)),
            underline="none",
            class_name="kb-sort",
        ),
        custom_attrs={
            "aria-sort": rx.cond(active, rx.cond(sort_desc, "descending", "ascending"), "none")
        },
        width=width,
        white_space="nowrap",
    )


def _step_badge(row) -> rx.Component:
    return rx.badge(
        row["step"],
        color_scheme=rx.match(
            row["step_code"],
            ("closed", "green"),
            ("reported", "blue"),
            "gray",
        ),
        variant="soft",
        radius="full",
        white_space="normal",
    )


def _overview_row(row) -> rx.Component:
    return rx.table.row(
        _reference_cell(row, white_space="nowrap"),
        rx.table.cell(row["reported"], white_space="nowrap"),
        *[rx.table.cell(row[key]) for key in ("unit", "class_name", "grade", "kinds")],
        rx.table.cell(
            rx.flex(
                _step_badge(row),
                rx.cond(row["staff"] != "", staff_badge()),
                spacing="1",
                wrap="wrap",
            )
        ),
        rx.table.cell(row["responsible"]),
        rx.table.cell(row["due"], white_space="nowrap"),
        rx.table.cell(rx.cond(row["late"] != "", late_badge())),
        class_name=rx.cond(row["hl"] != "", "kb-hl", ""),
    )


def overview_table(rows, sort_col, sort_desc, hrefs) -> rx.Component:
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                *[
                    _sort_header(key, label, width, sort_col, sort_desc, hrefs)
                    for key, label, width in OVERVIEW_COLUMNS
                ]
            )
        ),
        rx.table.body(rx.foreach(rows, _overview_row)),
        variant="surface",
        size="1",
        width="100%",
        class_name="kb-overview-table",
    )


def _list_item(row) -> rx.Component:
    muted = rx.color("gray", 11)
    return rx.box(
        rx.flex(
            rx.link(row["reference"], href=routes.case(row["id"]), weight="bold", size="3"),
            rx.spacer(),
            rx.text(row["reported"], size="2", color=muted),
            align="center",
            spacing="2",
        ),
        rx.text(
            row["unit"],
            rx.cond(row["class_name"] != "", " · " + row["class_name"], ""),
            size="2",
            color=muted,
        ),
        rx.flex(
            _step_badge(row),
            rx.cond(row["late"] != "", late_badge()),
            rx.cond(row["staff"] != "", staff_badge()),
            spacing="1",
            wrap="wrap",
            margin_top="0.4rem",
        ),
        rx.flex(
            rx.text(row["kinds"], size="2"),
            rx.spacer(),
            rx.cond(row["due"] != "", rx.text("Frist " + row["due"], size="2", color=muted)),
            spacing="2",
            margin_top="0.3rem",
            wrap="wrap",
        ),
        rx.cond(
            row["responsible"] != "",
            rx.text("Ansvarig: " + row["responsible"], size="2", color=muted),
        ),
        padding="0.75rem 1rem",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        class_name=rx.cond(row["hl"] != "", "kb-hl", ""),
    )


def overview_list(rows) -> rx.Component:
    """The same rows as cards, for narrow screens."""
    return rx.box(rx.foreach(rows, _list_item), aria_label="Ärenden")
