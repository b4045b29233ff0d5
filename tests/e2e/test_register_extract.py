"""In chromium: the organiser goes from Statistik → Export to the register extract,
searches a pupil of the demo data, sees the pupil's cases and downloads the PDF."""

from __future__ import annotations

import re
import shutil
import sqlite3

from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, login


def _a_recurring_pupil(app_server) -> tuple[str, int]:
    with sqlite3.connect(app_server.data_dir / "kb.db") as db:
        name, n = db.execute(
            "SELECT name, COUNT(DISTINCT case_id) AS n FROM party WHERE kind = 'pupil' "
            "AND name <> '' GROUP BY name_key ORDER BY n DESC, name LIMIT 1"
        ).fetchone()
    return name, n


def test_the_organiser_finds_a_pupil_and_downloads_the_extract(app_server, page):
    base = app_server.base_url
    name, cases = _a_recurring_pupil(app_server)
    login(page, base, "huvudman@exempelkommun.se")
    expect(page).not_to_have_url(re.compile(r"/logga-in"))
    page.goto(base + "/statistik")
    page.get_by_role("tab", name="Export").click()
    page.get_by_role("link", name="Sök och ta fram utdrag").click()
    expect(page.get_by_role("heading", name="Registerutdrag", level=1)).to_be_visible()
    page.get_by_label("För- och efternamn").fill("x")
    page.get_by_role("button", name="Sök").click()
    expect(page.get_by_role("alert")).to_contain_text("minst 2 tecken")
    page.get_by_label("För- och efternamn").fill(name.upper())
    page.get_by_role("button", name="Sök").click()
    expect(page.get_by_role("heading", name=re.compile(rf"{cases} ärende"))).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(cases)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "registerutdrag-1280.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 800})
    page.screenshot(path=str(ARTIFACTS / "registerutdrag-375.png"), full_page=True)
    with page.expect_download() as info:
        page.get_by_role("button", name="Hämta registerutdraget (PDF)").click()
    path = info.value.path()
    shutil.copy(path, ARTIFACTS / "registerutdrag.pdf")
    with open(path, "rb") as f:
        assert f.read(5) == b"%PDF-"
    assert info.value.suggested_filename.startswith("registerutdrag-")
