"""The second factor: an authenticator app (TOTP) with single-use recovery codes.

A login whose password is right but whose user has a second factor, or must have
one (the organisation's ``second_factor_roles``), gets a session with a
``stage``: "verify" (type a code) or "enrol" (set up an app first). Such a
session resolves to no user anywhere (``auth.resolve_session``), so no page or
handler shows data before the second factor. The functions here take the
session token from the cookie and promote the session when the code is right.

Codes are RFC 6238 (30-second steps, 6 digits, pyotp) and accepted one step
either side; a step once accepted is never accepted again for that user, so a
code seen over a shoulder cannot be replayed. Recovery codes are ten random
groups shown once and stored as keyed hashes. The TOTP secret is stored
encrypted (AES-GCM with a key derived from KB_SECRET_KEY): a copy of the
database alone does not give the codes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pyotp
import segno
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import update
from sqlmodel import Session, select

from kb_app.db import read_scope, session_scope
from kb_app.domain.access import Actor, start_page
from kb_app.models import LoginAttempt, RecoveryCode, User, UserSession
from kb_app.services.admin import auth
from kb_app.settings import get_settings

VERIFY, ENROL = auth.STAGE_VERIFY, auth.STAGE_ENROL
ISSUER = "Värna"
STEP_SECONDS = 30
PENDING_MINUTES = 10  # a half-done login (password right, code due) lasts this long
MAX_TRIES = 5  # wrong codes in one half-done login before it ends
RECOVERY_CODES = 10

MSG_BAD_CODE = "Koden stämmer inte. Skriv de sex siffrorna som appen visar just nu."
MSG_TOO_MANY = "För många felaktiga koder. Logga in igen."
MSG_EXPIRED = "Inloggningen har gått ut. Logga in igen."


@dataclass
class Pending:
    """A half-done login, as the second-factor pages show it."""

    stage: str
    name: str
    email: str
    has_app: bool = False  # verifying: the user has an authenticator app
    has_passkey: bool = False  # verifying: the user has a passkey
    secret: str = ""  # while enrolling: the secret to type in by hand
    qr_data_uri: str = ""  # while enrolling: the QR code (SVG), drawn here


@dataclass
class Outcome:
    ok: bool
    message: str = ""
    restart: bool = False  # the half-done login ended: back to the login page
    recovery_codes: list[str] = field(default_factory=list)  # shown once after enrolment
    start_page: str = ""


# --- the secret at rest ------------------------------------------------------------


def _key() -> bytes:
    return hashlib.sha256(b"varna-totp\0" + get_settings().secret_key.encode()).digest()


def _seal(secret: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_key()).encrypt(nonce, secret.encode(), b"totp")
    return "v1:" + base64.urlsafe_b64encode(nonce + sealed).decode()


def _open(stored: str | None) -> str | None:
    if not stored or not stored.startswith("v1:"):
        return None
    raw = base64.urlsafe_b64decode(stored[3:])
    try:
        return AESGCM(_key()).decrypt(raw[:12], raw[12:], b"totp").decode()
    except Exception:  # noqa: BLE001  (another secret key: the secret is unusable)
        return None


# --- rules -------------------------------------------------------------------------


def matching_step(secret: str, code: str, now: datetime, after: int) -> int | None:
    """The 30-second step whose code ``code`` is (one step either side of now),
    if it is later than ``after`` (the last step accepted), else None."""
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if step > after and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _code_hash(code: str) -> str:
    return auth.token_hash("recovery:" + _normal_recovery(code))


def _normal_recovery(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def new_recovery_codes() -> list[str]:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(alphabet) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


# --- the half-done login -----------------------------------------------------------


def pending_row(s: Session, token: str | None, now: datetime) -> UserSession | None:
    row = auth.live_session(s, token)
    if row is None or not row.stage:
        return None
    if now - row.last_seen_at > timedelta(minutes=PENDING_MINUTES):
        return None
    return row


def pending(token: str | None, *, now: datetime) -> Pending | None:
    """The half-done login behind ``token`` (None: there is none). While enrolling,
    a secret is drawn once for the session and shown with its QR code."""
    with session_scope() as s:
        row = pending_row(s, token, now)
        user = s.get(User, row.user_id) if row else None
        if row is None or user is None or not user.active:
            return None
        result = Pending(
            stage=row.stage,
            name=user.name,
            email=user.email,
            has_app=bool(user.totp_secret),
            has_passkey=auth.has_passkey(s, user.id),
        )
        if row.stage == ENROL:
            secret = _open(row.pending_secret)
            if secret is None:
                secret = pyotp.random_base32()
                row.pending_secret = _seal(secret)
                s.add(row)
            uri = pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(
                name=user.email, issuer_name=ISSUER
            )
            result.secret = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
            result.qr_data_uri = segno.make(uri, error="m").svg_data_uri(
                scale=5, border=2, dark="#1c2b2a"
            )
        return result


def fail(
    s: Session,
    row: UserSession,
    *,
    now: datetime,
    client: str,
    event: str = auth.Event.SECOND_FACTOR_FAILED,
    message: str = MSG_BAD_CODE,
) -> Outcome:
    """A wrong code or passkey answer (``event``); the fifth in one half-done login
    (codes and passkeys together) ends it."""
    auth.record(s, event, now=now, user_id=row.user_id, client=client)
    s.flush()
    tries = len(
        s.exec(
            select(LoginAttempt.id).where(
                LoginAttempt.user_id == row.user_id,
                LoginAttempt.outcome.in_(
                    [auth.Event.SECOND_FACTOR_FAILED, auth.Event.PASSKEY_FAILED]
                ),
                LoginAttempt.at >= row.last_seen_at,
            )
        ).all()
    )
    if tries >= MAX_TRIES:
        row.revoked_at = now
        s.add(row)
        return Outcome(False, MSG_TOO_MANY, restart=True)
    return Outcome(False, message)


def promote(s: Session, row: UserSession, *, now: datetime) -> str:
    row.stage = ""
    row.pending_secret = None
    row.last_seen_at = now
    s.add(row)
    user = s.get(User, row.user_id)
    return start_page(auth.load_actor(s, user))


def verify(token: str | None, code: str, *, now: datetime, client: str = "") -> Outcome:
    """The code of a user's app, or one of their recovery codes."""
    with session_scope() as s:
        row = pending_row(s, token, now)
        if row is None or row.stage != VERIFY:
            return Outcome(False, MSG_EXPIRED, restart=True)
        user = s.get(User, row.user_id)
        if user is None or not user.active:
            return Outcome(False, MSG_EXPIRED, restart=True)
        secret = _open(user.totp_secret)
        if secret is None and not auth.has_passkey(s, user.id):
            return Outcome(False, MSG_EXPIRED, restart=True)
        # (a user with passkeys only types a recovery code here)
        step = matching_step(secret, code, now, user.totp_last_step) if secret else None
        if step is not None:
            # Conditional: two tabs racing with one code, only one wins.
            won = s.execute(
                update(User)
                .where(User.id == user.id, User.totp_last_step < step)
                .values(totp_last_step=step)
            ).rowcount
            if won:
                auth.record(s, auth.Event.SECOND_FACTOR_OK, now=now, user_id=user.id, client=client)
                return Outcome(True, start_page=promote(s, row, now=now))
        elif len(_normal_recovery(code)) == 10:
            used = s.execute(
                update(RecoveryCode)
                .where(
                    RecoveryCode.user_id == user.id,
                    RecoveryCode.code_hash == _code_hash(code),
                    RecoveryCode.used_at.is_(None),
                )
                .values(used_at=now)
            ).rowcount
            if used:
                auth.record(s, auth.Event.RECOVERY_USED, now=now, user_id=user.id, client=client)
                return Outcome(True, start_page=promote(s, row, now=now))
        return fail(s, row, now=now, client=client)


def confirm_enrolment(token: str | None, code: str, *, now: datetime, client: str = "") -> Outcome:
    """The first code from the newly set-up app: the secret is kept, ten recovery
    codes are made (returned once), and the login goes on."""
    with session_scope() as s:
        row = pending_row(s, token, now)
        if row is None or row.stage != ENROL:
            return Outcome(False, MSG_EXPIRED, restart=True)
        user = s.get(User, row.user_id)
        secret = _open(row.pending_secret)
        if user is None or not user.active or secret is None:
            return Outcome(False, MSG_EXPIRED, restart=True)
        step = matching_step(secret, code, now, 0)
        if step is None:
            return fail(s, row, now=now, client=client)
        user.totp_secret = _seal(secret)
        user.totp_last_step = step
        s.add(user)
        codes = replace_recovery_codes(s, user.id, now=now)
        auth.record(s, auth.Event.SECOND_FACTOR_ENROLLED, now=now, user_id=user.id, client=client)
        return Outcome(True, recovery_codes=codes, start_page=promote(s, row, now=now))


def replace_recovery_codes(s: Session, user_id: int, *, now: datetime) -> list[str]:
    s.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
        .values(used_at=now)
    )
    codes = new_recovery_codes()
    for code in codes:
        s.add(RecoveryCode(user_id=user_id, code_hash=_code_hash(code), created_at=now))
    return codes


def status(actor: Actor) -> tuple[bool, int]:
    """(has an authenticator app, recovery codes left) for "Mitt konto"."""
    user_id = actor.user_id
    with read_scope() as s:
        user = s.get(User, user_id)
        left = len(
            s.exec(
                select(RecoveryCode.id).where(
                    RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
                )
            ).all()
        )
        return bool(user and user.totp_secret), left


# --- "Mitt konto" -------------------------------------------------------------------


def start_enrolment(actor: Actor, token: str | None, *, now: datetime) -> bool:
    """A signed-in user without an app chooses to set one up: this session waits
    for the enrolment (ten minutes) like a login does. False: nothing to do."""
    with session_scope() as s:
        row = auth.live_session(s, token)
        mine = row is not None and not row.stage and row.user_id == actor.user_id
        user = s.get(User, row.user_id) if mine else None
        if user is None or user.totp_secret:
            return False
        row.stage, row.pending_secret, row.last_seen_at = ENROL, None, now
        s.add(row)
    auth.forget_sessions(user.id)
    return True


def new_recovery_codes_for(actor: Actor, token: str | None, *, now: datetime) -> list[str]:
    """Ten new recovery codes for the signed-in user (the old ones stop working);
    none if the user has no second factor (app or passkey)."""
    with session_scope() as s:
        row = auth.live_session(s, token)
        mine = row is not None and not row.stage and row.user_id == actor.user_id
        user = s.get(User, row.user_id) if mine else None
        if user is None or not (user.totp_secret or auth.has_passkey(s, user.id)):
            return []
        codes = replace_recovery_codes(s, user.id, now=now)
        auth.record(s, auth.Event.RECOVERY_RENEWED, now=now, user_id=user.id)
        return codes
