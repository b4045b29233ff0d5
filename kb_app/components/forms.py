"""Labelled form fields for public forms: label, hint, control and its Swedish error.

Every control has an id, a <label for> (or a fieldset legend), and when it has an
error, ``aria-invalid`` and ``aria-describedby`` pointing at the message. Native
<select> elements are used for choices: they work everywhere, by keyboard and with
the phone's own picker.
"""

from __future__ import annotations

import reflex as rx
from reflex_base.vars.base import Var


def required_mark() -> rx.Component:
    return rx.el.span(" *", aria_hidden="true", class_name="kb-required")


def label(text, html_for, *, required: bool = False, optional: bool = False) -> rx.Component:
    return rx.el.label(
        text,
        required_mark() if required else rx.fragment(),
        rx.el.span(" (valfritt)", class_name="kb-optional") if optional else rx.fragment(),
        html_for=html_for,
        class_name="kb-label",
    )


def hint(text: str, hint_id=None) -> rx.Component:
    return rx.text(text, class_name="kb-hint", id=hint_id)


def error_text(message, error_id) -> rx.Component:
    return rx.hstack(
        rx.icon("circle-alert", size=14, flex_shrink="0", margin_top="3px"),
        rx.text(message, size="2"),
        id=error_id,
        spacing="1",
        align="start",
        color=rx.color("red", 11),
    )


def invalid_attrs(has_error: Var, control_id, hint_id=None) -> dict:
    described = (control_id + "-error") if isinstance(control_id, Var) else f"{control_id}-error"
    attrs = {
        "aria-invalid": rx.cond(has_error, "true", "false"),
        "aria-describedby": rx.cond(has_error, described, hint_id or ""),
    }
    return attrs


def field(
    control: rx.Component,
    *,
    label_text,
    control_id,
    error: Var,
    has_error: Var,
    required: bool = False,
    optional: bool = False,
    hint_text: str | None = None,
) -> rx.Component:
    """Label, hint, control, error, stacked."""
    error_id = (control_id + "-error") if isinstance(control_id, Var) else f"{control_id}-error"
    return rx.vstack(
        label(label_text, control_id, required=required, optional=optional),
        hint(hint_text) if hint_text else rx.fragment(),
        control,
        rx.cond(has_error, error_text(error, error_id)),
        spacing="1",
        width="100%",
        align="stretch",
    )


def native_select(
    control_id, value: Var, on_change, options: list[tuple[str, str]], placeholder: str, **attrs
) -> rx.Component:
    return rx.el.select(
        rx.el.option(placeholder, value=""),
        *[rx.el.option(text, value=code) for code, text in options],
        id=control_id,
        value=value,
        on_change=on_change,
        class_name="kb-select",
        custom_attrs=attrs,
    )


def fieldset(legend, *children, required: bool = False, **props) -> rx.Component:
    """A group of controls named by its legend (role "group" for assistive technology)."""
    return rx.el.fieldset(
        rx.el.legend(legend, required_mark() if required else rx.fragment(), class_name="kb-label"),
        *children,
        class_name="kb-fieldset",
        **props,
    )
