"""Passwords, login with lockout and per-address throttling, and server-side sessions.

Every authentication event (login, failure, lock, throttling, logout, a session
ended, a password set, changed or reset, a reset asked for) is a row of
``login_attempt``: the table is only ever inserted into.

Synchronous functions: Reflex handlers call them through ``asyncio.to_thread``;
the HTTP login route runs them in Starlette's thread pool.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from passlib.context import CryptContext
from sqlalchemy import bindparam, func, update
from sqlmodel import Session, select

from kb_app.db import session_scope
from kb_app.domain.access import Actor
from kb_app.models import LoginAttempt, OrgSetting, Passkey, RoleAssignment, User, UserSession
from kb_app.services.base.prepared import Reader, read_connection
from kb_app.settings import get_settings

PASSWORD_MIN = 8
PASSWORD_MAX = 128
LOCK_THRESHOLD = 10
LOCK_WINDOW = timedelta(minutes=15)
# Password spraying: failures from one client address across all accounts. Past
# SLOW_AFTER every answer waits a growing delay (the HTTP route sleeps it), past
# PAUSE_AFTER the address is refused for the rest of the window, whatever it tries.
SLOW_AFTER = 10
PAUSE_AFTER = 40
MAX_DELAY_SECONDS = 8.0

_pwd = CryptContext(schemes=["argon2"], argon2__type="ID", deprecated="auto")
# Verified against when the e-mail is unknown, so both paths cost the same.
_DUMMY_HASH = _pwd.hash(secrets.token_urlsafe(16))

MSG_BAD_LOGIN = "Fel e-postadress eller lösenord."
MSG_LOCKED = (
    "För många misslyckade inloggningsförsök. Kontot är låst i 15 minuter. "
    "Försök igen senare eller kontakta din administratör."
)
MSG_THROTTLED = (
    "För många misslyckade inloggningsförsök från den här anslutningen. "
    "Vänta 15 minuter och försök igen."
)


class Event:
    """The outcomes recorded in ``login_attempt``."""

    SUCCESS = "success"
    FAILURE = "failure"
    LOCKED = "locked"
    THROTTLED = "throttled"
    LOGOUT = "logout"
    SESSION_ENDED = "session_ended"
    PASSWORD_SET = "password_set"
    PASSWORD_CHANGED = "pw_changed"
    CHANGE_FAILED = "pw_change_fail"
    RESET_REQUESTED = "reset_requested"
    PASSWORD_RESET = "pw_reset"
    SECOND_FACTOR_OK = "mfa_ok"
    SECOND_FACTOR_FAILED = "mfa_failed"
    SECOND_FACTOR_ENROLLED = "mfa_enrolled"
    RECOVERY_USED = "mfa_recovery"
    RECOVERY_RENEWED = "mfa_new_codes"
    PASSKEY_ADDED = "passkey_added"
    PASSKEY_REMOVED = "passkey_removed"
    PASSKEY_OK = "passkey_ok"
    PASSKEY_FAILED = "passkey_failed"
    SSO_SUCCESS = "sso_success"
    SSO_REFUSED = "sso_refused"


def record(
    s: Session, outcome: str, *, now: datetime, email: str = "", user_id=None, client: str = ""
) -> None:
    """One authentication event, in the caller's transaction."""
    s.add(
        LoginAttempt(
            email=email[:254], user_id=user_id, at=now, outcome=outcome, client=client[:100]
        )
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


def verify_password(password: str, stored: str) -> bool:
    return _pwd.verify(password, stored)


def token_hash(token: str) -> str:
    """Keyed hash (HMAC-SHA256 with KB_SECRET_KEY) of a secret token for storage.

    The database never holds a usable session or link token; changing the secret
    key invalidates every session and every stored one-time link."""
    return _keyed_hash(get_settings().secret_key, token)


@functools.lru_cache(maxsize=4096)
def _keyed_hash(secret_key: str, token: str) -> str:
    # Every event of a tab hashes its session token (the state boundary, the
    # session cache): the same few tokens, again and again.
    return hmac.new(secret_key.encode("utf-8"), token.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    message: str = ""
    token: str | None = None  # the session token for the cookie; never logged
    actor: Actor | None = None
    # Seconds the answer must wait (spraying from this address); the route sleeps it.
    delay: float = 0.0
    # "" logged in; STAGE_VERIFY or STAGE_ENROL: the second factor is due first
    # (the session exists but resolves to no user until then).
    stage: str = ""


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


def _client_failures_in_window(session: Session, client: str, now: datetime) -> int:
    if not client:
        return 0
    return session.exec(
        select(func.count())
        .select_from(LoginAttempt)
        .where(
            LoginAttempt.client == client[:100],
            LoginAttempt.outcome.in_([Event.FAILURE, Event.THROTTLED]),
            LoginAttempt.at > now - LOCK_WINDOW,
        )
    ).one()


def spraying_delay(failures: int) -> float:
    """The wait before answering an address with ``failures`` recent failures:
    none up to SLOW_AFTER, then doubling from half a second to MAX_DELAY_SECONDS."""
    if failures < SLOW_AFTER:
        return 0.0
    return min(MAX_DELAY_SECONDS, 0.5 * 2 ** ((failures - SLOW_AFTER) // 3))


def login(
    email: str, password: str, *, client: str = "", user_agent: str = "", now: datetime
) -> LoginResult:
    """Check the credentials; on success create a session. Every attempt is logged.

    Unknown e-mail and wrong password answer alike. Ten failures for one e-mail
    within 15 minutes lock it for 15 minutes (counted per e-mail, so a lock says
    nothing about whether the account exists). Failures from one client address
    across accounts slow its answers down and then pause it (spraying); the
    pause answers the same whether or not the account exists.
    """
    email = normalise_email(email)
    password = password or ""
    if len(password) > PASSWORD_MAX * 4:  # never hash a huge paste
        password = password[: PASSWORD_MAX * 4]
    with session_scope() as s:
        from_client = _client_failures_in_window(s, client, now)
        if from_client >= PAUSE_AFTER:
            record(s, Event.THROTTLED, now=now, email=email, client=client)
            return LoginResult(False, MSG_THROTTLED, delay=MAX_DELAY_SECONDS)
        if _failures_in_window(s, email, now) >= LOCK_THRESHOLD:
            record(s, Event.LOCKED, now=now, email=email, client=client)
            return LoginResult(False, MSG_LOCKED, delay=spraying_delay(from_client))
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
            record(
                s,
                Event.FAILURE,
                now=now,
                email=email,
                user_id=user.id if user else None,
                client=client,
            )
            s.flush()
            delay = spraying_delay(from_client + 1)
            if _failures_in_window(s, email, now) >= LOCK_THRESHOLD:
                return LoginResult(False, MSG_LOCKED, delay=delay)
            return LoginResult(False, MSG_BAD_LOGIN, delay=delay)
        record(s, Event.SUCCESS, now=now, email=email, user_id=user.id, client=client)
        stage = second_factor_stage(s, user)
        token = create_session(
            s, user.id, now=now, client=client, user_agent=user_agent, stage=stage
        )
        return LoginResult(True, token=token, actor=load_actor(s, user), stage=stage)


STAGE_VERIFY, STAGE_ENROL = "verify", "enrol"
DEFAULT_SECOND_FACTOR_ROLES = "organiser,principal,admin"


def second_factor_roles(s: Session, organisation_id: int) -> frozenset[str]:
    """The roles that must log in with a second factor (the organisation's setting)."""
    row = s.get(OrgSetting, organisation_id)
    raw = DEFAULT_SECOND_FACTOR_ROLES if row is None else row.second_factor_roles
    return frozenset(r.strip() for r in raw.split(",") if r.strip())


def has_passkey(s: Session, user_id: int) -> bool:
    """Whether the user has registered a passkey (services/admin/passkeys.py)."""
    count = select(func.count()).select_from(Passkey).where(Passkey.user_id == user_id)
    return s.exec(count).one() > 0


def second_factor_required(s: Session, user: User) -> bool:
    """Whether one of the user's roles must log in with a second factor."""
    must = second_factor_roles(s, user.organisation_id)
    if not must:
        return False
    roles = set(s.exec(select(RoleAssignment.role).where(RoleAssignment.user_id == user.id)))
    return bool(roles & must)


def second_factor_stage(s: Session, user: User) -> str:
    """What a login of ``user`` still needs after a right password: a code from
    their app or one of their passkeys (they have one), enrolment (one of their
    roles must have a second factor), or nothing ("")."""
    if user.totp_secret or has_passkey(s, user.id):
        return STAGE_VERIFY
    return STAGE_ENROL if second_factor_required(s, user) else ""


def create_session(
    s: Session,
    user_id: int,
    *,
    now: datetime,
    client: str = "",
    user_agent: str = "",
    stage: str = "",
    method: str = "password",
) -> str:
    token = secrets.token_urlsafe(32)
    s.add(
        UserSession(
            token_hash=token_hash(token),
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=get_settings().session_max_hours),
            client=client[:100],
            user_agent=user_agent[:200],
            stage=stage,
            method=method,
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
            UserSession.stage,
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


# Resolved sessions, per process, for a few seconds: an overview of 100 tabs asks
# for the session at every event. Keyed by the token's keyed hash; an entry is
# used only while its timeouts still hold and the activity it recorded is fresh
# enough not to need another write. Logout drops the entry at once in this
# process; another worker's entry lives at most SESSION_CACHE_SECONDS.
SESSION_CACHE_SECONDS = 3.0
SESSION_CACHE_MAX = 10_000
TOUCH_EVERY = timedelta(seconds=30)


@dataclass(frozen=True)
class _Resolved:
    actor: Actor
    read_at: datetime  # the ``now`` of the database read
    expires_at: datetime
    last_seen_at: datetime


_resolved: dict[str, _Resolved] = {}
_resolved_lock = threading.Lock()


def _cached(key: str, now: datetime, touch: bool, idle: timedelta) -> Actor | None:
    hit = _resolved.get(key)
    if hit is None:
        return None
    age = now - hit.read_at
    if not timedelta(0) <= age < timedelta(seconds=SESSION_CACHE_SECONDS):
        return None
    if now >= hit.expires_at or now - hit.last_seen_at > idle:
        return None  # the database path ends the session
    if touch and now - hit.last_seen_at > TOUCH_EVERY:
        return None  # the database path records the activity
    return hit.actor


def _remember(key: str, entry: _Resolved | None) -> None:
    with _resolved_lock:
        if entry is None:
            _resolved.pop(key, None)
            return
        if len(_resolved) >= SESSION_CACHE_MAX:
            _resolved.clear()
        _resolved[key] = entry


def forget_sessions(user_id: int | None = None) -> None:
    """Drop this process's cached sessions: one user's (their sessions ended or
    their password changed), or all (users or roles changed)."""
    with _resolved_lock:
        if user_id is None:
            _resolved.clear()
            return
        for key in [k for k, hit in _resolved.items() if hit.actor.user_id == user_id]:
            del _resolved[key]


def cached_session(token: str | None, *, now: datetime, touch: bool = True) -> Actor | None:
    """The actor of a session token if this process resolved it moments ago, else
    None (then call ``resolve_session``). No database access: cheap enough for
    the event loop, so a handler saves the trip to a worker thread."""
    if not token:
        return None
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    return _cached(token_hash(token), now, touch, idle)


def resolve_session(token: str | None, *, now: datetime, touch: bool = True) -> Actor | None:
    """The actor of a session token, enforcing idle and absolute timeouts.

    Called on every event: answered from a short in-process cache when it can
    be (see ``SESSION_CACHE_SECONDS``), else it reads with two prepared
    statements and writes only when it must: to end an expired session, or to
    record activity (at most every 30 seconds)."""
    if not token:
        return None
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    key = token_hash(token)
    actor = _cached(key, now, touch, idle)
    if actor is not None:
        return actor
    actor, entry = _resolve(key, now=now, touch=touch, idle=idle)
    _remember(key, entry)
    return actor


def _resolve(
    key: str, *, now: datetime, touch: bool, idle: timedelta
) -> tuple[Actor | None, _Resolved | None]:
    with read_connection() as conn:
        reader = Reader(conn)
        row = reader.first(("auth.session",), _session_select, {"token_hash": key})
        if row is None:
            return None, None
        (session_id, expires_at, last_seen_at, revoked_at, stage) = row[:5]
        user_id, org_id, name, email, active = row[5:]
        if revoked_at is not None or stage:  # ended, or the second factor still due
            return None, None
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
        return None, None
    if not active:
        return None, None
    if touch and now - last_seen_at > TOUCH_EVERY:
        with session_scope() as s:
            s.execute(
                update(UserSession)
                .where(UserSession.id == session_id, UserSession.last_seen_at < now)
                .values(last_seen_at=now)
            )
        last_seen_at = max(last_seen_at, now)
    actor = Actor(
        user_id=user_id,
        organisation_id=org_id,
        name=name,
        email=email,
        org_roles=frozenset(role for role, unit in roles if unit is None),
        unit_roles=frozenset((role, unit) for role, unit in roles if unit is not None),
    )
    return actor, _Resolved(actor, now, expires_at, last_seen_at)


def live_session(s: Session, token: str | None) -> UserSession | None:
    """The session row of a token, unless it has ended (no timeout check: see
    ``resolve_session`` for that)."""
    if not token:
        return None
    row = s.exec(select(UserSession).where(UserSession.token_hash == token_hash(token))).first()
    return row if row is not None and row.revoked_at is None else None


def logout(token: str | None, *, now: datetime, client: str = "") -> str:
    """End the session; returns how it began ("password", "sso"), "" if none."""
    if not token:
        return ""
    _remember(token_hash(token), None)
    with session_scope() as s:
        row = live_session(s, token)
        if row is None:
            return ""
        row.revoked_at = now
        s.add(row)
        record(s, Event.LOGOUT, now=now, user_id=row.user_id, client=client)
        return row.method


def set_password(user_id: int, password: str) -> None:
    hashed = hash_password(password)
    with session_scope() as s:
        user = s.get(User, user_id)
        if user is None:
            raise ValueError("Användaren finns inte.")
        user.password_hash = hashed
        s.add(user)
