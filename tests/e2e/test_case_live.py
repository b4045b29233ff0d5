"""The live case page in chromium: two tabs on one case (two browser contexts of
the principal). A step and a comment recorded in one show in the other within
3 seconds, without a reload, while the text typed there stays; the step form
that is no longer valid says so in place."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from tests.e2e.conftest import login
from tests.e2e.test_report import shoot

LIVE = 3_000  # ms: the promise of the live case page (poll 0.5 s plus one load)


def _reported_case(app_server) -> tuple[int, str]:
    """A reported case of Björkskolan (the last one: the full-life test takes the first)."""
    engine = create_engine(app_server.env["KB_DATABASE_URL"])
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT c.id, c.reference FROM kb_case c JOIN unit u ON u.id = c.unit_id "
                "WHERE u.name = 'Björkskolan F–6' AND c.step = 'reported' "
                "AND c.staff_involved = 0 ORDER BY c.id DESC LIMIT 1"
            )
        ).one()
    engine.dispose()
    return row[0], row[1]


def _tab(browser, base: str, path: str, width: int = 1280):
    ctx = browser.new_context(
        viewport={"width": width, "height": 900}, locale="sv-SE", timezone_id="Europe/Stockholm"
    )
    ctx.set_default_timeout(20000)
    page = ctx.new_page()
    login(page, base, "rektor@exempelkommun.se")
    expect(page).to_have_url(re.compile(r"/(oversikt|mina-arenden)/?$"))
    page.goto(base + path)
    return ctx, page


def test_two_tabs_on_one_case_stay_current_and_keep_typed_text(app_server, browser):
    base = app_server.base_url
    case_id, reference = _reported_case(app_server)
    path = f"/arenden/{case_id}"
    ctx1, one = _tab(browser, base, path)
    ctx2, two = _tab(browser, base, path)
    try:
        for page in (one, two):
            expect(page.get_by_role("heading", name=reference)).to_be_visible()
            expect(page.get_by_role("button", name="Markera som mottagen")).to_be_visible()
        typed = "Mentorn har pratat med eleven på rasten."
        two.get_by_label("Text", exact=True).fill(typed)

        # A step in the first tab: the second shows it, its form says it is stale,
        # and the comment being typed there stays.
        one.get_by_role("button", name="Markera som mottagen").click()
        expect(one.locator("#kb-stale-form")).to_have_count(0)
        event = two.locator(".kb-event").filter(has_text="Mottagen av rektor")
        expect(event).to_have_count(1, timeout=LIVE)
        stale = two.locator("#kb-stale-form")
        expect(stale).to_contain_text("kan inte längre sparas", timeout=LIVE)
        expect(stale).to_contain_text("Karin Berg")
        expect(two.get_by_label("Text", exact=True)).to_have_value(typed)
        shoot(two, "case-live-stale-1280")

        # A comment in the first tab shows in the second; the typed text stays.
        one.get_by_label("Text", exact=True).fill("Vårdnadshavare informerade per telefon.")
        one.get_by_role("button", name="Spara", exact=True).click()
        expect(one.get_by_role("status").first).to_contain_text("Kommentaren är sparad")
        note = two.locator(".kb-event").filter(has_text="Vårdnadshavare informerade per telefon.")
        expect(note).to_have_count(1, timeout=LIVE)
        expect(two.get_by_label("Text", exact=True)).to_have_value(typed)
        assert two.url.endswith(path)  # no reload, no navigation

        # The user asks for the next step: the stale form gives way to it.
        stale.get_by_role("button", name="Visa nästa steg").click()
        expect(two.get_by_role("button", name="Jag utreder själv")).to_be_visible()
        expect(two.locator("#kb-stale-form")).to_have_count(0)
    finally:
        ctx1.close()
        ctx2.close()


def test_the_stale_notice_on_a_phone(app_server, browser):
    """The same at 375 px: the notice fits the card and the form stays below it."""
    base = app_server.base_url
    # A case of its own: the first test has taken the last reported one of the demo.
    from tests.e2e.test_report import fill_form, report_link

    ctx0 = browser.new_context(locale="sv-SE", timezone_id="Europe/Stockholm")
    reporter = ctx0.new_page()
    reporter.goto(report_link(app_server))
    fill_form(reporter, "Knuffades i kön till matsalen och fick inte vara med.")
    reporter.get_by_role("button", name="Skicka anmälan").click()
    expect(reporter.get_by_role("heading", name="Tack – anmälan är skickad")).to_be_visible()
    ctx0.close()
    case_id, _ = _reported_case(app_server)
    path = f"/arenden/{case_id}"
    ctx1, one = _tab(browser, base, path)
    ctx2, two = _tab(browser, base, path, width=375)
    try:
        expect(two.get_by_role("button", name="Markera som mottagen")).to_be_visible()
        expect(one.get_by_role("button", name="Markera som mottagen")).to_be_visible()
        one.get_by_role("button", name="Markera som mottagen").click()
        expect(two.locator("#kb-stale-form")).to_be_visible(timeout=LIVE)
        shoot(two, "case-live-stale-375")
    finally:
        ctx1.close()
        ctx2.close()
