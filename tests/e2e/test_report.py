"""Staff report by link in chromium: a phone-sized window, the form filled by its labels,
a validation error that keeps every typed value, the receipt, the supplement link,
and a rotated link."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import text

from kb_app.db import make_engine
from tests.e2e.conftest import ARTIFACTS, login

PHONE = {"width": 360, "height": 780}
UNIT = "Björkskolan F–6"


def report_link(app_server, unit: str = UNIT) -> str:
    out = app_server.cli("report-links")
    assert out.returncode == 0, out.stderr
    line = next(line for line in out.stdout.splitlines() if unit in line)
    url = re.search(r"https?://\S+", line).group(0)
    assert url.startswith(app_server.base_url + "/anmalan/")
    return url


def query(app_server, sql: str, **params) -> list:
    engine = make_engine(f"sqlite:///{app_server.data_dir}/kb.db")
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql), params))
    finally:
        engine.dispose()


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def fill_form(page, description: str) -> None:
    page.get_by_label("Ditt namn").fill("Anna Holm")
    page.get_by_label("Din e-postadress").fill("anna.holm@exempelkommun.se")
    page.get_by_label("Din roll").select_option(label="Lärare")
    page.get_by_label("Datum").fill("2026-11-20")
    page.get_by_label("Klockslag").fill("12:15")
    page.get_by_label("Var hände det?").select_option(label="Annan plats")
    page.get_by_label("Beskriv platsen").fill("Bussen till simhallen")
    page.get_by_label("Vad hände?").fill(description)
    subjected = page.get_by_role("group", name="Utsatt 1")
    subjected.get_by_label("Namn").fill("Kalle Zetterkvist")
    subjected.get_by_label("Klass eller avdelning").fill("4B")
    page.get_by_role("button", name="Lägg till inblandad").click()
    involved = page.get_by_role("group", name="Inblandad 1")
    involved.get_by_label("Vem är det?").select_option(label="Barn/elev")
    involved.get_by_label("Namn, om du vet").fill("Oskar Blomqvist")
    for label in ("Fysisk", "Etnisk tillhörighet", "Nej"):
        page.get_by_label(label, exact=True).click()
        expect(page.get_by_label(label, exact=True)).to_be_checked()
    page.get_by_label("Vad gjordes direkt?").fill("Skilde dem åt.")
    page.get_by_label("Vittnen").fill("Rastvakten")


def expect_values_kept(page, description: str) -> None:
    expect(page.get_by_label("Ditt namn")).to_have_value("Anna Holm")
    expect(page.get_by_label("Din e-postadress")).to_have_value("anna.holm@exempelkommun.se")
    expect(page.get_by_label("Din roll")).to_have_value("teacher")
    expect(page.get_by_label("Datum")).to_have_value("2026-11-20")
    expect(page.get_by_label("Klockslag")).to_have_value("12:15")
    expect(page.get_by_label("Var hände det?")).to_have_value("other")
    expect(page.get_by_label("Beskriv platsen")).to_have_value("Bussen till simhallen")
    expect(page.get_by_label("Vad hände?")).to_have_value(description)
    subjected = page.get_by_role("group", name="Utsatt 1")
    expect(subjected.get_by_label("Namn")).to_have_value("Kalle Zetterkvist")
    expect(subjected.get_by_label("Klass eller avdelning")).to_have_value("4B")
    expect(subjected.get_by_label("Årskurs")).to_have_value("4")  # from the unit's class
    involved = page.get_by_role("group", name="Inblandad 1")
    expect(involved.get_by_label("Vem är det?")).to_have_value("pupil")
    expect(involved.get_by_label("Namn, om du vet")).to_have_value("Oskar Blomqvist")
    for label in ("Fysisk", "Etnisk tillhörighet", "Nej"):
        expect(page.get_by_label(label, exact=True)).to_be_checked()
    expect(page.get_by_label("Verbal", exact=True)).not_to_be_checked()
    expect(page.get_by_label("Vad gjordes direkt?")).to_have_value("Skilde dem åt.")
    expect(page.get_by_label("Vittnen")).to_have_value("Rastvakten")


def test_report_on_a_phone_keeps_input_on_error_and_gives_a_receipt(app_server, page):
    page.set_viewport_size(PHONE)
    page.goto(report_link(app_server))
    expect(page.get_by_role("heading", name="Anmäl kränkande behandling")).to_be_visible()
    expect(page.get_by_text(UNIT)).to_be_visible()
    # Markup is only text: it never runs.
    fill_form(page, "<b>kort</b>")
    page.get_by_label("Vad hände?").fill("kort")
    page.get_by_role("button", name="Skicka anmälan").click()
    expect(page.get_by_text("Beskrivningen behöver minst 10 tecken.")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Anmälan är inte skickad ännu.")
    expect(page.get_by_label("Vad hände?")).to_be_focused()
    expect_values_kept(page, "kort")
    shoot(page, "report-form-error-360")
    # The page is no wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # A paste over the limit is kept whole, with the limit beside the field.
    page.get_by_label("Vad hände?").fill("x" * 20_000)
    expect(
        page.get_by_text("Beskrivningen får ha högst 10\u00a0000 tecken (nu 20\u00a0000).")
    ).to_be_visible()
    assert len(page.get_by_label("Vad hände?").input_value()) == 20_000

    description = "Två elever knuffade <b>Kalle</b> vid bussen & skrek <script>x()</script>."
    page.get_by_label("Vad hände?").fill(description)
    page.get_by_role("button", name="Skicka anmälan").click()
    expect(page.get_by_role("heading", name="Tack – anmälan är skickad")).to_be_visible()
    reference = page.locator("#kb-reference").inner_text()
    assert re.fullmatch(r"KB-2026-\d{4}", reference)
    supplement = page.locator("#kb-supplement").inner_text()
    assert supplement.startswith(app_server.base_url + "/komplettering/")
    # The receipt shows nothing beyond the reference: no names, no description.
    # The random token in the supplement link may hold "4B" by chance: leave it out.
    body = page.locator("body").inner_text().replace(supplement, "<länk>")
    for secret in ("Kalle", "Oskar", "4B", "bussen"):
        assert secret not in body
    shoot(page, "report-receipt-360")

    [(case_id, desc, class_name, step, staff)] = query(
        app_server,
        "SELECT id, description, class_name, step, staff_involved FROM kb_case "
        "WHERE reference = :r",
        r=reference,
    )
    assert desc == description and class_name == "4B" and step == "reported" and not staff
    parties = query(
        app_server, "SELECT role, name FROM party WHERE case_id = :c ORDER BY id", c=case_id
    )
    assert [tuple(p) for p in parties] == [
        ("subjected", "Kalle Zetterkvist"),
        ("involved", "Oskar Blomqvist"),
    ]
    events = query(
        app_server, "SELECT kind FROM case_event WHERE case_id = :c ORDER BY seq", c=case_id
    )
    assert [e[0] for e in events] == ["reported", "organiser_notified"]
    mails = query(app_server, "SELECT to_addr, body FROM outbox WHERE case_id = :c", c=case_id)
    assert sorted(m[0] for m in mails) == [
        "anna.holm@exempelkommun.se",  # the reporter's receipt
        "huvudman@exempelkommun.se",
        "rektor@exempelkommun.se",
    ]
    assert all(reference in m[1] and "Kalle" not in m[1] for m in mails)
    receipt = next(m[1] for m in mails if m[0] == "anna.holm@exempelkommun.se")
    assert supplement in receipt and "Bussen" not in receipt

    # The private supplement link adds a komplettering to the timeline.
    page.goto(supplement)
    expect(page.get_by_text(reference)).to_be_visible()
    page.get_by_label("Vad vill du lägga till?").fill("Det hände igen i dag på rasten.")
    page.get_by_role("button", name="Skicka komplettering").click()
    expect(page.get_by_role("heading", name="Tack – kompletteringen är skickad")).to_be_visible()
    events = query(
        app_server, "SELECT kind FROM case_event WHERE case_id = :c ORDER BY seq", c=case_id
    )
    assert events[-1][0] == "supplement"


def test_report_by_keyboard_alone(app_server, page):
    page.goto(report_link(app_server, "Ekbackeskolan 7–9"))
    page.get_by_label("Ditt namn").focus()
    kb = page.keyboard
    kb.type("Erik Dahl")
    kb.press("Tab")
    kb.type("erik.dahl@exempelkommun.se")
    kb.press("Tab")
    expect(page.get_by_label("Din roll")).to_be_focused()
    kb.press("ArrowDown")  # the first role in the native list
    kb.press("Tab")
    expect(page.get_by_label("Datum")).to_be_focused()
    page.get_by_label("Datum").fill("2026-11-23")  # the date picker's own keys vary by locale
    page.get_by_label("Var hände det?").focus()
    kb.press("ArrowDown")
    kb.press("Tab")
    expect(page.get_by_label("Vad hände?")).to_be_focused()
    kb.type("Sara blev kallad fula ord i korridoren av två elever.")
    kb.press("Tab")
    expect(page.get_by_role("group", name="Utsatt 1").get_by_label("Namn")).to_be_focused()
    kb.type("Sara Lind")
    page.get_by_label("Verbal", exact=True).focus()
    kb.press("Space")
    expect(page.get_by_label("Verbal", exact=True)).to_be_checked()
    page.get_by_label("Ja", exact=True).focus()
    kb.press("Space")
    expect(page.get_by_label("Ja", exact=True)).to_be_checked()
    page.get_by_role("button", name="Skicka anmälan").focus()
    kb.press("Enter")
    expect(page.get_by_role("heading", name="Tack – anmälan är skickad")).to_be_visible()
    expect(page.locator("#kb-reference")).to_have_text(re.compile(r"KB-2026-\d{4}"))


def test_rotated_link_shows_no_unit_and_new_link_works(app_server, page):
    old = report_link(app_server, "Solrosens förskola")
    login(page, app_server.base_url, "rektor@exempelkommun.se")
    expect(page).to_have_url(re.compile(r"/oversikt/?$"))
    page.get_by_role("link", name="Anmälningslänkar").click()
    expect(page.get_by_role("heading", name="Anmälningslänkar")).to_be_visible()
    # Only the principal's own units.
    expect(page.get_by_role("heading", name="Solrosens förskola")).to_be_visible()
    expect(page.get_by_role("heading", name="Ekbackeskolan 7–9")).to_have_count(0)
    page.get_by_role("button", name="Byt länk för Solrosens förskola").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Byt länk").click()
    expect(page.get_by_text("Länken för Solrosens förskola är bytt.")).to_be_visible()
    new = report_link(app_server, "Solrosens förskola")
    assert new != old
    expect(page.get_by_label("Anmälningslänk").first).to_have_value(re.compile(".*"))
    shoot(page, "report-links-1280")

    page.goto(old)
    expect(page.get_by_role("heading", name="Länken gäller inte längre")).to_be_visible()
    body = page.locator("body").inner_text()
    assert "Solrosens" not in body and "Exempelkommun" not in body
    page.goto(new)
    expect(page.get_by_role("heading", name="Anmäl kränkande behandling")).to_be_visible()
    expect(page.get_by_text("Solrosens förskola")).to_be_visible()


def test_unknown_supplement_link(app_server, page):
    page.goto(app_server.base_url + "/komplettering/" + "x" * 32)
    expect(page.get_by_role("heading", name="Länken gäller inte längre")).to_be_visible()
