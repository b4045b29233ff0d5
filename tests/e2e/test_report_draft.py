"""The reporter's draft in chromium: kept in the tab's sessionStorage, so it comes
back after a server restart, while a new tab (the next user of a shared computer)
starts with an empty form; logging out makes the browser forget the tab's token."""

from __future__ import annotations

import re
import sqlite3

from playwright.sync_api import expect

from tests.e2e.conftest import login

TEXT = "Utkastet om rasten ska finnas kvar efter en omstart av servern."
NAME = "Greta Utkastsson"


def _link(app_server) -> str:
    path = app_server.env["KB_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as c:
        return c.execute(
            "SELECT l.token FROM report_link l JOIN unit u ON u.id = l.unit_id "
            "WHERE u.name = 'Björkskolan F–6' AND l.active"
        ).fetchone()[0]


def test_draft_survives_a_restart_but_not_a_new_tab(app_server, context):
    url = f"{app_server.base_url}/anmalan/{_link(app_server)}"
    page = context.new_page()
    page.goto(url)
    page.locator("#f-reporter-name").fill(NAME)
    page.locator("#f-description").fill(TEXT)
    page.wait_for_function(
        "(window.sessionStorage.getItem('kb_report_draft') || '').includes('omstart')"
    )
    app_server.restart()
    # The tab reconnects by itself; the form is filled again from its sessionStorage.
    expect(page.locator("#f-description")).to_have_value(TEXT, timeout=180_000)
    expect(page.locator("#f-reporter-name")).to_have_value(NAME)
    # A new tab at the same link: an empty form, nothing of the other draft.
    other = context.new_page()
    other.goto(url)
    expect(other.locator("#f-description")).to_be_visible()
    expect(other.locator("#f-description")).to_have_value("")
    expect(other.locator("#f-reporter-name")).to_have_value("")
    assert "Utkastsson" not in other.content()


def test_logout_makes_the_tab_forget_its_token(app_server, page):
    login(page, app_server.base_url, "huvudman@exempelkommun.se")
    expect(page).to_have_url(re.compile(r"/oversikt/?$"))
    page.wait_for_function("window.sessionStorage.getItem('token')")
    token = page.evaluate("window.sessionStorage.getItem('token')")
    page.get_by_role("button", name="Logga ut").click()
    expect(page).to_have_url(re.compile(r"/logga-in/?\?utloggad=1"))
    expect(page.get_by_text("Du är utloggad.")).to_be_visible()
    page.wait_for_function(f"window.sessionStorage.getItem('token') !== {token!r}")
