"""Serve a front end built beforehand (``make build-frontend``) and the back end on one
port, without building anything at start: what the container runs.

``reflex run --env prod --single-port`` rebuilds the front end at every start; this
runs the same production back end (gunicorn + uvicorn workers, as Reflex does) with
the built front end mounted in it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _client_dir() -> Path:
    """The built front end: ``<REFLEX_WEB_WORKDIR, default .web>/build/client``."""
    from reflex.utils.prerequisites import get_web_dir

    return (ROOT / get_web_dir() / "build" / "client").resolve()


def retarget(port: str) -> None:
    """The built front end names the back end's port (``localhost:<port>``; the host
    name is taken from the page's own). Point it at the port the browser uses,
    KB_PUBLIC_URL's, so ``-p 8080:3000`` or another KB_PORT need no rebuild."""
    import gzip
    import re

    client = _client_dir()
    built_for = client / ".kb-built-port"
    built = built_for.read_text().strip() if built_for.exists() else "3000"
    if built == port:
        return
    old = f"localhost:{built}".encode() if built else b"localhost"
    new = f"localhost:{port}".encode() if port else b"localhost"
    pattern = re.compile(re.escape(old) + rb"(?=[/\"])")
    for path in (client / "assets").glob("reflex-env-*.js"):
        body = path.read_bytes()
        path.write_bytes(pattern.sub(new, body))
        gz = path.with_name(path.name + ".gz")
        if gz.exists():
            gz.write_bytes(gzip.compress(path.read_bytes()))
    built_for.write_text(port)


def main() -> int:
    os.chdir(ROOT)
    if not (_client_dir() / "index.html").exists():
        print(
            "Webbgränssnittet är inte byggt: kör 'make build-frontend' först.",
            file=sys.stderr,
        )
        return 1
    from urllib.parse import urlsplit

    from reflex import constants
    from reflex.environment import environment
    from reflex.utils import exec as rx_exec

    from kb_app.settings import get_settings

    public = urlsplit(get_settings().public_url)
    retarget(str(public.port or ""))

    environment.REFLEX_ENV_MODE.set(constants.Env.PROD)
    environment.REFLEX_SKIP_COMPILE.set(True)
    host = os.environ.get("KB_HOST", "0.0.0.0")
    rx_exec.run_backend_prod(
        host, get_settings().port, constants.LogLevel.INFO, mount_frontend_compiled_app=True
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
