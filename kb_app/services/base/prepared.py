"""Hot read paths: SQLAlchemy statements compiled once per *shape*, run on the
DB-API cursor with only the parameter values changing.

Building and compiling a statement costs more than SQLite takes to answer it; a
shape (a hashable key naming which conditions and order the statement has) is
compiled once per database dialect, and each call only converts its values.
The SQL is still written with SQLAlchemy, with named ``bindparam``s.

Reads run outside an explicit transaction (each SQLite statement is its own
consistent read and never takes the write lock; PostgreSQL's implicit
transaction ends when the connection returns to the pool).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Connection

from kb_app.db import get_engine
from kb_app.dbtypes import UTCDateTime


@dataclass
class Prepared:
    sql: str
    names: list[str]
    positional: bool
    defaults: dict
    bind: dict[str, Callable]
    result: list[tuple[int, Callable]]  # (column index, processor) where needed


_CACHE: dict[tuple, Prepared] = {}


def _sqlite_utc(value):
    # SQLite stores UTC as "YYYY-MM-DD HH:MM:SS.ffffff"; parsing it with the zone
    # attached is several times faster than datetime.replace(tzinfo=...).
    if value is None:
        return None
    return datetime.fromisoformat(value + "+00:00")


def _result_processor(type_, dialect):
    if dialect.name == "sqlite" and isinstance(type_, UTCDateTime):
        return _sqlite_utc
    return type_._cached_result_processor(dialect, None)


def prepare(dialect, stmt) -> Prepared:
    compiled = stmt.compile(dialect=dialect)
    sql = str(compiled)
    if "POSTCOMPILE" in sql:  # an expanding IN would need its values to render
        raise ValueError("statement needs post-compilation; use a list of bindparams")
    positional = compiled.positiontup is not None
    names = list(compiled.positiontup) if positional else re.findall(r"%\((\w+)\)s", sql)
    binds = compiled.binds
    bind = {
        n: proc
        for n in names
        if (proc := binds[n].type._cached_bind_processor(dialect)) is not None
    }
    result = [
        (i, proc)
        for i, col in enumerate(stmt.selected_columns)
        if (proc := _result_processor(col.type, dialect)) is not None
    ]
    return Prepared(sql, names, positional, {n: binds[n].value for n in names}, bind, result)


class Reader:
    """Runs prepared shapes on one pooled connection's DB-API connection."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self.dialect = conn.dialect
        self.raw = conn.connection.dbapi_connection

    def all(
        self, key: tuple, build: Callable[[], object], values: dict, *, raw: bool = False
    ) -> list[tuple]:
        """The rows of a shape; ``raw``: as the driver returns them (no type conversion)."""
        prep = _CACHE.get((self.dialect.name, key))
        if prep is None:
            prep = _CACHE[(self.dialect.name, key)] = prepare(self.dialect, build())
        params = {**prep.defaults, **values}
        for name, proc in prep.bind.items():
            params[name] = proc(params[name])
        cur = self.raw.cursor()
        try:
            cur.execute(prep.sql, [params[n] for n in prep.names] if prep.positional else params)
            rows = cur.fetchall()
        finally:
            cur.close()
        if prep.result and rows and not raw:
            out = []
            for row in rows:
                row = list(row)
                for i, proc in prep.result:
                    row[i] = proc(row[i])
                out.append(tuple(row))
            return out
        return rows

    def first(self, key: tuple, build: Callable[[], object], values: dict) -> tuple | None:
        rows = self.all(key, build, values)
        return rows[0] if rows else None

    def scalar(self, key: tuple, build: Callable[[], object], values: dict):
        return self.all(key, build, values)[0][0]


def read_connection():
    """A pooled connection for prepared reads (use as a context manager)."""
    return get_engine().connect()


def cached_shapes() -> int:
    return len(_CACHE)
