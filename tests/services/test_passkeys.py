"""Passkeys (WebAuthn) as the second factor: registered on Mitt konto or at
enrolment, used at /tvastegsverifiering; answers made by a software
authenticator (tests/support/authenticator.py) and checked by the ``webauthn``
package: wrong origin, counter going back, a used or stale challenge, another
user's passkey are all refused; the last factor a role requires stays."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from kb_app.db import read_scope, session_scope
from kb_app.models import LoginAttempt, OrgSetting, Passkey, User
from kb_app.services.admin import auth
from kb_app.services.admin import passkeys as pk
from kb_app.services.admin import second_factor as mfa
from kb_app.settings import reset_settings
from tests.support.authenticator import SoftAuthenticator, b64url

PRINCIPAL = "rektor@exempelkommun.se"
INVESTIGATOR = "utredare@exempelkommun.se"
PW = "varna-demo-2026"
ORIGIN = "http://localhost:3000"  # KB_PUBLIC_URL unset in tests: RP id "localhost"


def _require(roles: str) -> None:
    with session_scope() as s:
        s.execute(update(OrgSetting).values(second_factor_roles=roles))


def _events(email: str) -> list[str]:
    with read_scope() as s:
        uid = s.exec(select(User.id).where(User.email == email)).one()
        return list(
            s.exec(
                select(LoginAttempt.outcome)
                .where(LoginAttempt.user_id == uid)
                .order_by(LoginAttempt.id)
            )
        )


def _signed_in(email: str, now):
    result = auth.login(email, PW, now=now)
    assert result.ok and result.stage == ""
    return result.token, auth.resolve_session(result.token, now=now)


def _add(token, actor, soft: SoftAuthenticator, now, name="Min dator", **kw) -> pk.Added:
    begun = pk.begin_registration(actor, token, name, now=now)
    assert begun.options and not begun.error
    return pk.finish_registration(actor, token, soft.create(begun.options, **kw), name, now=now)


def _passkey_login(email: str, soft: SoftAuthenticator, now, **kw) -> mfa.Outcome:
    login = auth.login(email, PW, now=now)
    assert login.stage == auth.STAGE_VERIFY
    begun = pk.login_options(login.token, now=now)
    assert begun.options
    return pk.verify(login.token, soft.get(begun.options, **kw), now=now)


def test_a_passkey_from_my_account_is_the_second_factor_at_the_next_login(demo, now):
    token, actor = _signed_in(PRINCIPAL, now)
    soft = SoftAuthenticator(ORIGIN)
    begun = pk.begin_registration(actor, token, "  Jobbdatorn  ", now=now)
    options = json.loads(begun.options)
    assert options["rp"] == {"id": "localhost", "name": "Värna"}
    assert options["user"]["name"] == PRINCIPAL
    assert str(actor.user_id) not in options["user"]["id"]  # the handle says nothing
    added = pk.finish_registration(actor, token, soft.create(options), "  Jobbdatorn  ", now=now)
    assert added.error == "" and len(set(added.recovery_codes)) == 10  # the first factor
    [row] = pk.my_passkeys(actor)
    assert row.name == "Jobbdatorn" and row.last_used == ""

    # A second passkey: no new recovery codes; the first is excluded from re-registering.
    again = pk.begin_registration(actor, token, "Telefonen", now=now)
    excluded = [c["id"] for c in json.loads(again.options)["excludeCredentials"]]
    assert excluded == [b64url(soft.credentials[0].credential_id)]
    second = pk.finish_registration(actor, token, soft.create(again.options), "Telefonen", now=now)
    assert second.error == "" and second.recovery_codes == []

    later = now + timedelta(minutes=5)
    login = auth.login(PRINCIPAL, PW, now=later)
    assert login.stage == auth.STAGE_VERIFY  # a passkey: always asked, whatever the setting
    assert auth.resolve_session(login.token, now=later) is None
    pending = mfa.pending(login.token, now=later)
    assert pending.has_passkey and not pending.has_app
    request = json.loads(pk.login_options(login.token, now=later).options)
    assert request["rpId"] == "localhost" and len(request["allowCredentials"]) == 2
    outcome = pk.verify(login.token, soft.get(request), now=later)
    assert outcome.ok and outcome.start_page == "/oversikt"
    assert auth.resolve_session(login.token, now=later).email == PRINCIPAL
    with read_scope() as s:
        used = s.exec(select(Passkey).where(Passkey.sign_count == 1)).one()
    assert used.last_used_at == later and used.transports == "internal"
    events = _events(PRINCIPAL)
    assert events.count(auth.Event.PASSKEY_ADDED) == 2
    assert auth.Event.PASSKEY_OK in events


def test_a_wrong_origin_is_refused_at_registration_and_login(demo, now):
    token, actor = _signed_in(INVESTIGATOR, now)
    soft = SoftAuthenticator(ORIGIN)
    bad = _add(token, actor, soft, now, origin="http://localhost.evil.example")
    assert bad.error == pk.MSG_NOT_ACCEPTED
    assert pk.my_passkeys(actor) == []
    assert _add(token, actor, soft, now).error == ""
    refused = _passkey_login(INVESTIGATOR, soft, now, origin="http://localhost:3001")
    assert not refused.ok and refused.message == pk.MSG_NOT_ACCEPTED
    assert auth.Event.PASSKEY_FAILED in _events(INVESTIGATOR)


def test_a_counter_that_goes_back_is_refused(demo, now):
    token, actor = _signed_in(INVESTIGATOR, now)
    soft = SoftAuthenticator(ORIGIN)
    _add(token, actor, soft, now)
    assert _passkey_login(INVESTIGATOR, soft, now).ok  # counter 1
    assert _passkey_login(INVESTIGATOR, soft, now).ok  # counter 2
    cloned = _passkey_login(INVESTIGATOR, soft, now, sign_count=2)  # not greater: a clone
    assert not cloned.ok and cloned.message == pk.MSG_NOT_ACCEPTED
    assert not _passkey_login(INVESTIGATOR, soft, now, sign_count=1).ok
    with read_scope() as s:
        assert s.exec(select(Passkey.sign_count)).one() == 2


def test_a_counter_that_stays_at_zero_is_accepted(demo, now):
    token, actor = _signed_in(INVESTIGATOR, now)
    soft = SoftAuthenticator(ORIGIN, counter_step=0)  # many synced passkeys
    _add(token, actor, soft, now)
    assert _passkey_login(INVESTIGATOR, soft, now).ok
    assert _passkey_login(INVESTIGATOR, soft, now).ok


def test_a_challenge_is_single_use_short_lived_and_for_one_ceremony(demo, now):
    token, actor = _signed_in(INVESTIGATOR, now)
    soft = SoftAuthenticator(ORIGIN)
    _add(token, actor, soft, now)

    login = auth.login(INVESTIGATOR, PW, now=now)
    answer = soft.get(pk.login_options(login.token, now=now).options)
    assert pk.verify(login.token, answer, now=now).ok
    # The same answer in another half-done login (a new challenge there): refused.
    other = auth.login(INVESTIGATOR, PW, now=now)
    pk.login_options(other.token, now=now)
    assert not pk.verify(other.token, answer, now=now).ok
    # No challenge drawn at all, or already taken: refused.
    third = auth.login(INVESTIGATOR, PW, now=now)
    assert pk.verify(third.token, answer, now=now).message == pk.MSG_CEREMONY_EXPIRED
    options = pk.login_options(third.token, now=now).options
    late = now + timedelta(seconds=pk.CHALLENGE_SECONDS + 1)
    stale = pk.verify(third.token, soft.get(options), now=late)
    assert not stale.ok and stale.message == pk.MSG_CEREMONY_EXPIRED

    # A registration challenge is not a login challenge.
    fourth = auth.login(INVESTIGATOR, PW, now=now)
    token2, actor2 = fourth.token, actor
    begun = pk.begin_registration(actor, token, "X", now=now)
    opts = json.loads(begun.options)
    opts["rpId"] = opts["rp"]["id"]
    assert not pk.verify(token2, soft.get(opts), now=now).ok
    # And a login's answer does not register anything.
    assert pk.finish_registration(actor2, token, answer, "Y", now=now).error
    assert len(pk.my_passkeys(actor)) == 1


def test_another_users_passkey_does_not_log_in(demo, now):
    soft = SoftAuthenticator(ORIGIN)
    token, actor = _signed_in(PRINCIPAL, now)
    _add(token, actor, soft, now)
    token, actor = _signed_in(INVESTIGATOR, now)
    theirs = SoftAuthenticator(ORIGIN)
    _add(token, actor, theirs, now)
    login = auth.login(PRINCIPAL, PW, now=now)
    options = pk.login_options(login.token, now=now).options
    answer = theirs.get(options, credential=theirs.credentials[0])
    outcome = pk.verify(login.token, answer, now=now)
    assert not outcome.ok and auth.resolve_session(login.token, now=now) is None


def test_five_failed_answers_end_the_half_done_login(demo, now):
    token, actor = _signed_in(INVESTIGATOR, now)
    soft = SoftAuthenticator(ORIGIN)
    _add(token, actor, soft, now)
    login = auth.login(INVESTIGATOR, PW, now=now)
    for _ in range(mfa.MAX_TRIES - 1):
        options = pk.login_options(login.token, now=now).options
        outcome = pk.verify(login.token, soft.get(options, origin="https://evil.example"), now=now)
        assert not outcome.ok and not outcome.restart
    options = pk.login_options(login.token, now=now).options
    last = pk.verify(login.token, soft.get(options, origin="https://evil.example"), now=now)
    assert last.restart and last.message == mfa.MSG_TOO_MANY
    assert mfa.pending(login.token, now=now) is None


def test_enrolment_with_a_passkey_then_a_recovery_code(demo, now):
    _require("principal")
    login = auth.login(PRINCIPAL, PW, now=now)
    assert login.stage == auth.STAGE_ENROL
    soft = SoftAuthenticator(ORIGIN)
    begun = pk.enrolment_options(login.token, now=now)
    assert pk.login_options(login.token, now=now).error == mfa.MSG_EXPIRED  # not verifying
    begun = pk.enrolment_options(login.token, now=now)
    wrong = pk.confirm_enrolment(login.token, soft.create(begun.options, origin="https://x.se"),
                                 now=now)  # fmt: skip
    assert not wrong.ok and not wrong.restart
    begun = pk.enrolment_options(login.token, now=now)
    done = pk.confirm_enrolment(login.token, soft.create(begun.options), now=now)
    assert done.ok and done.start_page == "/oversikt" and len(done.recovery_codes) == 10
    actor = auth.resolve_session(login.token, now=now)
    assert actor.email == PRINCIPAL and len(pk.my_passkeys(actor)) == 1
    assert mfa.status(actor) == (False, 10)

    # Passkeys only: the code field takes a recovery code.
    again = auth.login(PRINCIPAL, PW, now=now)
    assert again.stage == auth.STAGE_VERIFY
    assert not mfa.verify(again.token, "123456", now=now).ok
    assert mfa.verify(again.token, done.recovery_codes[0], now=now).ok
    assert auth.Event.SECOND_FACTOR_ENROLLED in _events(PRINCIPAL)


def test_the_last_factor_a_role_requires_cannot_be_removed(demo, now):
    _require("principal")
    login = auth.login(PRINCIPAL, PW, now=now)
    soft = SoftAuthenticator(ORIGIN)
    begun = pk.enrolment_options(login.token, now=now)
    assert pk.confirm_enrolment(login.token, soft.create(begun.options), now=now).ok
    token, actor = login.token, auth.resolve_session(login.token, now=now)
    [first] = pk.my_passkeys(actor)
    assert pk.remove(actor, first.id, now=now) == pk.MSG_LAST_FACTOR
    assert _add(token, actor, soft, now, name="Reserv").error == ""
    assert pk.remove(actor, first.id, now=now) == ""
    [second] = pk.my_passkeys(actor)
    assert second.name == "Reserv"
    assert pk.remove(actor, second.id, now=now) == pk.MSG_LAST_FACTOR

    # Another user's passkey id removes nothing.
    other_token, other = _signed_in(INVESTIGATOR, now)
    assert pk.remove(other, second.id, now=now) == pk.MSG_NOT_FOUND
    assert len(pk.my_passkeys(actor)) == 1

    # Not required any more: removable, and the next login asks for nothing.
    _require("")
    assert pk.remove(actor, second.id, now=now) == ""
    assert auth.login(PRINCIPAL, PW, now=now).stage == ""
    assert auth.Event.PASSKEY_REMOVED in _events(PRINCIPAL)


@pytest.mark.parametrize("name", ["x" * (pk.NAME_MAX + 1)])
def test_a_too_long_name_is_refused_with_a_message(demo, now, name):
    token, actor = _signed_in(INVESTIGATOR, now)
    assert pk.begin_registration(actor, token, name, now=now).error == pk.MSG_NAME_LONG
    soft = SoftAuthenticator(ORIGIN)
    begun = pk.begin_registration(actor, token, "ok", now=now)
    assert pk.finish_registration(actor, token, soft.create(begun.options), name, now=now).error
    assert pk.my_passkeys(actor) == []


@pytest.mark.parametrize("answer", ["", "{}", "not json", "[1,2]", "x" * (pk.RESPONSE_MAX + 1)])
def test_malformed_answers_are_refused_plainly(demo, now, answer):
    token, actor = _signed_in(INVESTIGATOR, now)
    pk.begin_registration(actor, token, "A", now=now)
    assert pk.finish_registration(actor, token, answer, "A", now=now).error == pk.MSG_NOT_ACCEPTED
    _add(token, actor, SoftAuthenticator(ORIGIN), now)
    login = auth.login(INVESTIGATOR, PW, now=now)
    pk.login_options(login.token, now=now)
    assert pk.verify(login.token, answer, now=now).message == pk.MSG_NOT_ACCEPTED


def test_the_rp_id_comes_from_the_public_url_or_its_own_setting(demo, now, monkeypatch):
    monkeypatch.setenv("KB_PUBLIC_URL", "http://127.0.0.1:3000")
    reset_settings()
    token, actor = _signed_in(INVESTIGATOR, now)
    assert not pk.available()  # an IP address is no RP id
    assert pk.begin_registration(actor, token, "A", now=now).error == pk.MSG_UNAVAILABLE
    monkeypatch.setenv("KB_PUBLIC_URL", "https://varna.exempelkommun.se")
    monkeypatch.setenv("KB_WEBAUTHN_RP_ID", "Exempelkommun.se")
    reset_settings()
    options = json.loads(pk.begin_registration(actor, token, "A", now=now).options)
    assert options["rp"]["id"] == "exempelkommun.se"
    soft = SoftAuthenticator("https://varna.exempelkommun.se")
    assert pk.finish_registration(actor, token, soft.create(options), "A", now=now).error == ""
