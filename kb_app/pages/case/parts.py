"""Small building blocks of the case page and the case file."""

from __future__ import annotations

import reflex as rx

from kb_app import routes
from kb_app.components import forms
from kb_app.state.case import CaseState as S

GRAY = rx.color("gray", 11)


def card(*children, size: str = "2", **props) -> rx.Component:
    return rx.card(*children, size=size, width="100%", **props)


def column(*children, spacing: str = "3", **props) -> rx.Component:
    """Children one under the other, each as wide as the column."""
    return rx.vstack(*children, spacing=spacing, width="100%", align="stretch", **props)


def error_for(key) -> rx.Component:
    return forms.error_for(S.errors, key)


def field(label: str, control: rx.Component, key, *, hint: str = "") -> rx.Component:
    """A labelled control of a case form, with the case's error for ``key``."""
    return forms.field(
        control, label_text=label, control_id=key, error=error_for(key), hint_text=hint or None
    )


def choices(legend: str, control: rx.Component, key) -> rx.Component:
    """A fieldset of checkboxes or radio buttons, with the case's error for ``key``."""
    return forms.fieldset(legend, control, error_for(key))


def form_error() -> rx.Component:
    return rx.cond(
        S.form_error != "",
        rx.callout(S.form_error, icon="circle-alert", color_scheme="red", role="alert"),
    )


def button(label, icon: str, *, icon_size: int = 16, **props) -> rx.Component:
    """A button with its icon; soft, small and as wide as its text unless told."""
    props = {"variant": "soft", "size": "2", "width": "fit-content", **props}
    return rx.button(rx.icon(icon, size=icon_size), label, **props)


def submit(label: str, icon: str = "check") -> rx.Component:
    return button(label, icon, type="submit", size="3", width=["100%", "fit-content"], variant=None)


def case_form(
    key_prefix: str, on_submit, *children: rx.Component, spacing="4", align="stretch"
) -> rx.Component:
    """A form of the case page: its fields stacked, re-created (fresh inputs) when
    form_key moves."""
    return rx.form(
        rx.vstack(*children, spacing=spacing, width="100%", align=align),
        on_submit=on_submit,
        key=key_prefix + S.form_key.to_string(),
        width="100%",
    )


def section(title: str, *children, icon: str | None = None, **props) -> rx.Component:
    return card(
        column(
            rx.hstack(
                *([rx.icon(icon, size=18, color=rx.color("teal", 10))] if icon else []),
                rx.heading(title, size="4", as_="h2"),
                align="center",
                spacing="2",
            ),
            *children,
        ),
        **props,
    )


def kv(label: str, value, extra: rx.Component | None = None) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color=rx.color("gray", 10), weight="medium"),
        rx.hstack(
            rx.text(rx.cond(value != "", value, "–"), size="2"),
            *([extra] if extra is not None else []),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        spacing="0",
        align="start",
    )


def listing(items, render, empty: str, **props) -> rx.Component:
    """The items, one under the other, or a line that says there are none."""
    return rx.cond(
        items.length() > 0,
        rx.vstack(rx.foreach(items, render), spacing="2", **props),
        rx.text(empty, size="2", color=GRAY),
    )


def two_lines(title, *details, weight="medium", **title_props) -> rx.Component:
    """An item of a list: its title, and under it the details in small grey text."""
    return rx.vstack(
        rx.text(title, size="2", weight=weight, **title_props),
        rx.text(*details, size="1", color=GRAY),
        spacing="0",
    )


def link_button(label: str, icon: str, href, **props) -> rx.Component:
    """A link that looks like a button (a real <a>, not a button in a link)."""
    return rx.button(
        rx.el.a(rx.icon(icon, size=16), label, href=href), as_child=True, size="2", **props
    )


def document_button(label: str, icon: str, href, **props) -> rx.Component:
    """A button to a page served by an HTTP route (not a page of the app): the
    browser loads it, not the client router."""
    return rx.button(
        rx.el.a(rx.icon(icon, size=16), label, href=href, reload_document=True),
        as_child=True,
        size="2",
        **props,
    )


def pdf_button(label: str, **props) -> rx.Component:
    """The PDF download: a document request to the HTTP route, not client routing."""
    return rx.button(
        rx.el.a(
            rx.icon("download", size=16),
            label,
            href=routes.case_pdf(S.open_case_id),
            download="",
            reload_document=True,
        ),
        as_child=True,
        size="2",
        **props,
    )
