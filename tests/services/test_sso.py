"""Single sign-on: the ID token checks (tokens signed with a real RSA key, some
spoilt on purpose), the flow cookie, and matching a person to a Värna user."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from kb_app.db import read_scope
from kb_app.models import User
from kb_app.services.admin import sso
from kb_app.settings import reset_settings
from tests.support import oidc

ISSUER = "https://login.exempelkommun.se"


@pytest.fixture(scope="module")
def key():
    return oidc.signing_key()


def _check(key, token, now, nonce="the-nonce"):
    jwks = oidc.KeySet([key]).as_dict(private=False)
    return sso.validate_id_token(
        token, jwks, issuer=ISSUER, client_id=oidc.CLIENT_ID, nonce=nonce, now=now
    )


def test_a_valid_token_gives_its_claims(key, now):
    claims = _check(key, oidc.forge(key, issuer=ISSUER, now=now), now)
    assert claims["sub"] == "karin" and claims["email"] == "rektor@exempelkommun.se"


@pytest.mark.parametrize(
    "spoilt",
    [
        {"nonce": "another-nonce"},
        {"nonce": None},
        {"iss": "https://evil.example"},
        {"aud": "another-client"},
        {"aud": [oidc.CLIENT_ID, "another-client"], "azp": "another-client"},
        {"sub": None},
    ],
    ids=["wrong-nonce", "no-nonce", "wrong-issuer", "wrong-audience", "foreign-azp", "no-sub"],
)
def test_a_spoilt_token_is_refused(key, now, spoilt):
    with pytest.raises(ValueError):
        _check(key, oidc.forge(key, issuer=ISSUER, now=now, **spoilt), now)


def test_an_expired_token_is_refused_beyond_the_leeway(key, now):
    token = oidc.forge(
        key,
        issuer=ISSUER,
        now=now - timedelta(hours=1),
        exp=int((now - timedelta(seconds=sso.LEEWAY_SECONDS + 1)).timestamp()),
    )
    with pytest.raises(ValueError):
        _check(key, token, now)
    # Within the leeway (the two clocks differ a little): accepted.
    near = oidc.forge(
        key, issuer=ISSUER, now=now, exp=int((now - timedelta(seconds=5)).timestamp())
    )
    assert _check(key, near, now)["sub"] == "karin"


def test_a_token_signed_by_another_key_or_unsigned_is_refused(key, now):
    other = oidc.signing_key()
    with pytest.raises(ValueError):
        _check(key, oidc.forge(other, issuer=ISSUER, now=now), now)
    header, payload, _ = oidc.forge(key, issuer=ISSUER, now=now).split(".")
    import base64
    import json

    none_header = base64.urlsafe_b64encode(json.dumps({"alg": "none"}).encode()).rstrip(b"=")
    with pytest.raises(ValueError):
        _check(key, none_header.decode() + "." + payload + ".", now)
    tampered = payload[:-4] + ("AAAA" if payload[-4:] != "AAAA" else "BBBB")
    with pytest.raises(ValueError):
        _check(key, header + "." + tampered + "." + _, now)


def test_the_flow_cookie_is_signed_and_short_lived(engine, now):
    packed = sso._pack({"s": "st", "n": "no", "v": "ve", "t": int(now.timestamp())})
    assert sso._unpack(packed, now)["s"] == "st"
    assert sso._unpack(packed, now + timedelta(seconds=sso.FLOW_SECONDS + 1)) is None
    raw, sig = packed.rsplit(".", 1)
    assert sso._unpack(raw + "." + ("0" * len(sig)), now) is None
    assert sso._unpack(None, now) is None and sso._unpack("garbage", now) is None


@pytest.fixture
def sso_settings(monkeypatch, demo):
    monkeypatch.setenv("KB_OIDC_ISSUER", ISSUER)
    monkeypatch.setenv("KB_OIDC_CLIENT_ID", oidc.CLIENT_ID)
    reset_settings()
    yield
    reset_settings()


def test_matching_links_a_verified_email_then_uses_the_subject(sso_settings, now):
    claims = {"sub": "k-1", "email": "Rektor@Exempelkommun.se", "email_verified": True}
    user, reason = sso._match(claims, now=now, client="")
    assert reason == "" and user.email == "rektor@exempelkommun.se"
    with read_scope() as s:
        linked = s.exec(select(User).where(User.email == "rektor@exempelkommun.se")).one()
    assert linked.oidc_subject == f"{ISSUER}|k-1"
    # Once linked, the subject decides, whatever e-mail the provider sends now.
    again, _ = sso._match({"sub": "k-1", "email": "annan@example.org"}, now=now, client="")
    assert again.id == linked.id
    # Another subject with the same e-mail does not take the account over.
    other, reason = sso._match(
        {"sub": "k-2", "email": "rektor@exempelkommun.se", "email_verified": True},
        now=now,
        client="",
    )
    assert other is None and reason == sso.UNKNOWN


def test_unverified_unknown_and_foreign_domains_are_refused(sso_settings, monkeypatch, now):
    assert sso._match({"sub": "x", "email": "huvudman@exempelkommun.se"}, now=now, client="") == (
        None,
        sso.UNVERIFIED,
    )
    unknown = {"sub": "y", "email": "ny@exempelkommun.se", "email_verified": True}
    assert sso._match(unknown, now=now, client="") == (None, sso.UNKNOWN)
    monkeypatch.setenv("KB_OIDC_ALLOWED_DOMAINS", "skola.exempelkommun.se")
    reset_settings()
    assert sso._match(unknown, now=now, client="")[1] == sso.DOMAIN


def test_an_organisation_may_create_accounts_without_roles(sso_settings, monkeypatch, now):
    monkeypatch.setenv("KB_OIDC_ALLOWED_DOMAINS", "exempelkommun.se")
    monkeypatch.setenv("KB_OIDC_CREATE_USERS", "1")
    reset_settings()
    claims = {"sub": "z", "email": "ny@exempelkommun.se", "email_verified": True, "name": "Ny"}
    user, reason = sso._match(claims, now=now, client="")
    assert reason == "" and user.name == "Ny"
    from kb_app.services.admin import auth

    with read_scope() as s:
        actor = auth.load_actor(s, s.get(User, user.id))
    assert not actor.org_roles and not actor.unit_roles
