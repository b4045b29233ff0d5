"""Alembic environment: the SQLModel metadata and the URL from KB_DATABASE_URL."""

from __future__ import annotations

from logging.config import fileConfig

from sqlmodel import SQLModel

from alembic import context
from kb_app import models  # noqa: F401  (registers the tables)
from kb_app.db import make_engine
from kb_app.settings import get_settings

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def _url() -> str:
    return config.attributes.get("url") or get_settings().database_url


def run_migrations_offline() -> None:
    url = _url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    if connection.dialect.name == "sqlite":
        # A batch migration recreates a table; with foreign keys on, dropping the
        # old one fails. The PRAGMA works only outside a transaction, so it goes to
        # the driver's connection directly (autocommit, see kb_app.db);
        # foreign_key_check below verifies what the copy kept.
        if connection.in_transaction():
            connection.commit()
        connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Several workers start at once (compose.yaml): one migrates, the others
            # wait here and then find the schema at head.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(4242013)")
        context.run_migrations()
    if connection.in_transaction():
        connection.commit()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        raw.execute("PRAGMA foreign_keys=ON")
        if broken:
            raise RuntimeError(f"foreign keys broken after the migration: {broken[:5]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
