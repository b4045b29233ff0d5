"""Shared fixtures: a real database per test (SQLite file; PostgreSQL too when
KB_TEST_DATABASE_URL is set), the settings environment, and a real SMTP server."""

from __future__ import annotations

import os
import socket
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
import time_machine

from tests.support.clock import apply_shift

# The shifted-clock pass (make test-shifted): the whole session runs with the wall
# clock moved by KB_TEST_CLOCK_SHIFT_DAYS.
apply_shift()

# Isolate every test run from a developer's data/ folder before kb_app is imported.
_RUN_DIR = tempfile.mkdtemp(prefix="kb-test-")
os.environ["KB_DATA_DIR"] = _RUN_DIR
os.environ.setdefault("KB_SECRET_KEY", "test-secret-key")
os.environ["KB_DATABASE_URL"] = f"sqlite:///{_RUN_DIR}/unused.db"
os.environ["KB_SCHEDULER"] = "off"
for var in ["KB_SMTP_HOST", "KB_SMTP_USER", "KB_SMTP_PASSWORD", "KB_REDIS_URL", "KB_PUBLIC_URL"]:
    os.environ.pop(var, None)

from sqlalchemy import text  # noqa: E402

from kb_app import db  # noqa: E402
from kb_app.settings import reset_settings  # noqa: E402

PG_URL = os.environ.get("KB_TEST_DATABASE_URL", "").strip()
BACKENDS = ["sqlite", "postgresql"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(autouse=True)
def _fresh_settings():
    # Each test its own audit checkpoint file: a checkpoint anchors one database.
    os.environ["KB_AUDIT_CHECKPOINT_FILE"] = f"{_RUN_DIR}/checkpoints-{uuid.uuid4().hex}.jsonl"
    reset_settings()
    yield
    reset_settings()


def _make_db(backend: str, tmp_path):
    if backend == "sqlite":
        engine = db.make_engine(f"sqlite:///{tmp_path}/kb.db")
        return engine, lambda: None
    if not PG_URL:
        pytest.skip("KB_TEST_DATABASE_URL är inte satt: PostgreSQL hoppas över")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = db.make_engine(PG_URL, pool_size=1, max_overflow=0)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = db.make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})

    def drop():
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return engine, drop


@pytest.fixture(params=BACKENDS)
def engine(request, tmp_path):
    """A fresh, empty schema on each backend, used by every service (db.set_engine)."""
    eng, drop = _make_db(request.param, tmp_path)
    db.create_schema(eng)
    db.set_engine(eng)
    yield eng
    db.set_engine(None)
    eng.dispose()
    drop()


@pytest.fixture
def sqlite_engine(tmp_path):
    """SQLite only, for tests that do not depend on the backend."""
    eng, _ = _make_db("sqlite", tmp_path)
    db.create_schema(eng)
    db.set_engine(eng)
    yield eng
    db.set_engine(None)
    eng.dispose()


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


@pytest.fixture
def clock(now):
    """The wall clock set to the test's fixed ``now`` (and ticking), for tests that
    go through an edge (an HTTP route, a state handler, the CLI) that reads it."""
    with time_machine.travel(now, tick=True) as traveller:
        yield traveller


@pytest.fixture
def demo(engine, now):
    """The demo organisation, seeded through the real seed service."""
    from kb_app.devdata import seed

    return seed.seed_demo(now=now)


@dataclass
class SmtpSink:
    host: str
    port: int
    messages: list = field(default_factory=list)


@pytest.fixture
def smtp_server(monkeypatch) -> Iterator[SmtpSink]:
    """A real SMTP server (aiosmtpd) on a loopback port; KB_SMTP_* point at it."""
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller

    sink = SmtpSink("127.0.0.1", free_port())

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            msg = message_from_bytes(envelope.content, policy=policy.default)
            sink.messages.append(
                {"to": list(envelope.rcpt_tos), "from": envelope.mail_from, "message": msg}
            )
            return "250 OK"

    controller = Controller(Handler(), hostname=sink.host, port=sink.port)
    controller.start()
    monkeypatch.setenv("KB_SMTP_HOST", sink.host)
    monkeypatch.setenv("KB_SMTP_PORT", str(sink.port))
    monkeypatch.setenv("KB_SMTP_SECURITY", "none")
    monkeypatch.setenv("KB_SMTP_SENDER", "varna@test.example")
    reset_settings()
    yield sink
    controller.stop()


def pytest_collection_modifyitems(config, items):
    """Browser tests last: Playwright's sync API keeps an event loop running in this
    thread for the rest of the session, which async tests after it cannot share."""
    items.sort(key=lambda item: "/e2e/" in str(item.fspath))
