"""Errors are values for the user: the shared exceptions (bad input, refusals)
and unexpected errors, logged with an id and shown as a short Swedish message.

Imports nothing of ours, so every layer (the domain included) may use it."""

from __future__ import annotations

import contextvars
import json
import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

log = logging.getLogger("kb_app")

# The id of the HTTP request or websocket connection being served (api.request_ids),
# carried into every log line written while serving it.
request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "kb_request_id", default=None
)


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


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request id (or
    event id) and, for errors, the exception. Log messages carry ids and counts,
    never personal data or tokens (the callers' rule; URLs are never logged)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None)
        if rid:
            line["request_id"] = rid
        eid = getattr(record, "event_id", None)
        if eid:
            line["event_id"] = eid
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure_logging(fmt: str = "text") -> None:
    """Send the app's own log lines (kb_app.*) to stderr once: plain text, or JSON
    lines with ``fmt="json"`` (KB_LOG_FORMAT)."""
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.addFilter(_RequestIdFilter())
        if fmt == "json":
            handler.setFormatter(JsonFormatter())
        else:
            handler.setFormatter(
                logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
            )
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


def backend_exception_handler(exception: Exception):
    """Reflex's backend handler: no stack trace ever reaches the browser."""
    import reflex as rx

    error_id = uuid.uuid4().hex[:8]
    log.error("unexpected error %s", error_id, exc_info=exception, extra={"event_id": error_id})
    return rx.toast.error(
        f"Något gick fel (fel-id {error_id}). Försök igen; kvarstår felet, kontakta administratören.",
        position="top-center",
        duration=10000,
    )
