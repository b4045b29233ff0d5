"""Reading a case takes no lock: not the row (FOR UPDATE), not SQLite's write lock.

Each test holds or probes the lock from a second connection while a read is under
way, on SQLite and PostgreSQL; a read that locked the case would make them fail."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from kb_app.services.case import view as case_view
from tests.support.cases import PRINCIPAL, access_rows, new_case
from tests.support.helpers import actor_for


def _during_build(monkeypatch, fn) -> None:
    """Call ``fn`` inside the read transaction, after the case has been loaded."""
    build = case_view._view

    def wrapped(s, actor, case, facts, now):
        fn()
        return build(s, actor, case, facts, now)

    monkeypatch.setattr(case_view, "_view", wrapped)


def _write_now(engine, case_id: int) -> None:
    """Take the row for a write from another connection, failing fast if it is held."""
    if engine.dialect.name == "sqlite":
        conn = sqlite3.connect(engine.url.database, timeout=0.3, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")  # "database is locked" if a reader held it
            conn.execute("UPDATE kb_case SET updated_at = updated_at WHERE id = ?", (case_id,))
            conn.execute("COMMIT")
        finally:
            conn.close()
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("SET lock_timeout = '1s'")
        conn.execute(text("SELECT id FROM kb_case WHERE id = :id FOR UPDATE"), {"id": case_id})
        conn.rollback()


@pytest.mark.parametrize("read", ["load_case", "case_file"])
def test_a_writer_goes_ahead_while_a_case_is_read(demo, engine, now, monkeypatch, read):
    p = actor_for(PRINCIPAL)
    cid = new_case(now)
    probed = []
    _during_build(monkeypatch, lambda: probed.append(_write_now(engine, cid)))

    view = getattr(case_view, read)(p, cid, now=now)

    assert probed == [None] and view.id == cid
    assert [r.action for r in access_rows(cid)] == [
        "read_case" if read == "load_case" else "export_case"
    ]


class _Holder:
    """Another transaction holding the case for a write until ``release``."""

    def __init__(self, engine, case_id: int):
        self.engine = engine
        if engine.dialect.name == "sqlite":
            self.conn = sqlite3.connect(engine.url.database, timeout=5, isolation_level=None)
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("UPDATE kb_case SET updated_at = updated_at WHERE id = ?", (case_id,))
        else:
            self.conn = engine.connect()
            stmt = text("SELECT id FROM kb_case WHERE id = :id FOR UPDATE")
            self.conn.execute(stmt, {"id": case_id})

    def release(self) -> None:
        if self.conn is not None:
            if self.engine.dialect.name == "sqlite":
                self.conn.execute("ROLLBACK")
            else:
                self.conn.rollback()
            self.conn.close()
            self.conn = None


def test_a_case_is_read_while_another_transaction_holds_it(demo, engine, now, monkeypatch):
    p = actor_for(PRINCIPAL)
    cid = new_case(now)
    built = threading.Event()
    _during_build(monkeypatch, built.set)
    holder = _Holder(engine, cid)
    with ThreadPoolExecutor(1) as pool:
        try:
            future = pool.submit(case_view.load_case, p, cid, now=now)
            # The view is built under the other transaction (a lock would wait for it).
            assert built.wait(10), "the read waited for the other transaction"
            if engine.dialect.name == "postgresql":
                # The whole read, log row included, needs nothing the holder has.
                assert future.result(timeout=10).id == cid
        finally:
            holder.release()  # before the pool waits for the read
        assert future.result(timeout=30).id == cid
    assert [r.action for r in access_rows(cid)] == ["read_case"]
