"""Security headers on every HTTP response the server sends (pages, assets,
downloads, API routes), and redirects that never carry the request's Host header.

The Content-Security-Policy allows what Reflex's production front end needs and
no more:

- scripts from our own origin, plus the inline scripts of the prerendered pages
  by their SHA-256 hash (React Router's hydration context, the theme and scroll
  restoration snippets): the hashes are read from the built HTML files, so an
  injected ``<script>`` never runs;
- ``'unsafe-eval'``: Reflex's event protocol runs the scripts a server event
  returns (``rx.call_script``) through ``eval`` in ``.web/utils/state.js``; they
  are constants in our code, never user text. Remove it when no state returns a
  script (see ``kb_app/state/report.py``);
- inline styles (Emotion, which Radix Themes uses, writes ``<style>`` elements at
  run time and has no nonce in Reflex);
- images and fonts from our origin and ``data:`` (plotly's toolbar icons);
- the websocket to our own origin;
- nothing framed, no plugins, no ``<base>``, forms posted only to us.

Report and supplement links carry tokens in the path, so no Referer leaves a page.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from kb_app.settings import get_settings

log = logging.getLogger("kb_app.headers")

_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)


def inline_script_hashes(build_dir: Path) -> list[str]:
    """The CSP source expressions of every inline script in the built pages."""
    found: set[str] = set()
    if build_dir.is_dir():
        for page in build_dir.rglob("*.html"):
            for body in _INLINE_SCRIPT.findall(page.read_bytes()):
                if body.strip():
                    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
                    found.add(f"'sha256-{digest}'")
    return sorted(found)


def _build_dir() -> Path:
    try:
        from reflex.constants import Dirs
        from reflex.utils.prerequisites import get_web_dir

        return get_web_dir() / Dirs.STATIC
    except Exception:  # noqa: BLE001 - no Reflex project here (unit tests): no inline scripts
        return Path("/nonexistent")


_cache: dict[tuple[str, float], str] = {}


def content_security_policy(build_dir: Path | None = None) -> str:
    build_dir = build_dir or _build_dir()
    try:
        stamp = build_dir.stat().st_mtime
    except OSError:
        stamp = 0.0
    key = (str(build_dir), stamp)
    policy = _cache.get(key)
    if policy is None:
        hashes = inline_script_hashes(build_dir)
        settings = get_settings()
        parts = urlsplit(settings.public_origin)
        ws = "wss" if parts.scheme == "https" else "ws"
        connect = f"'self' {ws}://{parts.netloc}" if settings.public_url_configured else "'self'"
        policy = "; ".join(
            [
                "default-src 'self'",
                "script-src " + " ".join(["'self'", "'unsafe-eval'", *hashes]),
                "style-src 'self' 'unsafe-inline'",
                "img-src 'self' data: blob:",
                "font-src 'self' data:",
                f"connect-src {connect}",
                "object-src 'none'",
                "base-uri 'none'",
                "form-action 'self'",
                "frame-ancestors 'none'",
            ]
        )
        _cache.clear()
        _cache[key] = policy
        log.info("CSP: %d inline scripts allowed by hash", len(hashes))
    return policy


_STATIC_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def safe_location(
    location: str, public_url: str, configured: bool, trusted: tuple[str, ...] = ()
) -> str:
    """A redirect target never taken from the request's Host header: an absolute
    one is re-based on KB_PUBLIC_URL (when set), else reduced to its path, which
    the browser resolves against the address it asked for. Origins in ``trusted``
    (the OpenID provider's) are kept as they are."""
    parts = urlsplit(location)
    if not parts.scheme and not parts.netloc:
        return location
    if f"{parts.scheme}://{parts.netloc}" in trusted:
        return location
    if configured:
        base = urlsplit(public_url)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, parts.fragment))
    return urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))


def security_headers(app):
    """ASGI middleware (a Reflex api_transformer): the headers above on every HTTP
    response, HSTS too when KB_PUBLIC_URL is https, and every redirect's Location
    built from KB_PUBLIC_URL."""

    async def wrapped(scope, receive, send):
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        settings = get_settings()
        extra = [(b"content-security-policy", content_security_policy().encode()), *_STATIC_HEADERS]
        if settings.public_url.startswith("https://"):
            extra.append(_HSTS)
        trusted = (settings.oidc_origin,) if settings.oidc_enabled else ()

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = []
                for k, v in message.get("headers", []):
                    if k.lower() == b"location":
                        v = safe_location(
                            v.decode("latin-1"),
                            settings.public_url,
                            settings.public_url_configured,
                            trusted,
                        ).encode("latin-1")
                    headers.append((k, v))
                have = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in extra if k not in have]
                message = {**message, "headers": headers}
            await send(message)

        await app(scope, receive, send_with_headers)

    return wrapped
