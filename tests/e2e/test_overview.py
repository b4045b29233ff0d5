"""The overview in chromium: the view lives in the URL, and new cases appear by
themselves on an open overview (written by another process, as a submitted
report would be)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from playwright.sync_api import expect

from kb_app.devdata import bench as seed_bench
from tests.e2e.conftest import login
from tests.support.helpers import unit_named


def _count(page) -> re.Pattern:
    return re.compile(r"^\d+ ärenden?$")


def test_filters_sort_and_page_live_in_the_url(app_server, page):
    base = app_server.base_url
    login(page, base, "huvudman@exempelkommun.se")
    expect(page).to_have_url(re.compile(r"/oversikt/?$"))
    total = page.get_by_text(_count(page))
    expect(total).to_be_visible()
    everything = total.inner_text()

    page.get_by_label("Steg").select_option("received")
    expect(page).to_have_url(re.compile(r"/oversikt\?steg=received$"))
    expect(total).not_to_have_text(everything)
    received = total.inner_text()
    page.get_by_label("Endast försenade").click()
    expect(page).to_have_url(re.compile(r"steg=received&forsenade=1$"))

    page.go_back()
    expect(page).to_have_url(re.compile(r"/oversikt\?steg=received$"))
    expect(total).to_have_text(received)
    expect(page.get_by_label("Endast försenade")).not_to_be_checked()

    page.reload()
    expect(page.get_by_label("Steg")).to_have_value("received")
    expect(page.get_by_text(_count(page))).to_have_text(received)

    page.get_by_role("link", name="Enhet").click()
    expect(page).to_have_url(re.compile(r"steg=received&sortera=enhet$"))
    expect(page.get_by_role("columnheader", name="Enhet")).to_have_attribute(
        "aria-sort", "ascending"
    )

    # A shared link opens the same view in a fresh tab.
    shared = page.context.new_page()
    shared.goto(base + "/oversikt?sok=KB-20&sortera=arende&ordning=stigande&antal=25&sida=2")
    expect(shared.get_by_label("Sök ärendenummer")).to_have_value("KB-20")
    expect(shared.get_by_text(re.compile(r"^Visar 26–"))).to_be_visible()
    shared.get_by_role("link", name="Föregående").click()
    expect(shared).to_have_url(re.compile(r"sok=KB-20&sortera=arende&ordning=stigande&antal=25$"))
    expect(shared.get_by_text(re.compile(r"^Visar 1–25 av"))).to_be_visible()


def test_a_new_case_appears_on_an_open_overview(app_server, page, server_db):
    base = app_server.base_url
    login(page, base, "rektor@exempelkommun.se")  # Björkskolan F–6 and Solrosens förskola
    expect(page).to_have_url(re.compile(r"/oversikt/?$"))
    page.get_by_label("Steg").select_option("reported")
    expect(page).to_have_url(re.compile(r"steg=reported$"))
    expect(page.get_by_role("link", name=re.compile(r"KB-20\d\d-\d{4}")).first).to_be_visible()
    # Wait until the filtered view has replaced the unfiltered one, so the new case
    # arrives through the live update (which highlights it), not through this load.
    for other in ("Mottagen av rektor", "Utredning påbörjad", "Utredning klar", "Avslutad"):
        expect(page.get_by_role("row").filter(has_text=other)).to_have_count(0)

    # The running server reads the wall clock, so the reports are made at its time.
    now = datetime.now(UTC)
    # Another principal's unit: never shown here.
    _, foreign = seed_bench.insert_report(unit_named("Ekbackeskolan 7–9").id, now=now)
    _, mine = seed_bench.insert_report(
        unit_named("Björkskolan F–6").id, now=now, class_name="4A", grade="4"
    )

    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=mine))
    expect(row).to_be_visible(timeout=10_000)  # polled within about a second
    expect(row).to_contain_text("Björkskolan F–6")
    expect(row).to_have_class(re.compile("kb-hl"))  # briefly highlighted
    expect(page).to_have_url(re.compile(r"steg=reported$"))  # the view is kept
    expect(page.get_by_role("link", name=foreign)).to_have_count(0)


def test_investigator_gets_no_data_even_with_a_link(app_server, page):
    login(page, app_server.base_url, "utredare@exempelkommun.se")
    expect(page).to_have_url(re.compile(r"/mina-arenden/?$"))
    page.goto(app_server.base_url + "/oversikt?steg=reported&sortera=enhet")
    expect(page.get_by_text("Du saknar behörighet")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"KB-20\d\d-\d{4}"))).to_have_count(0)


def test_filters_apply_as_people_expect(app_server, page):
    """Selects apply at once, typed text after a short pause (the field keeps its
    focus and text), Enter or the visible button searches, and "Fler filter" stays
    open when its last filter is set back to "Alla"."""
    base = app_server.base_url
    login(page, base, "huvudman@exempelkommun.se")
    expect(page).to_have_url(re.compile(r"/oversikt/?$"))
    search = page.get_by_role("button", name="Sök", exact=True)
    expect(search).to_be_visible()

    page.get_by_text("Fler filter").click()
    page.get_by_label("Årskurs").select_option("4")
    expect(page).to_have_url(re.compile(r"arskurs=4"))
    page.get_by_label("Årskurs").select_option("alla")  # "Alla årskurser"
    expect(page).to_have_url(re.compile(r"/oversikt/?$"))
    klass = page.get_by_label("Klass/avdelning")
    expect(klass).to_be_visible()  # the panel stayed open

    klass.press_sequentially("4A", delay=50)
    expect(page).to_have_url(re.compile(r"klass=4A"))  # no blur, no Enter
    expect(klass).to_be_focused()
    expect(klass).to_have_value("4A")
    klass.fill("")
    expect(page).not_to_have_url(re.compile(r"klass="))

    page.get_by_label("Anmält från").fill("2026-09-01")
    expect(page).to_have_url(re.compile(r"fran=2026-09-01"))

    page.get_by_label("Sök ärendenummer").fill("42")
    search.click()
    expect(page).to_have_url(re.compile(r"sok=42"))
    page.get_by_label("Sök ärendenummer").fill("43")
    page.get_by_label("Sök ärendenummer").press("Enter")
    expect(page).to_have_url(re.compile(r"sok=43"))
