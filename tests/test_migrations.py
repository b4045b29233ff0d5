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


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrade_check_downgrade(backend, tmp_path):
    if backend == "sqlite":
        engine = db.make_engine(f"sqlite:///{tmp_path}/m.db")
        cleanup = None
    else:
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
