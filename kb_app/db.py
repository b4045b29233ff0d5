"""The database engine and session factory, from settings.

SQLite runs with WAL, a busy timeout and foreign keys on; PostgreSQL through
psycopg 3. Services open their own short transactions with ``session_scope``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine

from kb_app import models  # noqa: F401  (registers the tables)
from kb_app.settings import get_settings

_lock = threading.Lock()
_engine: Engine | None = None


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Let SQLAlchemy, not pysqlite, issue BEGIN (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn) -> None:
    # A writing transaction takes the write lock at BEGIN, so concurrent writers
    # queue on busy_timeout instead of failing when a read lock must be upgraded.
    # Readers (read_scope) stay deferred and run beside writers under WAL.
    mode = "DEFERRED" if conn.get_execution_options().get("kb_read_only") else "IMMEDIATE"
    conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            from kb_app.settings import private_file

            Path(path).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            private_file(Path(path))
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            **kwargs,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def get_engine() -> Engine:
    global _engine
    if _engine is None:
        with _lock:
            if _engine is None:
                _engine = make_engine(get_settings().database_url)
    return _engine


def set_engine(engine: Engine | None) -> None:
    """Use ``engine`` for every later session (tests point this at their database)."""
    global _engine
    with _lock:
        _engine = engine


@contextmanager
def session_scope() -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back on error."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def read_scope() -> Iterator[Session]:
    """A read-only transaction (does not take SQLite's write lock)."""
    engine = get_engine().execution_options(kb_read_only=True)
    # Closing (not rolling back) ends the transaction without expiring the loaded
    # objects, so callers may use them after the block.
    with Session(engine, expire_on_commit=False) as session:
        yield session


def create_schema(engine: Engine) -> None:
    """Create every table and the audit triggers (tests; migrations do the same)."""
    from kb_app import audit_sql

    SQLModel.metadata.create_all(engine)
    with engine.begin() as conn:
        for stmt in audit_sql.current_trigger_statements(engine.dialect.name):
            conn.exec_driver_sql(stmt)
        for stmt in audit_sql.log_trigger_statements(engine.dialect.name):
            conn.exec_driver_sql(stmt)
        for stmt in audit_sql.log_trigger_statements(
            engine.dialect.name, audit_sql.GALLRING_TABLES
        ):
            conn.exec_driver_sql(stmt)
