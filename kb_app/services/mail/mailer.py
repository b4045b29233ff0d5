"""The outbox sender: delivers queued mail over SMTP, retries, never drops.

Called by the scheduler every 30 seconds (``send_due(now)``). Each run claims
due rows with one conditional UPDATE (``claim_token`` set, ``next_attempt_at``
moved forward as a lease), so two senders in different processes never deliver
the same row at the same time: on PostgreSQL the second UPDATE waits for the
first and then finds the rows no longer due; on SQLite writers are serialised.
A sender that dies mid-send leaves its rows to be claimed again when the claim
lapses; a scheduler's claims carry its holder's tag, so the process that takes
the scheduler lease over from a dead holder releases them at once
(``release_claims_of``). A live sender is never released: before each message
it checks that its claim is still its own and (a scheduler) renews its lease
(``may_send``), so nobody can take the lease over while it sends. The one
duplicate left is a crash between the SMTP server's acceptance and the row being
marked sent; the Message-ID stays the same, so a receiving server can recognise it.

Outcomes per row:
- accepted by the server: ``sent_at`` set;
- temporary failure (no connection, timeout, 4xx, authentication or TLS
  trouble): tried again after 1, 2, 4, … minutes, at most an hour apart, forever;
- permanent failure (5xx for this message): ``failed_at`` set and shown on the
  admin page "Utskick", where an admin can try it again.

Without ``KB_SMTP_HOST`` nothing is sent: mail stays in the outbox, readable by
admins on "Utskick".
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import ssl
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from urllib.parse import urlsplit

from sqlalchemy import update
from sqlmodel import select

from kb_app.db import read_scope, session_scope
from kb_app.models import OrgSetting, Outbox
from kb_app.settings import Settings, get_settings

log = logging.getLogger("kb_app.mailer")

BATCH = 20  # rows claimed at a time
MAX_BATCHES = 10  # per run; the next run continues
CLAIM_LEASE = timedelta(minutes=15)  # > BATCH * SMTP_TIMEOUT, so a live claim never lapses
SMTP_TIMEOUT = 20  # seconds per SMTP operation
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=1)


@dataclass
class SendSummary:
    configured: bool = True
    sent: int = 0
    retried: int = 0  # temporary failures, to be tried again
    failed: int = 0  # permanent failures
    released: int = 0  # claimed but not tried (the connection broke first)

    def __str__(self) -> str:
        if not self.configured:
            return "SMTP är inte konfigurerat: e-posten stannar i utkorgen."
        return (
            f"skickade {self.sent}, försöker igen {self.retried}, "
            f"misslyckade {self.failed}, lämnade tillbaka {self.released}"
        )


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after ``attempts`` failed ones: 1, 2, 4 … min, max 1 h."""
    if attempts <= 1:
        return BACKOFF_FIRST
    if attempts > 12:
        return BACKOFF_MAX
    return min(BACKOFF_FIRST * 2 ** (attempts - 1), BACKOFF_MAX)


def due_filter(now: datetime):
    return (
        Outbox.sent_at.is_(None),
        Outbox.failed_at.is_(None),
        Outbox.next_attempt_at <= now,
    )


def _holder_tag(holder: str) -> str:
    return hashlib.sha256(holder.encode()).hexdigest()[:16]


def _claim(now: datetime, ids: list[int] | None, sender: str = "") -> tuple[str, list[Outbox]]:
    token = uuid.uuid4().hex
    if sender:  # "<holder tag>.<random>": the claims of one sender can be found
        token = f"{_holder_tag(sender)}.{token}"
    with session_scope() as s:
        stmt = (
            select(Outbox.id)
            .where(*due_filter(now))
            .order_by(Outbox.next_attempt_at, Outbox.id)
            .limit(BATCH)
        )
        if ids is not None:
            stmt = stmt.where(Outbox.id.in_(ids))
        candidates = list(s.exec(stmt))
        if not candidates:
            return token, []
        # The due conditions are repeated: a concurrent claimer that got there
        # first has moved next_attempt_at, so its rows no longer match.
        s.execute(
            update(Outbox)
            .where(Outbox.id.in_(candidates), *due_filter(now))
            .values(claim_token=token, next_attempt_at=now + CLAIM_LEASE)
        )
        rows = list(s.exec(select(Outbox).where(Outbox.claim_token == token).order_by(Outbox.id)))
    return token, rows


def _finish(token: str, row_id: int, **values) -> None:
    with session_scope() as s:
        result = s.execute(
            update(Outbox)
            .where(Outbox.id == row_id, Outbox.claim_token == token)
            .values(claim_token=None, **values)
        )
    if result.rowcount != 1:
        log.warning("outbox row %s: claim lost before it could be recorded", row_id)


def _still_claimed(token: str, row_id: int) -> bool:
    """Is the row still claimed with ``token`` and unsent (not released and
    claimed by another sender meanwhile)?"""
    with session_scope() as s:
        current = s.exec(
            select(Outbox.claim_token).where(
                Outbox.id == row_id, Outbox.sent_at.is_(None), Outbox.failed_at.is_(None)
            )
        ).first()
    return current == token


def _sent(token: str, row: Outbox, now: datetime) -> None:
    _finish(token, row.id, sent_at=now, attempts=row.attempts + 1, last_error="")


def _retry(token: str, row: Outbox, now: datetime, error: str) -> None:
    attempts = row.attempts + 1
    _finish(
        token,
        row.id,
        attempts=attempts,
        next_attempt_at=now + backoff(attempts),
        last_error=("Tillfälligt fel: " + error)[:1000],
    )


def _failed(token: str, row: Outbox, now: datetime, error: str) -> None:
    _finish(
        token,
        row.id,
        attempts=row.attempts + 1,
        failed_at=now,
        last_error=("Permanent fel: " + error)[:1000],
    )


def _release(token: str, row: Outbox, now: datetime) -> None:
    """Give back a claimed row that was not tried (no attempt counted)."""
    _finish(token, row.id, next_attempt_at=now)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error
        if isinstance(text, bytes):
            text = text.decode("utf-8", errors="replace")
        return f"{exc.smtp_code} {text}".strip()
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = []
        for code, text in exc.recipients.values():
            if isinstance(text, bytes):
                text = text.decode("utf-8", errors="replace")
            parts.append(f"{code} {text}")
        return "; ".join(parts)
    return f"{type(exc).__name__}: {exc}"


def sender_names(organisation_ids: set[int | None]) -> dict[int, str]:
    """Each organisation's chosen sender name (OrgSetting.sender_name), where set."""
    ids = sorted(i for i in organisation_ids if i is not None)
    if not ids:
        return {}
    with read_scope() as s:
        return {
            org_id: name
            for org_id, name in s.exec(
                select(OrgSetting.organisation_id, OrgSetting.sender_name).where(
                    OrgSetting.organisation_id.in_(ids)
                )
            )
            if name
        }


def build_message(settings: Settings, row: Outbox, sender_name: str = "") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = (
        formataddr((sender_name, settings.smtp_sender)) if sender_name else settings.smtp_sender
    )
    msg["To"] = row.to_addr
    msg["Subject"] = row.subject
    msg["Message-ID"] = row.message_id
    msg["Date"] = format_datetime(row.created_at)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(row.body)
    return msg


def _connect(settings: Settings) -> smtplib.SMTP:
    helo = urlsplit(settings.public_url).hostname or "localhost"
    if settings.smtp_security == "tls":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.smtp_host,
            settings.smtp_port,
            local_hostname=helo,
            timeout=SMTP_TIMEOUT,
            context=ssl.create_default_context(),
        )
    else:
        smtp = smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, local_hostname=helo, timeout=SMTP_TIMEOUT
        )
    try:
        if settings.smtp_security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _permanent(code: int) -> bool:
    return 500 <= code < 600


def _deliver(
    settings: Settings,
    token: str,
    rows: list[Outbox],
    now: datetime,
    out: SendSummary,
    may_send: Callable[[], bool] | None = None,
):
    """Send the claimed rows over one connection. False if the connection failed
    or the sender lost its right to send (``may_send``; the claims then belong to
    whoever took over)."""
    try:
        smtp = _connect(settings)
    except (OSError, smtplib.SMTPException) as exc:
        # The server, not the message: temporary, whatever the code.
        error = "Anslutningen till e-postservern misslyckades: " + _describe(exc)
        log.warning("SMTP %s:%s: %s", settings.smtp_host, settings.smtp_port, error)
        for row in rows:
            _retry(token, row, now, error)
        out.retried += len(rows)
        return False
    try:
        names = sender_names({r.organisation_id for r in rows})
        for i, row in enumerate(rows):
            try:
                message = build_message(settings, row, names.get(row.organisation_id, ""))
            except (ValueError, TypeError) as exc:  # an address or header that cannot be sent
                _failed(token, row, now, _describe(exc))
                out.failed += 1
                continue
            if (may_send is not None and not may_send()) or not _still_claimed(token, row.id):
                log.warning("outbox: claim of row %s lost before sending; stopping", row.id)
                for rest in rows[i:]:
                    _release(token, rest, now)
                return False
            try:
                smtp.send_message(message)
            except smtplib.SMTPRecipientsRefused as exc:
                codes = [code for code, _ in exc.recipients.values()]
                if codes and all(_permanent(c) for c in codes):
                    _failed(token, row, now, _describe(exc))
                    out.failed += 1
                else:
                    _retry(token, row, now, _describe(exc))
                    out.retried += 1
            except smtplib.SMTPResponseException as exc:
                if _permanent(exc.smtp_code):
                    _failed(token, row, now, _describe(exc))
                    out.failed += 1
                else:
                    _retry(token, row, now, _describe(exc))
                    out.retried += 1
            except (OSError, smtplib.SMTPException) as exc:
                # The connection broke (SMTPServerDisconnected among them): this row
                # is tried again later, the rest of the batch is given back untried.
                _retry(token, row, now, _describe(exc))
                out.retried += 1
                for rest in rows[i + 1 :]:
                    _release(token, rest, now)
                out.released += len(rows) - i - 1
                return False
            else:
                _sent(token, row, now)
                out.sent += 1
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
    return True


def release_claims_of(holder: str, *, now: datetime) -> int:
    """Give back the unsent rows a (dead) sender had claimed: due again at ``now``.
    Called by the process that takes the scheduler lease over from ``holder``."""
    with session_scope() as s:
        result = s.execute(
            update(Outbox)
            .where(
                Outbox.claim_token.like(f"{_holder_tag(holder)}.%"),
                Outbox.sent_at.is_(None),
                Outbox.failed_at.is_(None),
            )
            .values(claim_token=None, next_attempt_at=now)
        )
    if result.rowcount:
        log.warning("outbox: %s rows claimed by a stopped sender released", result.rowcount)
    return result.rowcount


def send_due(
    *,
    now: datetime,
    ids: list[int] | None = None,
    sender: str = "",
    may_send: Callable[[], bool] | None = None,
) -> SendSummary:
    """Deliver the outbox rows that are due at ``now`` (only ``ids`` if given).
    ``sender``: the scheduler lease holder sending, so its claims can be released
    if it dies; ``may_send``: asked before each message (the scheduler renews its
    lease there), the batch stops when it answers False."""
    settings = get_settings()
    if not settings.smtp_configured:
        return SendSummary(configured=False)
    summary = SendSummary()
    for _ in range(MAX_BATCHES):
        token, rows = _claim(now, ids, sender)
        if not rows:
            break
        if not _deliver(settings, token, rows, now, summary, may_send):
            break
        if len(rows) < BATCH:
            break
    if summary.sent or summary.retried or summary.failed:
        log.info("outbox: %s", summary)
    return summary
