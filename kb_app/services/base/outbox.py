"""Queueing mail in the outbox, inside the caller's transaction.

Mail never carries personal data: only a case reference, a unit name and a link.
A sender job (services/mailer.py) delivers queued rows with retries.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from kb_app.models import Case, Outbox, User
from kb_app.settings import get_settings


def make_message_id() -> str:
    domain = get_settings().smtp_sender.rpartition("@")[2] or "varna.local"
    return f"<{uuid.uuid4().hex}@{domain}>"


def case_link(case_id: int) -> str:
    return f"{get_settings().public_url}/arenden/{case_id}"


def _organisation_of(session: Session, case_id: int | None, to: str) -> int | None:
    if case_id is not None:
        case = session.get(Case, case_id)
        if case is not None:
            return case.organisation_id
    return session.exec(
        select(User.organisation_id).where(User.email == to.strip().lower())
    ).first()


def queue_mail(
    session: Session,
    *,
    to: str,
    subject: str,
    body: str,
    now: datetime,
    dedupe_key: str | None = None,
    case_id: int | None = None,
    organisation_id: int | None = None,
) -> bool:
    """Queue one mail. With a dedupe key, a second call with the same key is a no-op
    (returns False), also across processes: the key is UNIQUE in the database.

    The row belongs to ``organisation_id`` (by default the case's organisation, else
    the recipient's), so only that organisation's admins see it on "Utskick"."""
    if organisation_id is None:
        organisation_id = _organisation_of(session, case_id, to)
    values = dict(
        to_addr=to,
        subject=subject[:300],
        body=body,
        dedupe_key=dedupe_key,
        message_id=make_message_id(),
        case_id=case_id,
        organisation_id=organisation_id,
        created_at=now,
        next_attempt_at=now,
        attempts=0,
        last_error="",
    )
    if dedupe_key is None:
        session.add(Outbox(**values))
        session.flush()
        return True
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # RETURNING, not rowcount: SQLAlchemy does not report an INSERT's rowcount on
    # psycopg unless asked, and a conflict returns no row on both backends.
    result = session.execute(
        insert(Outbox.__table__)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Outbox.__table__.c.id)
    )
    return result.first() is not None
