"""In chromium: "Glömt lösenordet?" by mail, changing the password on Mitt konto,
and one's own sessions."""

from __future__ import annotations

import re
import sqlite3

from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, login

EMAIL = "konto.test@exempelkommun.se"
FIRST = "fjäril-kaktus-trumpet-91"
SECOND = "moln-gurka-lykta-sextio"
THIRD = "hallon-tegel-fyrtorn-12"


def _reset_link(app_server) -> str:
    with sqlite3.connect(app_server.data_dir / "kb.db") as db:
        (body,) = db.execute(
            "SELECT body FROM outbox WHERE to_addr = ? ORDER BY id DESC LIMIT 1", (EMAIL,)
        ).fetchone()
    return re.search(r"/satt-losenord/\S+", body).group(0)


def test_forgotten_password_is_reset_by_mail_and_changed_on_my_account(app_server, context):
    r = app_server.cli(
        "create-admin",
        "--email",
        EMAIL,
        "--name",
        "Konto Test",
        "--organisation",
        "Exempelkommun",  # the first start (test_admin.py) made another organisation
        "--password-stdin",
        input=FIRST,
    )
    assert r.returncode == 0, r.stderr
    page = context.new_page()
    other_device = context.browser.new_context().new_page()
    login(other_device, app_server.base_url, EMAIL, FIRST)
    expect(other_device).to_have_url(re.compile(r"/admin/?$"))

    page.goto(app_server.base_url + "/logga-in")
    page.get_by_role("link", name="Glömt lösenordet?").click()
    expect(page.get_by_role("heading", name="Glömt lösenordet?")).to_be_visible()
    page.get_by_label("E-postadress").fill(EMAIL)
    page.get_by_role("button", name="Skicka länken").click()
    expect(page.get_by_text("Om adressen hör till ett konto i Värna")).to_be_visible()

    page.goto(app_server.base_url + _reset_link(app_server))
    expect(page.get_by_role("heading", name="Välj ett nytt lösenord")).to_be_visible()
    page.get_by_label("Nytt lösenord").fill("password")
    page.get_by_label("Upprepa lösenordet").fill("password")
    page.get_by_role("button", name="Spara lösenordet").click()
    expect(page.get_by_role("alert")).to_contain_text("för lätt att gissa")
    page.get_by_label("Nytt lösenord").fill(SECOND)
    page.get_by_label("Upprepa lösenordet").fill(SECOND)
    page.get_by_role("button", name="Spara lösenordet").click()
    expect(page.get_by_text("Ditt lösenord är sparat.")).to_be_visible()

    # The reset ended the session on the other device.
    other_device.goto(app_server.base_url + "/admin")
    expect(other_device).to_have_url(re.compile(r"/logga-in/?(\?nasta=[^&]*)?$"))

    login(page, app_server.base_url, EMAIL, SECOND)
    expect(page).to_have_url(re.compile(r"/admin/?$"))
    page.goto(app_server.base_url + "/mitt-konto")
    expect(page.get_by_text("Den här enheten")).to_be_visible()
    page.get_by_label("Nuvarande lösenord").fill("fel-lösenord-helt")
    page.get_by_label("Nytt lösenord", exact=True).fill(THIRD)
    page.get_by_label("Upprepa det nya lösenordet").fill(THIRD)
    page.get_by_role("button", name="Byt lösenord").click()
    expect(page.get_by_role("alert")).to_contain_text("Det nuvarande lösenordet stämmer inte.")
    page.get_by_label("Nuvarande lösenord").fill(SECOND)
    page.get_by_label("Nytt lösenord", exact=True).fill(THIRD)
    page.get_by_label("Upprepa det nya lösenordet").fill(THIRD)
    page.get_by_role("button", name="Byt lösenord").click()
    expect(page.get_by_text("Ditt lösenord är bytt.")).to_be_visible()

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "mitt-konto-1280.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 800})
    page.screenshot(path=str(ARTIFACTS / "mitt-konto-375.png"), full_page=True)
    other_device.context.close()
