"""The second factor: enrolment, codes at injected times, reuse, recovery codes,
and no user behind a session until the second factor is done."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import update
from sqlmodel import select

from kb_app.db import read_scope, session_scope
from kb_app.models import LoginAttempt, OrgSetting, User
from kb_app.services.admin import auth
from kb_app.services.admin import second_factor as mfa
from kb_app.services.admin.second_factor import MSG_BAD_CODE

PRINCIPAL = "rektor@exempelkommun.se"
INVESTIGATOR = "utredare@exempelkommun.se"
PW = "varna-demo-2026"


def _require(roles: str) -> None:
    with session_scope() as s:
        s.execute(update(OrgSetting).values(second_factor_roles=roles))


def _enrol(now) -> tuple[str, list[str]]:
    """Log the principal in, enrol an app at ``now``; the secret and recovery codes."""
    result = auth.login(PRINCIPAL, PW, now=now)
    assert result.ok and result.stage == auth.STAGE_ENROL
    pending = mfa.pending(result.token, now=now)
    secret = pending.secret.replace(" ", "")
    assert pending.qr_data_uri.startswith("data:image/svg+xml")
    outcome = mfa.confirm_enrolment(result.token, pyotp.TOTP(secret).at(now), now=now)
    assert outcome.ok and len(outcome.recovery_codes) == 10
    return secret, outcome.recovery_codes


def _events(email_user: str) -> list[str]:
    with read_scope() as s:
        uid = s.exec(select(User.id).where(User.email == email_user)).one()
        return list(
            s.exec(
                select(LoginAttempt.outcome)
                .where(LoginAttempt.user_id == uid)
                .order_by(LoginAttempt.id)
            )
        )


def test_a_new_organisation_requires_it_of_organiser_principal_and_admin(engine):
    with session_scope() as s:
        assert auth.second_factor_roles(s, 999) == {"organiser", "principal", "admin"}


def test_the_demo_organisation_requires_none(demo, now):
    result = auth.login(PRINCIPAL, PW, now=now)
    assert result.ok and result.stage == ""
    assert auth.resolve_session(result.token, now=now) is not None


def test_a_principal_who_must_enrols_before_any_session_counts(demo, now):
    _require("principal")
    assert auth.login(INVESTIGATOR, PW, now=now).stage == ""  # not a required role
    result = auth.login(PRINCIPAL, PW, now=now)
    assert result.stage == auth.STAGE_ENROL
    assert auth.resolve_session(result.token, now=now) is None  # no data before enrolment
    pending = mfa.pending(result.token, now=now)
    assert pending.stage == mfa.ENROL
    assert mfa.pending(result.token, now=now).secret == pending.secret  # drawn once
    secret = pending.secret.replace(" ", "")

    wrong = mfa.confirm_enrolment(result.token, "000000", now=now)
    assert not wrong.ok and wrong.message == MSG_BAD_CODE
    ok = mfa.confirm_enrolment(result.token, pyotp.TOTP(secret).at(now), now=now)
    assert ok.ok and ok.start_page == "/oversikt"
    assert len(set(ok.recovery_codes)) == 10
    assert auth.resolve_session(result.token, now=now).email == PRINCIPAL
    with read_scope() as s:
        stored = s.exec(select(User.totp_secret).where(User.email == PRINCIPAL)).one()
    assert secret not in stored  # encrypted at rest
    assert mfa.status(auth.resolve_session(result.token, now=now)) == (True, 10)


def test_codes_at_the_window_edges_and_never_twice(demo, now):
    _require("principal")
    secret, _ = _enrol(now)
    totp = pyotp.TOTP(secret)
    later = now + timedelta(minutes=5)
    login = auth.login(PRINCIPAL, PW, now=later)
    assert login.stage == auth.STAGE_VERIFY  # enrolled: always asked, whatever the setting
    # Two steps old, or two ahead: refused. One step either side: accepted.
    assert not mfa.verify(login.token, totp.at(later - timedelta(seconds=60)), now=later).ok
    assert not mfa.verify(login.token, totp.at(later + timedelta(seconds=60)), now=later).ok
    assert mfa.verify(login.token, totp.at(later - timedelta(seconds=30)), now=later).ok
    assert auth.resolve_session(login.token, now=later) is not None

    # The same code again (a second login within its window): refused.
    again = auth.login(PRINCIPAL, PW, now=later)
    reused = totp.at(later - timedelta(seconds=30))
    assert not mfa.verify(again.token, reused, now=later + timedelta(seconds=10)).ok
    assert mfa.verify(again.token, totp.at(later), now=later + timedelta(seconds=10)).ok
    assert auth.Event.SECOND_FACTOR_OK in _events(PRINCIPAL)
    assert auth.Event.SECOND_FACTOR_FAILED in _events(PRINCIPAL)


def test_recovery_codes_work_once(demo, now):
    _require("principal")
    _, codes = _enrol(now)
    first = auth.login(PRINCIPAL, PW, now=now)
    assert mfa.verify(first.token, codes[3].upper().replace("-", " "), now=now).ok
    second = auth.login(PRINCIPAL, PW, now=now)
    assert not mfa.verify(second.token, codes[3], now=now).ok  # used
    assert mfa.verify(second.token, codes[4], now=now).ok
    assert auth.Event.RECOVERY_USED in _events(PRINCIPAL)


def test_five_wrong_codes_end_the_half_done_login(demo, now):
    _require("principal")
    _enrol(now)
    login = auth.login(PRINCIPAL, PW, now=now)
    for _ in range(mfa.MAX_TRIES - 1):
        assert mfa.verify(login.token, "123456", now=now).message == MSG_BAD_CODE
    last = mfa.verify(login.token, "123456", now=now)
    assert last.restart and last.message == mfa.MSG_TOO_MANY
    assert mfa.pending(login.token, now=now) is None


def test_a_half_done_login_expires(demo, now):
    _require("principal")
    secret, _ = _enrol(now)
    login = auth.login(PRINCIPAL, PW, now=now)
    late = now + timedelta(minutes=mfa.PENDING_MINUTES + 1)
    outcome = mfa.verify(login.token, pyotp.TOTP(secret).at(late), now=late)
    assert outcome.restart and not outcome.ok
    assert auth.resolve_session(login.token, now=late) is None


@pytest.mark.parametrize("code", ["", "12345", "abcdef", "1234567", "x" * 40])
def test_malformed_codes_are_refused_plainly(demo, now, code):
    _require("principal")
    _enrol(now)
    login = auth.login(PRINCIPAL, PW, now=now)
    assert mfa.verify(login.token, code, now=now).message == MSG_BAD_CODE


def test_only_the_organiser_chooses_the_roles_and_it_applies_at_next_login(demo, now):
    from kb_app.errors import AccessDenied
    from kb_app.services.admin import org_settings
    from tests.support.helpers import actor_for

    organiser = actor_for("huvudman@exempelkommun.se")
    with pytest.raises(AccessDenied):
        org_settings.save_second_factor_roles(actor_for(PRINCIPAL), ["principal"], now=now)
    assert org_settings.second_factor_roles(organiser) == []
    saved = org_settings.save_second_factor_roles(
        organiser, ["principal", "nonsense", "investigator"], now=now
    )
    assert saved == ["principal", "investigator"]
    assert org_settings.second_factor_roles(organiser) == ["principal", "investigator"]
    assert auth.login(PRINCIPAL, PW, now=now).stage == auth.STAGE_ENROL
    assert auth.login(INVESTIGATOR, PW, now=now).stage == auth.STAGE_ENROL
    assert auth.login("huvudman@exempelkommun.se", PW, now=now).stage == ""


def test_a_user_may_enrol_from_my_account_and_renew_recovery_codes(demo, now):
    from tests.support.helpers import actor_for

    login = auth.login(INVESTIGATOR, PW, now=now)
    me = actor_for(INVESTIGATOR)
    assert mfa.status(me) == (False, 0)
    assert mfa.new_recovery_codes_for(me, login.token, now=now) == []  # no app yet
    other = actor_for(PRINCIPAL)
    assert not mfa.start_enrolment(other, login.token, now=now)  # not their session
    later = now + timedelta(hours=1)
    assert mfa.start_enrolment(me, login.token, now=later)
    assert auth.resolve_session(login.token, now=later) is None  # waits for the app now
    secret = mfa.pending(login.token, now=later).secret.replace(" ", "")
    done = mfa.confirm_enrolment(login.token, pyotp.TOTP(secret).at(later), now=later)
    assert done.ok and len(done.recovery_codes) == 10
    assert auth.resolve_session(login.token, now=later) is not None
    renewed = mfa.new_recovery_codes_for(me, login.token, now=later)
    assert len(renewed) == 10 and not set(renewed) & set(done.recovery_codes)
    again = auth.login(INVESTIGATOR, PW, now=later)
    assert not mfa.verify(again.token, done.recovery_codes[0], now=later).ok  # old: void
    assert mfa.verify(again.token, renewed[0], now=later).ok
