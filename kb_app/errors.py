"""Unexpected errors: logged with an id, shown to the user as a short Swedish message."""

from __future__ import annotations

import logging
import uuid

log = logging.getLogger("kb_app")


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
