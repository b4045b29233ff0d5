"""The report form's own fields: text, area and select bound to ReportState by key,
the controls the rows of persons and the supplement share, and the cards and columns
the public forms are laid out in."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from kb_app.components.blocks import action_button, column, muted, section_card
from kb_app.components.forms import field, invalid_attrs, native_select
from kb_app.state.report import ReportState, field_id

S = ReportState


def err(key: str):
    return S.errors[key], S.errors.contains(key)


# ---------------------------------------------------------------- controls


def _control(make, fid, has_error, value, on_change, *, attrs: dict | None = None, **props):
    """A control that turns red and points at its error when it has one. A limit
    (``max_length``) is never set on the element: the browser would cut a paste
    silently; the state keeps the text and shows the limit as the field's error."""
    props.pop("max_length", None)
    return make(
        id=fid,
        value=value,
        on_change=on_change,
        size="3",
        width="100%",
        color_scheme=rx.cond(has_error, "red", "teal"),
        custom_attrs={**invalid_attrs(has_error, fid), **(attrs or {})},
        **props,
    )


def text_input(*args, **props) -> rx.Component:
    return _control(rx.input, *args, **props)


def text_area(*args, **props) -> rx.Component:
    return _control(rx.text_area, *args, resize="vertical", **props)


def select_input(fid, has_error, value, on_change, options, placeholder):
    return native_select(
        fid, value, on_change, options, placeholder, **invalid_attrs(has_error, fid)
    )


def _bound_field(
    key: str, label_text: str, control: Callable[..., rx.Component], **field_props
) -> rx.Component:
    """A labelled field for ``ReportState.<key>``; ``control(fid, has_error, value, on_change)``."""
    fid = field_id(key)
    error, has_error = err(key)
    return field(
        control(fid, has_error, getattr(S, key), lambda v: S.set_field(key, v)),
        label_text=label_text,
        control_id=fid,
        error=error,
        has_error=has_error,
        **field_props,
    )


# ---------------------------------------------------------------- simple fields


def text_field(
    key: str,
    label_text: str,
    *,
    required: bool = False,
    optional: bool = False,
    hint_text: str | None = None,
    max_length: int = 200,
    **props,
) -> rx.Component:
    return _bound_field(
        key,
        label_text,
        lambda *a: text_input(*a, max_length=max_length, **props),
        required=required,
        optional=optional,
        hint_text=hint_text,
    )


def _counted(control: rx.Component, value, max_length: int) -> rx.Component:
    return column(
        control,
        rx.text(
            value.length().to_string() + f" av högst {max_length:,} tecken".replace(",", "\u00a0"),
            class_name="kb-hint",
            align="right",
            width="100%",
        ),
        spacing="1",
    )


def area_field(
    key: str,
    label_text: str,
    *,
    max_length: int,
    required: bool = False,
    optional: bool = False,
    hint_text: str | None = None,
    rows: str = "3",
    counter: bool = False,
) -> rx.Component:
    def control(fid, has_error, value, on_change):
        area = text_area(fid, has_error, value, on_change, max_length=max_length, rows=rows)
        return _counted(area, value, max_length) if counter else area

    return _bound_field(
        key,
        label_text,
        control,
        required=required,
        optional=optional,
        hint_text=hint_text,
    )


def select_field(
    key: str, label_text: str, options: list[tuple[str, str]], *, placeholder: str = "Välj …"
) -> rx.Component:
    return _bound_field(
        key,
        label_text,
        lambda *a: select_input(*a, options, placeholder),
        required=True,
    )


# ---------------------------------------------------------------- layout


def section(title: str, *children, intro: str | None = None) -> rx.Component:
    return section_card(
        title,
        muted(
            intro,
            size="2",
        )
        if intro
        else rx.fragment(),
        *children,
        spacing="4",
        weight="medium",
        class_name="kb-section",
    )


def two_columns(*children) -> rx.Component:
    return rx.grid(
        *children, columns=rx.breakpoints(initial="1", sm="2"), spacing="4", width="100%"
    )


def public_card(*children, **stack_props) -> rx.Component:
    """The card a public page's one piece of content stands in."""
    stack_props = {"spacing": "4", "width": "100%", **stack_props}
    return rx.card(
        rx.vstack(*children, **stack_props),
        size=rx.breakpoints(initial="3", sm="4"),
        width="100%",
    )


def done_heading(title) -> rx.Component:
    """A green tick and the h1 saying that something was sent."""
    return rx.hstack(
        rx.icon("circle-check", size=28, color=rx.color("green", 10)),
        rx.heading(title, as_="h1", size="6"),
        align="center",
        spacing="3",
    )


def send_button(text: str, on_click, submitting, **props) -> rx.Component:
    """The button that sends a public form (a click, not a form submit)."""
    return action_button(
        "send",
        text,
        on_click=on_click,
        loading=submitting,
        size="3",
        type="button",
        icon_size=18,
        **props,
    )
