"""Alembic: upgrade, check (nothing to generate), downgrade, on each backend."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from alembic.config import Config
from sqlalchemy import text

from alembic import command
from kb_app import db
from kb_app.settings import REPO_ROOT
from tests.conftest import PG_URL


def _cfg(connection) -> Config:
    cfg = Config(str(REPO_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(REPO_ROOT / "alembic"))
    cfg.attributes["configure_logger"] = False
    cfg.attributes["connection"] = connection
    return cfg


def _empty_database(backend: str, tmp_path):
    """An empty SQLite file or PostgreSQL schema, and how to drop it (or None)."""
    if backend == "sqlite":
        return db.make_engine(f"sqlite:///{tmp_path}/m.db"), None
    if not PG_URL:
        pytest.skip("KB_TEST_DATABASE_URL är inte satt")
    schema = f"m_{uuid.uuid4().hex[:10]}"
    admin = db.make_engine(PG_URL)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = db.make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})

    def cleanup():
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return engine, cleanup


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrade_check_downgrade(backend, tmp_path):
    engine, cleanup = _empty_database(backend, tmp_path)
    try:
        with engine.connect() as conn:
            command.upgrade(_cfg(conn), "head")
            command.check(_cfg(conn))  # raises if autogenerate finds a difference
            command.downgrade(_cfg(conn), "base")
            command.upgrade(_cfg(conn), "head")
    finally:
        engine.dispose()
        if cleanup:
            cleanup()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_0005_keeps_every_row(backend, tmp_path, now):
    """The batch copy of kb_case (SQLite) keeps the cases and what points at them."""
    if backend == "postgresql" and not PG_URL:
        pytest.skip("KB_TEST_DATABASE_URL är inte satt")
    from kb_app.devdata import seed

    engine, cleanup = _empty_database(backend, tmp_path)
    tables = ["kb_case", "case_event", "party", "access_log"]
    try:
        # Seeded with today's code at head, then taken down to 0004 with the rows.
        with engine.connect() as conn:
            command.upgrade(_cfg(conn), "head")
        db.set_engine(engine)
        seed.seed_demo(now=now, cases=12)
        with engine.connect() as conn:
            command.downgrade(_cfg(conn), "0004")
        with engine.connect() as conn:
            before = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in tables}
            command.upgrade(_cfg(conn), "head")
        with engine.connect() as conn:
            after = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in tables}
            if backend == "sqlite":
                assert conn.execute(text("PRAGMA foreign_key_check")).fetchall() == []
                assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert before == after and after["kb_case"] == 12
    finally:
        db.set_engine(None)
        engine.dispose()
        if cleanup:
            cleanup()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_0007_conflict_table_up_and_down(backend, tmp_path, now):
    """0007 adds case_conflict beside existing cases (one conflict per case and user)
    and its downgrade removes it again, leaving the cases."""
    if backend == "postgresql" and not PG_URL:
        pytest.skip("KB_TEST_DATABASE_URL är inte satt")
    from sqlalchemy import inspect
    from sqlalchemy.exc import IntegrityError

    from kb_app.devdata import seed

    engine, cleanup = _empty_database(backend, tmp_path)
    try:
        with engine.connect() as conn:
            command.upgrade(_cfg(conn), "head")
        db.set_engine(engine)
        seed.seed_demo(now=now, cases=3)
        with engine.connect() as conn:
            command.downgrade(_cfg(conn), "0005")
        assert "case_conflict" not in inspect(engine).get_table_names()
        with engine.connect() as conn:
            command.upgrade(_cfg(conn), "0007")
        assert "case_conflict" in inspect(engine).get_table_names()
        insert = text(
            "INSERT INTO case_conflict (case_id, user_id, status, created_at) "
            "SELECT min(kb_case.id), min(app_user.id), 'suspected', :at FROM kb_case, app_user"
        )
        with engine.begin() as conn:
            conn.execute(insert, {"at": now})
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(insert, {"at": now})
        with engine.connect() as conn:
            command.downgrade(_cfg(conn), "0005")
        assert "case_conflict" not in inspect(engine).get_table_names()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM kb_case")).scalar() == 3
    finally:
        db.set_engine(None)
        engine.dispose()
        if cleanup:
            cleanup()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_0008_rekeys_the_chains_and_back(backend, tmp_path, now):
    """0008 seals every event and recomputes each chain with the audit key (a
    database of 0007 with its plain SHA-256 chains verifies after it); its
    downgrade gives back the plain chains of 0007; the logs are append-only."""
    if backend == "postgresql" and not PG_URL:
        pytest.skip("KB_TEST_DATABASE_URL är inte satt")
    import hashlib
    import json

    from sqlalchemy.exc import DBAPIError

    from kb_app.devdata import seed
    from kb_app.domain.hashing import GENESIS, canonical_at
    from kb_app.services.case import audit

    def plain_chains_hold(conn) -> int:
        rows = conn.execute(
            text(
                "SELECT case_id, seq, kind, actor_user_id, actor_label, at, payload, "
                "prev_hash, hash FROM case_event ORDER BY case_id, seq"
            )
        ).fetchall()
        prev: dict[int, str] = {}
        for cid, seq, kind, uid, label, at, payload, prev_hash, h in rows:
            if isinstance(at, str):
                at = datetime.fromisoformat(at)
            assert prev_hash == prev.get(cid, GENESIS)
            body = json.dumps(
                [cid, seq, kind, uid, label, canonical_at(at), payload, prev_hash],
                ensure_ascii=False,
                separators=(",", ":"),
            )
            assert hashlib.sha256(body.encode()).hexdigest() == h
            prev[cid] = h
        return len(rows)

    engine, cleanup = _empty_database(backend, tmp_path)
    try:
        with engine.connect() as conn:
            command.upgrade(_cfg(conn), "head")
        db.set_engine(engine)
        seed.seed_demo(now=now, cases=6)
        assert audit.verify_all().ok
        with engine.connect() as conn:
            command.downgrade(_cfg(conn), "0007")
        with engine.connect() as conn:
            assert plain_chains_hold(conn) >= 12
            conn.execute(text("UPDATE access_log SET allowed = allowed"))  # no trigger at 0007
            conn.commit()
        with engine.connect() as conn:
            command.upgrade(_cfg(conn), "head")
        result = audit.verify_all()
        assert result.ok and result.cases == 6, [f.message() for f in result.findings]
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO access_log (at, action, allowed) VALUES (:at, 'x', true)"),
                {"at": now},
            )
            conn.execute(
                text(
                    "INSERT INTO login_attempt (email, at, outcome, client) "
                    "VALUES ('a@b.se', :at, 'failed', '')"
                ),
                {"at": now},
            )
        for statement in ("UPDATE access_log SET allowed = allowed", "DELETE FROM login_attempt"):
            with pytest.raises(DBAPIError), engine.begin() as conn:
                conn.execute(text(statement))
    finally:
        db.set_engine(None)
        engine.dispose()
        if cleanup:
            cleanup()
