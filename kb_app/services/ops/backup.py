"""``kb-app backup`` and ``kb-app restore``: one file holding everything an
installation needs, taken while the app runs.

The file is a gzip'd tar: ``manifest.json`` first, then the database (SQLite: a copy
made with SQLite's online backup API in one step, so a consistent snapshot even
under concurrent writes; PostgreSQL: ``pg_dump -Fc``, one snapshot transaction),
the secret key and the audit key when they are files in the data folder, and the
attachments folder (copied after the database, so every file the snapshot names is
there). With a passphrase the whole stream is encrypted: AES-256-GCM in 1 MiB
chunks (``cryptography``), the key derived with scrypt from the passphrase and a
random salt; each chunk's number and whether it is the last are authenticated, so
a changed, reordered or cut-off file is refused.

A restore goes only into an empty data folder (and an empty database); it never
overwrites a live installation.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import struct
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from kb_app.settings import (
    data_dir_from_env,
    database_url_from_env,
    get_settings,
    private_dir,
)

FORMAT = 1
MAGIC = b"KB-BACKUP-AESGCM-1\n"
CHUNK = 1 << 20
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
ATTACHMENTS = "attachments"
KEY_FILES = ("secret_key", "audit_key", "audit_checkpoints.jsonl")
BACKUP_PREFIX = "varna-"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is for the operator."""


@dataclass(frozen=True)
class Summary:
    path: Path
    database: str
    cases: int
    events: int
    attachments: int
    encrypted: bool
    key_files: tuple[str, ...]

    def message(self) -> str:
        keys = ", ".join(self.key_files) or "inga nyckelfiler"
        return (
            f"{self.cases} ärenden, {self.events} händelser, {self.attachments} bilagor "
            f"({self.database}; {keys}; {'krypterad' if self.encrypted else 'okrypterad'})"
        )


# Encryption ----------------------------------------------------------------------


def _key(passphrase: str, salt: bytes) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P).derive(
        passphrase.encode()
    )


def _aad(index: int, final: bool) -> bytes:
    return MAGIC + struct.pack(">Q?", index, final)


def _nonce(index: int) -> bytes:
    # A fresh key per file (random salt), so a counter is a unique nonce.
    return b"\0\0\0\0" + struct.pack(">Q", index)


class _EncryptingWriter(io.RawIOBase):
    def __init__(self, raw, passphrase: str):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        salt = os.urandom(16)
        self._raw = raw
        self._aes = AESGCM(_key(passphrase, salt))
        self._buf = bytearray()
        self._index = 0
        raw.write(MAGIC + salt)

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self._buf += b
        while len(self._buf) >= CHUNK:
            self._emit(bytes(self._buf[:CHUNK]), final=False)
            del self._buf[:CHUNK]
        return len(b)

    def _emit(self, data: bytes, *, final: bool) -> None:
        ct = self._aes.encrypt(_nonce(self._index), data, _aad(self._index, final))
        self._raw.write(struct.pack(">I?", len(ct), final) + ct)
        self._index += 1

    def close(self) -> None:
        if not self.closed:
            self._emit(bytes(self._buf), final=True)
            self._buf.clear()
        super().close()


class _DecryptingReader(io.RawIOBase):
    def __init__(self, raw, passphrase: str):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if raw.read(len(MAGIC)) != MAGIC:
            raise BackupError("Filen är ingen krypterad säkerhetskopia från Värna.")
        salt = raw.read(16)
        if len(salt) != 16:
            raise BackupError("Säkerhetskopian är avkortad.")
        self._raw = raw
        self._aes = AESGCM(_key(passphrase, salt))
        self._buf = b""
        self._index = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def _next(self) -> None:
        from cryptography.exceptions import InvalidTag

        head = self._raw.read(5)
        if len(head) != 5:
            raise BackupError("Säkerhetskopian är avkortad.")
        length, final = struct.unpack(">I?", head)
        ct = self._raw.read(length)
        if len(ct) != length:
            raise BackupError("Säkerhetskopian är avkortad.")
        try:
            self._buf += self._aes.decrypt(_nonce(self._index), ct, _aad(self._index, final))
        except InvalidTag as exc:
            raise BackupError(
                "Fel lösenfras, eller så är säkerhetskopian ändrad eller skadad."
            ) from exc
        self._index += 1
        self._done = final

    def readinto(self, b) -> int:
        while not self._buf and not self._done:
            self._next()
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


# Backup --------------------------------------------------------------------------


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _sqlite_path(url: str) -> Path:
    path = make_url(url).database
    if not path or path == ":memory:":
        raise BackupError("En SQLite-databas i minnet kan inte säkerhetskopieras.")
    return Path(path)


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(cmd: list[str], what: str) -> None:
    try:
        result = subprocess.run(cmd, capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise BackupError(f"{cmd[0]} saknas: installera postgresql-client.") from exc
    if result.returncode != 0:
        # pg_dump's message names tables at most, never rows.
        raise BackupError(f"{what} misslyckades: {result.stderr.strip()[-500:]}")


def _counts(url: str) -> tuple[int, int, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return tuple(
                conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("kb_case", "case_event", "attachment")
            )
    finally:
        engine.dispose()


def _snapshot_database(url: str, work: Path) -> tuple[str, Path]:
    if _is_sqlite(url):
        target = work / "kb.db"
        src = sqlite3.connect(_sqlite_path(url), timeout=30)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)  # pages=-1: every page in one step, one consistent snapshot
        finally:
            dst.close()
            src.close()
        return "sqlite", target
    target = work / "database.dump"
    _run(
        ["pg_dump", "-Fc", "--no-owner", "--no-privileges", "-f", str(target), _libpq_url(url)],
        "pg_dump",
    )
    return "postgresql", target


def _files_under(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path


def create(target: Path, *, passphrase: str | None, now: datetime) -> Summary:
    """Write a backup of the running installation to ``target`` (0600)."""
    settings = get_settings()
    target = Path(target).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".kb-backup-", dir=target.parent))
    partial = target.with_name(target.name + ".partial")
    try:
        kind, db_file = _snapshot_database(settings.database_url, work)
        cases, events, _ = _counts(
            f"sqlite:///{db_file}" if kind == "sqlite" else settings.database_url
        )
        key_files = tuple(k for k in KEY_FILES if (settings.data_dir / k).is_file())
        attachments_dir = settings.data_dir / ATTACHMENTS
        attachments = list(_files_under(attachments_dir)) if attachments_dir.is_dir() else []
        manifest = {
            "format": FORMAT,
            "created_at": now.isoformat(),
            "database": kind,
            "cases": cases,
            "events": events,
            "key_files": list(key_files),
            "secret_key_from_environment": bool(os.environ.get("KB_SECRET_KEY", "").strip()),
            "attachments": len(attachments),
        }
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw:
            sink = _EncryptingWriter(raw, passphrase) if passphrase else raw
            with tarfile.open(fileobj=sink, mode="w|gz", format=tarfile.PAX_FORMAT) as tar:
                body = json.dumps(manifest, indent=2).encode()
                info = tarfile.TarInfo("manifest.json")
                info.size = len(body)
                info.mode = 0o600
                tar.addfile(info, io.BytesIO(body))
                tar.add(db_file, arcname=f"database/{db_file.name}", recursive=False)
                for k in key_files:
                    tar.add(settings.data_dir / k, arcname=f"keys/{k}", recursive=False)
                for path in attachments:
                    rel = path.relative_to(attachments_dir).as_posix()
                    tar.add(path, arcname=f"{ATTACHMENTS}/{rel}", recursive=False)
            if passphrase:
                sink.close()
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        partial.unlink(missing_ok=True)
    return Summary(target, kind, cases, events, len(attachments), bool(passphrase), key_files)


# Restore -------------------------------------------------------------------------


def is_encrypted(source: Path) -> bool:
    with open(source, "rb") as f:
        return f.read(len(MAGIC)) == MAGIC


def _live_problem(data_dir: Path, url: str) -> str | None:
    """Why the target is not empty (None when it is)."""
    for name in (*KEY_FILES, "kb.db", "kb.db-wal", ATTACHMENTS):
        path = data_dir / name
        if data_dir.is_dir() and path.exists() and (not path.is_dir() or any(path.iterdir())):
            return f"Datamappen {data_dir} används redan ({name} finns)."
    if _is_sqlite(url):
        path = _sqlite_path(url)
        if path.exists() and path.stat().st_size > 0:
            return f"Databasen {path} finns redan."
        return None
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if inspect(conn).get_table_names():
                return "Databasen har redan tabeller."
    finally:
        engine.dispose()
    return None


def _safe_member(member: tarfile.TarInfo) -> str:
    name = member.name
    parts = Path(name).parts
    if (
        not (member.isfile() or member.isdir())
        or name.startswith("/")
        or ".." in parts
        or parts[0] not in {"manifest.json", "database", "keys", ATTACHMENTS}
    ):
        raise BackupError(f"Okänd post i säkerhetskopian: {name!r}.")
    return name


def restore(source: Path, *, passphrase: str | None) -> Summary:
    """Restore ``source`` into the empty data folder and database of the settings
    (KB_DATA_DIR, KB_DATABASE_URL). Refuses a folder or database already in use."""
    source = Path(source).resolve()
    if not source.is_file():
        raise BackupError(f"Filen {source} finns inte.")
    encrypted = is_encrypted(source)
    if encrypted and not passphrase:
        raise BackupError("Säkerhetskopian är krypterad: ange lösenfrasen.")
    data_dir = data_dir_from_env()
    url = database_url_from_env(data_dir)
    problem = _live_problem(data_dir, url)
    if problem:
        raise BackupError(f"{problem} Återställningen skriver bara till en tom datamapp.")
    private_dir(data_dir)
    work = Path(tempfile.mkdtemp(prefix=".kb-restore-", dir=data_dir))
    try:
        with open(source, "rb") as raw:
            stream = _DecryptingReader(raw, passphrase) if encrypted else raw
            try:
                with tarfile.open(fileobj=stream, mode="r|gz") as tar:
                    for member in tar:
                        name = _safe_member(member)
                        dest = work / name
                        if member.isdir():
                            dest.mkdir(parents=True, exist_ok=True)
                            continue
                        dest.parent.mkdir(parents=True, exist_ok=True)
                        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                        with os.fdopen(fd, "wb") as out:
                            shutil.copyfileobj(tar.extractfile(member), out)
            except (tarfile.TarError, EOFError, OSError) as exc:
                raise BackupError(f"Säkerhetskopian går inte att läsa: {exc}") from exc
        manifest_path = work / "manifest.json"
        if not manifest_path.is_file():
            raise BackupError("Säkerhetskopian saknar manifest.json.")
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("format") != FORMAT:
            raise BackupError(f"Okänt format {manifest.get('format')!r}.")
        kind = manifest["database"]
        if kind != ("sqlite" if _is_sqlite(url) else "postgresql"):
            raise BackupError(
                f"Säkerhetskopian är från {kind}; KB_DATABASE_URL pekar på en annan sorts databas."
            )
        if kind == "sqlite":
            db_target = _sqlite_path(url)
            db_target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if db_target.exists() and db_target.stat().st_size == 0:
                db_target.unlink()
            shutil.move(work / "database" / "kb.db", db_target)
            db_target.chmod(0o600)
        else:
            _run(
                [
                    "pg_restore",
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "-d",
                    _libpq_url(url),
                    str(work / "database" / "database.dump"),
                ],
                "pg_restore",
            )
        key_files = []
        for k in manifest.get("key_files", []):
            shutil.move(work / "keys" / k, data_dir / k)
            (data_dir / k).chmod(0o600)
            key_files.append(k)
        restored_attachments = 0
        if (work / ATTACHMENTS).is_dir():
            shutil.move(work / ATTACHMENTS, data_dir / ATTACHMENTS)
            (data_dir / ATTACHMENTS).chmod(0o700)
            restored_attachments = sum(1 for _ in _files_under(data_dir / ATTACHMENTS))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    cases, events, _ = _counts(url)
    if (cases, events, restored_attachments) != (
        manifest["cases"],
        manifest["events"],
        manifest["attachments"],
    ):
        raise BackupError("Återställningen stämmer inte med säkerhetskopians manifest.")
    return Summary(source, kind, cases, events, restored_attachments, encrypted, tuple(key_files))


# The nightly job -----------------------------------------------------------------


def nightly(*, now: datetime) -> Summary:
    """The scheduler's nightly backup (KB_BACKUP_NIGHTLY=on): a new file in
    KB_BACKUP_DIR, then only the newest KB_BACKUP_KEEP kept."""
    settings = get_settings()
    folder = private_dir(settings.backup_dir)
    suffix = ".tar.gz.enc" if settings.backup_passphrase else ".tar.gz"
    name = f"{BACKUP_PREFIX}{now.strftime('%Y%m%d-%H%M%S')}{suffix}"
    summary = create(folder / name, passphrase=settings.backup_passphrase, now=now)
    prune(folder, keep=settings.backup_keep)
    return summary


def prune(folder: Path, *, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` backups (by the time in their names)."""
    backups = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.name.startswith(BACKUP_PREFIX) and ".tar.gz" in p.name
    )
    removed = backups[:-keep] if keep > 0 else backups
    for p in removed:
        p.unlink()
    return removed
