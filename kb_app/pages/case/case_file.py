"""/arenden/<id>/akt: the printable case file."""

from __future__ import annotations

import reflex as rx
from reflex.vars import FunctionVar

from kb_app import routes
from kb_app.pages.case.parts import GRAY, button, column, pdf_button
from kb_app.pages.case.sections import promptness_table, timeline_item
from kb_app.state.case import CaseState as S


def _file_row(head, *cells) -> rx.Component:
    return rx.table.row(rx.table.row_header_cell(head, width="14rem"), rx.table.cell(*cells))


def _file_kv(label: str, value) -> rx.Component:
    return _file_row(label, rx.text(rx.cond(value != "", value, "–"), white_space="pre-wrap"))


def _file_table(*rows) -> rx.Component:
    return rx.table.root(rx.table.body(*rows), variant="ghost", size="1", width="100%")


def _head_rows(*rows: tuple[str, str]) -> list[rx.Component]:
    """The case's own facts: (label, key of the head) a row."""
    return [_file_kv(label, S.head[key]) for label, key in rows]


def case_file_content() -> rx.Component:
    """The printable case file: facts, parties, measures, promptness, timeline."""
    return column(
        rx.hstack(
            rx.link(
                rx.hstack(rx.icon("arrow-left", size=14), rx.text("Till ärendet", size="2")),
                href=routes.case(S.open_case_id),
                color=GRAY,
            ),
            rx.spacer(),
            button(
                "Skriv ut",
                "printer",
                # a compiled function, not a string the browser must eval (see headers.py)
                on_click=rx.call_function(rx.Var("() => window.print()").to(FunctionVar)),
                size=None,
                width=None,
            ),
            pdf_button("Ladda ner PDF"),
            width="100%",
            class_name="kb-noprint",
            align="center",
        ),
        rx.card(
            column(
                rx.heading("Ärendeakt " + S.head["reference"], size="7", as_="h1"),
                rx.text(
                    "Utskriven " + S.head["printed"] + " av " + S.head["printed_by"] + ". "
                    "Omfattas av sekretess enligt offentlighets- och sekretesslagen 23 kap.",
                    size="1",
                    color=GRAY,
                ),
                rx.heading("Ärendet", size="4", as_="h2"),
                _file_table(
                    *_head_rows(
                        ("Enhet", "unit"),
                        ("Klass / avdelning", "class_name"),
                        ("Årskurs", "grade"),
                        ("Anmält", "reported"),
                        ("Steg", "step"),
                        ("Ansvarig", "responsible"),
                    ),
                    _file_kv("Personal inblandad", rx.cond(S.flags["staff_involved"], "Ja", "Nej")),
                    _file_kv("Slutsats", S.head["conclusion"]),
                ),
                rx.heading("Händelsen", size="4", as_="h2"),
                _file_table(
                    *_head_rows(
                        ("När", "occurred"),
                        ("Var", "place"),
                        ("Slag", "kinds"),
                        ("Diskrimineringsgrund", "grounds"),
                        ("Vad hände", "description"),
                        ("Åtgärder direkt", "immediate_actions"),
                        ("Vårdnadshavare informerade", "guardians_informed"),
                        ("Vittnen", "witnesses"),
                        ("Anmälare", "reporter"),
                    )
                ),
                rx.heading("Parter", size="4", as_="h2"),
                _file_table(
                    rx.foreach(
                        S.parties,
                        lambda p: _file_row(
                            p["role"],
                            p["name"] + " (" + p["kind"] + ")",
                            rx.cond(p["class_name"] != "", ", " + p["class_name"], ""),
                        ),
                    )
                ),
                rx.cond(
                    S.measures.length() > 0,
                    rx.vstack(
                        rx.heading("Beslutade åtgärder", size="4", as_="h2"),
                        _file_table(
                            rx.foreach(
                                S.measures,
                                lambda m: _file_row(
                                    m["level"],
                                    m["description"]
                                    + " (ansvarig "
                                    + m["responsible"]
                                    + ", senast "
                                    + m["due"]
                                    + ")",
                                ),
                            )
                        ),
                        width="100%",
                    ),
                ),
                rx.heading("Skyndsamhet", size="4", as_="h2"),
                promptness_table(),
                rx.heading("Tidslinje", size="4", as_="h2"),
                rx.vstack(rx.foreach(S.timeline, timeline_item), spacing="2", width="100%"),
            ),
            size="4",
            width="100%",
            class_name="kb-document",
        ),
        spacing="4",
    )
