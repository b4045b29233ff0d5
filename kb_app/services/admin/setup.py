"""First start in the browser: an installation without an organisation shows the
setup page (``/kom-igang``), protected by a one-time setup code.

The code is made at start when the database holds no organisation, kept in the
private data folder (so every worker process knows the same code) and printed in
the server log and on the console, as Jupyter and Grafana do: only someone who
can read the server's output can claim a fresh installation. Completing the
setup creates the organisation, its settings and the first administrator in one
transaction, and deletes the code.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import secrets
import sys
from datetime import datetime
from pathlib import Path

from sqlmodel import func, select

from kb_app.db import read_scope, session_scope
from kb_app.domain.access import Actor
from kb_app.domain.process import EMAIL_RE
from kb_app.domain.vocab import Role
from kb_app.errors import InvalidInput
from kb_app.models import Organisation, OrgSetting, RoleAssignment, User
from kb_app.services.admin import account, admin_log, auth
from kb_app.services.admin.admin_log import Kind
from kb_app.settings import get_settings, private_file

log = logging.getLogger("kb_app.setup")

CODE_LEN = 12
MSG_CODE = "Fel kod. Koden står i serverns logg och i konsolen där Värna startades."
MSG_DONE = "Värna är redan installerad. Logga in."
MSG_ORG = "Ange organisationens namn (huvudmannen)."
MSG_NAME = "Ange ditt namn."
MSG_EMAIL = "Ange en giltig e-postadress."
MSG_MISMATCH = "Lösenorden är inte likadana."

# Once an organisation exists it always will: no more queries after that.
_installed = False


def _code_path() -> Path:
    return get_settings().data_dir / "setup-code"


def needs_setup() -> bool:
    """Does the database hold no organisation (a fresh installation)?"""
    global _installed
    if _installed:
        return False
    with read_scope() as s:
        n = s.exec(select(func.count()).select_from(Organisation)).one()
    if n:
        _installed = True
    return not n


def reset_cache() -> None:
    """For tests that empty the database between runs."""
    global _installed
    _installed = False


def ensure_code() -> str:
    """The current setup code, made (and stored privately) when there is none."""
    path = _code_path()
    if path.exists():
        code = path.read_text().strip()
        if code:
            return code
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
    code = "".join(secrets.choice(alphabet) for _ in range(CODE_LEN))
    private_file(path)
    path.write_text(code + "\n")
    return code


def announce() -> str | None:
    """At start: print the setup code when the installation is fresh."""
    if not needs_setup():
        return None
    code = ensure_code()
    url = get_settings().public_url
    text = (
        "\n"
        "  Värna har ingen organisation än. Öppna\n"
        f"      {url}/kom-igang\n"
        f"  och ange installationskoden:  {code}\n"
    )
    log.warning("Värna is not set up yet: open /kom-igang with the setup code %s", code)
    print(text, file=sys.stderr, flush=True)
    return code


def code_ok(code: str) -> bool:
    path = _code_path()
    if not path.exists():
        return False
    expected = path.read_text().strip()
    given = "".join(str(code or "").split()).upper()
    return bool(expected) and hmac.compare_digest(expected.encode(), given.encode())


def complete(values: dict, *, now: datetime) -> str:
    """Create the organisation and its first administrator. Returns the admin's
    e-mail. Raises InvalidInput with Swedish field errors."""
    if not needs_setup():
        raise InvalidInput({"code": MSG_DONE})
    if not code_ok(str(values.get("code", ""))):
        log.warning("setup refused: wrong setup code")
        raise InvalidInput({"code": MSG_CODE})
    errors: dict[str, str] = {}
    org_name = " ".join(str(values.get("organisation", "")).split())
    if not org_name:
        errors["organisation"] = MSG_ORG
    elif len(org_name) > 200:
        errors["organisation"] = f"Högst 200 tecken (nu {len(org_name)})."
    name = " ".join(str(values.get("name", "")).split())
    if not name:
        errors["name"] = MSG_NAME
    elif len(name) > 200:
        errors["name"] = f"Högst 200 tecken (nu {len(name)})."
    email = auth.normalise_email(str(values.get("email", "")))
    if not EMAIL_RE.match(email):
        errors["email"] = MSG_EMAIL
    password = str(values.get("password", ""))
    problem = account.new_password_problem(password, user_inputs=(name, email, org_name))
    if problem:
        errors["password"] = problem
    elif password != str(values.get("password2", "")):
        errors["password2"] = MSG_MISMATCH
    if errors:
        raise InvalidInput(errors)
    hashed = auth.hash_password(password)
    with session_scope() as s:
        if s.exec(select(func.count()).select_from(Organisation)).one():
            raise InvalidInput({"code": MSG_DONE})
        org = Organisation(name=org_name, created_at=now)
        s.add(org)
        s.flush()
        s.add(OrgSetting(organisation_id=org.id))
        user = User(
            organisation_id=org.id,
            email=email,
            name=name,
            password_hash=hashed,
            created_at=now,
        )
        s.add(user)
        s.flush()
        s.add(RoleAssignment(user_id=user.id, role=Role.ADMIN))
        actor = Actor(user_id=user.id, organisation_id=org.id, name=name, email=email)
        admin_log.record(s, actor, Kind.SETUP, org_name, f"Första administratör: {email}", now=now)
    _code_path().unlink(missing_ok=True)
    global _installed
    _installed = True
    log.info("setup done: organisation %s, first admin user %s", org.id, user.id)
    return email


@contextlib.asynccontextmanager
async def setup_lifespan():
    """The Reflex lifespan task: print the setup code when the database is empty."""
    try:
        await asyncio.to_thread(announce)
    except Exception:  # noqa: BLE001 - a missing table must not stop the server
        log.exception("could not check whether Värna is set up")
    yield
