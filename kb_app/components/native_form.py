"""A plain HTML <form> that the browser submits itself.

Reflex's ``rx.el.form`` always prevents the default submit and sends the data over
the websocket; login and logout must be real HTTP posts so the server can set the
HttpOnly session cookie.
"""

from __future__ import annotations

import reflex as rx
from reflex_components_core.el.elements.base import BaseHTML

from kb_app.components.blocks import column


class NativeForm(BaseHTML):
    tag = "form"

    action: rx.Var[str]
    method: rx.Var[str]


native_form = NativeForm.create


def native_input(id_: str, label: str, **input_props) -> rx.Component:
    """A labelled input posted under its id (``name`` = ``id``)."""
    return column(
        rx.el.label(label, html_for=id_, class_name="kb-label"),
        rx.input(id=id_, name=id_, size="3", width="100%", **input_props),
        spacing="1",
    )


def email_input(**input_props) -> rx.Component:
    """The login e-mail field (login and forgotten-password pages)."""
    return native_input(
        "email",
        "E-postadress",
        type="email",
        auto_complete="username",
        required=True,
        **input_props,
    )
