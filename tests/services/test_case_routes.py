"""The plain HTTP routes of this feature (kb_app/api.py): the case file PDF and
setting a first password, through Starlette's test client against a real database."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime

import pytest

from kb_app import api
from kb_app.domain.process import Step
from kb_app.services.admin import auth
from kb_app.services.case import delegation
from tests.support.cases import INVESTIGATOR, PRINCIPAL, access_rows, drive, new_case, outbox_rows
from tests.support.helpers import actor_for

ORIGIN = "http://testserver"
DENIED = "Ärendet finns inte eller så saknar du behörighet."


@pytest.fixture
def client(clock):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

        return TestClient(api.build_api(), follow_redirects=False)


def _get(client, path: str, email: str | None = None):
    """GET as the user with ``email`` (logged in for real), or anonymously."""
    client.cookies.clear()
    if email:
        client.cookies.set(
            "kb_session", auth.login(email, "varna-demo-2026", now=datetime.now(UTC)).token
        )
    return client.get(path)


def test_case_pdf_for_principal_and_organiser_only(demo, now, client):
    cid = new_case(now)
    drive(cid, Step.INVESTIGATION_STARTED, now, delegate_to=actor_for(INVESTIGATOR))
    for email in (PRINCIPAL, "huvudman@exempelkommun.se"):
        r = _get(client, f"/akt/{cid}.pdf", email)
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/pdf"
        assert r.headers["cache-control"] == "no-store"
        assert "attachment" in r.headers["content-disposition"]
        assert r.content.startswith(b"%PDF-")
    exports = [a for a in access_rows(cid) if a.action == "export_case"]
    assert len(exports) == 2 and all(a.allowed for a in exports)

    # The delegated investigator, another unit's principal, the admin, nobody: 404, no data.
    for email in (
        INVESTIGATOR,
        "rektor.ekbacke@exempelkommun.se",
        "admin@exempelkommun.se",
        None,
    ):
        r = _get(client, f"/akt/{cid}.pdf", email)
        assert r.status_code == 404 and r.text == DENIED
    assert _get(client, "/akt/999999.pdf", PRINCIPAL).text == DENIED
    assert _get(client, "/akt/abc.pdf").status_code == 404
    denied = [a for a in access_rows(cid) if a.action == "export_case" and not a.allowed]
    assert len(denied) == 4


def test_set_password_route(demo, now, client):
    cid = new_case(now)
    drive(cid, Step.RECEIVED, now)
    delegation.delegate(
        actor_for(PRINCIPAL), cid, invite_email="ny@exempelkommun.se", invite_name="Ny", now=now
    )
    token = outbox_rows()[-1].body.split("/satt-losenord/")[1].split()[0]
    form = {"token": token, "password": "ett-bra-losen", "password2": "ett-bra-losen"}

    assert client.post("/auth/set-password", data=form).status_code == 403  # no Origin
    r = client.post(
        "/auth/set-password", data={**form, "password2": "annat"}, headers={"origin": ORIGIN}
    )
    assert r.status_code == 303 and r.headers["location"] == f"/satt-losenord/{token}?fel=olika"
    r = client.post("/auth/set-password", data=form, headers={"origin": ORIGIN})
    assert r.status_code == 303 and r.headers["location"] == "/logga-in?losenord=1"
    assert auth.login("ny@exempelkommun.se", "ett-bra-losen", now=now).ok
    r = client.post("/auth/set-password", data=form, headers={"origin": ORIGIN})
    assert r.headers["location"].endswith("?fel=ogiltig")
