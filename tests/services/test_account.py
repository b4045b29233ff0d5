"""The password lifecycle (strength, change, reset by mail), one's own sessions,
throttling of password spraying, and the authentication event log."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from kb_app.db import read_scope
from kb_app.models import LoginAttempt, UserSession
from kb_app.services.admin import account, auth
from kb_app.services.case import invites
from kb_app.services.mail import mailer
from tests.support.helpers import actor_for

PRINCIPAL = "rektor@exempelkommun.se"
DEMO_PW = "varna-demo-2026"
STRONG = "fjäril-kaktus-trumpet-91"


def _events(**where) -> list[str]:
    with read_scope() as s:
        q = select(LoginAttempt.outcome).order_by(LoginAttempt.id)
        for key, value in where.items():
            q = q.where(getattr(LoginAttempt, key) == value)
        return list(s.exec(q))


def _live_sessions(user_id: int, now) -> int:
    with read_scope() as s:
        return len(
            s.exec(
                select(UserSession).where(
                    UserSession.user_id == user_id,
                    UserSession.revoked_at.is_(None),
                    UserSession.expires_at > now,
                )
            ).all()
        )


@pytest.mark.parametrize(
    "weak", ["password", "qwertyuiop", "Sommar2024", "lösenord123", "karinberg1", "Kalle123!"]
)
def test_common_and_guessable_passwords_are_refused(weak):
    assert (
        account.new_password_problem(weak, user_inputs=("Karin Berg", PRINCIPAL))
        == account.MSG_WEAK
    )


def test_a_long_unrelated_passphrase_is_accepted():
    assert account.new_password_problem(STRONG, user_inputs=("Karin Berg", PRINCIPAL)) is None
    assert account.new_password_problem("kort") == auth.password_problem("kort")


def test_change_password_needs_the_current_one_and_ends_other_sessions(demo, now):
    first = auth.login(PRINCIPAL, DEMO_PW, now=now)
    other = auth.login(PRINCIPAL, DEMO_PW, now=now)
    user_id = first.actor.user_id
    assert _live_sessions(user_id, now) == 2

    wrong = account.change_password(first.token, "fel-lösenord", STRONG, STRONG, now=now)
    assert wrong == account.MSG_WRONG_CURRENT
    assert account.change_password(first.token, DEMO_PW, "password", "password", now=now) == (
        account.MSG_WEAK
    )
    assert account.change_password(first.token, DEMO_PW, STRONG, STRONG + "x", now=now) == (
        account.MSG_MISMATCH
    )
    assert account.change_password(first.token, DEMO_PW, DEMO_PW, DEMO_PW, now=now) == (
        account.MSG_SAME
    )
    assert account.change_password(first.token, DEMO_PW, STRONG, STRONG, now=now) is None

    assert auth.resolve_session(first.token, now=now) is not None  # this device stays
    assert auth.resolve_session(other.token, now=now) is None  # every other one ends
    assert not auth.login(PRINCIPAL, DEMO_PW, now=now).ok
    assert auth.login(PRINCIPAL, STRONG, now=now).ok
    assert _events(user_id=user_id)[-4:-1] == [
        auth.Event.CHANGE_FAILED,
        auth.Event.PASSWORD_CHANGED,
        auth.Event.FAILURE,
    ]


def test_change_password_without_a_session_changes_nothing(demo, now):
    assert account.change_password(None, DEMO_PW, STRONG, STRONG, now=now) == auth.MSG_BAD_LOGIN
    assert auth.login(PRINCIPAL, DEMO_PW, now=now).ok


def _link(body: str) -> str:
    return re.search(r"/satt-losenord/(\S+)", body).group(1)


def test_reset_mail_arrives_once_link_is_single_use_and_ends_every_session(demo, smtp_server, now):
    before = auth.login(PRINCIPAL, DEMO_PW, now=now)
    account.request_reset(" Rektor@Exempelkommun.se", client="10.0.0.1", now=now)
    account.request_reset("ingen@exempelkommun.se", client="10.0.0.1", now=now)
    mailer.send_due(now=now)
    mailer.send_due(now=now + timedelta(minutes=5))
    resets = [m for m in smtp_server.messages if "återställ" in m["message"]["Subject"]]
    assert len(resets) == 1 and resets[0]["to"] == [PRINCIPAL]
    token = _link(resets[0]["message"].get_content())
    assert invites.token_purpose(token, now=now) == account.RESET_PURPOSE

    assert invites.use_token(token, "password", "password", now=now) == account.MSG_WEAK
    assert invites.use_token(token, STRONG, STRONG, now=now + timedelta(minutes=1)) is None
    assert auth.resolve_session(before.token, now=now + timedelta(minutes=1)) is None
    assert auth.login(PRINCIPAL, STRONG, now=now + timedelta(minutes=2)).ok
    # single use
    again = invites.use_token(token, STRONG + "!", STRONG + "!", now=now + timedelta(minutes=3))
    assert again == invites.MSG_INVALID
    assert _events(email="ingen@exempelkommun.se") == [auth.Event.RESET_REQUESTED]
    assert auth.Event.PASSWORD_RESET in _events(user_id=before.actor.user_id)


def test_a_reset_link_expires_after_thirty_minutes(demo, now):
    account.request_reset(PRINCIPAL, now=now)
    with read_scope() as s:
        from kb_app.models import Outbox

        body = s.exec(select(Outbox.body).order_by(Outbox.id.desc())).first()
    token = _link(body)
    late = now + timedelta(minutes=31)
    assert invites.token_purpose(token, now=now + timedelta(minutes=29)) is not None
    assert invites.token_purpose(token, now=late) is None
    assert invites.use_token(token, STRONG, STRONG, now=late) == invites.MSG_INVALID


def test_reset_mails_per_hour_are_limited(demo, now):
    from kb_app.models import Outbox

    for i in range(6):
        account.request_reset(PRINCIPAL, now=now + timedelta(minutes=i))
    with read_scope() as s:
        sent = s.exec(select(Outbox).where(Outbox.to_addr == PRINCIPAL)).all()
    assert len([m for m in sent if "återställ" in m.subject]) == account.RESETS_PER_HOUR


def test_own_sessions_are_listed_and_ended_never_another_users(demo, now):
    mine = auth.login(PRINCIPAL, DEMO_PW, client="10.1.1.1", user_agent="Firefox/130", now=now)
    phone = auth.login(
        PRINCIPAL,
        DEMO_PW,
        client="10.1.1.2",
        user_agent="Mozilla/5.0 (iPhone) Safari/604.1",
        now=now + timedelta(minutes=1),
    )
    organiser = auth.login("huvudman@exempelkommun.se", DEMO_PW, now=now)
    actor = actor_for(PRINCIPAL)
    rows = account.my_sessions(actor, mine.token, now=now + timedelta(minutes=2))
    assert [(r.device, r.client, r.current) for r in rows] == [
        ("Safari på iPhone", "10.1.1.2", False),
        ("Firefox", "10.1.1.1", True),
    ]
    theirs = account.my_sessions(actor_for("huvudman@exempelkommun.se"), None, now=now)[0]
    assert account.end_session(actor, theirs.id, mine.token, now=now) == 0
    assert auth.resolve_session(organiser.token, now=now) is not None
    assert account.end_session(actor, rows[0].id, mine.token, now=now) == 1
    assert auth.resolve_session(phone.token, now=now) is None
    auth.login(PRINCIPAL, DEMO_PW, now=now)
    assert account.end_session(actor, None, mine.token, now=now) == 1  # all others
    assert auth.resolve_session(mine.token, now=now) is not None
    assert auth.Event.SESSION_ENDED in _events(user_id=actor.user_id)


def test_spraying_many_accounts_from_one_address_is_slowed_then_paused(demo, now):
    """One address guessing one password across many accounts: answers slow down
    past SLOW_AFTER failures and stop past PAUSE_AFTER, whether or not the accounts
    exist, while another address still logs in."""
    delays = []
    for i in range(auth.PAUSE_AFTER):
        r = auth.login(f"person{i}@exempelkommun.se", "Sommar2024", client="198.51.100.7", now=now)
        assert not r.ok and r.message == auth.MSG_BAD_LOGIN
        delays.append(r.delay)
    assert delays[: auth.SLOW_AFTER - 1] == [0.0] * (auth.SLOW_AFTER - 1)
    assert 0 < delays[auth.SLOW_AFTER] <= delays[-1] <= auth.MAX_DELAY_SECONDS
    paused = auth.login(PRINCIPAL, DEMO_PW, client="198.51.100.7", now=now)
    assert not paused.ok and paused.message == auth.MSG_THROTTLED
    unknown = auth.login("ingen@exempelkommun.se", DEMO_PW, client="198.51.100.7", now=now)
    assert unknown.message == paused.message  # says nothing about the account
    assert auth.login(PRINCIPAL, DEMO_PW, client="203.0.113.9", now=now).ok
    later = now + auth.LOCK_WINDOW + timedelta(minutes=1)
    assert auth.login(PRINCIPAL, DEMO_PW, client="198.51.100.7", now=later).ok
    assert _events(client="198.51.100.7").count(auth.Event.THROTTLED) == 2


def test_logout_is_an_authentication_event(demo, now):
    r = auth.login(PRINCIPAL, DEMO_PW, now=now)
    auth.logout(r.token, now=now, client="10.0.0.5")
    assert _events(user_id=r.actor.user_id)[-2:] == [auth.Event.SUCCESS, auth.Event.LOGOUT]


def test_ending_a_users_sessions_leaves_other_users_cached(demo, now):
    mine = auth.login(PRINCIPAL, DEMO_PW, now=now)
    organiser = auth.login("huvudman@exempelkommun.se", DEMO_PW, now=now)
    assert auth.resolve_session(mine.token, now=now) is not None
    assert auth.resolve_session(organiser.token, now=now) is not None
    assert auth.cached_session(organiser.token, now=now) is not None

    assert account.end_session(actor_for(PRINCIPAL), None, None, now=now) == 1
    assert auth.cached_session(mine.token, now=now) is None  # gone from the cache
    assert auth.resolve_session(mine.token, now=now) is None  # and ended
    assert auth.cached_session(organiser.token, now=now) is not None  # untouched
