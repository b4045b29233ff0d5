"""The table of cases shared by the overview and "Mina ärenden"."""

from __future__ import annotations

import reflex as rx


def late_badge() -> rx.Component:
    return rx.badge("Försenad", color_scheme="red", variant="soft")


def _row(row) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.link(row["reference"], href="/arenden/" + row["id"], weight="medium")
        ),
        rx.table.cell(row["reported"]),
        rx.table.cell(row["unit"]),
        rx.table.cell(row["class_name"]),
        rx.table.cell(row["kinds"]),
        rx.table.cell(
            rx.hstack(
                rx.text(row["step"]),
                rx.cond(
                    row["staff"] != "",
                    rx.badge("Personal inblandad", color_scheme="amber", variant="soft"),
                ),
                spacing="2",
                wrap="wrap",
            )
        ),
        rx.table.cell(row["responsible"]),
        rx.table.cell(
            rx.hstack(rx.text(row["due"]), rx.cond(row["late"] != "", late_badge()), spacing="2")
        ),
    )


def case_table(rows, empty_text: str) -> rx.Component:
    return rx.cond(
        rows.length() > 0,
        rx.card(
            rx.box(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *[
                                rx.table.column_header_cell(h)
                                for h in [
                                    "Ärende",
                                    "Anmält",
                                    "Enhet",
                                    "Klass",
                                    "Slag",
                                    "Steg",
                                    "Ansvarig",
                                    "Nästa frist",
                                ]
                            ]
                        )
                    ),
                    rx.table.body(rx.foreach(rows, _row)),
                    variant="surface",
                    size="2",
                    width="100%",
                ),
                overflow_x="auto",
            ),
            padding="0",
        ),
        rx.card(
            rx.vstack(
                rx.icon("inbox", size=28, color=rx.color("gray", 9)),
                rx.text(empty_text, color=rx.color("gray", 11)),
                align="center",
                padding_y="2rem",
            )
        ),
    )
