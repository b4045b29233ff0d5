"""Each demo role logs in through the browser and lands on its own page."""

from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login

ROLES = [
    ("huvudman@exempelkommun.se", "/oversikt", "Översikt"),
    ("rektor@exempelkommun.se", "/oversikt", "Översikt"),
    ("utredare@exempelkommun.se", "/mina-arenden", "Mina ärenden"),
    ("admin@exempelkommun.se", "/admin", "Administration"),
]


@pytest.mark.parametrize(("email", "path", "heading"), ROLES)
def test_role_lands_on_its_start_page(app_server, page, email, path, heading):
    login(page, app_server.base_url, email)
    expect(page).to_have_url(re.compile(re.escape(path) + r"/?$"))
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()


def test_overview_lists_cases_for_organiser(app_server, page):
    login(page, app_server.base_url, "huvudman@exempelkommun.se")
    expect(page.get_by_role("link", name=re.compile(r"KB-20\d\d-\d{4}")).first).to_be_visible()


def test_wrong_password_shows_swedish_error_and_keeps_email(app_server, page):
    login(page, app_server.base_url, "rektor@exempelkommun.se", "fel-losenord")
    expect(page.get_by_role("alert")).to_contain_text("Fel e-postadress eller lösenord.")
    expect(page.get_by_label("E-postadress")).to_have_value("rektor@exempelkommun.se")


def test_investigator_cannot_use_overview(app_server, page):
    login(page, app_server.base_url, "utredare@exempelkommun.se")
    expect(page).to_have_url(re.compile(r"/mina-arenden/?$"))
    page.goto(app_server.base_url + "/oversikt")
    expect(page.get_by_text("Du saknar behörighet")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"KB-20\d\d-\d{4}"))).to_have_count(0)


def test_anonymous_is_sent_to_login(app_server, page):
    page.goto(app_server.base_url + "/oversikt")
    expect(page).to_have_url(re.compile(r"/logga-in/?(\?nasta=[^&]*)?$"))


def test_logout_ends_the_session(app_server, page):
    login(page, app_server.base_url, "rektor@exempelkommun.se")
    expect(page).to_have_url(re.compile(r"/oversikt/?$"))
    page.get_by_role("button", name="Logga ut").click()
    expect(page.get_by_text("Du är utloggad.")).to_be_visible()
    page.goto(app_server.base_url + "/oversikt")
    expect(page).to_have_url(re.compile(r"/logga-in/?(\?nasta=[^&]*)?$"))


def test_unknown_page_is_swedish_404(app_server, page):
    page.goto(app_server.base_url + "/finns-inte")
    expect(page.get_by_role("heading", name="Sidan finns inte")).to_be_visible()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_pages_and_the_public_form_are_served_with_security_headers(app_server):
    """The production server (single port: pages, assets, routes) cannot be framed
    and leaks no Referer; checked on what the browser really receives."""

    for path in ["/logga-in", "/anmalan/ogiltig-lank", "/kb.css"]:
        with urllib.request.urlopen(app_server.base_url + path) as r:
            h = r.headers
        assert h["X-Content-Type-Options"] == "nosniff", path
        assert h["Referrer-Policy"] == "no-referrer", path
        csp = h["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp, path
        assert "'sha256-" in csp, path  # the built pages' inline scripts, by hash
    # A trailing-slash redirect of the static server follows KB_PUBLIC_URL, not Host.
    req = urllib.request.Request(
        app_server.base_url + "/logga-in", headers={"Host": "angripare.example"}
    )
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(req)
    except urllib.error.HTTPError as exc:
        assert exc.headers["Location"].startswith(app_server.base_url), exc.headers["Location"]
    else:
        raise AssertionError("expected a redirect")
