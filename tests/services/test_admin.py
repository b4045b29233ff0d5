"""Administration in the browser (issue 14): units and classes, users and roles,
handover of a leaving principal's cases, first start, the organisation's settings.
Real SQLite and PostgreSQL; mail through a real SMTP server."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from kb_app.db import read_scope
from kb_app.domain.process import EventKind
from kb_app.domain.vocab import Role, UnitKind
from kb_app.errors import AccessDenied, InvalidInput
from kb_app.models import AdminLog, Case, CaseEvent, Organisation, Outbox, ReportLink, User
from kb_app.services.admin import admin_log, auth, org_settings, setup
from kb_app.services.case import invites
from kb_app.services.mail import mailer
from kb_app.services.organisation import units, users
from kb_app.services.reporting import report_links
from tests.support.helpers import actor_for
from tests.support.world import make_case, make_world

PASSWORD = "blå cykel under stenbron"


@pytest.fixture
def world(engine, now):
    return make_world(now)


def admin(w):
    return actor_for(w.emails["admin"])


def log_kinds(org_id: int) -> list[str]:
    with read_scope() as s:
        return [
            r.action
            for r in s.exec(
                select(AdminLog).where(AdminLog.organisation_id == org_id).order_by(AdminLog.id)
            )
        ]


def test_units_and_classes(world, now):
    a = admin(world)
    unit_id = units.create_unit(
        a,
        {
            "name": " Tallbackens  skola ",
            "kind": "grundskola",
            "grades": "F,1,2",
            "pupil_count": "120",
        },
        now=now,
    )
    row = next(u for u in units.list_units(a) if u["id"] == str(unit_id))
    assert row["name"] == "Tallbackens skola"
    assert row["grades"] == "F,1,2" and row["pupil_count"] == "120"
    # It has a report link from the start.
    assert [r["url"] != "" for r in report_links.list_links(a) if r["unit_id"] == str(unit_id)] == [
        True
    ]
    with pytest.raises(InvalidInput) as exc:
        units.create_unit(a, {"name": "tallbackens skola", "kind": "annan"}, now=now)
    assert exc.value.errors == {"name": units.MSG_NAME_TAKEN}
    with pytest.raises(InvalidInput) as exc:
        units.create_unit(
            a, {"name": "", "kind": "x", "grades": "11", "pupil_count": "-1"}, now=now
        )
    assert set(exc.value.errors) == {"name", "kind", "grades", "pupil_count"}

    units.update_unit(
        a,
        unit_id,
        {"name": "Tallbacken F–3", "kind": UnitKind.COMPULSORY, "grades": "F,1,2,3"},
        now=now,
    )
    class_id = units.add_class(
        a, unit_id, {"name": "1A", "grade": "1", "pupil_count": "24"}, now=now
    )
    units.add_class(a, unit_id, {"name": "2A", "grade": "2", "pupil_count": "22"}, now=now)
    with pytest.raises(InvalidInput):
        units.add_class(a, unit_id, {"name": "1a", "grade": "1"}, now=now)
    units.update_class(a, class_id, {"name": "1B", "grade": "1", "pupil_count": "25"}, now=now)
    assert [(c["name"], c["pupil_count"]) for c in units.list_classes(a, unit_id)] == [
        ("1B", "25"),
        ("2A", "22"),
    ]
    row = next(u for u in units.list_units(a) if u["id"] == str(unit_id))
    assert row["classes"] == "2" and row["class_pupils"] == "47"

    # Archive: the link stops, cases would stay; restoring gives a new link.
    with read_scope() as s:
        token = s.exec(select(ReportLink.token).where(ReportLink.unit_id == unit_id)).one()
    assert report_links.resolve(token) is not None
    units.set_archived(a, unit_id, True, now=now)
    assert report_links.resolve(token) is None
    units.set_archived(a, unit_id, False, now=now)
    assert report_links.resolve(token) is None
    assert any(r["unit_id"] == str(unit_id) and r["url"] for r in report_links.list_links(a))
    assert log_kinds(world.org_id) == [
        "unit_created",
        "unit_changed",
        "class_created",
        "class_created",
        "class_changed",
        "unit_archived",
        "unit_restored",
    ]
    entry = admin_log.entries(a)[-1]
    assert entry["who"] == "Ada Admin" and entry["target"] == "Tallbackens skola"


@pytest.mark.parametrize("who", ["principal", "organiser1", "investigator"])
def test_only_admins_administer(world, now, who):
    actor = actor_for(world.emails[who])
    for call in (
        lambda: units.create_unit(actor, {"name": "X", "kind": "annan"}, now=now),
        lambda: units.update_unit(actor, world.unit_id, {"name": "X", "kind": "annan"}, now=now),
        lambda: units.set_archived(actor, world.unit_id, True, now=now),
        lambda: units.list_units(actor),
        lambda: users.list_users(actor),
        lambda: users.invite_user(actor, {"email": "x@test.example", "name": "X"}, now=now),
        lambda: users.set_active(actor, world.principal_id, False, now=now),
        lambda: users.change_roles(actor, world.principal_id, {}, now=now),
        lambda: users.resend_invitation(actor, world.principal_id, now=now),
        lambda: admin_log.entries(actor),
    ):
        with pytest.raises(AccessDenied):
            call()
    assert log_kinds(world.org_id) == []


def test_another_organisations_unit_and_user_look_missing(world, now):
    other = make_world(now, "Annan kommun", prefix="x")
    a = admin(world)
    with pytest.raises(AccessDenied):
        units.update_unit(a, other.unit_id, {"name": "Y", "kind": "annan"}, now=now)
    with pytest.raises(AccessDenied):
        users.set_active(a, other.principal_id, False, now=now)
    assert all(
        u["email"].startswith(("rektor", "utredare", "huvudman", "admin"))
        for u in users.list_users(a)
    )


def test_invite_set_password_and_resend(world, now, smtp_server):
    a = admin(world)
    with pytest.raises(InvalidInput) as exc:
        users.invite_user(a, {"email": "inte-en-adress", "name": ""}, now=now)
    assert set(exc.value.errors) == {"email", "name"}
    with pytest.raises(InvalidInput) as exc:
        users.invite_user(a, {"email": world.emails["principal"], "name": "Dubbel"}, now=now)
    assert exc.value.errors["email"] == users.MSG_EMAIL_TAKEN
    with pytest.raises(InvalidInput) as exc:
        users.invite_user(a, {"email": "ny@test.example", "name": "Nils Ny"}, now=now)
    assert exc.value.errors == {"roles": users.MSG_NO_ROLE}

    uid = users.invite_user(
        a,
        {"email": "Ny@Test.example", "name": "Nils Ny", "principal_units": str(world.unit_id)},
        now=now,
    )
    row = next(u for u in users.list_users(a) if u["id"] == str(uid))
    assert row["status"] == "Inbjuden" and row["principal_units"] == str(world.unit_id)
    mailer.send_due(now=now)
    first = re.search(
        r"/satt-losenord/(\S+)", smtp_server.messages[-1]["message"].get_content()
    ).group(1)
    # Resending: the old link stops, the new one works.
    later = now + timedelta(hours=1)
    users.resend_invitation(a, uid, now=later)
    mailer.send_due(now=later)
    second = re.search(
        r"/satt-losenord/(\S+)", smtp_server.messages[-1]["message"].get_content()
    ).group(1)
    assert invites.token_purpose(first, now=later) is None
    assert invites.token_purpose(second, now=later) == invites.PURPOSE
    assert invites.use_token(second, PASSWORD, PASSWORD, now=later) is None
    assert auth.login("ny@test.example", PASSWORD, now=later).ok
    with pytest.raises(InvalidInput):
        users.resend_invitation(a, uid, now=later)
    actor = actor_for("ny@test.example")
    assert actor.principal_units == frozenset({world.unit_id})
    assert log_kinds(world.org_id) == ["user_invited", "invitation_resent"]


def _second_principal(w, now) -> int:
    return users.invite_user(
        admin(w),
        {"email": "rektor2@test.example", "name": "Rita Rektor", "principal_units": str(w.unit_id)},
        now=now,
    )


def test_deactivating_a_principal_requires_handing_over(world, now):
    a = admin(world)
    case_ids = [make_case(world, reported_at=now - timedelta(days=d)) for d in (1, 2)]
    assert auth.login(world.emails["principal"], "x", now=now).ok is False  # no password yet
    auth.set_password(world.principal_id, PASSWORD)
    assert auth.login(world.emails["principal"], PASSWORD, now=now).ok

    # No other principal: the change is refused until there is one.
    out = users.set_active(a, world.principal_id, False, now=now)
    assert not out.done
    (h,) = out.handovers
    assert h["unit"] == "Lindskolan" and h["count"] == "2" and h["candidates"] == ""
    assert "Hemlig" not in str(out.handovers)  # never case content
    with pytest.raises(InvalidInput) as exc:
        users.set_active(a, world.principal_id, False, handover={}, now=now)
    assert exc.value.errors == {f"handover_{world.unit_id}": users.MSG_NO_CANDIDATE}

    rita = _second_principal(world, now)
    out = users.set_active(a, world.principal_id, False, now=now)
    assert out.handovers[0]["candidates"] == f"{rita}:Rita Rektor"
    with pytest.raises(InvalidInput):
        users.set_active(a, world.principal_id, False, handover={world.unit_id: 999}, now=now)
    with read_scope() as s:
        assert s.get(User, world.principal_id).active  # nothing changed yet
    out = users.set_active(a, world.principal_id, False, handover={world.unit_id: rita}, now=now)
    assert out.done
    with read_scope() as s:
        assert {s.get(Case, c).responsible_user_id for c in case_ids} == {rita}
        events = s.exec(select(CaseEvent).where(CaseEvent.kind == EventKind.HANDED_OVER)).all()
        assert len(events) == 2 and all(e.actor_user_id == world.admin_id for e in events)
        assert not s.get(User, world.principal_id).active
    assert not auth.login(world.emails["principal"], PASSWORD, now=now).ok
    assert log_kinds(world.org_id)[-2:] == ["cases_handed_over", "user_deactivated"]
    assert users.set_active(a, world.principal_id, True, now=now).done
    assert auth.login(world.emails["principal"], PASSWORD, now=now).ok


def test_losing_a_unit_hands_its_cases_over(world, now):
    a = admin(world)
    make_case(world, reported_at=now - timedelta(days=1))
    rita = _second_principal(world, now)
    out = users.change_roles(a, world.principal_id, {"organiser": "1"}, now=now)
    assert not out.done and out.handovers[0]["count"] == "1"
    out = users.change_roles(
        a, world.principal_id, {"organiser": "1"}, handover={world.unit_id: rita}, now=now
    )
    assert out.done
    actor = actor_for(world.emails["principal"])
    assert actor.principal_units == frozenset() and actor.is_organiser


def test_admin_cannot_remove_the_last_admin(world, now):
    a = admin(world)
    with pytest.raises(InvalidInput):
        users.set_active(a, world.admin_id, False, now=now)
    with pytest.raises(InvalidInput):
        users.change_roles(a, world.admin_id, {"organiser": "1"}, now=now)


def test_settings_of_the_organisation(world, now, smtp_server):
    a = admin(world)
    assert org_settings.general_values(a)["retention_years"] == "5"
    bad = org_settings.save_general(
        a, {"retention_years": "0", "retention_action": "burn", "sender_name": "a<b>"}, now=now
    )
    assert set(bad.errors) == {"retention_years", "retention_action", "sender_name"}
    ok = org_settings.save_general(
        a,
        {
            "retention_years": "3",
            "retention_action": "archive_first",
            "sender_name": "Lindskolan",
        },
        now=now,
    )
    assert ok.ok
    assert org_settings.general_values(a) == {
        "retention_years": "3",
        "retention_action": "archive_first",
        "sender_name": "Lindskolan",
    }
    with pytest.raises(AccessDenied):
        org_settings.save_general(actor_for(world.emails["principal"]), {}, now=now)
    # The sender name is the From header's display name of the organisation's mail.
    users.invite_user(a, {"email": "n@test.example", "name": "N", "organiser": "1"}, now=now)
    mailer.send_due(now=now)
    assert smtp_server.messages[-1]["message"]["From"].startswith("Lindskolan <")


def test_first_start(engine, now):
    setup.reset_cache()
    assert setup.needs_setup()
    code = setup.ensure_code()
    assert setup.ensure_code() == code and len(code) == setup.CODE_LEN
    values = {
        "code": "FEL",
        "organisation": "Byskolan",
        "name": "Ina Installerare",
        "email": "ina@byskolan.example",
        "password": PASSWORD,
        "password2": PASSWORD,
    }
    with pytest.raises(InvalidInput) as exc:
        setup.complete(values, now=now)
    assert exc.value.errors == {"code": setup.MSG_CODE}
    with pytest.raises(InvalidInput) as exc:
        setup.complete({**values, "code": code, "password2": "annat"}, now=now)
    assert exc.value.errors == {"password2": setup.MSG_MISMATCH}
    assert setup.complete({**values, "code": code.lower()}, now=now) == "ina@byskolan.example"
    assert not setup.needs_setup()
    actor = actor_for("ina@byskolan.example")
    assert actor.is_admin
    with read_scope() as s:
        assert s.exec(select(Organisation.name)).all() == ["Byskolan"]
    # The code is spent: a second setup is refused.
    with pytest.raises(InvalidInput) as exc:
        setup.complete({**values, "code": code}, now=now)
    assert exc.value.errors == {"code": setup.MSG_DONE}
    assert admin_log.entries(actor)[0]["what"] == "Installationen skapad"
    setup.reset_cache()


def test_invited_role_mail_has_no_case_content(world, now):
    make_case(world, reported_at=now)
    users.invite_user(admin(world), {"email": "z@test.example", "name": "Z", "admin": "1"}, now=now)
    with read_scope() as s:
        body = s.exec(select(Outbox.body).where(Outbox.to_addr == "z@test.example")).one()
    assert "Hemlig" not in body and "/satt-losenord/" in body
    assert Role.ADMIN in actor_for("z@test.example").org_roles


def test_poster_of_a_units_report_link(world, now):
    from kb_app.services.reporting import report_links

    a = admin(world)
    report_links.rotate(a, world.unit_id, now=now)
    name, url, svg = report_links.poster(actor_for(world.emails["principal"]), world.unit_id)
    assert name == "Lindskolan" and "/anmalan/" in url and svg.startswith("<svg")
    for who in ("investigator", "organiser1"):
        with pytest.raises(AccessDenied):
            report_links.poster(actor_for(world.emails[who]), world.unit_id)
    units.set_archived(a, world.unit_id, True, now=now)
    with pytest.raises(AccessDenied):  # an archived unit's link has stopped
        report_links.poster(a, world.unit_id)


def test_an_over_long_name_is_refused_not_cut():
    """No silent loss: a pasted name over the limit gets a message, never a cut."""
    from kb_app.services.organisation import units as unit_service

    with pytest.raises(InvalidInput) as got:
        unit_service.check_unit({"name": "x" * 201, "kind": "grundskola"})
    assert got.value.errors["name"] == "Högst 200 tecken (nu 201)."
    assert unit_service.check_unit({"name": "x" * 200, "kind": "grundskola"})["name"] == "x" * 200
