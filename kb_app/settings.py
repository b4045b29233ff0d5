"""Every setting of Värna, read once from environment variables (prefix KB_).

The README lists each variable; keep the two in step.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "ja"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:  # a misconfiguration must be loud and clear
        raise SystemExit(f"{name} måste vara ett heltal, fick {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    redis_url: str | None
    public_url: str
    port: int
    secret_key: str
    session_idle_minutes: int
    session_max_hours: int
    smtp_host: str | None
    smtp_port: int
    smtp_user: str | None
    smtp_password: str | None
    smtp_security: str  # "none", "starttls" or "tls"
    smtp_sender: str
    scheduler: bool
    # Reverse proxies in front of the app whose X-Forwarded-For is trusted (client
    # addresses for the report form's abuse limits).
    trusted_proxy_hops: int = 0
    # Abuse limits of the public report form, per rolling hour.
    report_limit_per_link: int = 30
    report_limit_per_client: int = 10
    timezone: str = "Europe/Stockholm"
    extra: dict = field(default_factory=dict)

    @property
    def public_origin(self) -> str:
        parts = urlsplit(self.public_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def smtp_configured(self) -> bool:
        return bool(self.smtp_host)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _secret_key(data_dir: Path) -> str:
    configured = os.environ.get("KB_SECRET_KEY", "").strip()
    if configured:
        return configured
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    private_dir(data_dir)
    key = secrets.token_urlsafe(48)
    try:  # created 0600 at once: never readable by others, not even for a moment
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process was first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key


def private_dir(path: Path) -> Path:
    """A folder only the app's user can enter (0700), created if missing."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path


def private_file(path: Path) -> Path:
    """A file only the app's user can read (0600), created empty if missing.
    SQLite gives its -wal and -shm files the database file's mode."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return path


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    data_dir = private_dir(Path(os.environ.get("KB_DATA_DIR", str(REPO_ROOT / "data"))).resolve())
    port = _int("KB_PORT", 3000)
    database_url = (
        os.environ.get("KB_DATABASE_URL", "").strip() or f"sqlite:///{data_dir / 'kb.db'}"
    )
    security = os.environ.get("KB_SMTP_SECURITY", "starttls").strip().lower() or "starttls"
    if security not in {"none", "starttls", "tls"}:
        raise SystemExit("KB_SMTP_SECURITY måste vara none, starttls eller tls")
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        redis_url=os.environ.get("KB_REDIS_URL", "").strip() or None,
        public_url=(
            os.environ.get("KB_PUBLIC_URL", "").strip() or f"http://localhost:{port}"
        ).rstrip("/"),
        port=port,
        secret_key=_secret_key(data_dir),
        session_idle_minutes=_int("KB_SESSION_IDLE_MINUTES", 30),
        session_max_hours=_int("KB_SESSION_MAX_HOURS", 12),
        smtp_host=os.environ.get("KB_SMTP_HOST", "").strip() or None,
        smtp_port=_int("KB_SMTP_PORT", 587),
        smtp_user=os.environ.get("KB_SMTP_USER", "").strip() or None,
        smtp_password=os.environ.get("KB_SMTP_PASSWORD") or None,
        smtp_security=security,
        smtp_sender=os.environ.get("KB_SMTP_SENDER", "").strip() or "varna@localhost",
        scheduler=_bool(os.environ.get("KB_SCHEDULER"), True),
        trusted_proxy_hops=_int("KB_TRUSTED_PROXY_HOPS", 0),
        report_limit_per_link=_int("KB_REPORT_LIMIT_PER_LINK", 30),
        report_limit_per_client=_int("KB_REPORT_LIMIT_PER_CLIENT", 10),
    )


def reset_settings() -> None:
    """Forget the cached settings (tests change the environment)."""
    get_settings.cache_clear()
