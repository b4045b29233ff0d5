"""The record that proves itself: append-only triggers on the timeline and the logs,
keyed hashes, case seals and signed checkpoints; `kb-app audit verify` finds each
tampering made with the triggers bypassed, and says which case and what kind."""

from __future__ import annotations

import hashlib
import json
import os
import stat

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from kb_app import audit_sql, cli
from kb_app.domain import hashing
from kb_app.domain.overview import OverviewFilter
from kb_app.domain.process import Step
from kb_app.services.case import audit
from kb_app.services.case.audit import Kind
from kb_app.services.mail import scheduler
from kb_app.services.overview import query as overview
from kb_app.services.statistics import patterns
from kb_app.settings import audit_key, get_settings, key_file
from tests.support.cases import access_rows, case_row, drive, events, new_case
from tests.support.helpers import actor_for

CASE_TABLES = [
    "measure",
    "delegation",
    "attachment",
    "outbox",
    "reminder",
    "case_conflict",
    "party",
    "case_event",
]


def _bypass(engine, *statements: tuple[str, dict]) -> None:
    """What an attacker with database access could do: drop the triggers, edit, restore."""
    d = engine.dialect.name
    with engine.begin() as conn:
        for stmt in audit_sql.drop_statements(d) + audit_sql.log_drop_statements(d):
            conn.exec_driver_sql(stmt)
        for statement, params in statements:
            conn.execute(text(statement), params)
        for stmt in audit_sql.current_trigger_statements(d) + audit_sql.log_trigger_statements(d):
            conn.exec_driver_sql(stmt)


def _kinds(result) -> list[tuple[Kind, int | None]]:
    return [(f.kind, f.case_id) for f in result.findings]


# ------------------------------------------------------------- untampered data


def test_verify_passes_on_seeded_data(demo):
    result = audit.verify_all()
    assert result.ok, [f.message() for f in result.findings]
    assert result.cases == 60 and result.events > 120


def test_cli_says_ok(demo, capsys):
    assert cli.main(["audit", "verify"]) == 0
    assert capsys.readouterr().out.startswith("OK: 60 ärenden")


def test_every_event_is_keyed_and_sealed(demo, now):
    """The hash is an HMAC under the key file: the plain SHA-256 of the old chain
    (and any hash made without the key) does not verify."""
    cid = new_case(now)
    drive(cid, Step.RECEIVED, now)
    evs = events(cid)
    assert all(len(e.seal) == 64 for e in evs)
    ev = evs[-1]
    fields = [
        ev.case_id,
        ev.seq,
        ev.kind,
        ev.actor_user_id,
        ev.actor_label,
        hashing.canonical_at(ev.at),
        ev.payload,
        ev.prev_hash,
    ]
    unkeyed = hashlib.sha256(
        json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
    ).hexdigest()
    assert ev.hash != unkeyed
    assert ev.hash == hashing.event_hash(
        audit_key(),
        case_id=ev.case_id,
        seq=ev.seq,
        kind=ev.kind,
        actor_user_id=ev.actor_user_id,
        actor_label=ev.actor_label,
        at=ev.at,
        payload=ev.payload,
        prev_hash=ev.prev_hash,
        seal=ev.seal,
    )
    assert ev.hash != hashing.event_hash(
        b"x" * 48,
        case_id=ev.case_id,
        seq=ev.seq,
        kind=ev.kind,
        actor_user_id=ev.actor_user_id,
        actor_label=ev.actor_label,
        at=ev.at,
        payload=ev.payload,
        prev_hash=ev.prev_hash,
        seal=ev.seal,
    )


def test_the_audit_key_file_is_private_and_stable(tmp_path):
    path = tmp_path / "sub" / "audit_key"
    first = key_file(path)
    assert len(first) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert key_file(path) == first


def test_the_default_key_file_is_in_the_data_folder(monkeypatch, tmp_path):
    from kb_app.settings import reset_settings

    monkeypatch.delenv("KB_AUDIT_KEY_FILE", raising=False)
    monkeypatch.setenv("KB_DATA_DIR", str(tmp_path / "data"))
    reset_settings()
    s = get_settings()
    assert s.audit_key_file == (tmp_path / "data" / "audit_key").resolve()
    audit_key()
    assert stat.S_IMODE(s.audit_key_file.stat().st_mode) == 0o600
    monkeypatch.setenv("KB_AUDIT_KEY_FILE", str(tmp_path / "elsewhere" / "k"))
    reset_settings()
    assert get_settings().audit_key_file == (tmp_path / "elsewhere" / "k").resolve()


# ---------------------------------------------------------------- the triggers


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


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE access_log SET allowed = false",
        "UPDATE access_log SET action = 'read_case'",
        "DELETE FROM access_log",
        "UPDATE login_attempt SET outcome = 'ok'",
        "UPDATE login_attempt SET email = 'annan@example.se'",
        "DELETE FROM login_attempt",
    ],
)
def test_the_logs_are_append_only(engine, demo, now, statement):
    from kb_app.services.admin import auth

    rektor = actor_for("rektor@exempelkommun.se")
    overview.load_view(rektor, OverviewFilter(), now=now)  # one access_log row
    auth.login("rektor@exempelkommun.se", "fel-lösenord", now=now)  # one login_attempt
    table = statement.split()[1] if statement.startswith("UPDATE") else statement.split()[2]
    with engine.connect() as conn:
        before = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
    assert before >= 1
    with pytest.raises(DBAPIError) as exc:
        with engine.begin() as conn:
            conn.execute(text(statement))
    assert "append-only" in str(exc.value)
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == before


def test_truncate_is_rejected_on_postgresql(engine, demo):
    if engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE finns bara i PostgreSQL")
    for table in ("case_event", "access_log", "login_attempt"):
        with pytest.raises(DBAPIError):
            with engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {table} CASCADE"))


# ---------------------------------------------------------- the five tamperings


def test_an_edited_event_is_detected(engine, demo, now, capsys):
    cid = new_case(now)
    drive(cid, Step.INVESTIGATED, now)
    target = next(e for e in events(cid) if e.kind == "investigated")
    _bypass(
        engine,
        (
            "UPDATE case_event SET payload = :p WHERE id = :id",
            {"p": target.payload.replace("confirmed", "not_confirmed"), "id": target.id},
        ),
    )
    result = audit.verify_all()
    assert _kinds(result) == [(Kind.EVENT_EDITED, cid)]
    assert result.broken.seq == target.seq
    assert cli.main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"FEL: Ärende {case_row(cid).reference} (id {cid}), händelse nr")
    assert "ändrad händelse" in out


@pytest.mark.parametrize("forger_key", [None, b"a guessed key, not the one in the file"])
def test_a_rehashed_edit_is_detected(engine, demo, now, capsys, forger_key):
    """The edit of an event with its hash and every later link recomputed, as the
    old unkeyed chain allowed (plain SHA-256, or an HMAC under a guessed key)."""
    cid = new_case(now)
    drive(cid, Step.MEASURES_DECIDED, now)
    evs = events(cid)
    edited = evs[2]
    prev = evs[1].hash
    updates = []
    for ev in evs[2:]:
        label = "Någon annan" if ev.id == edited.id else ev.actor_label
        fields = [ev.case_id, ev.seq, ev.kind, ev.actor_user_id, label]
        fields += [hashing.canonical_at(ev.at), ev.payload, prev, ev.seal]
        body = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
        if forger_key is None:
            h = hashlib.sha256(body).hexdigest()
        else:
            import hmac

            h = hmac.new(forger_key, b"event\x00" + body, hashlib.sha256).hexdigest()
        updates.append(
            (
                "UPDATE case_event SET actor_label = :l, prev_hash = :p, hash = :h WHERE id = :id",
                {"l": label, "p": prev, "h": h, "id": ev.id},
            )
        )
        prev = h
    _bypass(engine, *updates)
    result = audit.verify_all()
    assert _kinds(result) == [(Kind.EVENT_EDITED, cid)]
    assert result.broken.seq == edited.seq
    assert cli.main(["audit", "verify"]) == 1
    assert f"händelse nr {edited.seq}: ändrad händelse" in capsys.readouterr().out


def test_a_deleted_middle_event_is_detected(engine, demo, now):
    cid = new_case(now)
    drive(cid, Step.MEASURES_DECIDED, now)
    middle = events(cid)[3]
    _bypass(engine, ("DELETE FROM case_event WHERE id = :id", {"id": middle.id}))
    result = audit.verify_all()
    assert _kinds(result) == [(Kind.CHAIN_BROKEN, cid)]
    assert result.broken.seq == middle.seq + 1 and "saknas" in result.broken.reason


def test_a_deleted_tail_is_detected_against_the_checkpoint(engine, demo, now, capsys):
    cid = new_case(now)
    drive(cid, Step.INVESTIGATED, now)
    assert audit.write_checkpoint(now=now).written
    evs = events(cid)
    _bypass(
        engine,
        *[("DELETE FROM case_event WHERE id = :id", {"id": e.id}) for e in evs[-2:]],
    )
    result = audit.verify_all()
    assert _kinds(result) == [(Kind.TAIL_DELETED, cid)]
    assert f"{len(evs)} händelser, databasen {len(evs) - 2}" in result.broken.reason
    assert cli.main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert f"Ärende {case_row(cid).reference} (id {cid})" in out
    assert "raderade händelser i slutet" in out


def test_a_tail_cut_and_regrown_is_detected(engine, demo, now):
    """Deleting the last events and appending others in their place (with the
    key's help through the service) leaves a different head at the checkpoint."""
    cid = new_case(now)
    drive(cid, Step.INVESTIGATION_STARTED, now)
    assert audit.write_checkpoint(now=now).written
    last = events(cid)[-1]
    _bypass(engine, ("DELETE FROM case_event WHERE id = :id", {"id": last.id}))
    from kb_app.services.case import steps

    steps.add_note(actor_for("rektor@exempelkommun.se"), cid, text="Ny.", now=now)
    result = audit.verify_all()
    assert _kinds(result) == [(Kind.HISTORY_REWRITTEN, cid)]


@pytest.mark.parametrize(
    "column, value",
    [
        ("description", "Inget hände."),
        ("reporter_name", "Någon annan"),
        ("unit_id", None),
        ("occurred_on", "2026-01-01"),
    ],
)
def test_an_edited_case_row_is_detected(engine, demo, now, capsys, column, value):
    cid = new_case(now)
    drive(cid, Step.RECEIVED, now)
    if value is None:  # another unit of the organisation
        with engine.connect() as conn:
            value = conn.execute(
                text(
                    "SELECT min(id) FROM unit WHERE id <> (SELECT unit_id FROM kb_case WHERE id = :c)"
                ),
                {"c": cid},
            ).scalar()
    _bypass(engine, (f"UPDATE kb_case SET {column} = :v WHERE id = :id", {"v": value, "id": cid}))
    result = audit.verify_all()
    assert _kinds(result) == [(Kind.CASE_EDITED, cid)]
    assert cli.main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert f"Ärende {case_row(cid).reference} (id {cid}): ändrat ärende" in out


def test_the_workflow_fields_follow_the_timeline_unsealed(engine, demo, now):
    """Steps change the case row after their event (step, responsible, due date):
    those are not sealed, so every service keeps the chain valid."""
    cid = new_case(now)
    drive(cid, Step.CLOSED, now)
    assert audit.verify_all().ok


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE party SET name = 'Någon Annan' WHERE case_id = :id",
        "UPDATE party SET class_name = '9Z' WHERE case_id = :id",
        "DELETE FROM party WHERE case_id = :id AND role = 'involved'",
        "INSERT INTO party (case_id, role, kind, name, name_key, class_name, grade) "
        "VALUES (:id, 'involved', 'pupil', 'Ny Person', 'ny person', '', '')",
    ],
)
def test_an_edited_party_is_detected(engine, demo, now, capsys, statement):
    cid = new_case(now)
    _bypass(engine, (statement, {"id": cid}))
    result = audit.verify_all()
    assert _kinds(result) == [(Kind.PARTY_EDITED, cid)]
    assert cli.main(["audit", "verify"]) == 1
    assert f"(id {cid}): ändrad part" in capsys.readouterr().out


def test_a_deleted_case_is_detected_against_the_checkpoint(engine, demo, now, capsys):
    cid = new_case(now)
    drive(cid, Step.RECEIVED, now)
    reference = case_row(cid).reference
    assert audit.write_checkpoint(now=now).written
    deletes = [(f"DELETE FROM {t} WHERE case_id = :id", {"id": cid}) for t in CASE_TABLES]
    _bypass(engine, *deletes, ("DELETE FROM kb_case WHERE id = :id", {"id": cid}))
    result = audit.verify_all()
    assert _kinds(result) == [(Kind.CASE_DELETED, cid)]
    assert result.broken.reference == reference
    assert cli.main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert f"FEL: Ärende {reference} (id {cid}): raderat ärende" in out


def test_events_left_without_their_case_are_detected(engine, demo, now):
    cid = new_case(now)
    deletes = [(f"DELETE FROM {t} WHERE case_id = :id", {"id": cid}) for t in CASE_TABLES[:-1]]
    if engine.dialect.name == "postgresql":
        # Foreign keys are triggers too: a superuser can switch them all off.
        deletes.insert(0, ("SET LOCAL session_replication_role = replica", {}))
        _bypass(engine, *deletes, ("DELETE FROM kb_case WHERE id = :id", {"id": cid}))
    else:
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            raw.execute("PRAGMA foreign_keys=OFF")
            for statement, _params in deletes:
                raw.execute(statement.replace(":id", "?"), (cid,))
            raw.execute("DELETE FROM kb_case WHERE id = ?", (cid,))
            raw.commit()
            raw.execute("PRAGMA foreign_keys=ON")
    assert (Kind.ORPHAN_EVENT, cid) in _kinds(audit.verify_all())


# ------------------------------------------------------------------ checkpoints


def _lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_checkpoint_file_and_log(demo, now, caplog, capsys):
    path = get_settings().audit_checkpoint_file
    with caplog.at_level("INFO", logger="kb_app.audit"):
        assert cli.main(["audit", "checkpoint"]) == 0
    assert capsys.readouterr().out.startswith("OK: kontrollpunkt över 60 ärenden")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    (entry,) = _lines(path)
    body = json.loads(entry["body"])
    assert len(body["heads"]) == 60
    assert all(
        n >= 2 and len(h) == 64 and r.startswith("KB-") for n, h, r in body["heads"].values()
    )
    assert hashing.signature_ok(audit_key(), entry["body"], entry["signature"])
    assert any(entry["signature"] in r.getMessage() for r in caplog.records)
    # Appended, never rewritten.
    assert audit.write_checkpoint(now=now).written
    assert len(_lines(path)) == 2 and _lines(path)[0] == entry
    assert cli.main(["audit", "verify"]) == 0
    assert "mot kontrollpunkten" in capsys.readouterr().out


def test_a_forged_checkpoint_is_detected_and_the_last_good_one_used(engine, demo, now, capsys):
    cid = new_case(now)
    drive(cid, Step.INVESTIGATED, now)
    assert audit.write_checkpoint(now=now).written
    evs = events(cid)
    _bypass(engine, ("DELETE FROM case_event WHERE id = :id", {"id": evs[-1].id}))
    # The attacker appends a checkpoint that matches the cut chain, without the key.
    path = get_settings().audit_checkpoint_file
    (good,) = _lines(path)
    body = json.loads(good["body"])
    body["heads"][str(cid)] = [len(evs) - 1, evs[-2].hash, body["heads"][str(cid)][2]]
    forged_body = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    forged_sig = hashlib.sha256(forged_body.encode()).hexdigest()
    with path.open("a") as f:
        f.write(json.dumps({"body": forged_body, "signature": forged_sig}) + "\n")
    result = audit.verify_all()
    assert sorted(_kinds(result), key=str) == sorted(
        [(Kind.CHECKPOINT_FORGED, None), (Kind.TAIL_DELETED, cid)], key=str
    )
    assert cli.main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "förfalskad kontrollpunkt: rad 2" in out and "raderade händelser i slutet" in out


def test_an_edited_signed_line_is_detected(demo, now):
    assert audit.write_checkpoint(now=now).written
    path = get_settings().audit_checkpoint_file
    (entry,) = _lines(path)
    body = json.loads(entry["body"])
    first = next(iter(body["heads"]))
    body["heads"][first][0] += 1
    entry["body"] = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    path.write_text(json.dumps(entry) + "\n")
    result = audit.verify_all()
    assert _kinds(result) == [(Kind.CHECKPOINT_FORGED, None)]
    assert result.checkpoint is None


def test_no_checkpoint_is_written_over_a_finding(engine, demo, now, capsys):
    cid = new_case(now)
    assert audit.write_checkpoint(now=now).written
    _bypass(engine, ("UPDATE kb_case SET description = 'x' WHERE id = :id", {"id": cid}))
    path = get_settings().audit_checkpoint_file
    before = path.read_text()
    assert cli.main(["audit", "checkpoint"]) == 1
    out = capsys.readouterr().out
    assert "ändrat ärende" in out and "Ingen kontrollpunkt skrevs" in out
    assert path.read_text() == before


def test_the_scheduler_job_writes_a_checkpoint(demo, now):
    result = scheduler.run_checkpoint(now)
    assert result.written and result.cases == 60
    assert len(_lines(get_settings().audit_checkpoint_file)) == 1


# ----------------------------------------------------------- list reads logged


def test_overview_reads_are_logged(demo, now):
    rektor = actor_for("rektor@exempelkommun.se")
    before = len(access_rows())
    overview.load_view(rektor, OverviewFilter(), now=now, with_counts=True)
    overview.load_view(rektor, OverviewFilter(), now=now, with_counts=True)  # reused view
    rows = access_rows()[before:]
    assert [(r.user_id, r.action, r.case_id, r.allowed) for r in rows] == [
        (rektor.user_id, "list_overview", None, True)
    ] * 2


def test_repeated_events_reads_are_logged(demo, now):
    huvudman = actor_for("huvudman@exempelkommun.se")
    before = len(access_rows())
    patterns.find(huvudman, now=now)
    rows = access_rows()[before:]
    assert [(r.user_id, r.action, r.at) for r in rows] == [(huvudman.user_id, "list_patterns", now)]


def test_the_key_file_mode_survives_umask(tmp_path):
    old = os.umask(0)
    try:
        key_file(tmp_path / "k")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "k").stat().st_mode) == 0o600
