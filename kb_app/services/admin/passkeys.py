"""Passkeys (WebAuthn) as a second factor, beside the authenticator app.

A user registers passkeys on "Mitt konto" (or instead of an app when their role
requires a second factor and they have none); at a login whose password was
right, a passkey of theirs promotes the half-done session like a TOTP code does
(services/admin/second_factor.py).

Each ceremony has one challenge, drawn here and kept on the session row
(``user_session.challenge``, "<purpose>:<base64url>"), valid CHALLENGE_SECONDS
and taken (cleared) by the first answer, right or wrong. The relying party id is
KB_WEBAUTHN_RP_ID or the host of KB_PUBLIC_URL; the origin must be KB_PUBLIC_URL's.
The ``webauthn`` package checks the answers: challenge, origin, RP id hash, user
presence, the signature against the stored public key, and that the signature
counter went up (a cloned authenticator shows as a counter that did not).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, select
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from kb_app.db import read_scope, session_scope
from kb_app.domain.access import Actor
from kb_app.domain.fmt import sv_datetime
from kb_app.models import Passkey, User, UserSession
from kb_app.services.admin import auth
from kb_app.services.admin import second_factor as mfa
from kb_app.settings import get_settings

REGISTER, LOGIN = "reg", "auth"
CHALLENGE_SECONDS = 180
NAME_MAX = 60
RESPONSE_MAX = 32_000  # characters of the browser's answer (JSON); real ones are ~1-2 kB
RP_NAME = "Värna"

MSG_NAME_LONG = f"Namnet får ha högst {NAME_MAX} tecken."
MSG_NOT_ACCEPTED = (
    "Passkeyn kunde inte kontrolleras. Försök igen, eller använd en annan passkey eller "
    "autentiseringsappen."
)
MSG_CEREMONY_EXPIRED = "Det tog för lång tid. Försök igen."
MSG_CANCELLED = (
    "Ingen passkey användes (avbrutet, eller så tog det för lång tid). Försök igen när du är redo."
)
MSG_UNAVAILABLE = (
    "Passkeys fungerar bara när Värna öppnas på sin vanliga adress (med ett domännamn). "
    "Använd autentiseringsappen i stället, eller kontakta administratören."
)
MSG_ALREADY = "Den här passkeyn finns redan på ditt konto."
MSG_LAST_FACTOR = (
    "Du kan inte ta bort din enda passkey: din roll kräver tvåstegsverifiering. Lägg till "
    "en ny passkey eller en autentiseringsapp först."
)
MSG_NOT_FOUND = "Passkeyn finns inte längre. Sidan är uppdaterad."


def rp_id() -> str:
    return get_settings().webauthn_rp_id


def expected_origin() -> str:
    return get_settings().public_origin


def available() -> bool:
    """Whether passkeys can work at all here: WebAuthn needs a domain name as the
    relying party id (never an IP address)."""
    host = rp_id()
    if not host:
        return False
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return True
    return False


def clean_name(name: str) -> tuple[str, str]:
    """(the name to store, a Swedish error or "")."""
    name = " ".join((name or "").split())
    if len(name) > NAME_MAX:
        return name, MSG_NAME_LONG
    return name or "Passkey", ""


def _user_handle(user_id: int) -> bytes:
    """The WebAuthn user handle: stable per user, says nothing about them."""
    key = get_settings().secret_key.encode("utf-8")
    return hmac.new(key, f"webauthn-user:{user_id}".encode(), hashlib.sha256).digest()


def _passkeys(s: Session, user_id: int) -> list[Passkey]:
    return list(s.exec(select(Passkey).where(Passkey.user_id == user_id).order_by(Passkey.id)))


has_passkey = auth.has_passkey


def _descriptors(keys: list[Passkey]) -> list[PublicKeyCredentialDescriptor]:
    known = {t.value for t in AuthenticatorTransport}
    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(k.credential_id),
            transports=[AuthenticatorTransport(t) for t in k.transports.split(",") if t in known]
            or None,
        )
        for k in keys
    ]


# --- the challenge ------------------------------------------------------------------


def _new_challenge(row: UserSession, purpose: str, now: datetime) -> bytes:
    challenge = secrets.token_bytes(32)
    row.challenge = f"{purpose}:{bytes_to_base64url(challenge)}"
    row.challenge_expires_at = now + timedelta(seconds=CHALLENGE_SECONDS)
    return challenge


def _take_challenge(s: Session, row: UserSession, purpose: str, now: datetime) -> bytes | None:
    """The challenge of the ceremony under way, cleared so it is never used twice
    (conditional: of two answers racing, one gets it). None: none, another kind,
    or expired."""
    stored, expires = row.challenge, row.challenge_expires_at
    if not stored:
        return None
    won = s.execute(
        update(UserSession)
        .where(UserSession.id == row.id, UserSession.challenge == stored)
        .values(challenge=None, challenge_expires_at=None)
    ).rowcount
    if not won or expires is None or now > expires or not stored.startswith(purpose + ":"):
        return None
    return base64url_to_bytes(stored.split(":", 1)[1])


def _limited(response: str) -> str | None:
    if not isinstance(response, str) or not response or len(response) > RESPONSE_MAX:
        return None
    return response


# --- registration -------------------------------------------------------------------


def _registration_options(s: Session, row: UserSession, user: User, now: datetime) -> str:
    challenge = _new_challenge(row, REGISTER, now)
    s.add(row)
    options = generate_registration_options(
        rp_id=rp_id(),
        rp_name=RP_NAME,
        user_name=user.email,
        user_id=_user_handle(user.id),
        user_display_name=user.name,
        challenge=challenge,
        timeout=CHALLENGE_SECONDS * 1000 - 30_000,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(_passkeys(s, user.id)),
    )
    return options_to_json(options)


def _register(
    s: Session, row: UserSession, user: User, response: str, name: str, now: datetime
) -> str:
    """Check the browser's answer to the registration and store the passkey.
    Returns a Swedish error, "" when stored."""
    challenge = _take_challenge(s, row, REGISTER, now)
    if challenge is None:
        return MSG_CEREMONY_EXPIRED
    response = _limited(response)
    if response is None:
        return MSG_NOT_ACCEPTED
    try:
        verified = verify_registration_response(
            credential=response,
            expected_challenge=challenge,
            expected_rp_id=rp_id(),
            expected_origin=expected_origin(),
        )
        parsed = parse_registration_credential_json(response)
    except (WebAuthnException, ValueError, KeyError, TypeError):
        return MSG_NOT_ACCEPTED
    credential_id = bytes_to_base64url(verified.credential_id)
    if len(credential_id) > 1400:
        return MSG_NOT_ACCEPTED
    taken = s.exec(select(Passkey.id).where(Passkey.credential_id == credential_id)).first()
    if taken is not None:
        return MSG_ALREADY
    transports = ",".join(t.value for t in (parsed.response.transports or []))[:200]
    s.add(
        Passkey(
            user_id=user.id,
            credential_id=credential_id,
            public_key=bytes_to_base64url(verified.credential_public_key),
            sign_count=verified.sign_count,
            transports=transports,
            name=name,
            created_at=now,
        )
    )
    auth.record(s, auth.Event.PASSKEY_ADDED, now=now, user_id=user.id, client=row.client)
    return ""


def _own_full_session(s: Session, actor: Actor, token: str | None) -> UserSession | None:
    row = auth.live_session(s, token)
    return row if row is not None and not row.stage and row.user_id == actor.user_id else None


@dataclass
class Begun:
    options: str = ""  # the options for navigator.credentials (JSON), when begun
    error: str = ""  # a Swedish message: why not


def begin_registration(actor: Actor, token: str | None, name: str, *, now: datetime) -> Begun:
    """ "Lägg till passkey" on Mitt konto: the options for the browser."""
    _name, problem = clean_name(name)
    if problem:
        return Begun(error=problem)
    if not available():
        return Begun(error=MSG_UNAVAILABLE)
    with session_scope() as s:
        row = _own_full_session(s, actor, token)
        user = s.get(User, actor.user_id) if row else None
        if row is None or user is None or not user.active:
            return Begun(error=mfa.MSG_EXPIRED)
        return Begun(options=_registration_options(s, row, user, now))


@dataclass
class Added:
    error: str = ""
    recovery_codes: list[str] = field(default_factory=list)  # the first factor: shown once


def finish_registration(
    actor: Actor, token: str | None, response: str, name: str, *, now: datetime
) -> Added:
    """The browser's answer: the passkey is stored under ``name``. A user's first
    second factor comes with ten recovery codes."""
    name, problem = clean_name(name)
    if problem:
        return Added(error=problem)
    with session_scope() as s:
        row = _own_full_session(s, actor, token)
        user = s.get(User, actor.user_id) if row else None
        if row is None or user is None or not user.active:
            return Added(error=mfa.MSG_EXPIRED)
        first = not user.totp_secret and not has_passkey(s, user.id)
        error = _register(s, row, user, response, name, now)
        if error:
            return Added(error=error)
        codes = mfa.replace_recovery_codes(s, user.id, now=now) if first else []
    auth.forget_sessions(actor.user_id)
    return Added(recovery_codes=codes)


def enrolment_options(token: str | None, *, now: datetime) -> Begun:
    """/tvastegsverifiering/aktivera: a passkey instead of an app."""
    if not available():
        return Begun(error=MSG_UNAVAILABLE)
    with session_scope() as s:
        row = mfa.pending_row(s, token, now)
        user = s.get(User, row.user_id) if row else None
        if row is None or row.stage != mfa.ENROL or user is None or not user.active:
            return Begun(error=mfa.MSG_EXPIRED)
        return Begun(options=_registration_options(s, row, user, now))


def confirm_enrolment(
    token: str | None, response: str, *, now: datetime, client: str = ""
) -> mfa.Outcome:
    """The passkey made at enrolment: stored, ten recovery codes made (returned
    once), and the login goes on."""
    with session_scope() as s:
        row = mfa.pending_row(s, token, now)
        user = s.get(User, row.user_id) if row else None
        if row is None or row.stage != mfa.ENROL or user is None or not user.active:
            return mfa.Outcome(False, mfa.MSG_EXPIRED, restart=True)
        row.client = row.client or client[:100]
        error = _register(s, row, user, response, "Passkey", now)
        if error:
            return mfa.fail(s, row, now=now, client=client, event=auth.Event.PASSKEY_FAILED,
                            message=error)  # fmt: skip
        codes = mfa.replace_recovery_codes(s, user.id, now=now)
        auth.record(s, auth.Event.SECOND_FACTOR_ENROLLED, now=now, user_id=user.id, client=client)
        return mfa.Outcome(True, recovery_codes=codes, start_page=mfa.promote(s, row, now=now))


# --- login --------------------------------------------------------------------------


def login_options(token: str | None, *, now: datetime) -> Begun:
    """/tvastegsverifiering: the options to sign in with one of the user's passkeys."""
    if not available():
        return Begun(error=MSG_UNAVAILABLE)
    with session_scope() as s:
        row = mfa.pending_row(s, token, now)
        user = s.get(User, row.user_id) if row else None
        if row is None or row.stage != mfa.VERIFY or user is None or not user.active:
            return Begun(error=mfa.MSG_EXPIRED)
        keys = _passkeys(s, user.id)
        if not keys:
            return Begun(error=MSG_NOT_ACCEPTED)
        challenge = _new_challenge(row, LOGIN, now)
        s.add(row)
        options = generate_authentication_options(
            rp_id=rp_id(),
            challenge=challenge,
            timeout=CHALLENGE_SECONDS * 1000 - 30_000,
            allow_credentials=_descriptors(keys),
            user_verification=UserVerificationRequirement.PREFERRED,
        )
        return Begun(options=options_to_json(options))


def verify(token: str | None, response: str, *, now: datetime, client: str = "") -> mfa.Outcome:
    """The browser's signed answer: one of the user's passkeys, a fresh challenge,
    our origin, a counter that went up. Failures count like wrong codes."""
    with session_scope() as s:
        row = mfa.pending_row(s, token, now)
        user = s.get(User, row.user_id) if row else None
        if row is None or row.stage != mfa.VERIFY or user is None or not user.active:
            return mfa.Outcome(False, mfa.MSG_EXPIRED, restart=True)

        def failed(message: str = MSG_NOT_ACCEPTED) -> mfa.Outcome:
            return mfa.fail(
                s, row, now=now, client=client, event=auth.Event.PASSKEY_FAILED, message=message
            )

        challenge = _take_challenge(s, row, LOGIN, now)
        if challenge is None:
            return failed(MSG_CEREMONY_EXPIRED)
        response = _limited(response)
        if response is None:
            return failed()
        try:
            parsed = parse_authentication_credential_json(response)
        except (WebAuthnException, ValueError, KeyError, TypeError):
            return failed()
        key = s.exec(
            select(Passkey).where(Passkey.credential_id == parsed.id, Passkey.user_id == user.id)
        ).first()
        if key is None:
            return failed()
        try:
            checked = verify_authentication_response(
                credential=parsed,
                expected_challenge=challenge,
                expected_rp_id=rp_id(),
                expected_origin=expected_origin(),
                credential_public_key=base64url_to_bytes(key.public_key),
                credential_current_sign_count=key.sign_count,
            )
        except (WebAuthnException, ValueError, KeyError, TypeError):
            return failed()
        # Conditional: two answers racing with the same counter, only one wins.
        won = s.execute(
            update(Passkey)
            .where(Passkey.id == key.id, Passkey.sign_count == key.sign_count)
            .values(sign_count=checked.new_sign_count, last_used_at=now)
        ).rowcount
        if not won:
            return failed()
        auth.record(s, auth.Event.PASSKEY_OK, now=now, user_id=user.id, client=client)
        return mfa.Outcome(True, start_page=mfa.promote(s, row, now=now))


# --- "Mitt konto" -------------------------------------------------------------------


@dataclass(frozen=True)
class PasskeyRow:
    id: int
    name: str
    created: str
    last_used: str  # "" never used to log in


def my_passkeys(actor: Actor) -> list[PasskeyRow]:
    with read_scope() as s:
        return [
            PasskeyRow(
                id=k.id,
                name=k.name,
                created=sv_datetime(k.created_at),
                last_used=sv_datetime(k.last_used_at) if k.last_used_at else "",
            )
            for k in _passkeys(s, actor.user_id)
        ]


def remove(actor: Actor, passkey_id: int, *, now: datetime, client: str = "") -> str:
    """Remove one of the user's own passkeys. Refused when it is their last
    second factor and one of their roles requires one. Returns a Swedish error,
    "" when removed."""
    with session_scope() as s:
        key = s.get(Passkey, passkey_id)
        user = s.get(User, actor.user_id)
        if key is None or user is None or key.user_id != actor.user_id:
            return MSG_NOT_FOUND
        others = len(_passkeys(s, user.id)) - 1
        if not user.totp_secret and others == 0 and auth.second_factor_required(s, user):
            return MSG_LAST_FACTOR
        s.delete(key)
        auth.record(s, auth.Event.PASSKEY_REMOVED, now=now, user_id=user.id, client=client)
    auth.forget_sessions(actor.user_id)
    return ""
