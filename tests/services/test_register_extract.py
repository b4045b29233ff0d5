"""The register extract (GDPR art. 15): one pupil in three cases in two roles (and a
namesake in another organisation, who is never found); the cases, the roles, a PDF
with the person named and everyone else masked; organisers only; every search
logged per case found; the name never in an address."""

from __future__ import annotations

import io
import warnings
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader
from sqlmodel import select

from kb_app import api
from kb_app.db import read_scope, session_scope
from kb_app.errors import AccessDenied, InvalidInput
from kb_app.models import AccessLog, Organisation, Unit
from kb_app.services.admin import auth
from kb_app.services.statistics import register_extract
from tests.support import reply_pack_fixture
from tests.support.helpers import actor_for
from tests.support.stats_fixture import make_case

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)  # the conftest `now`
SAME_ORIGIN = {"sec-fetch-site": "same-origin"}


@pytest.fixture
def fx(engine):
    """Noah Berg: subjected in the fixture's case (Ekskolan, 5B), involved in a
    second case there, subjected in a third at Granskolan; a fourth case names only
    others; a namesake in another organisation."""
    pack = reply_pack_fixture.build()
    with session_scope() as s:
        eks = s.exec(select(Unit).where(Unit.name == "Ekskolan")).one()
        gran = s.exec(select(Unit).where(Unit.name == "Granskolan")).one()
        org_id = eks.organisation_id

        def case(unit, month, parties, description):
            c = make_case(
                s,
                org_id,
                unit.id,
                datetime(2026, month, 3, 9, tzinfo=UTC),
                [],
                occurred_on=date(2026, month, 2),
                parties=parties,
                description=description,
            )
            c.reporter_name = "Anna Holm"
            return c.id

        involved = case(
            eks,
            10,
            [("subjected", "pupil", "Maja Sund", "5A"), ("involved", "pupil", "Noah Berg", "5B")],
            "Noah Berg knuffade Maja Sund på skolgården.",
        )
        other_unit = case(
            gran,
            11,
            [("subjected", "pupil", "noah  berg", "6C")],
            "Någon skrev om Noah på tavlan.",
        )
        unrelated = case(
            eks, 11, [("subjected", "pupil", "Elsa Berg", "5B")], "Elsa blev utskrattad."
        )
        other_org = Organisation(name="Grannkommun")
        s.add(other_org)
        s.flush()
        far = Unit(organisation_id=other_org.id, name="Bortaskolan", kind="grundskola")
        s.add(far)
        s.flush()
        make_case(
            s,
            other_org.id,
            far.id,
            datetime(2026, 10, 1, 9, tzinfo=UTC),
            [],
            parties=[("subjected", "pupil", "Noah Berg", "5B")],
        )
    return pack, {"first": pack.case_id, "involved": involved, "gran": other_unit}, unrelated


def _log(*actions: str) -> list[tuple[str, int | None, bool]]:
    with read_scope() as s:
        rows = s.exec(select(AccessLog).where(AccessLog.action.in_(actions)).order_by(AccessLog.id))
        return [(r.action, r.case_id, r.allowed) for r in rows]


def _text(data: bytes) -> str:
    assert data[:5] == b"%PDF-"
    raw = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(raw.split())


def test_every_case_of_the_person_in_which_role(fx):
    pack, ids, unrelated = fx
    org = actor_for("organiser@test.se")
    found = register_extract.search(org, "  NOAH berg ", now=NOW)
    assert found.name == "NOAH berg" and not found.cut
    got = {h.case_id: (h.roles, h.kind, h.class_name) for h in found.hits}
    assert got == {
        ids["first"]: ("Utsatt", "Barn/elev", "5B"),
        ids["involved"]: ("Inblandad", "Barn/elev", "5B"),
        ids["gran"]: ("Utsatt", "Barn/elev", "6C"),
    }
    assert [h.case_id for h in found.hits] == [ids["gran"], ids["involved"], ids["first"]]
    assert {h.unit for h in found.hits} == {"Ekskolan", "Granskolan"}
    # Logged in each case found, and only there; the name is stored nowhere
    assert sorted(_log("register_search")) == sorted(
        ("register_search", i, True) for i in ids.values()
    )
    with read_scope() as s:
        assert all("noah" not in (r.action or "").lower() for r in s.exec(select(AccessLog)))


def test_the_reporter_is_found_as_reporter(fx):
    pack, ids, unrelated = fx
    found = register_extract.search(actor_for("organiser@test.se"), "anna holm", now=NOW)
    assert len(found.hits) == 4 and {h.roles for h in found.hits} == {"Anmälare"}


def test_nothing_found_is_logged_and_said(fx):
    pack, _ids, _ = fx
    org = actor_for("organiser@test.se")
    assert register_extract.search(org, "Ingen Alls", now=NOW).hits == []
    assert _log("register_search") == [("register_search", None, True)]
    text = _text(register_extract.extract_pdf(org, "Ingen Alls", now=NOW)[0])
    assert "Personen förekommer inte i något ärende." in text


def test_the_pdf_names_the_person_and_masks_everyone_else(fx):
    pack, ids, unrelated = fx
    org = actor_for("organiser@test.se")
    body, filename = register_extract.extract_pdf(org, "Noah Berg", now=NOW)
    assert filename == "registerutdrag-noah-berg-2026-11-24.pdf"
    text = _text(body)
    assert "Registerutdrag" in text and "Avser: Noah Berg" in text
    assert "Noah Berg knuffade Elev A på skolgården." in text
    for other in ["Maja", "Elsa", "Oskar", "Anna Holm", "Åsa Nyström", "Jens Ek"]:
        assert other not in text, other
    for ref in ["KB-2026-0001", "KB-2026-0002", "KB-2026-0003"]:
        assert ref in text
    assert "KB-2026-0004" not in text  # the unrelated case
    assert sorted(_log("register_extract")) == sorted(
        ("register_extract", i, True) for i in ids.values()
    )


def test_organisers_only_and_refusals_logged(fx):
    pack, ids, _ = fx
    for who in ["principal", "investigator"]:
        with pytest.raises(AccessDenied):
            register_extract.search(actor_for(f"{who}@test.se"), "Noah Berg", now=NOW)
        with pytest.raises(AccessDenied):
            register_extract.extract_pdf(actor_for(f"{who}@test.se"), "Noah Berg", now=NOW)
    assert (
        _log("register_search", "register_extract")
        == [
            ("register_search", None, False),
            ("register_extract", None, False),
        ]
        * 2
    )


@pytest.mark.parametrize("name", ["", " n ", "x" * 201])
def test_a_bad_name_is_refused_in_swedish(fx, name):
    pack, _ids, _ = fx
    with pytest.raises(InvalidInput) as exc:
        register_extract.search(actor_for("organiser@test.se"), name, now=NOW)
    assert exc.value.errors["namn"] in {register_extract.MSG_NAME, register_extract.MSG_NAME_LONG}


def _client_for(email: str) -> TestClient:
    password = "provlosenord-2026"
    with read_scope() as s:
        from kb_app.models import User

        uid = s.exec(select(User.id).where(User.email == email)).one()
    auth.set_password(uid, password)
    result = auth.login(email, password, now=NOW)
    client = TestClient(api.build_api(), base_url="http://testserver")
    client.cookies.set(api.SESSION_COOKIE, result.token)
    return client


def test_routes_post_the_name_and_check_access(fx, clock):
    pack, ids, _ = fx
    anonymous = TestClient(api.build_api(), base_url="http://testserver")
    r = anonymous.get("/export/registerutdrag", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/logga-in"

    org = _client_for("organiser@test.se")
    r = org.get("/export/registerutdrag")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert "Registerutdrag" in r.text and "method='post'" in r.text
    r = org.post("/export/registerutdrag", data={"namn": "Noah Berg"}, headers=SAME_ORIGIN)
    assert r.status_code == 200 and "Noah Berg: 3 ärenden" in r.text
    assert "Maja" not in r.text  # the list shows the person's roles, not the others
    r = org.post("/export/registerutdrag", data={"namn": "N"}, headers=SAME_ORIGIN)
    assert r.status_code == 200 and register_extract.MSG_NAME in r.text
    r = org.post("/export/registerutdrag.pdf", data={"namn": "Noah Berg"}, headers=SAME_ORIGIN)
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    assert "Avser: Noah Berg" in _text(r.content)
    # A cross-site post is refused
    r = org.post(
        "/export/registerutdrag.pdf",
        data={"namn": "Noah Berg"},
        headers={"origin": "https://elak.example"},
    )
    assert r.status_code == 403
    principal = _client_for("principal@test.se")
    assert principal.get("/export/registerutdrag").status_code == 403
    r = principal.post(
        "/export/registerutdrag.pdf", data={"namn": "Noah Berg"}, headers=SAME_ORIGIN
    )
    assert r.status_code == 403
