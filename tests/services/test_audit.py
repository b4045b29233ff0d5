"""The append-only timeline: triggers reject UPDATE and DELETE on both backends, and
`kb-app audit verify` finds an edit made by bypassing them."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from kb_app import audit_sql, cli
from kb_app.domain.process import Step
from kb_app.services.case import audit
from tests.support.cases import drive, events, new_case


def test_verify_passes_on_seeded_data(demo):
    result = audit.verify_all()
    assert result.ok
    assert result.cases == 60 and result.events > 120


@pytest.mark.parametrize(
    "statement",
    [
        'UPDATE case_event SET payload = \'{"findings":"ändrat"}\' WHERE id = :id',
        "UPDATE case_event SET at = at WHERE id = :id",
        "DELETE FROM case_event WHERE id = :id",
    ],
)
def test_triggers_reject_update_and_delete(engine, demo, statement):
    first = events(1)[0]
    with pytest.raises(DBAPIError) as exc:
        with engine.begin() as conn:
            conn.execute(text(statement), {"id": first.id})
    assert "append-only" in str(exc.value)
    assert events(1)[0].hash == first.hash and audit.verify_all().ok


def test_truncate_is_rejected_on_postgresql(engine, demo):
    if engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE finns bara i PostgreSQL")
    with pytest.raises(DBAPIError):
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE case_event CASCADE"))


def _bypass(engine, statement: str, params: dict) -> None:
    """What an attacker with database access could do: drop the triggers, edit, restore."""
    with engine.begin() as conn:
        for stmt in audit_sql.drop_statements(engine.dialect.name):
            conn.exec_driver_sql(stmt)
        conn.execute(text(statement), params)
        for stmt in audit_sql.trigger_statements(engine.dialect.name):
            conn.exec_driver_sql(stmt)


def test_an_edited_event_is_detected(engine, demo, now, capsys):
    cid = new_case(now)
    drive(cid, Step.INVESTIGATED, now)
    target = next(e for e in events(cid) if e.kind == "investigated")
    _bypass(
        engine,
        "UPDATE case_event SET payload = :p WHERE id = :id",
        {"p": target.payload.replace("confirmed", "not_confirmed"), "id": target.id},
    )
    result = audit.verify_all()
    assert not result.ok
    assert result.broken.case_id == cid and result.broken.seq == target.seq
    assert "hashen stämmer inte" in result.broken.reason

    assert cli.main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("FEL: Ärende KB-") and f"händelse nr {target.seq}" in out


def test_a_recomputed_hash_still_breaks_the_chain(engine, demo, now):
    """Rewriting an event and its own hash leaves the next event's link broken."""
    from kb_app.domain.hashing import event_hash

    cid = new_case(now)
    drive(cid, Step.INVESTIGATED, now)
    evs = events(cid)
    ev = evs[2]
    forged = event_hash(
        case_id=ev.case_id,
        seq=ev.seq,
        kind=ev.kind,
        actor_user_id=ev.actor_user_id,
        actor_label="Någon annan",
        at=ev.at,
        payload=ev.payload,
        prev_hash=ev.prev_hash,
    )
    _bypass(
        engine,
        "UPDATE case_event SET actor_label = 'Någon annan', hash = :h WHERE id = :id",
        {"h": forged, "id": ev.id},
    )
    broken = audit.verify_all().broken
    assert broken.case_id == cid and broken.seq == ev.seq + 1
    assert "föregående" in broken.reason


def test_a_deleted_event_is_detected(engine, demo, now, capsys):
    cid = new_case(now)
    drive(cid, Step.MEASURES_DECIDED, now)
    middle = events(cid)[3]
    _bypass(engine, "DELETE FROM case_event WHERE id = :id", {"id": middle.id})
    broken = audit.verify_all().broken
    assert broken.case_id == cid and broken.seq == middle.seq + 1
    assert "saknas" in broken.reason


def test_cli_says_ok(demo, capsys):
    assert cli.main(["audit", "verify"]) == 0
    assert capsys.readouterr().out.startswith("OK: 60 ärenden")
