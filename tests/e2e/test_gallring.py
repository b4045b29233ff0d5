"""In chromium: two closed demo cases are moved past their retention (their
closing date, a workflow field outside the audit seal, set six years back); the
organiser puts a legal hold on one on the gallring page; the nightly job
(``kb-app scheduler --once``) proposes the other; the organiser opens Gallring
from the navigation, approves the list, and sees the case in the gallring record.
The statistics page shows the same figures before and after, the held case is
untouched, and ``kb-app audit verify`` still passes."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from tests.e2e.axe import describe, violations
from tests.e2e.conftest import ARTIFACTS, login
from tests.e2e.test_statistics import CHARTS_ALL_UNITS


def _two_closed_cases(app_server) -> list[tuple[int, str, str]]:
    """(id, reference, description) of two closed cases, closed six years ago now."""
    old = (datetime.now(UTC) - timedelta(days=6 * 366)).strftime("%Y-%m-%d %H:%M:%S.%f")
    with sqlite3.connect(app_server.data_dir / "kb.db") as db:
        rows = db.execute(
            "SELECT id, reference, description FROM kb_case WHERE step = 'closed' "
            "AND id NOT IN (SELECT case_id FROM gallring_record) ORDER BY id LIMIT 2"
        ).fetchall()
        db.executemany("UPDATE kb_case SET closed_at = ? WHERE id = ?", [(old, r[0]) for r in rows])
    assert len(rows) == 2
    return rows


def _statistics(page, base) -> str:
    """Every figure of the statistics page (the default period, every unit): its
    text with each chart's table view, the charts' drawings left out."""
    page.goto(base + "/statistik")
    expect(page.get_by_role("heading", name="Statistik", exact=True)).to_be_visible()
    charts = page.locator(".kb-chart .js-plotly-plot")
    expect(charts).to_have_count(CHARTS_ALL_UNITS, timeout=30000)
    expect(page.locator("details.kb-table-view")).to_have_count(CHARTS_ALL_UNITS)
    text = page.evaluate(
        """() => {
            const copy = document.body.cloneNode(true);
            copy.querySelectorAll('.js-plotly-plot, script, style').forEach(e => e.remove());
            return copy.textContent;
        }"""
    )
    assert "Ärenden" in text or "ärenden" in text
    return " ".join(text.split())


def test_the_organiser_approves_the_gallring_list(app_server, page):
    base = app_server.base_url
    (cid, ref, description), (held_id, held_ref, held_description) = _two_closed_cases(app_server)
    login(page, base, "huvudman@exempelkommun.se")
    expect(page).not_to_have_url(re.compile(r"/logga-in"))
    before = _statistics(page, base)

    # Gallring from the navigation: nothing proposed yet.
    page.get_by_role("link", name="Gallring").first.click()
    expect(page.get_by_role("heading", name="Gallring", level=1)).to_be_visible()
    # A legal hold on one case: first without a reason, then with one.
    page.get_by_label("Ärendenummer").fill(held_ref)
    page.get_by_role("button", name="Sätt bevarandespärr").click()
    expect(page.get_by_role("alert")).to_contain_text("Skriv ett skäl")
    expect(page.get_by_label("Ärendenummer")).to_have_value(held_ref)
    page.get_by_label("Skäl", exact=True).fill("Pågående ärende hos Skolinspektionen")
    page.get_by_role("button", name="Sätt bevarandespärr").click()
    expect(page.get_by_role("status")).to_contain_text(f"{held_ref} har fått en bevarandespärr")
    expect(page.get_by_role("table", name="Bevarandespärrar")).to_contain_text(held_ref)
    page.reload()  # the post redirected: a reload does not post again
    expect(page.get_by_role("alert")).to_have_count(0)

    # The nightly job proposes the other case only.
    r = app_server.cli("scheduler", "--once")
    assert r.returncode == 0, r.stderr
    assert "Föreslagna för gallring: 1" in r.stdout
    page.reload()
    listed = page.get_by_role("table", name="Förslag till gallring")
    expect(listed.get_by_role("row")).to_have_count(2)  # the head and one case
    expect(listed).to_contain_text(ref)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "gallring-1280.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 800})
    page.screenshot(path=str(ARTIFACTS / "gallring-375.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_role("button", name="Godkänn listan och gallra 1 ärende").click()
    expect(page.get_by_role("status")).to_contain_text(f"1 ärende gallrat: {ref}.")
    expect(page.get_by_text("Inga ärenden föreslås just nu.")).to_be_visible()
    record = page.get_by_role("table", name="Gallringsregister")
    expect(record).to_contain_text(ref)
    page.screenshot(path=str(ARTIFACTS / "gallring-godkand-1280.png"), full_page=True)

    # The case keeps its statistics; its text is gone; the held case is untouched.
    assert _statistics(page, base) == before
    with sqlite3.connect(app_server.data_dir / "kb.db") as db:
        (thinned,) = db.execute("SELECT description FROM kb_case WHERE id = ?", (cid,)).fetchone()
        (kept,) = db.execute("SELECT description FROM kb_case WHERE id = ?", (held_id,)).fetchone()
        names = db.execute(
            "SELECT COUNT(*) FROM party WHERE case_id = ? AND name <> ''", (cid,)
        ).fetchone()
    assert thinned == "[Gallrat]" and thinned != description
    assert kept == held_description and names == (0,)
    page.goto(base + f"/arenden/{cid}")
    expect(page.get_by_text("Gallrat").first).to_be_visible()
    r = app_server.cli("audit", "verify")
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_gallring_page_passes_axe(app_server, browser):
    """axe-core on the page with its list, holds and record, at 1280 and 375 px (as
    the sweep in test_accessibility.py does for the app's own pages)."""
    ctx = browser.new_context(
        viewport={"width": 1280, "height": 900},
        locale="sv-SE",
        timezone_id="Europe/Stockholm",
        bypass_csp=True,
    )
    try:
        page = ctx.new_page()
        login(page, app_server.base_url, "huvudman@exempelkommun.se")
        expect(page).not_to_have_url(re.compile(r"/logga-in"))
        page.goto(app_server.base_url + "/gallring")
        expect(page.get_by_role("heading", name="Gallring", level=1)).to_be_visible()
        page.get_by_role("button", name="Sätt bevarandespärr").click()  # with its errors shown
        expect(page.get_by_role("alert").first).to_be_visible()
        for width, height in ((1280, 900), (375, 800)):
            page.set_viewport_size({"width": width, "height": height})
            found = violations(page)
            assert not found, describe(found)
    finally:
        ctx.close()
