"""In chromium: the investigator attaches a photo to the investigation of a
delegated case. A renamed executable is refused in Swedish with the chosen file
kept; the photo is taken, listed under Bilagor and in the timeline, and downloads
through the access-checked route without its metadata; signed out, the same
address gives nothing."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from tests.e2e.conftest import ARTIFACTS, login
from tests.support import files

INVESTIGATOR = "utredare@exempelkommun.se"


def _delegated_open_case(app_server) -> tuple[int, str]:
    engine = create_engine(app_server.env["KB_DATABASE_URL"])
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT c.id, c.reference FROM kb_case c "
                "JOIN delegation d ON d.case_id = c.id AND d.withdrawn_at IS NULL "
                "JOIN app_user u ON u.id = d.investigator_user_id "
                "WHERE u.email = :email AND c.closed_at IS NULL ORDER BY c.id DESC LIMIT 1"
            ),
            {"email": INVESTIGATOR},
        ).one()
    engine.dispose()
    return row[0], row[1]


def test_the_investigator_attaches_a_photo_to_the_investigation(app_server, context, tmp_path):
    base = app_server.base_url
    case_id, reference = _delegated_open_case(app_server)
    page = context.new_page()
    login(page, base, INVESTIGATOR)
    expect(page).not_to_have_url(re.compile(r"/logga-in"))
    page.goto(f"{base}/arenden/{case_id}")
    expect(page.get_by_role("heading", name=reference)).to_be_visible()
    section = page.locator("#bilagor")
    expect(section.get_by_role("heading", name="Bilagor")).to_be_visible()
    expect(section.get_by_role("radio", name="Utredningen")).to_be_checked()
    chooser = section.get_by_label("Fil", exact=True)

    # A program renamed to look like a photo: refused, and the choice stays.
    fake = tmp_path / "bild.jpg"
    fake.write_bytes(files.windows_exe())
    chooser.set_input_files(str(fake))
    section.get_by_role("button", name="Bifoga fil").click()
    expect(section.get_by_role("alert")).to_contain_text("Den här filtypen tas inte emot")
    assert chooser.evaluate("el => el.files.length && el.files[0].name") == "bild.jpg"

    # The photo, with its GPS position in EXIF.
    photo = tmp_path / "rasten.jpg"
    photo.write_bytes(files.jpeg_with_gps())
    chooser.set_input_files(str(photo))
    section.get_by_role("button", name="Bifoga fil").click()
    expect(section.get_by_role("status")).to_contain_text("Filen är bifogad")
    link = section.get_by_role("link", name="Hämta rasten.jpg")
    expect(link).to_be_visible()
    expect(
        section.get_by_text(re.compile(r"JPEG-bild, .* · Utredningen · Sara Nilsson"))
    ).to_be_visible()
    expect(page.locator(".kb-event").filter(has_text="rasten.jpg")).to_have_count(1)
    # The form starts empty after a taken file.
    assert section.get_by_label("Fil", exact=True).evaluate("el => el.files.length") == 0

    href = link.get_attribute("href")
    assert href and re.fullmatch(r"/bilaga/\d+", href)
    got = context.request.get(base + href)
    assert got.status == 200
    assert got.headers["content-disposition"].startswith("attachment")
    assert got.headers["x-content-type-options"] == "nosniff"
    body = got.body()
    assert body[:2] == b"\xff\xd8" and b"Exif" not in body and b"KameraTillverkare" not in body

    section.scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "bilagor-1280.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 800})
    section.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "bilagor-375.png"), full_page=True)

    # Signed out, the download answers nothing useful.
    page.get_by_role("button", name="Logga ut", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/logga-in"))
    after = context.request.get(base + href)
    assert after.status == 404 and b"\xff\xd8" not in after.body()


def test_the_reporter_sends_a_screenshot_from_the_receipt_and_the_supplement_page(
    app_server, context, tmp_path
):
    from tests.e2e.test_report import fill_form, query, report_link

    page = context.new_page()
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(report_link(app_server))
    fill_form(page, "Någon tog en bild på Kalle i omklädningsrummet och delade den.")
    page.get_by_role("button", name="Skicka anmälan").click()
    expect(page.get_by_role("heading", name="Tack – anmälan är skickad")).to_be_visible()
    reference = page.locator("#kb-reference").inner_text()
    supplement = page.locator("#kb-supplement").inner_text()

    shot = tmp_path / "skärmbild.png"
    shot.write_bytes(files.png_with_text())
    page.get_by_label("Fil", exact=True).set_input_files(str(shot))
    page.get_by_role("button", name="Skicka filen").click()
    sent = page.get_by_role("list", name="Skickade filer")
    expect(sent.get_by_role("listitem")).to_have_text(["skärmbild.png"])
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "anmalan-bilaga-375.png"), full_page=True)

    # Later, with the private link: a bad file is refused, a PDF is taken.
    page.goto(supplement)
    expect(page.get_by_text(reference)).to_be_visible()
    fake = tmp_path / "intyg.pdf"
    fake.write_bytes(files.elf())
    page.get_by_label("Fil", exact=True).set_input_files(str(fake))
    page.get_by_role("button", name="Skicka filen").click()
    expect(page.get_by_role("alert")).to_contain_text("Den här filtypen tas inte emot")
    real = tmp_path / "intyg2.pdf"
    real.write_bytes(files.pdf())
    page.get_by_label("Fil", exact=True).set_input_files(str(real))
    page.get_by_role("button", name="Skicka filen").click()
    expect(page.get_by_role("list", name="Skickade filer").get_by_role("listitem")).to_have_text(
        ["intyg2.pdf"]
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(ARTIFACTS / "komplettering-bilaga-1280.png"), full_page=True)

    rows = query(
        app_server,
        "SELECT a.filename, a.context, a.uploaded_by_user_id FROM attachment a "
        "JOIN kb_case c ON c.id = a.case_id WHERE c.reference = :r ORDER BY a.id",
        r=reference,
    )
    assert [tuple(r) for r in rows] == [
        ("skärmbild.png", "report", None),
        ("intyg2.pdf", "report", None),
    ]
