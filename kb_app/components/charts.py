"""A chart card: title, note, a plotly chart, and the same figures as a table
(behind "Visa som tabell"), so screen readers and keyboard users get the data."""

from __future__ import annotations

import reflex as rx
from plotly.graph_objs import Figure

from kb_app.state.figures import CONFIG


def data_table(headers, rows) -> rx.Component:
    """A table from Vars: headers (list[str]) and rows (list[list[str]]); the first
    cell of each row is its header."""
    return rx.box(
        rx.table.root(
            rx.table.header(
                rx.table.row(rx.foreach(headers, lambda h: rx.table.column_header_cell(h)))
            ),
            rx.table.body(
                rx.foreach(
                    rows,
                    lambda row: rx.table.row(
                        rx.foreach(
                            row,
                            lambda cell, i: rx.cond(
                                i == 0,
                                rx.table.row_header_cell(cell),
                                rx.table.cell(cell),
                            ),
                        )
                    ),
                )
            ),
            size="1",
            variant="ghost",
            width="100%",
        ),
        overflow_x="auto",
        width="100%",
    )


def chart_card(key: str, state, *, wide: bool = False) -> rx.Component:
    title = state.titles[key]
    return rx.card(
        rx.vstack(
            rx.heading(title, size="3", as_="h2", weight="medium"),
            rx.text(state.notes[key], size="2", color=rx.color("gray", 11)),
            rx.box(
                rx.plotly.cartesian(
                    data=state.figs[key].to(Figure),
                    config=CONFIG,
                    locale="sv",
                    use_resize_handler=True,
                    width="100%",
                ),
                role="img",
                aria_label=f"Diagram: {title}. Samma uppgifter finns i tabellen under diagrammet.",
                class_name="kb-chart",
                width="100%",
                min_height="150px",
            ),
            rx.el.details(
                rx.el.summary(
                    "Visa som tabell",
                    cursor="pointer",
                    color=rx.color("teal", 11),
                    font_size="var(--font-size-2)",
                ),
                rx.box(data_table(state.heads[key], state.rows[key]), padding_top="0.5rem"),
                class_name="kb-table-view",
                width="100%",
            ),
            spacing="2",
            width="100%",
            align="stretch",
        ),
        grid_column=["auto", "auto", "span 2"] if wide else "auto",
        width="100%",
        min_width="0",
        data_chart=key,
    )
