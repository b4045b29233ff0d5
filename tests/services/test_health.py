"""/_health (database, migrations, Redis, scheduler lease, outbox backlog; no personal
data), request ids (X-Request-ID) and JSON log lines (KB_LOG_FORMAT=json)."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from sqlalchemy import text
from starlette.testclient import TestClient

from kb_app import api, db
from kb_app.errors import JsonFormatter, request_id
from kb_app.services.mail import lease
from kb_app.settings import reset_settings


def _migrated(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/kb.db"
    monkeypatch.setenv("KB_DATABASE_URL", url)
    reset_settings()
    engine = db.make_engine(url)
    db.set_engine(engine)
    from kb_app.cli import migrate_database

    migrate_database()
    return engine


def _client():
    return TestClient(api.request_ids(api.build_api()))


def test_health_reports_database_lease_and_backlog_without_personal_data(
    tmp_path, monkeypatch, now, clock
):
    engine = _migrated(tmp_path, monkeypatch)
    from kb_app.devdata import seed

    seed.seed_demo(now=now)
    lease.acquire("host:1:abc", now, timedelta(seconds=60))
    from kb_app.models import Outbox

    with db.session_scope() as s:
        for minutes in (10, 2):
            at = now - timedelta(minutes=minutes)
            s.add(
                Outbox(
                    to_addr="rektor@exempelkommun.se",
                    subject="Påminnelse",
                    body="KB-2026-0001",
                    message_id=f"<m{minutes}@test>",
                    created_at=at,
                    next_attempt_at=at,
                )
            )
    r = _client().get("/_health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["migrations"] == "ok"
    assert body["scheduler"]["holder"] == "host:1:abc" and body["scheduler"]["lease_valid"]
    assert body["outbox"]["unsent"] == 2
    assert 600 <= body["outbox"]["oldest_unsent_age_seconds"] < 700
    assert "redis" not in body
    for secret in ("@", "Exempelkommun", "KB-20"):
        assert secret not in r.text
    assert r.headers["cache-control"] == "no-store"

    # A database behind the newest migration is unhealthy (503).
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'old'"))
    r = _client().get("/_health")
    assert r.status_code == 503 and r.json()["migrations"] == "not at head"


def test_health_is_503_when_redis_does_not_answer(tmp_path, monkeypatch, clock):
    from tests.support.world import closed_port

    _migrated(tmp_path, monkeypatch)
    monkeypatch.setenv("KB_REDIS_URL", f"redis://127.0.0.1:{closed_port()}/0")
    reset_settings()
    r = _client().get("/_health")
    assert r.status_code == 503 and r.json()["redis"] == "error"


def test_request_ids_are_kept_from_a_proxy_or_made(tmp_path, monkeypatch, clock):
    _migrated(tmp_path, monkeypatch)
    c = _client()
    made = c.get("/_health").headers["x-request-id"]
    assert len(made) == 16
    assert c.get("/_health").headers["x-request-id"] != made
    assert c.get("/_health", headers={"X-Request-ID": "proxy-id-0001"}).headers["x-request-id"] == (
        "proxy-id-0001"
    )
    # Not a plain token: replaced, never echoed.
    odd = c.get("/_health", headers={"X-Request-ID": "<script>x</script>"})
    assert odd.headers["x-request-id"] != "<script>x</script>"


def test_json_log_lines_carry_the_request_id():
    formatter = JsonFormatter()
    token = request_id.set("abc123def456")
    try:
        from kb_app.errors import _RequestIdFilter

        record = logging.LogRecord("kb_app.test", logging.INFO, __file__, 1, "hej %s", ("x",), None)
        _RequestIdFilter().filter(record)
    finally:
        request_id.reset(token)
    line = json.loads(formatter.format(record))
    assert line["message"] == "hej x" and line["level"] == "INFO"
    assert line["request_id"] == "abc123def456" and line["logger"] == "kb_app.test"
