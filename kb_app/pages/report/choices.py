"""The report form's groups of choices: kinds, discrimination grounds, guardians."""

from __future__ import annotations

import reflex as rx

from kb_app.components.forms import error_text, fieldset, hint
from kb_app.domain.vocab import GROUNDS, GUARDIANS_INFORMED, KINDS
from kb_app.pages.report.inputs import S, err
from kb_app.state.report import field_id


def _group_error(key: str, error_id: str) -> rx.Component:
    error, has_error = err(key)
    return rx.cond(has_error, error_text(error, error_id))


def _checkbox(group: str, n: int, code: str, text: str, **props) -> rx.Component:
    """One choice in a group; the first carries the group's field id (errors link to it)."""
    return rx.checkbox(
        text,
        id=field_id(group) if n == 0 else f"f-{group}-{code}",
        checked=getattr(S, group).contains(code),
        on_change=lambda v: S.toggle(group, code, v),
        size="3",
        **props,
    )


def kinds_group() -> rx.Component:
    return fieldset(
        "Vilken sorts kränkning?",
        hint("Välj allt som stämmer."),
        rx.flex(
            *[_checkbox("kinds", n, code, text) for n, (code, text) in enumerate(KINDS)],
            spacing="3",
            direction=rx.breakpoints(initial="column", sm="row"),
            wrap="wrap",
            padding_top="0.25rem",
        ),
        _group_error("kinds", "f-kinds-error"),
        required=True,
    )


def grounds_group() -> rx.Component:
    return fieldset(
        "Kan det ha samband med en diskrimineringsgrund?",
        hint(
            "Kryssa i om kränkningen kan ha med något av detta att göra (trakasserier enligt "
            "diskrimineringslagen). Lämna tomt om inget stämmer."
        ),
        rx.grid(
            *[
                rx.box(
                    _checkbox(
                        "grounds",
                        n,
                        code,
                        text,
                        custom_attrs={"aria-describedby": f"h-ground-{code}"},
                    ),
                    rx.text(help_text, id=f"h-ground-{code}", class_name="kb-hint kb-indent"),
                )
                for n, (code, text, help_text) in enumerate(GROUNDS)
            ],
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="3",
            padding_top="0.25rem",
        ),
        _group_error("grounds", "f-grounds-error"),
    )


def guardians_group() -> rx.Component:
    return fieldset(
        "Är vårdnadshavare informerade?",
        rx.radio_group.root(
            rx.flex(
                *[
                    rx.el.label(
                        rx.radio_group.item(
                            value=code,
                            id=field_id("guardians_informed") if n == 0 else f"f-guardians-{code}",
                        ),
                        rx.text(text, size="3"),
                        class_name="kb-choice",
                    )
                    for n, (code, text) in enumerate(GUARDIANS_INFORMED)
                ],
                spacing="5",
                wrap="wrap",
            ),
            value=S.guardians_informed,
            on_change=lambda v: S.set_field("guardians_informed", v),
            size="3",
            custom_attrs={"aria-required": "true"},
        ),
        _group_error("guardians_informed", "f-guardians-informed-error"),
        required=True,
    )
