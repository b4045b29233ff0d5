"""Bulk loading into a throw-away database (the benchmark's): the schema made
afresh, rows buffered per table and written in large Core batches with their ids
assigned by the caller, the sequences and the planner's statistics updated after."""

from __future__ import annotations

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import SQLModel

from kb_app import audit_sql
from kb_app.db import make_engine

BATCH = 5000


def _sqlite_fast(dbapi_connection, _record) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA synchronous=OFF")
    cur.execute("PRAGMA cache_size=-200000")
    cur.close()


def prepare(url: str, replace: bool) -> Engine:
    """An engine on an empty schema at ``url`` (the database created if missing,
    emptied with ``replace``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        admin = make_engine(
            parsed.set(database="postgres").render_as_string(hide_password=False),
            isolation_level="AUTOCOMMIT",
        )
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": parsed.database}
            ).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
        admin.dispose()
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        # A bulk load into a throw-away database: no need to wait for the disk.
        event.listen(engine, "connect", _sqlite_fast)
    names = set(inspect(engine).get_table_names())
    if names:
        if not replace:
            raise SystemExit(
                "Databasen är inte tom. Använd en egen databas för benchmarken, "
                "eller --replace för att tömma den först."
            )
        with engine.begin() as conn:
            for stmt in audit_sql.drop_statements(engine.dialect.name):
                conn.exec_driver_sql(stmt)
            for stmt in audit_sql.log_drop_statements(engine.dialect.name):
                conn.exec_driver_sql(stmt)
        SQLModel.metadata.drop_all(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    SQLModel.metadata.create_all(engine)
    with engine.begin() as conn:
        d = engine.dialect.name
        for stmt in audit_sql.current_trigger_statements(d):
            conn.exec_driver_sql(stmt)
        for stmt in audit_sql.log_trigger_statements(d):
            conn.exec_driver_sql(stmt)
        for stmt in audit_sql.log_trigger_statements(d, audit_sql.GALLRING_TABLES):
            conn.exec_driver_sql(stmt)
    return engine


class Writer:
    """Buffers rows per table and writes them in large Core batches, every table
    before the tables that refer to it."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.order = {t.name: n for n, t in enumerate(SQLModel.metadata.sorted_tables)}
        self.rows: dict[type, list[dict]] = {}
        self.count: dict[type, int] = {}

    def add(self, model: type, row: dict) -> None:
        buf = self.rows.setdefault(model, [])
        buf.append(row)
        if len(buf) >= BATCH:
            self.flush()

    def flush(self) -> None:
        with self.engine.begin() as conn:
            for model in sorted(self.rows, key=lambda m: self.order[m.__table__.name]):
                buf = self.rows[model]
                if buf:
                    conn.execute(model.__table__.insert(), buf)
                    self.count[model] = self.count.get(model, 0) + len(buf)
                    self.rows[model] = []


def finish(engine: Engine) -> None:
    """Sequences after the loaded ids, the planner's statistics, the WAL folded in."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # The ids were assigned here: each sequence goes on after the largest.
            for table in SQLModel.metadata.sorted_tables:
                if "id" in table.c and table.c.id.primary_key:
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                    )
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        raw = engine.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
