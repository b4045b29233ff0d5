"""The statistics page in chromium: every chart and its table view, for an
organiser and a principal; downloads come through the authenticated routes."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, login

# funnel, months, step_times, units, kinds, grounds, places, staff, hotspots
CHARTS_ALL_UNITS = 9


def _open_statistics(page, base: str, email: str) -> None:
    login(page, base, email)
    expect(page).to_have_url(re.compile(r"/oversikt/?$"))
    page.get_by_role("link", name="Statistik").click()
    expect(page).to_have_url(re.compile(r"/statistik/?$"))
    expect(page.get_by_role("heading", name="Statistik", exact=True)).to_be_visible()


def _expect_charts(page, count: int) -> None:
    charts = page.locator(".kb-chart .js-plotly-plot")
    expect(charts).to_have_count(count, timeout=30000)
    # each chart has drawn its SVG, and each has a table view with rows
    expect(page.locator(".kb-chart .main-svg").first).to_be_visible()
    views = page.locator("details.kb-table-view")
    expect(views).to_have_count(count)
    for i in range(count):
        assert views.nth(i).locator("tbody tr").count() > 0


@pytest.mark.parametrize(
    ("email", "unit_count"),
    [("huvudman@exempelkommun.se", 4), ("rektor@exempelkommun.se", 2)],
)
def test_every_chart_renders(app_server, page, email, unit_count):
    _open_statistics(page, app_server.base_url, email)
    _expect_charts(page, CHARTS_ALL_UNITS)
    # the unit table lists only the units the user may see, plus the average row
    units_view = page.locator("details.kb-table-view").nth(3)
    units_view.locator("summary").click()
    expect(units_view.locator("tbody tr")).to_have_count(unit_count + 1)
    # choosing one unit adds the per-class chart
    page.get_by_role("combobox", name="Enhet").click()
    page.get_by_role("option", name="Björkskolan F–6").click()
    _expect_charts(page, CHARTS_ALL_UNITS + 1)
    expect(page.get_by_role("heading", name="Per klass i Björkskolan F–6")).to_be_visible()


def test_screenshots(app_server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (1280, 375):
        ctx = browser.new_context(viewport={"width": width, "height": 900}, locale="sv-SE")
        page = ctx.new_page()
        _open_statistics(page, app_server.base_url, "huvudman@exempelkommun.se")
        expect(page.locator(".kb-chart .js-plotly-plot")).to_have_count(CHARTS_ALL_UNITS)
        page.wait_for_timeout(800)
        page.screenshot(path=str(ARTIFACTS / f"statistik-{width}.png"), full_page=True)
        page.get_by_role("tab", name="Upprepade händelser").click()
        page.screenshot(path=str(ARTIFACTS / f"statistik-monster-{width}.png"), full_page=True)
        page.get_by_role("tab", name="Export").click()
        page.screenshot(path=str(ARTIFACTS / f"statistik-export-{width}.png"), full_page=True)
        ctx.close()


def test_principal_sees_repeated_events_and_can_mark_wrong(app_server, page):
    _open_statistics(page, app_server.base_url, "rektor@exempelkommun.se")
    page.get_by_role("tab", name="Upprepade händelser").click()
    expect(page.get_by_role("heading", name="Upprepade händelser")).to_be_visible()
    buttons = page.get_by_role("button", name=re.compile("Markera som fel matchning"))
    expect(buttons.first).to_be_visible()
    before = buttons.count()
    buttons.first.click()
    expect(page.get_by_text("Matchningen är markerad som fel")).to_be_visible()
    expect(buttons).to_have_count(before - 1)


def test_organiser_downloads_report_and_pseudonymised_xlsx(app_server, page, tmp_path):
    from openpyxl import load_workbook

    _open_statistics(page, app_server.base_url, "huvudman@exempelkommun.se")
    page.get_by_role("tab", name="Export").click()
    with page.expect_download() as dl:
        page.get_by_role("link", name="Hämta Excel (XLSX)").click()
    path = tmp_path / dl.value.suggested_filename
    dl.value.save_as(path)
    assert path.name.endswith("-pseudonymiserad.xlsx")
    ws = load_workbook(path).active
    values = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert values[0] == "Ärende"
    assert any(v.startswith("Elev A") for v in values)
    with page.expect_download() as dl:
        page.get_by_role("link", name="Hämta PDF").click()
    pdf = tmp_path / dl.value.suggested_filename
    dl.value.save_as(pdf)
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_investigator_has_no_statistics(app_server, page):
    login(page, app_server.base_url, "utredare@exempelkommun.se")
    expect(page).to_have_url(re.compile(r"/mina-arenden/?$"))
    expect(page.get_by_role("link", name="Statistik")).to_have_count(0)
    page.goto(app_server.base_url + "/statistik")
    expect(page.get_by_text("Du saknar behörighet")).to_be_visible()
    expect(page.locator(".js-plotly-plot")).to_have_count(0)
    r = page.request.get(app_server.base_url + "/export/statistik/arenden.csv")
    assert r.status == 403
