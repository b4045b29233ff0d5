"""In chromium: an administrator whose role requires a second factor enrols an
authenticator app before seeing anything, then logs in with a recovery code."""

from __future__ import annotations

import re
import sqlite3

import pyotp
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, login

EMAIL = "tvasteg.test@exempelkommun.se"
PASSWORD = "lykta-hallon-fjäder-73"


def _require(app_server, roles: str) -> None:
    with sqlite3.connect(app_server.data_dir / "kb.db") as db:
        db.execute("UPDATE org_setting SET second_factor_roles = ?", (roles,))


def test_enrolment_before_any_page_then_a_recovery_code(app_server, context):
    r = app_server.cli(
        "create-admin",
        "--email",
        EMAIL,
        "--name",
        "Tvåsteg Test",
        "--organisation",
        "Exempelkommun",
        "--password-stdin",
        input=PASSWORD,
    )
    assert r.returncode == 0, r.stderr
    base = app_server.base_url
    _require(app_server, "admin")
    try:
        page = context.new_page()
        login(page, base, EMAIL, PASSWORD)
        expect(page).to_have_url(re.compile(r"/tvastegsverifiering/aktivera/?$"))
        expect(page.get_by_role("heading", name="Aktivera tvåstegsverifiering")).to_be_visible()
        expect(page.get_by_role("img", name="QR-kod för autentiseringsappen")).to_be_visible()

        # Nothing behind the half-done login: the admin page sends to the login.
        other = context.new_page()
        other.goto(base + "/admin")
        expect(other).to_have_url(re.compile(r"/logga-in/?(\?nasta=[^&]*)?$"))
        other.close()

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "tvasteg-aktivera-1280.png"), full_page=True)
        secret = page.locator(".kb-secret").inner_text().replace(" ", "")
        page.get_by_label("Kod").fill("000000")
        page.get_by_role("button", name="Aktivera och logga in").click()
        expect(page.get_by_role("alert")).to_contain_text("Koden stämmer inte")
        page.get_by_label("Kod").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Aktivera och logga in").click()
        expect(page.get_by_role("heading", name="Spara dina reservkoder")).to_be_visible()
        codes = page.get_by_role("list", name="Reservkoder").get_by_role("listitem")
        expect(codes).to_have_count(10)
        first_code = codes.first.inner_text().strip()
        page.set_viewport_size({"width": 375, "height": 800})
        page.screenshot(path=str(ARTIFACTS / "tvasteg-reservkoder-375.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 800})
        page.get_by_role("button", name="Jag har sparat koderna").click()
        expect(page).to_have_url(re.compile(r"/admin/?$"))

        # A new login asks for the code; a recovery code works once.
        fresh = context.browser.new_context().new_page()
        login(fresh, base, EMAIL, PASSWORD)
        expect(fresh).to_have_url(re.compile(r"/tvastegsverifiering/?$"))
        fresh.screenshot(path=str(ARTIFACTS / "tvasteg-kod-1280.png"), full_page=True)
        fresh.get_by_label("Kod").fill(first_code)
        fresh.get_by_role("button", name="Logga in").click()
        expect(fresh).to_have_url(re.compile(r"/admin/?$"))

        # Mitt konto: one code used, nine left; ten new ones replace them.
        fresh.goto(base + "/mitt-konto")
        expect(fresh.get_by_text("Reservkoder kvar: 9")).to_be_visible()
        fresh.get_by_role("button", name="Ta fram nya reservkoder").click()
        renewed = fresh.get_by_role("list", name="Nya reservkoder").get_by_role("listitem")
        expect(renewed).to_have_count(10)
        fresh.screenshot(path=str(ARTIFACTS / "tvasteg-mitt-konto-1280.png"), full_page=True)
        fresh.context.close()
    finally:
        _require(app_server, "")
