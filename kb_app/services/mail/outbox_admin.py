"""The admin page "Utskick": the outbox of the admin's organisation, and "retry now".

Mail carries no personal data by design (a case reference, a unit name, a link),
so admins may read queued mail here, which is how a fresh installation without
SMTP settings works.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, or_, update
from sqlmodel import select

from kb_app.db import read_scope, session_scope
from kb_app.domain.access import Action, Actor, can
from kb_app.domain.fmt import sv_datetime
from kb_app.errors import AccessDenied
from kb_app.models import Outbox
from kb_app.settings import get_settings

PAGE_SIZE = 100

STATUS_LABELS = {
    "queued": "Väntar",
    "sending": "Skickas",
    "retrying": "Nytt försök väntar",
    "failed": "Misslyckades",
    "sent": "Skickat",
}
STATUS_COLORS = {
    "queued": "gray",
    "sending": "blue",
    "retrying": "amber",
    "failed": "red",
    "sent": "green",
}
FILTERS = {
    "all": "Alla",
    "pending": "Ej skickade",
    "failed": "Misslyckade",
    "sent": "Skickade",
}


def status_of(row: Outbox, now: datetime) -> str:
    if row.sent_at is not None:
        return "sent"
    if row.failed_at is not None:
        return "failed"
    if row.claim_token is not None and row.next_attempt_at > now:
        return "sending"
    if row.attempts > 0:
        return "retrying"
    return "queued"


def _visible(actor: Actor):
    # Rows without an organisation (a recipient who is not a user) concern the
    # whole installation and are shown to every admin.
    return or_(Outbox.organisation_id == actor.organisation_id, Outbox.organisation_id.is_(None))


def _filter(status: str):
    if status == "pending":
        return (Outbox.sent_at.is_(None), Outbox.failed_at.is_(None))
    if status == "failed":
        return (Outbox.failed_at.is_not(None),)
    if status == "sent":
        return (Outbox.sent_at.is_not(None),)
    return ()


def counts(actor: Actor) -> dict[str, int]:
    if not can(actor, Action.ADMINISTER):
        raise AccessDenied()
    with read_scope() as s:
        result = {}
        for key in FILTERS:
            result[key] = s.exec(
                select(func.count()).select_from(Outbox).where(_visible(actor), *_filter(key))
            ).one()
    return result


# Paths whose last segment is a secret: a report link, a reporter's supplement
# link, an invitation's set-password link. An admin reads the outbox; these are
# shown masked so that nobody can use a link meant for someone else.
_TOKEN_LINK = re.compile(r"(/(?:anmalan|komplettering|satt-losenord)/)[^\s/?#]+")
MASKED = "[dold engångslänk]"


def mask_links(text: str) -> str:
    return _TOKEN_LINK.sub(lambda m: m.group(1) + MASKED, text)


def list_rows(
    actor: Actor, status: str = "all", *, now: datetime, limit: int = PAGE_SIZE
) -> list[dict[str, str]]:
    """The newest outbox rows (``limit``), filtered by status, as display strings."""
    if not can(actor, Action.ADMINISTER):
        raise AccessDenied()
    with read_scope() as s:
        rows = s.exec(
            select(Outbox)
            .where(_visible(actor), *_filter(status if status in FILTERS else "all"))
            .order_by(Outbox.created_at.desc(), Outbox.id.desc())
            .limit(limit)
        ).all()
    out = []
    for r in rows:
        st = status_of(r, now)
        if st == "sent":
            when = sv_datetime(r.sent_at)
        elif st == "failed":
            when = sv_datetime(r.failed_at)
        elif st == "sending":
            when = "pågår"
        else:
            when = sv_datetime(max(r.next_attempt_at, now))
        out.append(
            {
                "id": str(r.id),
                "created": sv_datetime(r.created_at),
                "to": r.to_addr,
                "subject": r.subject,
                "body": mask_links(r.body),
                "message_id": r.message_id,
                "status": st,
                "status_label": STATUS_LABELS[st],
                "status_color": STATUS_COLORS[st],
                "attempts": str(r.attempts),
                "when": when,
                "error": r.last_error,
                "can_retry": "1" if st in ("queued", "retrying", "failed") else "",
            }
        )
    return out


def retry_now(actor: Actor, outbox_id: int, *, now: datetime) -> bool:
    """Make one unsent row due now (also a failed one). False if it cannot be retried
    (sent, being sent right now, or not the admin's)."""
    if not can(actor, Action.ADMINISTER):
        raise AccessDenied()
    with session_scope() as s:
        result = s.execute(
            update(Outbox)
            .where(
                Outbox.id == outbox_id,
                _visible(actor),
                Outbox.sent_at.is_(None),
                # never steal a row a sender holds right now
                or_(Outbox.claim_token.is_(None), Outbox.next_attempt_at <= now),
            )
            .values(next_attempt_at=now, failed_at=None, claim_token=None)
        )
    return result.rowcount == 1


def smtp_configured() -> bool:
    return get_settings().smtp_configured
