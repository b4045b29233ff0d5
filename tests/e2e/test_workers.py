"""Several workers on PostgreSQL and Redis: three app processes (the production
back end serving one front-end build, Reflex's state in Redis) on one PostgreSQL
database, driven in chromium. Across workers: a login, a report through the link,
live updates on overviews held by other workers, the case page; exactly one
scheduler holds the lease, another takes over within the lease time when its worker
is killed, and no mail is sent twice.

Needs KB_TEST_DATABASE_URL (PostgreSQL) and Redis (KB_TEST_REDIS_URL, default
redis://127.0.0.1:6379/3); skipped without them."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import PG_URL, free_port
from tests.e2e.conftest import REPO, login
from tests.support.world import SmtpServer

REDIS_URL = os.environ.get("KB_TEST_REDIS_URL", "redis://127.0.0.1:6379/3")
LEASE_SECONDS = 6
WORKERS = 3
UNIT = "Björkskolan F–6"


def _redis_ok() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except Exception:
        return False


class Cluster:
    def __init__(self, env: dict, db_url: str, smtp: SmtpServer, tmp: Path):
        self.env = env
        self.db_url = db_url
        self.smtp = smtp
        self.tmp = tmp
        self.workers: list[tuple[str, subprocess.Popen]] = []

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "kb_app.cli", *args],
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def start_worker(self, i: int) -> str:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        web = self.tmp / f"web-{i}"
        shutil.copytree(
            self.tmp / "web", web, ignore=shutil.ignore_patterns("node_modules", ".kb-*")
        )
        env = {
            **self.env,
            "KB_PORT": str(port),
            "KB_PUBLIC_URL": base,
            "REFLEX_WEB_WORKDIR": str(web),
        }
        log = open(self.tmp / f"worker-{i}.log", "w")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [sys.executable, "scripts/serve_built.py"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.workers.append((base, proc))
        return base

    def wait_ready(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        pending = list(self.workers)
        while pending and time.monotonic() < deadline:
            for base, proc in list(pending):
                assert proc.poll() is None, self.log_tail()
                try:
                    with urllib.request.urlopen(base + "/_health", timeout=2) as r:
                        if r.status == 200:
                            pending.remove((base, proc))
                except OSError:
                    pass
            time.sleep(0.5)
        assert not pending, "workers did not start:\n" + self.log_tail()

    def log_tail(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(self.tmp.glob("worker-*.log"))
        )

    def query(self, sql: str, **params) -> list:
        engine = create_engine(self.db_url)
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(sql), params))
        finally:
            engine.dispose()

    def lease_holder_worker(self) -> int | None:
        """Which of our workers (index) holds a valid lease, by the holder's pid."""
        rows = self.query(
            "SELECT holder FROM scheduler_lease WHERE name = 'scheduler' AND expires_at > now()"
        )
        if not rows:
            return None
        pid = int(rows[0][0].split(":")[1])
        try:
            group = os.getpgid(pid)
        except ProcessLookupError:
            return None
        for i, (_, proc) in enumerate(self.workers):
            if proc.pid == group and proc.poll() is None:
                return i
        return None

    def kill(self, i: int) -> None:
        proc = self.workers[i][1]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def stop(self) -> None:
        for _, proc in self.workers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for _, proc in self.workers:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if not PG_URL:
        pytest.skip("KB_TEST_DATABASE_URL är inte satt: flera arbetsprocesser testas på PostgreSQL")
    if not _redis_ok():
        pytest.skip(f"Redis svarar inte på {REDIS_URL}")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    tmp = tmp_path_factory.mktemp("workers")
    name = f"test_workers_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db_url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    smtp = SmtpServer(free_port()).start()
    env = {
        **os.environ,
        "KB_DATA_DIR": str(tmp / "data"),
        "KB_DATABASE_URL": db_url,
        "KB_REDIS_URL": REDIS_URL,
        "KB_SECRET_KEY": "workers-secret",
        "KB_SCHEDULER": "on",
        "KB_SCHEDULER_LEASE_SECONDS": str(LEASE_SECONDS),
        "KB_SMTP_HOST": smtp.host,
        "KB_SMTP_PORT": str(smtp.port),
        "KB_SMTP_SECURITY": "none",
        "KB_SMTP_SENDER": "varna@test.example",
        "KB_REPORT_LIMIT_PER_CLIENT": "1000",
        "KB_REPORT_LIMIT_PER_ADDRESS": "1000",
        "REFLEX_USE_SYSTEM_BUN": "1",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "PATH": f"{REPO / '.tools/node_modules/.bin'}:{Path(sys.executable).parent}:"
        f"{os.environ['PATH']}",
    }
    for var in ["KB_TEST_DATABASE_URL", "KB_SMTP_USER", "KB_SMTP_PASSWORD", "KB_PUBLIC_URL"]:
        env.pop(var, None)
    c = Cluster(env, db_url, smtp, tmp)
    try:
        for args in (["migrate"], ["seed-demo"]):
            r = c.cli(*args)
            assert r.returncode == 0, r.stderr
        # One front-end build in a folder of its own (never the repo's .web, which the
        # other browser tests' server serves), copied per worker.
        r = subprocess.run(
            [sys.executable, "-m", "reflex", "export", "--frontend-only", "--no-zip"],
            cwd=REPO,
            env={**env, "REFLEX_WEB_WORKDIR": str(tmp / "web")},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
        for i in range(WORKERS):
            c.start_worker(i)
        c.wait_ready()
        yield c
    finally:
        c.stop()
        smtp.stop()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _report(page, link: str, description: str) -> str:
    page.goto(link)
    expect(page.get_by_role("heading", name="Anmäl kränkande behandling")).to_be_visible()
    page.get_by_label("Ditt namn").fill("Anna Holm")
    page.get_by_label("Din e-postadress").fill("anna.holm@exempelkommun.se")
    page.get_by_label("Din roll").select_option(label="Lärare")
    page.get_by_label("Datum").fill("2026-11-20")
    page.get_by_label("Klockslag").fill("12:15")
    page.get_by_label("Var hände det?").select_option(label="Korridor")
    page.get_by_label("Vad hände?").fill(description)
    page.get_by_role("group", name="Utsatt 1").get_by_label("Namn").fill("Kalle Test")
    page.get_by_label("Verbal", exact=True).click()
    page.get_by_label("Nej", exact=True).click()
    page.get_by_role("button", name="Skicka anmälan").click()
    expect(page.get_by_role("heading", name="Tack – anmälan är skickad")).to_be_visible()
    return page.locator("#kb-reference").inner_text()


def _open_overview(page, base: str) -> None:
    page.goto(base + "/oversikt?steg=reported")
    expect(page.get_by_label("Steg")).to_have_value("reported")
    expect(page.get_by_role("link", name=re.compile(r"KB-20\d\d-\d{4}")).first).to_be_visible()


def _mails_for(cluster: Cluster, reference: str, count: int, timeout: float = 120) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with cluster.smtp._lock:
            found = [
                m["message"]
                for m in cluster.smtp.messages
                if reference in m["message"].get_body(preferencelist=("plain",)).get_content()
            ]
        if len(found) >= count:
            return found
        time.sleep(0.5)
    return found


def test_three_workers_on_postgresql_and_redis(cluster, browser):
    bases = [base for base, _ in cluster.workers]
    link_line = next(
        line for line in cluster.cli("report-links").stdout.splitlines() if UNIT in line
    )
    token_path = re.search(r"/anmalan/\S+", link_line).group(0)

    # The session's chromium (tests/e2e/conftest.py): one Playwright per session.
    if True:
        ctx = browser.new_context(locale="sv-SE", timezone_id="Europe/Stockholm")
        ctx.set_default_timeout(30_000)
        # Log in through worker 0; the session (a database row) holds on the others.
        first = ctx.new_page()
        login(first, bases[0], "rektor@exempelkommun.se")
        expect(first).to_have_url(re.compile(r"/oversikt/?$"))
        _open_overview(first, bases[0])
        second = ctx.new_page()
        _open_overview(second, bases[1])

        # A report through the link on worker 2 reaches both open overviews.
        reporter = browser.new_context(locale="sv-SE").new_page()
        reference = _report(reporter, bases[2] + token_path, "Knuffad vid skåpen i korridoren.")
        for page in (first, second):
            row = page.get_by_role("row").filter(has=page.get_by_role("link", name=reference))
            expect(row).to_be_visible(timeout=15_000)
        # The case page, opened from worker 1's overview.
        second.get_by_role("link", name=reference).click()
        expect(second).to_have_url(re.compile(r"/arenden/\d+"))
        expect(second.get_by_text(reference).first).to_be_visible()

        # The clients' state lives in Redis, shared by the workers.
        import redis

        assert redis.Redis.from_url(REDIS_URL).dbsize() > 0
        # Exactly one scheduler runs; its mail about the report arrives once.
        holder = cluster.lease_holder_worker()
        assert holder is not None, cluster.query("SELECT * FROM scheduler_lease")
        mails = _mails_for(cluster, reference, 3)
        assert sorted(m["To"] for m in mails) == [
            "anna.holm@exempelkommun.se",  # the reporter's receipt
            "huvudman@exempelkommun.se",
            "rektor@exempelkommun.se",
        ]

        # Kill the holder's worker: another takes the lease over within its time.
        cluster.kill(holder)
        started = time.monotonic()
        new_holder = None
        while time.monotonic() - started < 4 * LEASE_SECONDS:
            new_holder = cluster.lease_holder_worker()
            if new_holder is not None and new_holder != holder:
                break
            time.sleep(0.5)
        assert new_holder is not None and new_holder != holder, cluster.log_tail()
        alive = [i for i in range(WORKERS) if i != holder]
        watcher = ctx.new_page()
        _open_overview(watcher, bases[alive[-1]])
        again = _report(
            reporter, bases[alive[0]] + token_path, "Knuffad igen vid skåpen i korridoren."
        )
        row = watcher.get_by_role("row").filter(has=watcher.get_by_role("link", name=again))
        expect(row).to_be_visible(timeout=15_000)
        # receipt, principal, organiser: each once, by the new holder
        assert len(_mails_for(cluster, again, 3)) == 3
        ctx.close()

    # No message was delivered twice, whichever worker sent it.
    ids = Counter(cluster.smtp.message_ids())
    assert ids and max(ids.values()) == 1, [i for i, n in ids.items() if n > 1]
    sent = cluster.query("SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL")[0][0]
    assert sent == len(ids)
