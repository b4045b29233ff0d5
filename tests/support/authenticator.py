"""A software WebAuthn authenticator for service tests: answers the options a
service hands out the way a browser and a platform authenticator would (ES256,
"none" attestation), built from the specification with ``cryptography`` and
``cbor2``, so the checks of the ``webauthn`` package run against real bytes."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Credential:
    credential_id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0


@dataclass
class SoftAuthenticator:
    origin: str
    credentials: list[Credential] = field(default_factory=list)
    counter_step: int = 1  # 0: a counter that never moves (like many synced passkeys)

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {
                "type": kind,
                "challenge": challenge,
                "origin": origin or self.origin,
                "crossOrigin": False,
            }
        ).encode()

    def create(self, options: str | dict, *, origin: str | None = None) -> str:
        """navigator.credentials.create(...).toJSON(), as JSON."""
        opts = json.loads(options) if isinstance(options, str) else options
        rp_id = opts["rp"]["id"]
        key = ec.generate_private_key(ec.SECP256R1())
        numbers = key.public_key().public_numbers()
        cose = {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big")}  # fmt: skip
        cred = Credential(os.urandom(32), key, rp_id, unb64url(opts["user"]["id"]))
        attested = bytes(16) + struct.pack(">H", len(cred.credential_id)) + cred.credential_id
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([UP | UV | AT])
            + struct.pack(">I", cred.sign_count)
            + attested
            + cbor2.dumps(cose)
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", opts["challenge"], origin)
        self.credentials.append(cred)
        return json.dumps(
            {
                "id": b64url(cred.credential_id),
                "rawId": b64url(cred.credential_id),
                "type": "public-key",
                "authenticatorAttachment": "platform",
                "clientExtensionResults": {},
                "response": {
                    "clientDataJSON": b64url(client_data),
                    "attestationObject": b64url(attestation),
                    "transports": ["internal"],
                },
            }
        )

    def get(
        self,
        options: str | dict,
        *,
        origin: str | None = None,
        credential: Credential | None = None,
        sign_count: int | None = None,
    ) -> str:
        """navigator.credentials.get(...).toJSON(), as JSON, signed by the first
        allowed credential (or ``credential``)."""
        opts = json.loads(options) if isinstance(options, str) else options
        allowed = {c["id"] for c in opts.get("allowCredentials", [])}
        cred = credential or next(
            c for c in self.credentials if not allowed or b64url(c.credential_id) in allowed
        )
        if sign_count is None:
            cred.sign_count += self.counter_step
            sign_count = cred.sign_count
        auth_data = (
            hashlib.sha256(opts["rpId"].encode()).digest()
            + bytes([UP | UV])
            + struct.pack(">I", sign_count)
        )
        client_data = self._client_data("webauthn.get", opts["challenge"], origin)
        signature = cred.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return json.dumps(
            {
                "id": b64url(cred.credential_id),
                "rawId": b64url(cred.credential_id),
                "type": "public-key",
                "authenticatorAttachment": "platform",
                "clientExtensionResults": {},
                "response": {
                    "clientDataJSON": b64url(client_data),
                    "authenticatorData": b64url(auth_data),
                    "signature": b64url(signature),
                    "userHandle": b64url(cred.user_handle),
                },
            }
        )
