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
    state_expiry_minutes: int
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
    # Abuse limits of the public report form, per rolling hour: per report link
    # (one unit), per client address at one link, per client address over every
    # link (a school's or a municipality's staff often share one address).
    report_limit_per_link: int = 30
    report_limit_per_client: int = 20
    report_limit_per_address: int = 200
    timezone: str = "Europe/Stockholm"
    # "text" or "json" (one JSON object per log line, with the request id).
    log_format: str = "text"
    # The scheduler lease: taken over this long after its holder stopped renewing.
    scheduler_lease_seconds: int = 60
    # Nightly backup (kb-app backup) into backup_dir, keeping backup_keep copies.
    backup_nightly: bool = False
    backup_dir: Path | None = None
    backup_keep: int = 7
    backup_passphrase: str | None = None
    # KB_PUBLIC_URL was set: redirects, CSRF checks and the CSP use it alone.
    public_url_configured: bool = False
    # The key of the audit chain's HMACs and the signed checkpoints of its heads: a
    # file outside the database (KB_AUDIT_KEY_FILE), read by ``audit_key``.
    audit_key_file: Path | None = None
    # The append-only file of signed checkpoints (kb-app audit checkpoint).
    audit_checkpoint_file: Path | None = None
    # Single sign-on with OpenID Connect (services/admin/sso.py); off unless an
    # issuer and a client id are set.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_name: str = ""  # the button reads "Logga in med <oidc_name>"
    oidc_email_claim: str = "email"
    oidc_allowed_domains: tuple[str, ...] = ()
    oidc_require_verified_email: bool = True
    oidc_create_users: bool = False  # unknown people of an allowed domain: an account, no roles
    oidc_counts_as_second_factor: bool = False  # the provider enforces multi-factor itself
    # The WebAuthn relying party id of passkeys (KB_WEBAUTHN_RP_ID); "" the host of
    # KB_PUBLIC_URL. Passkeys made for one RP id work only there.
    webauthn_rp_id_setting: str = ""
    # Attachments (services/case/attachments.py): the largest file, and the most
    # all files of one case may take together, in megabytes.
    attachment_max_mb: int = 20
    attachment_case_max_mb: int = 200
    extra: dict = field(default_factory=dict)

    @property
    def attachment_dir(self) -> Path:
        """Where attachments are kept: in the data folder (0700), never public."""
        return self.data_dir / "attachments"

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @property
    def oidc_origin(self) -> str:
        """The OpenID provider's origin: redirects to it are let through."""
        parts = urlsplit(self.oidc_issuer)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def public_origin(self) -> str:
        parts = urlsplit(self.public_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def public_url_warning(self) -> str:
        """Why mail links will not work for anyone else ("" when KB_PUBLIC_URL is a
        real address): unset, or pointing at this machine."""
        host = (urlsplit(self.public_url).hostname or "").lower()
        local = host in {"localhost", "127.0.0.1", "::1", "0.0.0.0"} or host.endswith(".localhost")
        if not self.public_url_configured:
            return (
                f"KB_PUBLIC_URL är inte satt. Länkarna i e-post pekar därför på {self.public_url}, "
                "som bara fungerar på den här datorn. Sätt KB_PUBLIC_URL till adressen "
                "användarna öppnar (https://…) och starta om Värna."
            )
        if local:
            return (
                f"KB_PUBLIC_URL pekar på den här datorn ({self.public_url}). Länkarna i "
                "e-post fungerar inte för mottagarna. Sätt adressen användarna öppnar "
                "(https://…) och starta om Värna."
            )
        return ""

    @property
    def webauthn_rp_id(self) -> str:
        return self.webauthn_rp_id_setting or (urlsplit(self.public_url).hostname or "").lower()

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
    return key_file(data_dir / "secret_key")


def key_file(path: Path) -> str:
    """The key kept in ``path``, generated there first if missing: created 0600 in
    one step (O_EXCL), so it is never readable by others, not even for a moment,
    and two processes starting at once end up with the same key."""
    if path.exists():
        return path.read_text().strip()
    private_dir(path.parent)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process was first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(key)
        f.flush()
        os.fsync(f.fileno())
    return key


@lru_cache(maxsize=4)
def _audit_key(path: str) -> bytes:
    key = key_file(Path(path))
    if len(key) < 32:
        raise SystemExit(f"Granskningsnyckeln i {path} är för kort (minst 32 tecken).")
    return key.encode("utf-8")


def audit_key() -> bytes:
    """The HMAC key of the audit chain and its checkpoints (KB_AUDIT_KEY_FILE).
    Losing it makes the chain unverifiable; changing it makes every chain fail."""
    return _audit_key(str(get_settings().audit_key_file))


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


def data_dir_from_env() -> Path:
    """KB_DATA_DIR, resolved, without creating anything (``kb-app restore``)."""
    return Path(os.environ.get("KB_DATA_DIR", str(REPO_ROOT / "data"))).resolve()


def database_url_from_env(data_dir: Path) -> str:
    return os.environ.get("KB_DATABASE_URL", "").strip() or f"sqlite:///{data_dir / 'kb.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    data_dir = private_dir(data_dir_from_env())
    port = _int("KB_PORT", 3000)
    database_url = database_url_from_env(data_dir)
    security = os.environ.get("KB_SMTP_SECURITY", "starttls").strip().lower() or "starttls"
    if security not in {"none", "starttls", "tls"}:
        raise SystemExit("KB_SMTP_SECURITY måste vara none, starttls eller tls")
    log_format = os.environ.get("KB_LOG_FORMAT", "text").strip().lower() or "text"
    if log_format not in {"text", "json"}:
        raise SystemExit("KB_LOG_FORMAT måste vara text eller json")
    lease_seconds = _int("KB_SCHEDULER_LEASE_SECONDS", 60)
    if lease_seconds < 4:
        raise SystemExit("KB_SCHEDULER_LEASE_SECONDS måste vara minst 4")
    backup_dir = os.environ.get("KB_BACKUP_DIR", "").strip()
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
        state_expiry_minutes=max(1, _int("KB_STATE_EXPIRY_MINUTES", 30)),
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
        report_limit_per_client=_int("KB_REPORT_LIMIT_PER_CLIENT", 20),
        report_limit_per_address=_int("KB_REPORT_LIMIT_PER_ADDRESS", 200),
        public_url_configured=bool(os.environ.get("KB_PUBLIC_URL", "").strip()),
        audit_key_file=_path("KB_AUDIT_KEY_FILE", data_dir / "audit_key"),
        audit_checkpoint_file=_path(
            "KB_AUDIT_CHECKPOINT_FILE", data_dir / "audit_checkpoints.jsonl"
        ),
        oidc_issuer=os.environ.get("KB_OIDC_ISSUER", "").strip().rstrip("/"),
        oidc_client_id=os.environ.get("KB_OIDC_CLIENT_ID", "").strip(),
        oidc_client_secret=os.environ.get("KB_OIDC_CLIENT_SECRET", "").strip(),
        oidc_name=os.environ.get("KB_OIDC_NAME", "").strip() or "organisationens konto",
        oidc_email_claim=os.environ.get("KB_OIDC_EMAIL_CLAIM", "").strip() or "email",
        oidc_allowed_domains=tuple(
            d.strip().lower().lstrip("@")
            for d in os.environ.get("KB_OIDC_ALLOWED_DOMAINS", "").split(",")
            if d.strip()
        ),
        oidc_require_verified_email=_bool(os.environ.get("KB_OIDC_REQUIRE_VERIFIED_EMAIL"), True),
        oidc_create_users=_bool(os.environ.get("KB_OIDC_CREATE_USERS"), False),
        oidc_counts_as_second_factor=_bool(os.environ.get("KB_OIDC_MFA"), False),
        webauthn_rp_id_setting=os.environ.get("KB_WEBAUTHN_RP_ID", "").strip().lower(),
        log_format=log_format,
        scheduler_lease_seconds=lease_seconds,
        backup_nightly=_bool(os.environ.get("KB_BACKUP_NIGHTLY"), False),
        backup_dir=Path(backup_dir).resolve() if backup_dir else data_dir / "backups",
        backup_keep=max(_int("KB_BACKUP_KEEP", 7), 1),
        backup_passphrase=os.environ.get("KB_BACKUP_PASSPHRASE") or None,
        attachment_max_mb=max(1, _int("KB_ATTACHMENT_MAX_MB", 20)),
        attachment_case_max_mb=max(1, _int("KB_ATTACHMENT_CASE_MAX_MB", 200)),
    )


def _path(name: str, default: Path) -> Path:
    raw = os.environ.get(name, "").strip()
    return Path(raw).expanduser().resolve() if raw else default


def reset_settings() -> None:
    """Forget the cached settings (tests change the environment)."""
    get_settings.cache_clear()
    _audit_key.cache_clear()
