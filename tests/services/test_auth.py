from datetime import timedelta

import pytest

from kb_app.services.admin import auth
from tests.support.helpers import actor_for


def test_login_ok_and_session_resolves(demo, now):
    r = auth.login("Rektor@Exempelkommun.se ", "varna-demo-2026", now=now)
    assert r.ok and r.token
    actor = auth.resolve_session(r.token, now=now + timedelta(minutes=1))
    assert actor is not None and actor.email == "rektor@exempelkommun.se" and actor.is_principal


def test_wrong_password_and_unknown_email_answer_alike(demo, now):
    a = auth.login("rektor@exempelkommun.se", "fel-fel-fel", now=now)
    b = auth.login("ingen@exempelkommun.se", "fel-fel-fel", now=now)
    assert not a.ok and not b.ok
    assert a.message == b.message == auth.MSG_BAD_LOGIN


def test_lockout_after_ten_failures_for_fifteen_minutes(demo, now):
    for i in range(9):
        assert (
            auth.login("rektor@exempelkommun.se", "fel", now=now + timedelta(seconds=i)).message
            == auth.MSG_BAD_LOGIN
        )
    assert (
        auth.login("rektor@exempelkommun.se", "fel", now=now + timedelta(seconds=9)).message
        == auth.MSG_LOCKED
    )
    # Even the right password is refused while locked.
    locked = auth.login(
        "rektor@exempelkommun.se", "varna-demo-2026", now=now + timedelta(minutes=10)
    )
    assert not locked.ok and locked.message == auth.MSG_LOCKED
    assert auth.login(
        "rektor@exempelkommun.se", "varna-demo-2026", now=now + timedelta(minutes=16)
    ).ok


def test_idle_and_absolute_timeouts(demo, now):
    token = auth.login("rektor@exempelkommun.se", "varna-demo-2026", now=now).token
    assert auth.resolve_session(token, now=now + timedelta(minutes=31)) is None
    token = auth.login("rektor@exempelkommun.se", "varna-demo-2026", now=now).token
    t = now
    for _ in range(26):  # active every 29 minutes for 12.5 hours
        t += timedelta(minutes=29)
        result = auth.resolve_session(token, now=t)
    assert result is None


def test_logout_revokes(demo, now):
    token = auth.login("rektor@exempelkommun.se", "varna-demo-2026", now=now).token
    auth.logout(token, now=now)
    assert auth.resolve_session(token, now=now) is None


@pytest.mark.parametrize(
    ("pw", "ok"), [("1234567", False), ("12345678", True), ("x" * 128, True), ("x" * 129, False)]
)
def test_password_lengths(pw, ok):
    assert (auth.password_problem(pw) is None) == ok


def test_actor_roles(demo):
    assert actor_for("huvudman@exempelkommun.se").is_organiser
    assert len(actor_for("rektor@exempelkommun.se").principal_units) == 2


def test_session_cache_answers_without_the_database_and_honours_logout(demo, now):
    from sqlalchemy import update

    from kb_app.db import session_scope
    from kb_app.models import UserSession

    token = auth.login("rektor@exempelkommun.se", "varna-demo-2026", now=now).token
    assert auth.resolve_session(token, now=now) is not None
    # Revoked behind this process's back (another worker's logout): the cached
    # entry answers for at most SESSION_CACHE_SECONDS, then the database does.
    with session_scope() as s:
        s.execute(update(UserSession).values(revoked_at=now))
    assert auth.resolve_session(token, now=now + timedelta(seconds=1)) is not None
    ttl = timedelta(seconds=auth.SESSION_CACHE_SECONDS)
    assert auth.resolve_session(token, now=now + ttl) is None
    # A logout in this process is seen at once.
    other = auth.login("rektor@exempelkommun.se", "varna-demo-2026", now=now).token
    assert auth.resolve_session(other, now=now) is not None
    auth.logout(other, now=now)
    assert auth.resolve_session(other, now=now + timedelta(milliseconds=1)) is None


def test_session_cache_keeps_the_timeouts_and_the_activity_record(demo, monkeypatch, now):
    from sqlmodel import select

    from kb_app.db import read_scope
    from kb_app.models import UserSession

    monkeypatch.setattr(auth, "SESSION_CACHE_SECONDS", 3600.0)
    token = auth.login("rektor@exempelkommun.se", "varna-demo-2026", now=now).token
    assert auth.resolve_session(token, now=now) is not None
    later = now + timedelta(seconds=40)
    assert auth.resolve_session(token, now=later) is not None  # past TOUCH_EVERY: written
    with read_scope() as s:
        assert s.exec(select(UserSession.last_seen_at)).one() == later
    idle = timedelta(minutes=30)
    assert auth.resolve_session(token, now=later + idle + timedelta(seconds=1), touch=False) is None
