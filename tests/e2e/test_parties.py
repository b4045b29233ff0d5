"""Correcting the parties of a case in chromium (issue 17.6): the principal adds a
witness, a missing reason is refused beside its field with the input kept, the
saved change is in the parties and the timeline; then corrects it. Screenshots at
1280 and 375 px."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from tests.e2e.conftest import ARTIFACTS, login


def _open_case(app_server) -> tuple[int, str]:
    engine = create_engine(app_server.env["KB_DATABASE_URL"])
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT c.id, c.reference FROM kb_case c JOIN unit u ON u.id = c.unit_id "
                "WHERE u.name = 'Björkskolan F–6' AND c.step = 'received' "
                "AND c.staff_involved = 0 AND c.closed_at IS NULL ORDER BY c.id DESC LIMIT 1"
            )
        ).one()
    engine.dispose()
    return row[0], row[1]


def test_principal_adds_and_corrects_a_witness(app_server, page):
    base = app_server.base_url
    case_id, reference = _open_case(app_server)
    login(page, base, "rektor@exempelkommun.se")
    expect(page).to_have_url(re.compile(r"/oversikt/?$"))
    page.goto(f"{base}/arenden/{case_id}")
    expect(page.get_by_role("heading", name=reference)).to_be_visible()

    page.get_by_role("button", name="Lägg till person").click()
    page.get_by_role("combobox", name="Roll").click()
    page.get_by_role("option", name="Vittne").click()
    page.get_by_role("combobox", name="Vem är det?").click()
    page.get_by_role("option", name="Personal").click()
    page.get_by_label("Namn", exact=True).fill("Rut Rastvakt")
    page.get_by_role("button", name="Spara personen").click()
    # No reason: refused beside the field, the name still there.
    expect(page.get_by_text("Ange varför uppgiften ändras.")).to_be_visible()
    expect(page.get_by_label("Namn", exact=True)).to_have_value("Rut Rastvakt")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "parties-add-1280.png"), full_page=True)
    page.get_by_label("Skäl").fill("Rastvakten såg det som hände.")
    page.get_by_role("button", name="Spara personen").click()
    expect(page.get_by_role("status")).to_contain_text("Personen är tillagd")
    expect(page.get_by_text("Rut Rastvakt").first).to_be_visible()
    event = page.locator(".kb-event").filter(has_text="Berörda personer ändrade")
    expect(event).to_contain_text("Tillagd: Vittne, Personal, Rut Rastvakt.")

    # Correct the name: the old value is in the timeline.
    page.get_by_role("button", name="Rätta Rut Rastvakt").click()
    page.get_by_label("Namn", exact=True).fill("Ruth Rastvakt")
    page.get_by_label("Skäl").fill("Stavfel i namnet.")
    page.set_viewport_size({"width": 375, "height": 800})
    page.screenshot(path=str(ARTIFACTS / "parties-edit-375.png"), full_page=True)
    page.get_by_role("button", name="Spara rättelsen").click()
    expect(page.get_by_role("status")).to_contain_text("Rättelsen är sparad")
    expect(event.filter(has_text="Tidigare: Vittne, Personal, Rut Rastvakt.")).to_have_count(1)
    page.set_viewport_size({"width": 1280, "height": 900})
    expect(event.first).to_be_visible()
    page.wait_for_timeout(500)  # the layout settles after the resize
    page.screenshot(path=str(ARTIFACTS / "parties-saved-1280.png"), full_page=True)
