"""In chromium: the organiser opens Statistik → Export, chooses a closing year on
the archive card and downloads the archive package, then one case's package by its
number; both pass ``archive.verify`` (every checksum) as downloaded."""

from __future__ import annotations

import re
import shutil
import sqlite3

import pytest
from playwright.sync_api import expect

from kb_app.services.case import archive
from tests.e2e.conftest import ARTIFACTS, login
from tests.support import eark


def _closed(app_server) -> tuple[str, str]:
    """(newest closing year, a case closed then) of the demo data."""
    with sqlite3.connect(app_server.data_dir / "kb.db") as db:
        year, ref = db.execute(
            "SELECT strftime('%Y', closed_at) AS y, reference FROM kb_case "
            "WHERE closed_at IS NOT NULL ORDER BY y DESC, reference LIMIT 1"
        ).fetchone()
    return year, ref


def test_the_organiser_downloads_an_archive_package(app_server, page):
    base = app_server.base_url
    year, ref = _closed(app_server)
    login(page, base, "huvudman@exempelkommun.se")
    expect(page).not_to_have_url(re.compile(r"/logga-in"))
    page.goto(base + "/statistik")
    page.get_by_role("tab", name="Export").click()
    card = page.locator(".rt-Card", has=page.get_by_role("heading", name="Arkivpaket"))
    expect(card).to_be_visible()
    year_select = page.locator("#stat-archive-year")
    expect(year_select).to_contain_text(year)
    ARTIFACTS.mkdir(exist_ok=True)
    card.scroll_into_view_if_needed()
    card.screenshot(path=str(ARTIFACTS / "arkivpaket-1280.png"))

    with page.expect_download() as info:
        page.get_by_role("link", name="Hämta arkivpaket (ZIP)").click()
    download = info.value
    assert download.suggested_filename.startswith(f"arkivpaket-{year}-")
    path = download.path()
    shutil.copy(path, ARTIFACTS / "arkivpaket-ar.zip")
    checked = archive.verify(path)
    assert checked.ok, checked.findings
    assert checked.files > 5
    report = eark.validate(path)  # the E-ARK project's validator, on the file as downloaded
    assert report.valid, (report.structure, report.schema, report.real_errors)

    page.set_viewport_size({"width": 375, "height": 800})
    page.get_by_label("Eller ett ärendenummer").fill(ref.lower())
    link = page.get_by_role("link", name="Hämta arkivpaket (ZIP)")
    expect(link).to_have_attribute("href", f"/export/arkivpaket.zip?ref={ref}")
    card.scroll_into_view_if_needed()
    card.screenshot(path=str(ARTIFACTS / "arkivpaket-375.png"))
    with page.expect_download() as info:
        link.click()
    assert info.value.suggested_filename.startswith(f"arkivpaket-{ref}-")
    assert archive.verify(info.value.path()).ok


@pytest.mark.parametrize("width", [1280, 375])
def test_the_export_tab_with_the_archive_card_passes_axe(app_server, browser, width):
    from tests.e2e.axe import AXE_JS, describe, violations

    assert AXE_JS.exists(), "axe-core saknas: kör make test (installerar den i .tools)"
    # axe is injected as a script of its own: this context lets it past the CSP.
    ctx = browser.new_context(
        viewport={"width": width, "height": 900},
        locale="sv-SE",
        timezone_id="Europe/Stockholm",
        bypass_csp=True,
    )
    ctx.set_default_timeout(20000)
    try:
        page = ctx.new_page()
        login(page, app_server.base_url, "huvudman@exempelkommun.se")
        page.goto(app_server.base_url + "/statistik")
        page.get_by_role("tab", name="Export").click()
        expect(page.get_by_role("heading", name="Arkivpaket")).to_be_visible()
        page.wait_for_load_state("networkidle")
        found = violations(page)
        assert not found, describe(found)
    finally:
        ctx.close()
