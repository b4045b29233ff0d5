"""Reflex configuration. Every value comes from kb_app.settings (KB_* variables)."""

import os

import reflex as rx

from kb_app.settings import get_settings

_s = get_settings()

# The socket takes messages up to 4 MB, so an over-long value reaches the state
# boundary (kb_app/state/boundary.py) and gets a message instead of a closed socket.
os.environ.setdefault("REFLEX_SOCKET_MAX_HTTP_BUFFER_SIZE", str(4 * 1024 * 1024))
# With Redis (several workers), a worker keeps a tab's state and its lock between
# that tab's events (Reflex's opportunistic lock: the lease is handed over at once
# when another worker asks, and written back to Redis then or when it ends), instead
# of reading and writing the whole state in Redis for every event: under `make bench`
# the server's CPU time per overview view fell from about 13 to 5.5 ms.
if _s.redis_url:
    os.environ.setdefault("REFLEX_OPLOCK_ENABLED", "true")

config = rx.Config(
    app_name="kb_app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    frontend_port=_s.port,
    backend_port=_s.port,
    redis_url=_s.redis_url,
    # A tab's state (on disk in .states, or in Redis) is dropped this long after its
    # last event, so state memory stays bounded (KB_STATE_EXPIRY_MINUTES).
    redis_token_expiration=_s.state_expiry_minutes * 60,
    # Behind a reverse proxy, client addresses come from X-Forwarded-For (abuse limits).
    trusted_proxy_hops=_s.trusted_proxy_hops,
    # Only our own origin may open the websocket (never "*").
    cors_allowed_origins=sorted(
        {_s.public_origin, f"http://localhost:{_s.port}", f"http://127.0.0.1:{_s.port}"}
    ),
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="teal", gray_color="slate", radius="medium", scaling="100%")
        )
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
    env_file=os.environ.get("KB_ENV_FILE") or None,
)
