"""In chromium with a virtual authenticator (DevTools WebAuthn domain): a passkey
registered on Mitt konto is the second factor at the next login.

WebAuthn needs a domain as RP id (127.0.0.1 is none) and a secure context
(http://localhost is one): the server runs with KB_PUBLIC_URL on localhost for
this module, and is put back afterwards."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, login

# Its own user: a passkey makes the second factor required at every later login,
# so registering one on a shared demo account would change what later tests see.
EMAIL = "passkey.test@exempelkommun.se"
PASSWORD = "lykta-hallon-passkey-73"


@pytest.fixture(scope="module")
def localhost_base(app_server):
    r = app_server.cli(
        "create-admin",
        "--email",
        EMAIL,
        "--name",
        "Passkey Test",
        "--organisation",
        "Exempelkommun",
        "--password-stdin",
        input=PASSWORD,
    )
    assert r.returncode == 0, r.stderr
    original = app_server.env["KB_PUBLIC_URL"]
    base = original.replace("127.0.0.1", "localhost")
    app_server.env["KB_PUBLIC_URL"] = base
    app_server.restart()
    try:
        yield base
    finally:
        app_server.env["KB_PUBLIC_URL"] = original
        app_server.restart()


def test_a_passkey_from_my_account_passes_the_second_factor(localhost_base, context):
    base = localhost_base
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    login(page, base, EMAIL, PASSWORD)
    expect(page).not_to_have_url(re.compile(r"/logga-in"))
    page.goto(base + "/mitt-konto")
    page.get_by_label("Namn på passkeyn").fill("Testdatorn")
    page.get_by_role("button", name="Lägg till passkey").click()
    expect(page.get_by_text("Passkeyn är tillagd")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"^Testdatorn .* aldrig"))).to_be_visible()
    expect(page.get_by_role("list", name="Nya reservkoder").get_by_role("listitem")).to_have_count(
        10
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "passkeys-mitt-konto-1280.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 800})
    page.screenshot(path=str(ARTIFACTS / "passkeys-mitt-konto-375.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("button", name="Logga ut", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/logga-in"))
    login(page, base, EMAIL, PASSWORD)
    expect(page).to_have_url(re.compile(r"/tvastegsverifiering/?$"))
    page.screenshot(path=str(ARTIFACTS / "passkeys-verifiering-1280.png"), full_page=True)
    page.get_by_role("button", name="Använd passkey").click()
    expect(page).not_to_have_url(re.compile(r"/tvastegsverifiering"))
    expect(page).not_to_have_url(re.compile(r"/logga-in"))
