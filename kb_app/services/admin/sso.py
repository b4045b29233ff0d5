"""Single sign-on with OpenID Connect: the authorization code flow with PKCE.

``begin`` draws ``state``, ``nonce`` and the PKCE verifier, keeps them in a
signed, short-lived cookie of the browser (nothing on the server, so any worker
can finish the flow) and gives the provider's authorization URL. ``complete``
checks the returned ``state`` against that cookie, redeems the code with the
verifier, and validates the ID token: its signature against the provider's
published keys, issuer, audience, expiry and nonce (joserfc, Authlib's JOSE
library; PKCE from Authlib). The person is matched to a Värna user by the
provider's subject once linked, else by a verified e-mail, which links it. Roles
always come from Värna. The session is Värna's own, as after a password.

Settings: KB_OIDC_ISSUER, KB_OIDC_CLIENT_ID, KB_OIDC_CLIENT_SECRET, KB_OIDC_NAME,
KB_OIDC_EMAIL_CLAIM, KB_OIDC_ALLOWED_DOMAINS, KB_OIDC_REQUIRE_VERIFIED_EMAIL,
KB_OIDC_CREATE_USERS, KB_OIDC_MFA (see the README).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime

import httpx
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlmodel import select

from kb_app.db import session_scope
from kb_app.domain.access import start_page
from kb_app.models import Organisation, User
from kb_app.services.admin import auth
from kb_app.settings import get_settings

log = logging.getLogger("kb_app.sso")

CALLBACK_PATH = "/auth/oidc/callback"
FLOW_COOKIE = "kb_oidc_flow"
FLOW_SECONDS = 600  # from the button to the callback
LEEWAY_SECONDS = 60  # clock difference tolerated with the provider
HTTP_TIMEOUT = 10.0
ALGORITHMS = ["RS256", "PS256", "ES256"]

# Why a login through the provider did not go through (the login page's ?fel=).
REFUSED = "sso"  # the flow was broken, tampered with or the token did not validate
UNKNOWN = "sso-okand"  # a valid person without a Värna account
DOMAIN = "sso-doman"  # an e-mail outside the allowed domains
UNVERIFIED = "sso-epost"  # no verified e-mail to match on


@dataclass
class Result:
    ok: bool
    reason: str = ""
    token: str | None = None
    stage: str = ""
    target: str = ""


# --- the provider's metadata ---------------------------------------------------------

_meta: dict[str, tuple[float, dict]] = {}
_meta_lock = threading.Lock()
META_SECONDS = 3600


def _get_json(url: str) -> dict:
    response = httpx.get(url, timeout=HTTP_TIMEOUT, follow_redirects=False)
    response.raise_for_status()
    return response.json()


def metadata() -> dict:
    """The provider's discovery document and its keys (cached for an hour)."""
    issuer = get_settings().oidc_issuer
    with _meta_lock:
        hit = _meta.get(issuer)
        if hit and time.monotonic() - hit[0] < META_SECONDS:
            return hit[1]
    doc = _get_json(issuer + "/.well-known/openid-configuration")
    if doc.get("issuer", "").rstrip("/") != issuer:
        raise ValueError("the discovery document names another issuer")
    doc = {**doc, "_jwks": _get_json(doc["jwks_uri"])}
    with _meta_lock:
        _meta[issuer] = (time.monotonic(), doc)
    return doc


def forget_metadata() -> None:
    with _meta_lock:
        _meta.clear()


# --- the flow cookie -------------------------------------------------------------------


def _sign(payload: bytes) -> str:
    key = hashlib.sha256(b"varna-oidc\0" + get_settings().secret_key.encode()).digest()
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def _pack(flow: dict) -> str:
    raw = base64.urlsafe_b64encode(json.dumps(flow, separators=(",", ":")).encode())
    return raw.decode() + "." + _sign(raw)


def _unpack(cookie: str | None, now: datetime) -> dict | None:
    if not cookie or "." not in cookie:
        return None
    raw, signature = cookie.rsplit(".", 1)
    if not hmac.compare_digest(_sign(raw.encode()), signature):
        return None
    try:
        flow = json.loads(base64.urlsafe_b64decode(raw.encode()))
    except ValueError:
        return None
    if not isinstance(flow, dict) or not 0 <= now.timestamp() - flow.get("t", 0) < FLOW_SECONDS:
        return None
    return flow


def redirect_uri() -> str:
    return get_settings().public_url + CALLBACK_PATH


def begin(*, now: datetime) -> tuple[str, str]:
    """(the provider's authorization URL, the flow cookie's value)."""
    settings = get_settings()
    meta = metadata()
    flow = {
        "s": secrets.token_urlsafe(24),
        "n": secrets.token_urlsafe(24),
        "v": secrets.token_urlsafe(48),
        "t": int(now.timestamp()),
    }
    url = add_params_to_uri(
        meta["authorization_endpoint"],
        [
            ("response_type", "code"),
            ("client_id", settings.oidc_client_id),
            ("redirect_uri", redirect_uri()),
            ("scope", "openid email profile"),
            ("state", flow["s"]),
            ("nonce", flow["n"]),
            ("code_challenge", create_s256_code_challenge(flow["v"])),
            ("code_challenge_method", "S256"),
        ],
    )
    return url, _pack(flow)


# --- the ID token ----------------------------------------------------------------------


def validate_id_token(
    id_token: str, jwks: dict, *, issuer: str, client_id: str, nonce: str, now: datetime
) -> dict:
    """The claims of a valid ID token; raises ValueError for anything else
    (signature, algorithm, issuer, audience, expiry, issued-at, nonce, azp)."""
    try:
        token = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=ALGORITHMS)
        registry = jwt.JWTClaimsRegistry(
            now=int(now.timestamp()),
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        registry.validate(token.claims)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"ID token refused: {type(exc).__name__}: {exc}") from exc
    claims = token.claims
    aud = claims.get("aud")
    if isinstance(aud, list) and len(aud) > 1 and claims.get("azp") != client_id:
        raise ValueError("ID token refused: several audiences and another azp")
    return claims


def _redeem(meta: dict, code: str, verifier: str) -> dict:
    settings = get_settings()
    response = httpx.post(
        meta["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri(),
            "code_verifier": verifier,
        },
        auth=(settings.oidc_client_id, settings.oidc_client_secret),
        timeout=HTTP_TIMEOUT,
    )
    if response.status_code != 200:
        raise ValueError(f"token endpoint answered {response.status_code}")
    return response.json()


# --- the person ------------------------------------------------------------------------


def _match(claims: dict, *, now: datetime, client: str) -> tuple[User | None, str]:
    """The Värna user of a validated person, or None and the reason."""
    settings = get_settings()
    subject = f"{settings.oidc_issuer}|{claims['sub']}"
    email = auth.normalise_email(str(claims.get(settings.oidc_email_claim) or ""))
    verified = claims.get("email_verified") is True or not settings.oidc_require_verified_email
    domain = email.rsplit("@", 1)[-1] if "@" in email else ""
    with session_scope() as s:
        user = s.exec(select(User).where(User.oidc_subject == subject)).first()
        if user is not None:
            return (user, "") if user.active else (None, UNKNOWN)
        if not email or not verified:
            return None, UNVERIFIED
        if settings.oidc_allowed_domains and domain not in settings.oidc_allowed_domains:
            return None, DOMAIN
        user = s.exec(select(User).where(User.email == email)).first()
        if user is None and settings.oidc_create_users and settings.oidc_allowed_domains:
            orgs = s.exec(select(Organisation.id)).all()
            if len(orgs) == 1:  # one organisation: the account has no roles yet
                name = str(claims.get("name") or email)[:200]
                user = User(organisation_id=orgs[0], email=email, name=name, created_at=now)
                s.add(user)
                s.flush()
                log.info("sso created user %s without roles", user.id)
        if user is None or not user.active:
            return None, UNKNOWN
        if user.oidc_subject is None:
            user.oidc_subject = subject
            s.add(user)
            log.info("sso linked user %s to the provider's subject", user.id)
        elif user.oidc_subject != subject:
            return None, UNKNOWN  # linked to another account of the provider
        s.flush()
        s.expunge(user)
        return user, ""


def complete(
    state: str,
    code: str,
    flow_cookie: str | None,
    *,
    now: datetime,
    client: str = "",
    user_agent: str = "",
) -> Result:
    """The callback: everything checked, then a Värna session (or a reason)."""
    settings = get_settings()
    flow = _unpack(flow_cookie, now)
    if flow is None or not state or not hmac.compare_digest(str(flow["s"]), state):
        _refused(now, client, "state")
        return Result(False, REFUSED)
    try:
        meta = metadata()
        tokens = _redeem(meta, code, flow["v"])
        claims = validate_id_token(
            str(tokens.get("id_token", "")),
            meta["_jwks"],
            issuer=settings.oidc_issuer,
            client_id=settings.oidc_client_id,
            nonce=str(flow["n"]),
            now=now,
        )
    except (ValueError, KeyError, httpx.HTTPError) as exc:
        _refused(now, client, str(exc))
        return Result(False, REFUSED)
    user, reason = _match(claims, now=now, client=client)
    if user is None:
        _refused(now, client, reason)
        return Result(False, reason)
    with session_scope() as s:
        user = s.get(User, user.id)
        stage = "" if settings.oidc_counts_as_second_factor else auth.second_factor_stage(s, user)
        auth.record(
            s, auth.Event.SSO_SUCCESS, now=now, email=user.email, user_id=user.id, client=client
        )
        token = auth.create_session(
            s, user.id, now=now, client=client, user_agent=user_agent, stage=stage, method="sso"
        )
        target = start_page(auth.load_actor(s, user))
    return Result(True, token=token, stage=stage, target=target)


def _refused(now: datetime, client: str, why: str) -> None:
    log.info("sso refused from %s: %s", client or "?", why)
    with session_scope() as s:
        auth.record(s, auth.Event.SSO_REFUSED, now=now, client=client)


def logout_url() -> str | None:
    """The provider's logout (RP-initiated), back to Värna's login page after it."""
    settings = get_settings()
    if not settings.oidc_enabled:
        return None
    try:
        endpoint = metadata().get("end_session_endpoint")
    except (ValueError, KeyError, httpx.HTTPError):
        return None
    if not endpoint:
        return None
    return add_params_to_uri(
        endpoint,
        [
            ("client_id", settings.oidc_client_id),
            ("post_logout_redirect_uri", settings.public_url + "/logga-in?utloggad=1"),
        ],
    )
