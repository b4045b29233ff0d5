"""Settings (organiser's limits), Mitt konto (daily digest) and the admin's Utskick page,
in the browser against the production build."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import login


def test_organiser_changes_a_limit_and_it_persists(app_server, page):
    login(page, app_server.base_url, "huvudman@exempelkommun.se")
    expect(page).to_have_url(re.compile(r"/oversikt/?$"))
    page.get_by_role("link", name="Inställningar").click()
    expect(page.get_by_role("heading", name="Inställningar", exact=True)).to_be_visible()
    field = page.get_by_label("Utredning klar")
    expect(field).to_have_value("10")

    # A bad value: a Swedish message beside the field, the typed values stay.
    field.fill("500")
    page.get_by_label("Mottagen av rektor").fill("2")
    page.get_by_role("button", name="Spara tidsgränser").click()
    expect(page.get_by_text("Ange ett heltal mellan 0 och 100.")).to_be_visible()
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_value("500")
    expect(page.get_by_label("Mottagen av rektor")).to_have_value("2")

    field.fill("12")
    page.get_by_role("button", name="Spara tidsgränser").click()
    expect(page.get_by_role("status")).to_contain_text("Tidsgränserna är sparade")
    expect(page.get_by_role("status")).to_contain_text("öppna ärenden")

    page.reload()
    expect(page.get_by_label("Utredning klar")).to_have_value("12")
    expect(page.get_by_label("Mottagen av rektor")).to_have_value("2")

    # Put the defaults back for the other tests.
    page.get_by_label("Utredning klar").fill("10")
    page.get_by_label("Mottagen av rektor").fill("1")
    page.get_by_role("button", name="Spara tidsgränser").click()
    expect(page.get_by_role("status")).to_contain_text("Tidsgränserna är sparade")


def test_principal_may_not_change_limits(app_server, page):
    login(page, app_server.base_url, "rektor@exempelkommun.se")
    expect(page).to_have_url(re.compile(r"/oversikt/?$"))
    expect(page.get_by_role("link", name="Inställningar")).to_have_count(0)
    page.goto(app_server.base_url + "/installningar")
    expect(page.get_by_text("Du saknar behörighet")).to_be_visible()
    expect(page.get_by_label("Utredning klar")).to_have_count(0)


def test_user_turns_on_the_daily_digest(app_server, page):
    login(page, app_server.base_url, "rektor.ekbacke@exempelkommun.se")
    expect(page).to_have_url(re.compile(r"/oversikt/?$"))
    page.get_by_role("link", name="Mitt konto").click()
    expect(page.get_by_role("heading", name="Mitt konto", exact=True)).to_be_visible()
    switch = page.get_by_role("switch")
    expect(switch).to_have_attribute("aria-checked", "false")
    switch.click()
    expect(page.get_by_role("status")).to_contain_text("daglig sammanfattning")
    page.reload()
    expect(page.get_by_role("switch")).to_have_attribute("aria-checked", "true")
    page.get_by_role("switch").click()
    expect(page.get_by_role("status")).to_contain_text("en påminnelse per ärende")


def test_admin_sees_queued_mail_on_utskick(app_server, page):
    # The reminder sweep queues reminders for the demo's late cases; without SMTP
    # settings they stay in the outbox.
    r = app_server.cli("scheduler", "--once")
    assert r.returncode == 0, r.stderr
    login(page, app_server.base_url, "admin@exempelkommun.se")
    expect(page).to_have_url(re.compile(r"/admin/?$"))
    page.get_by_role("link", name="Utskick").first.click()
    expect(page.get_by_role("heading", name="Utskick", exact=True)).to_be_visible()
    expect(page.get_by_text("E-post är inte konfigurerad")).to_be_visible()
    # A reminder the sweep queued (another test may have run the sweep before, so it
    # need not be the newest mail).
    rows = page.get_by_role("row").filter(has_text=re.compile(r"Påminnelse: KB-20"))
    expect(rows.first).to_be_visible()
    expect(rows.first).to_contain_text("Väntar")

    rows.first.get_by_role("button", name="Visa").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("/arenden/")
    expect(dialog).to_contain_text("inga uppgifter om ärendet")
    expect(dialog).to_contain_text("Engångslänkar (anmälan, komplettering, inbjudan) visas som")
    dialog.get_by_role("button", name="Stäng").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    rows.first.get_by_role("button", name="Försök igen nu").click()
    expect(page.get_by_role("status")).to_contain_text("Det skickas när e-post (SMTP)")

    page.get_by_role("button", name=re.compile("^Skickade")).click()
    expect(page.get_by_text("Inga meddelanden här.")).to_be_visible()


def test_only_admins_see_utskick(app_server, page):
    login(page, app_server.base_url, "huvudman@exempelkommun.se")
    expect(page).to_have_url(re.compile(r"/oversikt/?$"))
    expect(page.get_by_role("link", name="Utskick")).to_have_count(0)
    page.goto(app_server.base_url + "/admin/utskick")
    expect(page.get_by_text("Du saknar behörighet")).to_be_visible()
