"""Errors are values for the user: the shared exceptions (bad input, refusals)
and unexpected errors, logged with an id and shown as a short Swedish message.

Imports nothing of ours, so every layer (the domain included) may use it."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping

log = logging.getLogger("kb_app")


class AccessDenied(Exception):
    """Raised by services when the policy says no. The UI shows the same text as
    for a missing case."""

    message = "Ärendet finns inte eller så saknar du behörighet."


class NoStatisticsAccess(AccessDenied):
    message = "Du saknar behörighet att se statistiken."


class InvalidInput(Exception):
    """Bad input or a step that is not allowed now: Swedish messages per field
    (``FORM`` for the whole form)."""

    def __init__(self, errors: Mapping[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


def configure_logging() -> None:
    """Send the app's own log lines (kb_app.*) to stderr once."""
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


def backend_exception_handler(exception: Exception):
    """Reflex's backend handler: no stack trace ever reaches the browser."""
    import reflex as rx

    error_id = uuid.uuid4().hex[:8]
    log.error("unexpected error %s", error_id, exc_info=exception)
    return rx.toast.error(
        f"Något gick fel (fel-id {error_id}). Försök igen; kvarstår felet, kontakta administratören.",
        position="top-center",
        duration=10000,
    )
