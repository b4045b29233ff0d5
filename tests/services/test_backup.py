"""kb-app backup and restore: a round trip of a live demo installation (every row of
every table, every hash and every attachment identical, the audit chain OK), with and
without a passphrase, under concurrent writes, on SQLite and PostgreSQL; a restore
never overwrites a data folder in use; the nightly job keeps its count."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, select, text
from sqlalchemy.engine import make_url

from kb_app import db
from kb_app.devdata import seed
from kb_app.models import Attachment, Case
from kb_app.services.case import audit
from kb_app.services.ops import backup
from kb_app.settings import REPO_ROOT, get_settings, reset_settings
from tests.conftest import PG_URL

PASSPHRASE = "korrekt häst batteri häftklammer"


def _point_at(monkeypatch, data_dir: Path, url: str | None = None) -> str:
    url = url or f"sqlite:///{data_dir}/kb.db"
    monkeypatch.setenv("KB_DATA_DIR", str(data_dir))
    monkeypatch.setenv("KB_DATABASE_URL", url)
    monkeypatch.delenv("KB_SECRET_KEY", raising=False)
    monkeypatch.delenv("KB_BACKUP_PASSPHRASE", raising=False)
    reset_settings()
    return url


def _use(url: str):
    engine = db.make_engine(url)
    db.set_engine(engine)
    return engine


def _install(monkeypatch, data_dir: Path, now, url: str | None = None):
    """A live installation: schema, demo data, a secret key and an audit key file,
    attachments on disk and in the database."""
    url = _point_at(monkeypatch, data_dir, url)
    engine = _use(url)
    # The audit key before the seed: the seeded chains are keyed with it.
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    (data_dir / "audit_key").write_text("granskningsnyckel-för-testerna-0123456789")
    (data_dir / "audit_key").chmod(0o600)
    db.create_schema(engine)
    seed.seed_demo(now=now)
    get_settings()  # writes data_dir/secret_key
    attachments = data_dir / "attachments"
    attachments.mkdir(mode=0o700)
    with db.session_scope() as s:
        case_ids = list(s.exec(select(Case.id).order_by(Case.id).limit(3)).scalars())
        for i, case_id in enumerate(case_ids):
            key = uuid.uuid4().hex
            body = os.urandom(1500 + i * 700_000)  # one spans two encryption chunks
            (attachments / key).write_bytes(body)
            s.add(
                Attachment(
                    case_id=case_id,
                    filename=f"bilaga-{i}.pdf",
                    content_type="application/pdf",
                    size=len(body),
                    storage_key=key,
                )
            )
    return engine


def _tables(engine) -> dict[str, list[tuple]]:
    meta = MetaData()
    meta.reflect(engine)
    out = {}
    with engine.connect() as conn:
        for name, table in sorted(meta.tables.items()):
            if name == "alembic_version":
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            out[name] = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
    return out


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _cli(env_dir: Path, *args: str, url: str | None = None, stdin: str | None = None):
    env = {
        **os.environ,
        "KB_DATA_DIR": str(env_dir),
        "KB_DATABASE_URL": url or f"sqlite:///{env_dir}/kb.db",
    }
    env.pop("KB_SECRET_KEY", None)
    return subprocess.run(
        [sys.executable, "-m", "kb_app.cli", *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
    )


@pytest.mark.parametrize("passphrase", [None, PASSPHRASE], ids=["plain", "encrypted"])
def test_round_trip_of_a_live_demo_installation(tmp_path, monkeypatch, now, passphrase):
    source_dir = tmp_path / "live"
    source = _install(monkeypatch, source_dir, now)
    before = _tables(source)
    assert len(before["kb_case"]) >= 60 and len(before["attachment"]) == 3
    file = tmp_path / "kopia.tar.gz"

    summary = backup.create(file, passphrase=passphrase, now=now)
    assert summary.encrypted is bool(passphrase)
    assert summary.key_files == ("secret_key", "audit_key")
    assert file.stat().st_mode & 0o077 == 0
    assert backup.is_encrypted(file) is bool(passphrase)
    if passphrase:  # nothing readable in an encrypted file
        assert b"Exempelkommun" not in file.read_bytes()

    target_dir = tmp_path / "ny"
    _point_at(monkeypatch, target_dir)
    restored = backup.restore(file, passphrase=passphrase)
    assert (restored.cases, restored.events, restored.attachments) == (
        summary.cases,
        summary.events,
        3,
    )
    target = _use(f"sqlite:///{target_dir}/kb.db")
    assert _tables(target) == before  # every case, event (and its hashes), attachment row
    assert _files(target_dir / "attachments") == _files(source_dir / "attachments")
    for key in ("secret_key", "audit_key"):
        assert (target_dir / key).read_text() == (source_dir / key).read_text()
        assert (target_dir / key).stat().st_mode & 0o077 == 0
    result = audit.verify_all()
    assert result.ok and result.events == summary.events
    source.dispose()
    target.dispose()


def test_encrypted_backup_refuses_a_wrong_or_missing_passphrase_and_a_cut_file(
    tmp_path, monkeypatch, now
):
    _install(monkeypatch, tmp_path / "live", now)
    file = tmp_path / "kopia.tar.gz.enc"
    backup.create(file, passphrase=PASSPHRASE, now=now)
    _point_at(monkeypatch, tmp_path / "ny")
    with pytest.raises(backup.BackupError, match="krypterad"):
        backup.restore(file, passphrase=None)
    with pytest.raises(backup.BackupError, match="Fel lösenfras"):
        backup.restore(file, passphrase="fel fras")
    cut = tmp_path / "avkortad.enc"
    cut.write_bytes(file.read_bytes()[:-200])
    with pytest.raises(backup.BackupError):
        backup.restore(cut, passphrase=PASSPHRASE)
    assert not (tmp_path / "ny" / "kb.db").exists()


def test_cli_backup_restore_refuses_a_live_folder_and_audit_verify_is_ok(
    tmp_path, monkeypatch, now
):
    live = tmp_path / "live"
    engine = _install(monkeypatch, live, now)
    engine.dispose()
    file = tmp_path / "kopia.tar.gz"
    out = _cli(live, "backup", str(file), "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert out.returncode == 0, out.stderr
    assert "ärenden" in out.stdout and "krypterad" in out.stdout

    # Into the live folder itself: refused, nothing touched.
    before = (live / "kb.db").read_bytes()
    out = _cli(live, "restore", str(file), "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert out.returncode == 1 and "används redan" in out.stderr
    assert (live / "kb.db").read_bytes() == before

    new = tmp_path / "ny"
    out = _cli(new, "restore", str(file), "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert out.returncode == 0, out.stderr
    out = _cli(new, "audit", "verify")
    assert out.returncode == 0 and out.stdout.startswith("OK"), out.stdout + out.stderr
    # A second restore into the now-used folder is refused too.
    out = _cli(new, "restore", str(file), "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert out.returncode == 1


def test_backup_under_concurrent_writes_is_one_consistent_snapshot(tmp_path, monkeypatch, now):
    from tests.support.world import make_case, make_world

    source = _install(monkeypatch, tmp_path / "live", now)
    world = make_world(now, "Skrivkommun")
    stop = threading.Event()
    written: list[int] = []
    errors: list[BaseException] = []

    def writer():
        try:
            i = 0
            while not stop.is_set() and i < 2000:
                written.append(make_case(world, reported_at=now - timedelta(minutes=i)))
                i += 1
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 5:
            stop.wait(0.01)
        files = []
        for n in range(3):
            f = tmp_path / f"kopia-{n}.tar.gz"
            backup.create(f, passphrase=None, now=now)
            files.append(f)
    finally:
        stop.set()
        thread.join()
    assert not errors
    full = _tables(source)
    events_of = {}
    for row in full["case_event"]:
        events_of.setdefault(row[1], []).append(row)
    for n, f in enumerate(files):
        target_dir = tmp_path / f"ny-{n}"
        _point_at(monkeypatch, target_dir)
        backup.restore(f, passphrase=None)
        target = _use(f"sqlite:///{target_dir}/kb.db")
        snap = _tables(target)
        assert set(snap["kb_case"]) <= set(full["kb_case"])
        restored_events = {}
        for row in snap["case_event"]:
            restored_events.setdefault(row[1], []).append(row)
        # Every case in the snapshot has all its events (one transaction each).
        assert {row[0] for row in snap["kb_case"]} == set(restored_events)
        for case_id, rows in restored_events.items():
            assert rows == events_of[case_id]
        assert audit.verify_all().ok
        target.dispose()
    source.dispose()


def test_nightly_backup_keeps_the_newest_copies(tmp_path, monkeypatch, now):
    _install(monkeypatch, tmp_path / "live", now)
    monkeypatch.setenv("KB_BACKUP_DIR", str(tmp_path / "kopior"))
    monkeypatch.setenv("KB_BACKUP_KEEP", "2")
    monkeypatch.setenv("KB_BACKUP_PASSPHRASE", PASSPHRASE)
    reset_settings()
    for day in range(4):
        backup.nightly(now=now + timedelta(days=day))
    names = sorted(p.name for p in (tmp_path / "kopior").iterdir())
    stamp = [(now + timedelta(days=d)).strftime("%Y%m%d") for d in (2, 3)]
    assert len(names) == 2 and all(n.endswith(".tar.gz.enc") for n in names)
    assert [n.split("-")[1] for n in names] == stamp
    assert all(backup.is_encrypted(tmp_path / "kopior" / n) for n in names)


@pytest.fixture
def pg_databases():
    if not PG_URL:
        pytest.skip("KB_TEST_DATABASE_URL är inte satt: PostgreSQL hoppas över")
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    names = [f"test_bk_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = make_url(PG_URL)
    urls = [base.set(database=n).render_as_string(hide_password=False) for n in names]
    yield urls
    db.set_engine(None)
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_round_trip_on_postgresql(tmp_path, monkeypatch, now, pg_databases):
    src_url, dst_url = pg_databases
    source = _install(monkeypatch, tmp_path / "live", now, url=src_url)
    before = _tables(source)
    file = tmp_path / "kopia.tar.gz"
    summary = backup.create(file, passphrase=PASSPHRASE, now=now)
    assert summary.database == "postgresql"
    source.dispose()

    _point_at(monkeypatch, tmp_path / "ny", dst_url)
    backup.restore(file, passphrase=PASSPHRASE)
    target = _use(dst_url)
    assert _tables(target) == before
    assert _files(tmp_path / "ny" / "attachments") == _files(tmp_path / "live" / "attachments")
    assert audit.verify_all().ok
    # The database now has tables: a second restore is refused.
    _point_at(monkeypatch, tmp_path / "tredje", dst_url)
    with pytest.raises(backup.BackupError, match="redan tabeller"):
        backup.restore(file, passphrase=PASSPHRASE)
    target.dispose()


async def test_the_nightly_backup_is_a_scheduler_job_only_when_switched_on(
    tmp_path, monkeypatch, now
):
    from kb_app.services.mail import scheduler

    _install(monkeypatch, tmp_path / "live", now)
    for on in (False, True):
        monkeypatch.setenv("KB_BACKUP_NIGHTLY", "on" if on else "off")
        reset_settings()
        runner = scheduler.JobRunner(holder=f"natt-{on}", outbox_seconds=3600)
        await runner.start()
        try:
            job = runner.scheduler.get_job(scheduler.JOB_BACKUP)
            assert (job is not None) is on
        finally:
            await runner.stop()
    monkeypatch.setenv("KB_BACKUP_DIR", str(tmp_path / "kopior"))
    reset_settings()
    scheduler.run_backup(now)
    [written] = list((tmp_path / "kopior").iterdir())
    assert written.name == f"varna-{now.strftime('%Y%m%d-%H%M%S')}.tar.gz"
