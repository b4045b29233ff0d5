"""The rows of persons in the report form: who was subjected, who was involved,
who saw it."""

from __future__ import annotations

import reflex as rx

from kb_app.components.blocks import action_button, column
from kb_app.components.forms import field
from kb_app.domain import report as rules
from kb_app.domain.vocab import GRADE_LABELS, GRADES, PARTY_KINDS
from kb_app.pages.report.inputs import S, select_input, text_input, two_columns

GRADE_OPTIONS = [(g, GRADE_LABELS[g]) for g in GRADES]


def _row_field(which: str, row, i, key: str, label_text: str, control, required: bool):
    """A labelled field for ``key`` in row ``i`` of ``which``; its error is ``row["e_<key>"]``."""
    fid = "f-" + which + "-" + i.to_string() + "-" + key.replace("_", "-")
    error = row["e_" + key]
    has_error = error != ""
    return field(
        control(fid, has_error, row[key], lambda v: S.set_row(which, i, key, v)),
        label_text=label_text,
        control_id=fid,
        error=error,
        has_error=has_error,
        required=required,
    )


def _row_input(
    which: str, row, i, key: str, label_text: str, *, required=False, attrs=None, **props
) -> rx.Component:
    def control(*args):
        return text_input(*args, attrs=attrs, **props)

    return _row_field(which, row, i, key, label_text, control, required)


def _row_select(
    which: str, row, i, key: str, label_text: str, options, placeholder, required=False
) -> rx.Component:
    def control(*args):
        return select_input(*args, options, placeholder)

    return _row_field(which, row, i, key, label_text, control, required)


def _name_input(which: str, row, i, label_text: str, required=False) -> rx.Component:
    return _row_input(
        which,
        row,
        i,
        "name",
        label_text,
        required=required,
        max_length=rules.NAME_MAX,
        auto_complete="off",
    )


def _class_input(which: str, row, i, label_text: str) -> rx.Component:
    """A class, with the unit's classes offered (the datalist "kb-classes")."""
    return _row_input(
        which,
        row,
        i,
        "class_name",
        label_text,
        max_length=rules.CLASS_MAX,
        auto_complete="off",
        attrs={"list": "kb-classes"},
    )


def _remove_button(which: str, i, noun: str) -> rx.Component:
    return action_button(
        "x",
        "Ta bort",
        on_click=S.remove_row(which, i),
        variant="ghost",
        color_scheme="gray",
        size="2",
        type="button",
        aria_label="Ta bort " + noun + " " + (i + 1).to_string(),
        icon_size=14,
    )


def _row_frame(legend, remove, *children) -> rx.Component:
    # The legend is the fieldset's first child, so it names the group ("Utsatt 1").
    return rx.el.fieldset(
        rx.el.legend(legend, class_name="kb-row-legend"),
        rx.box(remove, class_name="kb-row-remove"),
        *children,
        class_name="kb-row",
    )


def subjected_row(row, i) -> rx.Component:
    return _row_frame(
        "Utsatt " + (i + 1).to_string(),
        rx.cond(S.subjected.length() > 1, _remove_button("subjected", i, "utsatt")),
        column(
            _name_input("subjected", row, i, "Namn", required=True),
            two_columns(
                _class_input("subjected", row, i, "Klass eller avdelning"),
                _row_select(
                    "subjected", row, i, "grade", "Årskurs", GRADE_OPTIONS, "Vet inte / ingen"
                ),
            ),
            spacing="3",
        ),
    )


def _other_row(which: str, legend: str, noun: str, row, i) -> rx.Component:
    return _row_frame(
        legend + " " + (i + 1).to_string(),
        _remove_button(which, i, noun),
        column(
            _row_select(which, row, i, "kind", "Vem är det?", PARTY_KINDS, "Välj …", required=True),
            two_columns(
                _name_input(which, row, i, "Namn, om du vet"),
                _class_input(which, row, i, "Klass, om du vet"),
            ),
            spacing="3",
        ),
    )


def involved_row(row, i) -> rx.Component:
    return _other_row("involved", "Inblandad", "inblandad", row, i)


def witness_row(row, i) -> rx.Component:
    return _other_row("witness", "Vittne", "vittne", row, i)


def add_button(text: str, which: str, show=True) -> rx.Component:
    button = action_button(
        "plus",
        text,
        on_click=S.add_row(which),
        variant="soft",
        size="2",
        type="button",
    )
    return rx.cond(show, button) if show is not True else button
