"""In chromium against a real OpenID provider (npm oidc-provider, started beside
the app): login, the first link, a tampered state, an unknown person, logout."""

from __future__ import annotations

import re
import sqlite3
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS


def _at_provider(page, login_name: str) -> None:
    """The provider's own (development) sign-in and consent pages."""
    page.locator("input[name=login]").fill(login_name)
    page.locator("input[name=password]").fill("vad-som-helst")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()


def _subject(app_server, email: str):
    with sqlite3.connect(app_server.data_dir / "kb.db") as db:
        return db.execute("SELECT oidc_subject FROM app_user WHERE email = ?", (email,)).fetchone()[
            0
        ]


def test_a_principal_logs_in_through_the_provider_and_out_of_both(app_server, browser):
    base = app_server.base_url
    assert _subject(app_server, "rektor@exempelkommun.se") is None
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    page = ctx.new_page()
    page.goto(base + "/logga-in")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "logga-in-sso-1280.png"), full_page=True)
    page.get_by_role("link", name="Logga in med Exempelkommun").click()
    expect(page).to_have_url(re.compile("^" + re.escape(app_server.oidc.issuer)))
    _at_provider(page, "karin")
    expect(page).to_have_url(re.compile(r"/oversikt/?$"))
    expect(page.get_by_text("Karin Berg").first).to_be_visible()
    # The first login linked the provider's subject to the Värna account.
    assert _subject(app_server, "rektor@exempelkommun.se") == f"{app_server.oidc.issuer}|karin"

    page.get_by_role("button", name="Logga ut").click()
    expect(page).to_have_url(re.compile(r"/logga-in/?\?utloggad=1&sso=1$"))
    expect(page.get_by_text("Du är utloggad.")).to_be_visible()
    page.get_by_role("link", name="Logga ut även där").click()
    expect(page).to_have_url(re.compile("^" + re.escape(app_server.oidc.issuer + "/session/end")))
    page.get_by_role("button", name=re.compile("Yes, sign me out", re.I)).click()
    expect(page).to_have_url(re.compile(r"/logga-in/?\?utloggad=1$"))

    # Logged out at the provider too: the next SSO login asks for the login again,
    # and the linked subject finds the same account.
    page.get_by_role("link", name="Logga in med Exempelkommun").click()
    _at_provider(page, "karin")
    expect(page).to_have_url(re.compile(r"/oversikt/?$"))
    ctx.close()


def test_a_tampered_state_is_refused(app_server, browser):
    base = app_server.base_url
    ctx = browser.new_context(locale="sv-SE")
    page = ctx.new_page()
    callbacks: list[str] = []
    # Chromium's own request interception (DevTools Fetch): unlike page.route it
    # also stops the request a redirect leads to, here the provider's redirect back.
    cdp = ctx.new_cdp_session(page)

    def hold(event):
        callbacks.append(event["request"]["url"])
        cdp.send(
            "Fetch.fulfillRequest",
            {"requestId": event["requestId"], "responseCode": 200, "body": "aGVsZA=="},
        )

    cdp.on("Fetch.requestPaused", hold)
    cdp.send("Fetch.enable", {"patterns": [{"urlPattern": "*/auth/oidc/callback*"}]})
    page.goto(base + "/logga-in")
    page.get_by_role("link", name="Logga in med Exempelkommun").click()
    _at_provider(page, "karin")
    expect(page.get_by_text("held")).to_be_visible()
    assert len(callbacks) == 1
    cdp.send("Fetch.disable")

    parts = urlsplit(callbacks[0])
    query = dict(parse_qsl(parts.query))
    assert query.get("code") and query.get("state")
    tampered = {
        **query,
        "state": query["state"][:-2] + ("aa" if query["state"][-2:] != "aa" else "bb"),
    }
    page.goto(urlunsplit(parts._replace(query=urlencode(tampered))))
    expect(page).to_have_url(re.compile(r"/logga-in/?\?fel=sso$"))
    expect(page.get_by_role("alert")).to_contain_text("kunde inte slutföras")
    # Nor does the untouched answer work afterwards: the flow ended with the refusal.
    page.goto(callbacks[0])
    expect(page).to_have_url(re.compile(r"/logga-in/?\?fel=sso$"))
    page.goto(base + "/oversikt")
    expect(page).to_have_url(re.compile(r"/logga-in/?(\?nasta=[^&]*)?$"))
    ctx.close()


def test_an_unknown_person_gets_a_friendly_page_and_no_account(app_server, browser):
    base = app_server.base_url
    ctx = browser.new_context(viewport={"width": 375, "height": 800}, locale="sv-SE")
    page = ctx.new_page()
    page.goto(base + "/logga-in")
    page.get_by_role("link", name="Logga in med Exempelkommun").click()
    _at_provider(page, "okand")
    expect(page).to_have_url(re.compile(r"/logga-in/?\?fel=sso-okand$"))
    expect(page.get_by_role("alert")).to_contain_text("har inget konto i Värna")
    page.screenshot(path=str(ARTIFACTS / "logga-in-sso-okand-375.png"), full_page=True)
    with sqlite3.connect(app_server.data_dir / "kb.db") as db:
        n = db.execute(
            "SELECT count(*) FROM app_user WHERE email = 'ny.person@exempelkommun.se'"
        ).fetchone()[0]
    assert n == 0
    ctx.close()
