"""Small building blocks of the case page and the case file."""

from __future__ import annotations

import reflex as rx

from kb_app.state.case import CaseState as S

GRAY = rx.color("gray", 11)


def error_for(key) -> rx.Component:
    return rx.cond(
        S.errors.contains(key),
        rx.text(S.errors[key], color=rx.color("red", 11), size="2", role="alert"),
    )


def field(label: str, control: rx.Component, key, *, html_for=None, hint: str = "") -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=html_for or key, class_name="kb-label"),
        *([rx.text(hint, class_name="kb-hint")] if hint else []),
        control,
        error_for(key),
        spacing="1",
        width="100%",
        align="stretch",
    )


def textarea(name: str, *, rows: int = 4, default=None, placeholder: str = "") -> rx.Component:
    return rx.text_area(
        id=name,
        name=name,
        rows=str(rows),
        width="100%",
        max_length=10000,
        default_value=default if default is not None else "",
        placeholder=placeholder,
        resize="vertical",
    )


def date_input(name: str, default=None, id_=None) -> rx.Component:
    return rx.input(
        id=id_ or name,
        name=name,
        type="date",
        default_value=default if default is not None else "",
        width=["100%", "14rem"],
    )


def form_error() -> rx.Component:
    return rx.cond(
        S.form_error != "",
        rx.callout(S.form_error, icon="circle-alert", color_scheme="red", role="alert"),
    )


def submit(label: str, icon: str = "check") -> rx.Component:
    return rx.button(
        rx.icon(icon, size=16), label, type="submit", size="3", width=["100%", "fit-content"]
    )


def section(title: str, *children, icon: str | None = None, **props) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                *([rx.icon(icon, size=18, color=rx.color("teal", 10))] if icon else []),
                rx.heading(title, size="4", as_="h2"),
                align="center",
                spacing="2",
            ),
            *children,
            spacing="3",
            width="100%",
            align="stretch",
        ),
        size="2",
        width="100%",
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


def radio(
    name: str, options: list[tuple[str, str]], *, direction="column", default: str | None = None
) -> rx.Component:
    return rx.radio_group.root(
        rx.flex(
            *[
                rx.el.label(
                    rx.flex(
                        rx.radio_group.item(value=code, id=f"{name}_{code}"),
                        rx.text(label, size="2"),
                        spacing="2",
                        align="center",
                    ),
                    html_for=f"{name}_{code}",
                )
                for code, label in options
            ],
            direction=direction,
            spacing="2",
            wrap="wrap",
        ),
        name=name,
        id=name,
        **({"default_value": default} if default else {}),
    )


def checkbox(name: str, label: str) -> rx.Component:
    return rx.el.label(
        rx.flex(
            rx.checkbox(name=name, id=name), rx.text(label, size="2"), spacing="2", align="center"
        ),
        html_for=name,
    )


def link_button(label: str, icon: str, href, **props) -> rx.Component:
    """A link that looks like a button (a real <a>, not a button in a link)."""
    return rx.button(
        rx.el.a(rx.icon(icon, size=16), label, href=href), as_child=True, size="2", **props
    )


def pdf_button(label: str, **props) -> rx.Component:
    """The PDF download: a document request to the HTTP route, not client routing."""
    return rx.button(
        rx.el.a(
            rx.icon("download", size=16),
            label,
            href="/akt/" + S.open_case_id + ".pdf",
            download="",
            reload_document=True,
        ),
        as_child=True,
        size="2",
        **props,
    )
