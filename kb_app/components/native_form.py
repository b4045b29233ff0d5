"""A plain HTML <form> that the browser submits itself.

Reflex's ``rx.el.form`` always prevents the default submit and sends the data over
the websocket; login and logout must be real HTTP posts so the server can set the
HttpOnly session cookie.
"""

from __future__ import annotations

import reflex as rx
from reflex_components_core.el.elements.base import BaseHTML


class NativeForm(BaseHTML):
    tag = "form"

    action: rx.Var[str]
    method: rx.Var[str]


native_form = NativeForm.create
