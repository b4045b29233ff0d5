"""The access log: a read is recorded with the work, a refusal on its own."""

from __future__ import annotations

import dataclasses
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from kb_app.db import read_scope, session_scope
from kb_app.models import AccessLog
from kb_app.services.base import access_log, group_commit
from tests.support.helpers import actor_for

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def _rows() -> list[AccessLog]:
    with read_scope() as s:
        return list(s.exec(select(AccessLog).order_by(AccessLog.id)))


def test_record_commits_and_rolls_back_with_the_work(demo):
    actor = actor_for("rektor@exempelkommun.se")
    with session_scope() as s:
        access_log.record(s, actor, "read_case", now=NOW, case_id=1)
    with pytest.raises(RuntimeError), session_scope() as s:
        access_log.record(s, actor, "read_case", now=NOW, case_id=2)
        raise RuntimeError("the work failed")
    rows = _rows()
    assert [(r.case_id, r.allowed, r.at) for r in rows] == [(1, True, NOW)]
    assert rows[0].user_id == actor.user_id


def test_deny_is_kept_when_the_callers_work_rolls_back(demo):
    actor = actor_for("rektor@exempelkommun.se")
    with pytest.raises(RuntimeError), session_scope():
        access_log.deny(actor, "export_reply_pack", now=NOW, case_id=7)
        raise RuntimeError("the caller's transaction is rolled back")
    access_log.deny(None, "read_case", now=NOW, case_id="1; DROP TABLE")  # a probe
    rows = _rows()
    assert [(r.user_id, r.case_id, r.action, r.allowed) for r in rows] == [
        (actor.user_id, 7, "export_reply_pack", False),
        (None, None, "read_case", False),
    ]


# --- Rows of concurrent callers share a transaction (services/base/group_commit.py) ---


@contextmanager
def _writes_blocked(engine):
    """Another connection holds the table's write lock until the block ends, so the
    writer's first transaction waits and the callers' rows queue up meanwhile."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("COMMIT")  # the engine's own BEGIN (see db._sqlite_begin)
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("LOCK TABLE access_log IN EXCLUSIVE MODE")
        yield
        conn.rollback()


def _commits(engine) -> list[int]:
    seen: list[int] = []
    event.listen(engine, "commit", lambda conn: seen.append(1))
    return seen


def _wait_for(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_concurrent_rows_share_commits_and_each_returns_after_its_own(demo, engine):
    actor = actor_for("rektor@exempelkommun.se")
    commits = _commits(engine)
    returned: list[int] = []
    with ThreadPoolExecutor(max_workers=24) as pool:
        with _writes_blocked(engine):
            futures = [
                pool.submit(
                    lambda i: (
                        access_log.record_alone(actor, "list_overview", now=NOW, case_id=i + 1),
                        returned.append(i),
                    ),
                    i,
                )
                for i in range(24)
            ]
            time.sleep(0.5)
            assert returned == []  # nobody goes on before the row is committed
            assert _rows() == []
        for f in futures:
            f.result(timeout=60)
    assert sorted(r.case_id for r in _rows()) == list(range(1, 25))
    # The first row waited alone for the lock; the other 23 came in at most two more.
    assert len(commits) <= 3


def test_a_bad_row_fails_only_its_own_caller(demo, engine):
    actor = actor_for("rektor@exempelkommun.se")
    ghost = dataclasses.replace(actor, user_id=999_999)  # no such user: the foreign key fails
    with ThreadPoolExecutor(max_workers=8) as pool:
        with _writes_blocked(engine):
            good = [
                pool.submit(access_log.record_alone, actor, "list_overview", now=NOW, case_id=i)
                for i in range(1, 8)
            ]
            bad = pool.submit(access_log.record_alone, ghost, "list_overview", now=NOW)
            time.sleep(0.3)
        for f in good:
            f.result(timeout=60)
        with pytest.raises(IntegrityError):
            bad.result(timeout=60)
    assert sorted(r.case_id for r in _rows()) == list(range(1, 8))


def test_an_idle_writer_stops_and_a_new_row_starts_one(demo, engine, monkeypatch):
    monkeypatch.setattr(group_commit, "IDLE_SECONDS", 0.2)
    actor = actor_for("rektor@exempelkommun.se")

    def writers() -> int:
        return sum(t.name == "group-insert-access_log" for t in threading.enumerate())

    access_log.record_alone(actor, "list_overview", now=NOW, case_id=1)
    _wait_for(lambda: writers() == 0)
    access_log.record_alone(actor, "list_overview", now=NOW, case_id=2)
    assert [r.case_id for r in _rows()] == [1, 2]


class _Halt(BaseException):
    """Not an Exception: what ends a thread (as SystemExit would)."""


def test_a_writer_that_dies_fails_its_rows_at_once_and_the_next_row_starts_another(demo, engine):
    actor = actor_for("rektor@exempelkommun.se")

    def halt(*args):
        raise _Halt

    event.listen(engine, "before_cursor_execute", halt)
    try:
        with pytest.raises(RuntimeError, match="group insert stopped"):
            access_log.record_alone(actor, "list_overview", now=NOW, case_id=1)
    finally:
        event.remove(engine, "before_cursor_execute", halt)
    # The dead writer's queue is taken over: the next row is written, not left waiting.
    access_log.record_alone(actor, "list_overview", now=NOW, case_id=2)
    assert [r.case_id for r in _rows()] == [2]
