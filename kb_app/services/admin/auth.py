"""Passwords, login with lockout, and server-side sessions.

Synchronous functions: Reflex handlers call them through ``asyncio.to_thread``;
the HTTP login route runs them in Starlette's thread pool.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from passlib.context import CryptContext
from sqlalchemy import bindparam, func, update
from sqlmodel import Session, select

from kb_app.db import session_scope
from kb_app.domain.access import Actor
from kb_app.models import LoginAttempt, RoleAssignment, User, UserSession
from kb_app.services.base.prepared import Reader, read_connection
from kb_app.settings import get_settings

PASSWORD_MIN = 8
PASSWORD_MAX = 128
LOCK_THRESHOLD = 10
LOCK_WINDOW = timedelta(minutes=15)

_pwd = CryptContext(schemes=["argon2"], argon2__type="ID", deprecated="auto")
# Verified against when the e-mail is unknown, so both paths cost the same.
_DUMMY_HASH = _pwd.hash(secrets.token_urlsafe(16))

MSG_BAD_LOGIN = "Fel e-postadress eller lösenord."
MSG_LOCKED = (
    "För många misslyckade inloggningsförsök. Kontot är låst i 15 minuter. "
    "Försök igen senare eller kontakta din administratör."
)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()[:254]


def password_problem(password: str) -> str | None:
    """A Swedish message if the password is unacceptable, else None."""
    if len(password) < PASSWORD_MIN:
        return f"Lösenordet måste ha minst {PASSWORD_MIN} tecken."
    if len(password) > PASSWORD_MAX:
        return f"Lösenordet får ha högst {PASSWORD_MAX} tecken."
    return None


def hash_password(password: str) -> str:
    problem = password_problem(password)
    if problem:
        raise ValueError(problem)
    return _pwd.hash(password)


def token_hash(token: str) -> str:
    """Keyed hash (HMAC-SHA256 with KB_SECRET_KEY) of a secret token for storage.

    The database never holds a usable session or link token; changing the secret
    key invalidates every session and every stored one-time link."""
    key = get_settings().secret_key.encode("utf-8")
    return hmac.new(key, token.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    message: str = ""
    token: str | None = None  # the session token for the cookie; never logged
    actor: Actor | None = None


def _failures_in_window(session: Session, email: str, now: datetime) -> int:
    return session.exec(
        select(func.count())
        .select_from(LoginAttempt)
        .where(
            LoginAttempt.email == email,
            LoginAttempt.outcome == "failure",
            LoginAttempt.at > now - LOCK_WINDOW,
        )
    ).one()


def login(email: str, password: str, *, client: str = "", now: datetime) -> LoginResult:
    """Check the credentials; on success create a session. Every attempt is logged.

    Unknown e-mail and wrong password answer alike. Ten failures for one e-mail
    within 15 minutes lock it for 15 minutes (counted per e-mail, so a lock says
    nothing about whether the account exists).
    """
    email = normalise_email(email)
    password = password or ""
    if len(password) > PASSWORD_MAX * 4:  # never hash a huge paste
        password = password[: PASSWORD_MAX * 4]
    with session_scope() as s:
        if _failures_in_window(s, email, now) >= LOCK_THRESHOLD:
            s.add(LoginAttempt(email=email, at=now, outcome="locked", client=client[:100]))
            return LoginResult(False, MSG_LOCKED)
        user = s.exec(select(User).where(User.email == email)).first()
    # Hash verification is the slow part: outside the transaction.
    stored = user.password_hash if user and user.active and user.password_hash else _DUMMY_HASH
    try:
        valid = _pwd.verify(password, stored)
    except (ValueError, TypeError):
        valid = False
    valid = valid and stored is not _DUMMY_HASH
    with session_scope() as s:
        if not valid:
            s.add(
                LoginAttempt(
                    email=email,
                    user_id=user.id if user else None,
                    at=now,
                    outcome="failure",
                    client=client[:100],
                )
            )
            s.flush()
            if _failures_in_window(s, email, now) >= LOCK_THRESHOLD:
                return LoginResult(False, MSG_LOCKED)
            return LoginResult(False, MSG_BAD_LOGIN)
        s.add(
            LoginAttempt(
                email=email, user_id=user.id, at=now, outcome="success", client=client[:100]
            )
        )
        token = _create_session(s, user.id, now=now, client=client)
        return LoginResult(True, token=token, actor=load_actor(s, user))


def _create_session(s: Session, user_id: int, *, now: datetime, client: str = "") -> str:
    token = secrets.token_urlsafe(32)
    s.add(
        UserSession(
            token_hash=token_hash(token),
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=get_settings().session_max_hours),
            client=client[:100],
        )
    )
    return token


def load_actor(s: Session, user: User) -> Actor:
    org_roles: set[str] = set()
    unit_roles: set[tuple[str, int]] = set()
    for ra in s.exec(select(RoleAssignment).where(RoleAssignment.user_id == user.id)):
        if ra.unit_id is None:
            org_roles.add(ra.role)
        else:
            unit_roles.add((ra.role, ra.unit_id))
    return Actor(
        user_id=user.id,
        organisation_id=user.organisation_id,
        name=user.name,
        email=user.email,
        org_roles=frozenset(org_roles),
        unit_roles=frozenset(unit_roles),
    )


def _session_select():
    return (
        select(
            UserSession.id,
            UserSession.expires_at,
            UserSession.last_seen_at,
            UserSession.revoked_at,
            User.id,
            User.organisation_id,
            User.name,
            User.email,
            User.active,
        )
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == bindparam("token_hash"))
    )


def _roles_select():
    return select(RoleAssignment.role, RoleAssignment.unit_id).where(
        RoleAssignment.user_id == bindparam("user_id")
    )


def resolve_session(token: str | None, *, now: datetime, touch: bool = True) -> Actor | None:
    """The actor of a session token, enforcing idle and absolute timeouts.

    Called on every event, so it reads with two prepared statements and writes
    only when it must: to end an expired session, or to record activity (at most
    every 30 seconds)."""
    if not token:
        return None
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    with read_connection() as conn:
        reader = Reader(conn)
        row = reader.first(("auth.session",), _session_select, {"token_hash": token_hash(token)})
        if row is None:
            return None
        session_id, expires_at, last_seen_at, revoked_at, user_id, org_id, name, email, active = row
        if revoked_at is not None:
            return None
        expired = now >= expires_at or now - last_seen_at > idle
        roles = (
            []
            if expired or not active
            else reader.all(("auth.roles",), _roles_select, {"user_id": user_id})
        )
    if expired:
        with session_scope() as s:
            s.execute(
                update(UserSession)
                .where(UserSession.id == session_id, UserSession.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        return None
    if not active:
        return None
    if touch and now - last_seen_at > timedelta(seconds=30):
        with session_scope() as s:
            s.execute(
                update(UserSession)
                .where(UserSession.id == session_id, UserSession.last_seen_at < now)
                .values(last_seen_at=now)
            )
    return Actor(
        user_id=user_id,
        organisation_id=org_id,
        name=name,
        email=email,
        org_roles=frozenset(role for role, unit in roles if unit is None),
        unit_roles=frozenset((role, unit) for role, unit in roles if unit is not None),
    )


def logout(token: str | None, *, now: datetime) -> None:
    if not token:
        return
    with session_scope() as s:
        row = s.exec(select(UserSession).where(UserSession.token_hash == token_hash(token))).first()
        if row is not None and row.revoked_at is None:
            row.revoked_at = now
            s.add(row)


def set_password(user_id: int, password: str) -> None:
    hashed = hash_password(password)
    with session_scope() as s:
        user = s.get(User, user_id)
        if user is None:
            raise ValueError("Användaren finns inte.")
        user.password_hash = hashed
        s.add(user)
