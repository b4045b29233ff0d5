"""The production build served by ``reflex run --env prod --single-port`` on a free
port, against its own SQLite database with the demo data, driven by Playwright in
Debian's chromium. One server for the whole session."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import free_port
from tests.support import oidc

# An assertion waits as long as an action may (the contexts' default timeout): on a
# loaded two-core CI machine a page behind three workers took more than Playwright's
# 5 s to hydrate (stop 20). What the tests check is behaviour; speed is `make bench`'s.
expect.set_options(timeout=15_000)

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("KB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
ARTIFACTS = REPO / "test-artifacts"


class AppServer:
    def __init__(self, base_url: str, env: dict, proc: subprocess.Popen | None, data_dir: Path):
        self.base_url = base_url
        self.env = env
        self.proc = proc
        self.data_dir = data_dir

    def start(self) -> None:
        log = self.data_dir / "server.log"
        port = self.base_url.rsplit(":", 1)[1]
        with open(log, "a") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "reflex",
                    "run",
                    "--env",
                    "prod",
                    "--single-port",
                    "--frontend-port",
                    port,
                ],
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _wait_ready(self.base_url, self.proc, log)

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc = None

    def restart(self) -> None:
        """A normal stop and start of the server (the same data, port and build)."""
        self.stop()
        self.start()

    def cli(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
        """Run ``kb-app`` against the server's database."""
        return subprocess.run(
            [sys.executable, "-m", "kb_app.cli", *args],
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            input=input,
            timeout=120,
        )


def _wait_ready(url: str, proc: subprocess.Popen, log: Path, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"servern avslutades:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url + "/logga-in", timeout=2) as r:
                if r.status == 200:
                    with urllib.request.urlopen(url + "/ping", timeout=2):
                        return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"servern startade inte inom {timeout} s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def fresh_server():
    """The server as it starts on an empty database (no organisation yet)."""
    data_dir = Path(tempfile.mkdtemp(prefix="kb-e2e-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # A real OpenID provider beside the app: "Logga in med Exempelkommun".
    provider = oidc.start(free_port(), base)
    env = {
        **os.environ,
        **provider.env(),
        "KB_DATA_DIR": str(data_dir),
        "KB_DATABASE_URL": f"sqlite:///{data_dir}/kb.db",
        "KB_PORT": str(port),
        "KB_PUBLIC_URL": base,
        "KB_SCHEDULER": os.environ.get("KB_E2E_SCHEDULER", "off"),
        "KB_SECRET_KEY": "e2e-secret",
        # Every browser test reports from 127.0.0.1: lift the per-address limit
        # (tests/services cover the limits themselves).
        "KB_REPORT_LIMIT_PER_CLIENT": "1000",
        "KB_REPORT_LIMIT_PER_ADDRESS": "1000",
        "REFLEX_USE_SYSTEM_BUN": "1",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "PATH": f"{REPO / '.tools/node_modules/.bin'}:{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    for var in ["KB_SMTP_HOST", "KB_REDIS_URL", "KB_TEST_DATABASE_URL"]:
        env.pop(var, None)
    # The server starts on an empty database, as a real installation does, so that
    # the first start (test_admin.py) sees the setup page; ``app_server`` then
    # seeds the demo data that every other browser test uses.
    for args in (["migrate"],):
        r = subprocess.run(
            [sys.executable, "-m", "kb_app.cli", *args],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
        )
        assert r.returncode == 0, r.stderr
    server = AppServer(base, env, None, data_dir)
    try:
        server.oidc = provider
        server.start()
        yield server
    finally:
        server.stop()
        provider.stop()


@pytest.fixture(scope="session")
def app_server(fresh_server):
    """The server with the demo organisation (seeded once, while it runs)."""
    r = fresh_server.cli("seed-demo")
    assert r.returncode == 0, r.stderr
    return fresh_server


@pytest.fixture
def server_db(app_server):
    """Services in this process write to the running server's database."""
    from kb_app import db

    engine = db.make_engine(app_server.env["KB_DATABASE_URL"])
    db.set_engine(engine)
    yield
    db.set_engine(None)
    engine.dispose()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """The first start runs before anything seeds the demo data (a stable sort
    after the root conftest has put the browser tests last)."""
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
    items.sort(key=lambda item: ("/e2e/" in str(item.fspath), "first_start" not in item.name))


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def context(browser, request):
    ctx = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="sv-SE", timezone_id="Europe/Stockholm"
    )
    ctx.set_default_timeout(15000)
    # Every browser test is also a test of the Content-Security-Policy: a script,
    # style, image or connection the policy blocks is logged by chromium as
    # "Refused to ... because it violates the following Content Security Policy".
    violations: list[str] = []
    ctx.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    yield ctx
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        ARTIFACTS.mkdir(exist_ok=True)
        for i, pg in enumerate(ctx.pages):
            pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{i}.png"), full_page=True)
    ctx.close()
    assert not violations, violations


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def login(page, base_url: str, email: str, password: str = "varna-demo-2026") -> None:
    page.goto(base_url + "/logga-in")
    page.get_by_label("E-postadress").fill(email)
    page.get_by_label("Lösenord").fill(password)
    page.get_by_role("button", name="Logga in").click()
