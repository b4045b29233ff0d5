"""The form vocabulary of every page: label, hint, control and its Swedish error.

Every control has an id and a <label for> (or a fieldset legend). A public form's
error sets ``aria-invalid`` and ``aria-describedby`` pointing at the message; a staff
form's error (``error_for``) is an alert under the control. Native <select> elements
are used for choices in public forms and filters: they work everywhere, by keyboard
and with the phone's own picker.
"""

from __future__ import annotations

import reflex as rx
from reflex_base.vars.base import Var


def required_mark() -> rx.Component:
    return rx.el.span(" *", aria_hidden="true", class_name="kb-required")


def label(text, html_for, *, required: bool = False, optional: bool = False) -> rx.Component:
    return rx.el.label(
        text,
        *([required_mark()] if required else []),
        *([rx.el.span(" (valfritt)", class_name="kb-optional")] if optional else []),
        html_for=html_for,
        class_name="kb-label",
    )


def hint(text: str, hint_id=None) -> rx.Component:
    return rx.text(text, class_name="kb-hint", id=hint_id)


def _error_id(control_id):
    return (control_id + "-error") if isinstance(control_id, Var) else f"{control_id}-error"


def error_text(message, error_id) -> rx.Component:
    """A public form's message under its control (named by aria-describedby)."""
    return rx.hstack(
        rx.icon("circle-alert", size=14, flex_shrink="0", margin_top="3px"),
        rx.text(message, size="2"),
        id=error_id,
        spacing="1",
        align="start",
        color=rx.color("red", 11),
    )


def error_for(errors: Var, key) -> rx.Component:
    """A staff form's message for ``key`` of the errors dict, as an alert."""
    return rx.cond(
        errors.contains(key),
        rx.text(errors[key], color=rx.color("red", 11), size="2", role="alert"),
    )


def invalid_attrs(has_error: Var, control_id, hint_id=None) -> dict:
    return {
        "aria-invalid": rx.cond(has_error, "true", "false"),
        "aria-describedby": rx.cond(has_error, _error_id(control_id), hint_id or ""),
    }


def field(
    control: rx.Component,
    *,
    label_text,
    control_id,
    error=None,
    has_error: Var | None = None,
    required: bool = False,
    optional: bool = False,
    hint_text: str | None = None,
    **props,
) -> rx.Component:
    """Label, hint, control, error, stacked.

    ``error`` is the message shown (with its id) while ``has_error`` holds; without
    ``has_error`` it is a component of its own (``error_for``), or None.
    """
    if has_error is not None:
        error = rx.cond(has_error, error_text(error, _error_id(control_id)))
    return rx.vstack(
        label(label_text, control_id, required=required, optional=optional),
        *([hint(hint_text)] if hint_text else []),
        control,
        *([error] if error is not None else []),
        spacing="1",
        **{"width": "100%", "align": "stretch", **props},
    )


def filter_field(label_text, control: rx.Component, control_id, **props) -> rx.Component:
    """A compact label over its control, for a row of filters."""
    return rx.flex(label(label_text, control_id), control, direction="column", spacing="1", **props)


def fieldset(legend, *children, required: bool = False, **props) -> rx.Component:
    """A group of controls named by its legend (role "group" for assistive technology)."""
    return rx.el.fieldset(
        rx.el.legend(legend, *([required_mark()] if required else []), class_name="kb-label"),
        *children,
        class_name="kb-fieldset",
        **props,
    )


def native_select(
    control_id,
    value: Var,
    on_change,
    options: list[tuple[str, str]],
    placeholder: str | None = None,
    *more: rx.Component,
    name=None,
    class_name: str = "kb-select",
    **attrs,
) -> rx.Component:
    """A native <select>: the placeholder (value ""), the options, then ``more``
    (e.g. an rx.foreach of options); ``attrs`` are set as they are (aria-*)."""
    return rx.el.select(
        *([rx.el.option(placeholder, value="")] if placeholder is not None else []),
        *[rx.el.option(text, value=code) for code, text in options],
        *more,
        id=control_id,
        name=name,
        value=value,
        on_change=on_change,
        class_name=class_name,
        custom_attrs=attrs,
    )


def select(control_id, *items: rx.Component, placeholder=None, aria_label=None, **props):
    """A themed select: its trigger carries the id (for the label) and the items."""
    trigger = {"placeholder": placeholder, "aria_label": aria_label}
    return rx.select.root(
        rx.select.trigger(
            id=control_id, width="100%", **{k: v for k, v in trigger.items() if v is not None}
        ),
        rx.select.content(*items),
        **props,
    )


def textarea(name, *, rows: int = 4, default=None, placeholder: str = "") -> rx.Component:
    """A free text of a submitted form (uncontrolled: read on submit)."""
    return rx.text_area(
        id=name,
        name=name,
        rows=str(rows),
        width="100%",
        default_value=default if default is not None else "",
        placeholder=placeholder,
        resize="vertical",
    )


def date_input(name, default=None, id_=None) -> rx.Component:
    """A date of a submitted form (uncontrolled: read on submit)."""
    return rx.input(
        id=id_ or name,
        name=name,
        type="date",
        default_value=default if default is not None else "",
        width=["100%", "14rem"],
    )


def checkbox(label_text, control_id, **props) -> rx.Component:
    """A checkbox with its text, the whole of it a <label>."""
    return rx.el.label(
        rx.flex(
            rx.checkbox(id=control_id, **props),
            rx.text(label_text, size="2"),
            spacing="2",
            align="center",
        ),
        html_for=control_id,
    )


def radio(
    name: str, options: list[tuple[str, str]], *, direction="column", default: str | None = None
) -> rx.Component:
    """Radio buttons, each with its <label>."""
    return rx.radio_group.root(
        rx.flex(
            *[
                rx.el.label(
                    rx.flex(
                        rx.radio_group.item(value=code, id=f"{name}_{code}"),
                        rx.text(text, size="2"),
                        spacing="2",
                        align="center",
                    ),
                    html_for=f"{name}_{code}",
                )
                for code, text in options
            ],
            direction=direction,
            spacing="2",
            wrap="wrap",
        ),
        name=name,
        id=name,
        **({"default_value": default} if default else {}),
    )


def file_picker(hint: str) -> rx.Component:
    """The browser's own file input for one attachment (state/uploads.py posts
    what is chosen in it), with its label and a hint of the types taken."""
    from kb_app.state.uploads import ACCEPT, INPUT_ID

    return rx.vstack(
        rx.el.label("Fil", html_for=INPUT_ID, class_name="kb-label"),
        rx.el.input(
            type="file",
            id=INPUT_ID,
            name="fil",
            accept=ACCEPT,
            class_name="kb-file",
            aria_describedby=INPUT_ID + "-hint",
        ),
        rx.text(hint, id=INPUT_ID + "-hint", size="1", color=rx.color("gray", 11)),
        spacing="1",
        width="100%",
    )
