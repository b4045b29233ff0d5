"""In chromium: the principal opens "Vem har läst ärendet" on a case and sees their
own read at the top; the section pages and hides again."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, login


def test_the_principal_sees_who_read_the_case(app_server, page):
    base = app_server.base_url
    login(page, base, "rektor@exempelkommun.se")
    expect(page).not_to_have_url(re.compile(r"/logga-in"))
    page.goto(base + "/oversikt")
    page.get_by_role("link", name=re.compile(r"^KB-20\d\d-\d{4}$")).first.click()
    section = page.locator("#vem-har-last")
    expect(section.get_by_role("heading", name="Vem har läst ärendet")).to_be_visible()
    section.get_by_role("button", name="Visa vem som läst ärendet").click()
    expect(section.get_by_text(re.compile(r"Läste ärendet")).first).to_be_visible()
    expect(section.get_by_text(re.compile(r"^Sida 1 av \d+$"))).to_be_visible()
    expect(section.get_by_role("button", name="Nyare")).to_be_disabled()
    section.scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "vem-har-last-1280.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 800})
    page.screenshot(path=str(ARTIFACTS / "vem-har-last-375.png"), full_page=True)
    section.get_by_role("button", name="Dölj").click()
    expect(section.get_by_role("button", name="Visa vem som läst ärendet")).to_be_visible()
