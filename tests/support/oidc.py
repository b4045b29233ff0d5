"""A real OpenID provider for the tests (npm ``oidc-provider``, started with
``tests/support/oidc_provider.mjs`` on a free port), and ID tokens forged with
the same signing key for the checks a well-behaved provider never fails."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey  # noqa: F401  (KeySet: for the tests)

REPO = Path(__file__).resolve().parents[2]
MODULE = REPO / ".tools" / "node_modules" / "oidc-provider" / "lib" / "index.js"
SCRIPT = Path(__file__).with_name("oidc_provider.mjs")
CLIENT_ID = "varna-test"
CLIENT_SECRET = "varna-test-secret-0123456789"

# Login names at the provider and the claims it gives them.
ACCOUNTS = {
    "karin": {"email": "rektor@exempelkommun.se", "email_verified": True, "name": "Karin Berg"},
    "okand": {"email": "ny.person@exempelkommun.se", "email_verified": True, "name": "Ny Person"},
    "obekraftad": {"email": "huvudman@exempelkommun.se", "email_verified": False},
}


def signing_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "test-1", "use": "sig", "alg": "RS256"})


@dataclass
class Provider:
    issuer: str
    key: RSAKey
    proc: subprocess.Popen

    @property
    def public_jwks(self) -> dict:
        return KeySet([self.key]).as_dict(private=False)

    def env(self) -> dict[str, str]:
        """The app's settings for this provider."""
        return {
            "KB_OIDC_ISSUER": self.issuer,
            "KB_OIDC_CLIENT_ID": CLIENT_ID,
            "KB_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "KB_OIDC_NAME": "Exempelkommun",
        }

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)


def available() -> bool:
    return MODULE.exists()


def start(port: int, app_base: str) -> Provider:
    key = signing_key()
    env = {
        **os.environ,
        "OIDC_PROVIDER_MODULE": str(MODULE),
        "OIDC_PORT": str(port),
        "OIDC_CLIENT": json.dumps(
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [app_base + "/auth/oidc/callback"],
                "post_logout_redirect_uris": [app_base + "/logga-in?utloggad=1"],
            }
        ),
        "OIDC_JWKS": json.dumps(KeySet([key]).as_dict(private=True)),
        "OIDC_ACCOUNTS": json.dumps(ACCOUNTS),
    }
    proc = subprocess.Popen(
        ["node", str(SCRIPT)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("ready "):
            return Provider(line.split()[1], key, proc)
        if proc.poll() is not None:
            break
    proc.kill()
    raise RuntimeError("oidc-provider startade inte")


def forge(key: RSAKey, *, issuer: str, now: datetime, **overrides) -> str:
    """An ID token signed with the provider's key: valid unless ``overrides`` spoil it."""
    claims = {
        "iss": issuer,
        "sub": "karin",
        "aud": CLIENT_ID,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=10)).timestamp()),
        "nonce": "the-nonce",
        "email": "rektor@exempelkommun.se",
        "email_verified": True,
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)
