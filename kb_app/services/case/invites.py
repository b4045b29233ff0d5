"""Invited users: a one-time link to set the first password (only its hash is stored)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, select

from kb_app.db import read_scope, session_scope
from kb_app.models import OneTimeToken, User
from kb_app.services.admin import account, auth
from kb_app.settings import get_settings

PURPOSE = "set_password"
# The same page sets the first password of an invited user and a forgotten one.
PURPOSES = (PURPOSE, account.RESET_PURPOSE)
VALID_FOR = timedelta(days=7)
MSG_INVALID = (
    "Länken är ogiltig, redan använd eller har gått ut. Begär en ny med ”Glömt "
    "lösenordet?” på inloggningssidan, eller be den som bjöd in dig om en ny inbjudan."
)
MSG_MISMATCH = "Lösenorden är inte likadana."


def set_password_link(token: str) -> str:
    return f"{get_settings().public_url}/satt-losenord/{token}"


def create_token(session: Session, user_id: int, now: datetime) -> str:
    """A new set-password token for ``user_id`` (in the caller's transaction)."""
    token = secrets.token_urlsafe(32)
    session.add(
        OneTimeToken(
            token_hash=auth.token_hash(token),
            user_id=user_id,
            purpose=PURPOSE,
            created_at=now,
            expires_at=now + VALID_FOR,
        )
    )
    session.flush()
    return token


def _valid(session: Session, token: str, now: datetime) -> OneTimeToken | None:
    if not token or len(token) > 200:
        return None
    row = session.exec(
        select(OneTimeToken).where(
            OneTimeToken.token_hash == auth.token_hash(token),
            OneTimeToken.purpose.in_(PURPOSES),
        )
    ).first()
    if row is None or row.used_at is not None or now >= row.expires_at:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return row


def token_is_valid(token: str, *, now: datetime) -> bool:
    return token_purpose(token, now=now) is not None


def token_purpose(token: str, *, now: datetime) -> str | None:
    """PURPOSE (an invitation) or a password reset, while the link is valid; else None."""
    with read_scope() as s:
        row = _valid(s, token, now)
        return row.purpose if row is not None else None


def use_token(
    token: str, password: str, repeated: str, *, client: str = "", now: datetime
) -> str | None:
    """Set the password through the link. Returns a Swedish error, or None when done.
    A reset link also ends every session of the user."""
    problem = auth.password_problem(password or "")
    if problem:
        return problem
    if password != repeated:
        return MSG_MISMATCH
    with read_scope() as s:  # before the slow hash
        row = _valid(s, token, now)
        user = s.get(User, row.user_id) if row is not None else None
        if user is None:
            return MSG_INVALID
        inputs = (user.name, user.email)
    problem = account.new_password_problem(password, user_inputs=inputs)
    if problem:
        return problem
    hashed = auth.hash_password(password)
    with session_scope() as s:
        row = _valid(s, token, now)
        if row is None:
            return MSG_INVALID
        row.used_at = now
        user = s.get(User, row.user_id)
        user.password_hash = hashed
        s.add(row)
        s.add(user)
        account.after_password_set(s, row, now=now, client=client)
    return None
