"""The full life of one case in chromium, across three logins: the principal
receives and delegates; the investigator records the investigation and proposes
measures; the principal decides, follows up and closes. The timeline shows every
step with names and times; the investigator cannot reach another case."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from kb_app.domain.fmt import TZ
from tests.e2e.conftest import login

DENIED = "Ärendet finns inte eller så saknar du behörighet."
SV_DATETIME = (
    r"\d{1,2} (jan\.|feb\.|mars|apr\.|maj|juni|juli|aug\.|sep\.|okt\.|nov\.|dec\.) 20\d\d \d\d:\d\d"
)


def _cases(app_server) -> tuple[tuple[int, str], int]:
    """A reported, not staff-involved case of Björkskolan, and another case of it
    that is not delegated to the investigator."""
    engine = create_engine(app_server.env["KB_DATABASE_URL"])
    with engine.connect() as conn:
        target = conn.execute(
            text(
                "SELECT c.id, c.reference FROM kb_case c JOIN unit u ON u.id = c.unit_id "
                "WHERE u.name = 'Björkskolan F–6' AND c.step = 'reported' "
                "AND c.staff_involved = 0 ORDER BY c.id LIMIT 1"
            )
        ).one()
        other = conn.execute(
            text(
                "SELECT c.id FROM kb_case c WHERE c.id != :id AND c.id NOT IN "
                "(SELECT case_id FROM delegation) ORDER BY c.id LIMIT 1"
            ),
            {"id": target[0]},
        ).scalar_one()
    engine.dispose()
    return (target[0], target[1]), other


def _event(page, label: str, who: str):
    """The timeline entry with this label and author (there may be several)."""
    return page.locator(".kb-event").filter(has_text=label).filter(has_text=who)


def _open(browser, base, email, path):
    ctx = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="sv-SE", timezone_id="Europe/Stockholm"
    )
    ctx.set_default_timeout(20000)
    page = ctx.new_page()
    login(page, base, email)
    expect(page).to_have_url(re.compile(r"/(oversikt|mina-arenden)/?$"))
    page.goto(base + path)
    return ctx, page


def test_full_life_of_a_case(app_server, browser):
    base = app_server.base_url
    (case_id, reference), other_id = _cases(app_server)
    today = datetime.now(TZ).date()
    path = f"/arenden/{case_id}"

    # 1. The principal opens the new report, receives it and delegates it.
    ctx, page = _open(browser, base, "rektor@exempelkommun.se", path)
    expect(page.get_by_role("heading", name=reference)).to_be_visible()
    page.get_by_role("button", name="Markera som mottagen").click()
    expect(page.get_by_role("status")).to_contain_text("markerat som mottaget")
    expect(_event(page, "Mottagen av rektor", "Karin Berg")).to_have_count(1)
    page.get_by_role("combobox", name="Utredare").click()
    page.get_by_role("option", name="Sara Nilsson").click()
    page.get_by_role("button", name="Delegera", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Utredningen är delegerad")
    expect(_event(page, "Delegerad", "Karin Berg")).to_contain_text("Sara Nilsson")
    # Delegating is not starting: the investigator records "Utredning påbörjad".
    expect(page.locator(".kb-event").filter(has_text="Utredning påbörjad")).to_have_count(0)
    expect(page.get_by_text("Väntar på: Utredning påbörjad (Sara Nilsson)")).to_be_visible()
    ctx.close()

    # 2. The investigator finds it under "Mina ärenden", records the investigation
    #    (first with a missing field: a Swedish message) and proposes a measure.
    ctx, page = _open(browser, base, "utredare@exempelkommun.se", "/mina-arenden")
    page.get_by_role("link", name=reference).click()
    page.get_by_role("button", name="Påbörja utredningen").click()
    expect(page.get_by_role("status")).to_contain_text("Utredningen är påbörjad")
    expect(_event(page, "Utredning påbörjad", "Sara Nilsson")).to_have_count(1)
    expect(page.get_by_role("heading", name="Registrera utredningen")).to_be_visible()
    page.get_by_role("checkbox", name="Med den utsatta eleven/barnet").click()
    page.get_by_role("checkbox", name="Med personal").click()
    page.get_by_label("Vårdnadshavare kontaktade (datum)").fill(today.isoformat())
    page.get_by_role("radio", name="Kränkning konstaterad").click()
    page.get_by_role("button", name="Spara utredningen").click()
    expect(page.get_by_role("alert").filter(has_text="Beskriv vad utredningen")).to_be_visible()
    page.get_by_label("Vad har utredningen kommit fram till?").fill(
        "Samtal med eleven och personal bekräftar händelsen i sak."
    )
    page.get_by_role("button", name="Spara utredningen").click()
    expect(page.get_by_role("status")).to_contain_text("Utredningen är sparad")
    expect(page.get_by_role("heading", name="Föreslå åtgärder")).to_be_visible()
    page.get_by_label("Ansvarig", exact=True).fill("Mentor 3A")
    page.get_by_label("Senast").fill((today + timedelta(days=14)).isoformat())
    page.get_by_label("Åtgärd", exact=True).fill("Samtal med de inblandade och vårdnadshavare.")
    page.get_by_role("button", name="Föreslå åtgärder").click()
    expect(page.get_by_role("status")).to_contain_text("Förslaget är sparat")
    expect(_event(page, "Utredning klar", "Sara Nilsson")).to_contain_text("Kränkning konstaterad")

    # The investigator cannot reach any other case by typing its URL.
    page.goto(f"{base}/arenden/{other_id}")
    expect(page.get_by_text(DENIED)).to_be_visible()
    expect(page.locator(".kb-event")).to_have_count(0)
    page.goto(f"{base}/oversikt")
    expect(page.get_by_text("Du saknar behörighet")).to_be_visible()
    ctx.close()

    # 3. The principal decides the proposed measure, follows up and closes.
    ctx, page = _open(browser, base, "rektor@exempelkommun.se", path)
    expect(page.get_by_role("heading", name="Besluta om åtgärder")).to_be_visible()
    expect(page.get_by_label("Ansvarig", exact=True)).to_have_value("Mentor 3A")
    page.get_by_role("button", name="Besluta åtgärder").click()
    expect(page.get_by_role("status")).to_contain_text("Beslutet om åtgärder är sparat")
    page.get_by_label("Datum för uppföljningen").fill(today.isoformat())
    page.get_by_role("radio", name="Ja").click()
    page.get_by_label("Vad visade uppföljningen?").fill("Eleven upplever att det har upphört.")
    page.get_by_role("button", name="Spara uppföljningen").click()
    expect(page.get_by_role("status")).to_contain_text("Uppföljningen är sparad")
    page.get_by_label("Sammanfattning").fill("Åtgärderna har haft effekt.")
    page.get_by_role("button", name="Avsluta ärendet").click()
    expect(page.get_by_role("status")).to_contain_text("Ärendet är avslutat")
    expect(page.get_by_text("sammanfattning av skyndsamhet")).to_be_visible()

    # The timeline: every step, who did it and when (Swedish date and time), in order.
    steps = [
        ("Anmälan", "(anmälare)"),
        ("Anmäld till huvudman", "Värna"),
        ("Mottagen av rektor", "Karin Berg"),
        ("Delegerad", "Karin Berg"),
        ("Utredning påbörjad", "Sara Nilsson"),
        ("Utredning klar", "Sara Nilsson"),
        ("Åtgärder föreslagna", "Sara Nilsson"),
        ("Åtgärder beslutade", "Karin Berg"),
        ("Uppföljning", "Karin Berg"),
        ("Avslutad", "Karin Berg"),
    ]
    events = page.locator(".kb-event")
    expect(events).to_have_count(len(steps))
    for i, (label, who) in enumerate(steps):
        item = events.nth(i)
        expect(item).to_contain_text(label)
        expect(item).to_contain_text(who)
        expect(item).to_contain_text(re.compile(SV_DATETIME))

    # The case file downloads as a PDF.
    with page.expect_download() as dl:
        page.get_by_role("link", name="PDF").click()
    assert dl.value.suggested_filename == f"arendeakt-{reference}.pdf"
    with open(dl.value.path(), "rb") as fh:
        assert fh.read(5) == b"%PDF-"
    ctx.close()

    # The audit trail is intact.
    result = app_server.cli("audit", "verify")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK")


def test_invite_a_new_investigator_then_withdraw(app_server, browser):
    base = app_server.base_url
    engine = create_engine(app_server.env["KB_DATABASE_URL"])
    with engine.connect() as conn:
        case_id, reference = conn.execute(
            text(
                "SELECT c.id, c.reference FROM kb_case c JOIN unit u ON u.id = c.unit_id "
                "WHERE u.name = 'Björkskolan F–6' AND c.step = 'received' AND c.id NOT IN "
                "(SELECT case_id FROM delegation) ORDER BY c.id LIMIT 1"
            )
        ).one()

    # The principal invites a new person by e-mail; the investigation starts.
    ctx, page = _open(browser, base, "rektor@exempelkommun.se", f"/arenden/{case_id}")
    page.get_by_role("radio", name="Bjud in ny").click()
    page.get_by_label("Namn").fill("Nina Ny")
    page.get_by_label("E-postadress").fill("nina.ny@exempelkommun.se")
    page.get_by_role("button", name="Bjud in och delegera").click()
    expect(page.get_by_role("status")).to_contain_text("Personen är inbjuden")
    expect(_event(page, "Delegerad", "Karin Berg")).to_contain_text("bjudits in via e-post")

    with engine.connect() as conn:
        body = conn.execute(
            text("SELECT body FROM outbox WHERE to_addr = 'nina.ny@exempelkommun.se'")
        ).scalar_one()
    engine.dispose()
    assert reference in body and "Nina" not in body  # no personal data beyond the link
    link = next(w for w in body.split() if "/satt-losenord/" in w)

    # The invited person sets a password through the link and logs in.
    ctx2 = browser.new_context(locale="sv-SE", timezone_id="Europe/Stockholm")
    ctx2.set_default_timeout(20000)
    inv = ctx2.new_page()
    inv.goto(link)
    inv.get_by_label("Nytt lösenord").fill("nina-losen-2026")
    inv.get_by_label("Upprepa lösenordet").fill("annat-losen-2026")
    inv.get_by_role("button", name="Spara lösenordet").click()
    expect(inv.get_by_role("alert")).to_contain_text("Lösenorden är inte likadana.")
    inv.get_by_label("Nytt lösenord").fill("nina-losen-2026")
    inv.get_by_label("Upprepa lösenordet").fill("nina-losen-2026")
    inv.get_by_role("button", name="Spara lösenordet").click()
    expect(inv.get_by_text("Ditt lösenord är sparat")).to_be_visible()
    login(inv, base, "nina.ny@exempelkommun.se", "nina-losen-2026")
    expect(inv).to_have_url(re.compile(r"/mina-arenden/?$"))
    expect(inv.get_by_role("link", name=re.compile(r"KB-"))).to_have_count(1)
    inv.get_by_role("link", name=reference).click()
    # Delegated, not yet started: the investigator starts it (recorded as theirs).
    expect(inv.get_by_role("button", name="Påbörja utredningen")).to_be_visible()
    inv.goto(link)  # the link works once
    expect(inv.get_by_text("Länken fungerar inte")).to_be_visible()

    # The principal withdraws the delegation: the investigator loses the case.
    page.reload()
    page.get_by_role("button", name="Återkalla delegeringen").click()
    expect(page.get_by_role("status")).to_contain_text("Delegeringen är återkallad")
    expect(_event(page, "Delegering återkallad", "Karin Berg")).to_contain_text("Nina Ny")
    inv.goto(f"{base}/arenden/{case_id}")
    expect(inv.get_by_text(DENIED)).to_be_visible()
    inv.goto(f"{base}/mina-arenden")
    expect(inv.get_by_text("Inga ärenden är delegerade till dig just nu.")).to_be_visible()
    ctx2.close()
    ctx.close()
