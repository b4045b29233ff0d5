"""The access log: a read is recorded with the work, a refusal on its own."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from kb_app.db import read_scope, session_scope
from kb_app.models import AccessLog
from kb_app.services.base import access_log
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
