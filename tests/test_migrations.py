"""Alembic: upgrade, check (nothing to generate), downgrade, on each backend."""

from __future__ import annotations

import uuid

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
        with engine.connect() as conn:
            command.upgrade(_cfg(conn), "0004")
        db.set_engine(engine)
        seed.seed_demo(now=now, cases=12)
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
