"""The reply pack from the case page in chromium: the button, the preview with the
choice of child, and the download of exactly what was previewed."""

from __future__ import annotations

import io
import re

from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import create_engine, text

from tests.e2e.conftest import login


def _case_with_another_pupil(app_server) -> tuple[int, str, str, str]:
    """A demo case with a named subjected pupil and a named involved pupil whose
    first name differs: (case id, reference, subjected name, involved name)."""
    engine = create_engine(app_server.env["KB_DATABASE_URL"])
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT c.id, c.reference, s.name, i.name FROM kb_case c "
                "JOIN party s ON s.case_id = c.id AND s.role = 'subjected' AND s.kind = 'pupil' "
                "JOIN party i ON i.case_id = c.id AND i.role = 'involved' AND i.kind = 'pupil' "
                "WHERE s.name != '' AND i.name != '' ORDER BY c.id LIMIT 1"
            )
        ).one()
    engine.dispose()
    subjected, involved = row[2], row[3]
    assert subjected.split()[0] != involved.split()[0]
    return row[0], row[1], subjected, involved


def _words(text_: str, name: str) -> bool:
    return any(re.search(rf"(?<!\w){re.escape(p)}(?!\w)", text_, re.I) for p in name.split())


def test_case_page_button_preview_and_download(app_server, browser):
    base = app_server.base_url
    case_id, reference, subjected, involved = _case_with_another_pupil(app_server)
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    ctx.set_default_timeout(20000)
    page = ctx.new_page()
    login(page, base, "huvudman@exempelkommun.se")
    expect(page).to_have_url(re.compile(r"/(oversikt|mina-arenden)/?$"))
    page.goto(f"{base}/arenden/{case_id}")
    page.get_by_role("link", name="Svarspaket").click()

    expect(page).to_have_url(re.compile(rf"/export/svarspaket\.html\?id={case_id}$"))
    doc = page.locator("#pack")
    expect(doc).to_contain_text(f"Svarspaket {reference}")
    expect(doc).to_contain_text("Avser: " + subjected)
    expect(doc).to_contain_text("Maskerat i handlingen")
    preview = doc.inner_text()
    assert not _words(preview.replace(subjected, ""), involved.split()[0])
    expect(page.get_by_label("Barnet som svarspaketet gäller")).to_contain_text(subjected)

    # Naming staff is a choice; the preview and the download follow it.
    page.get_by_label("Visa namn på personal och externa personer (loggas)").check()
    page.get_by_role("button", name="Uppdatera förhandsgranskningen").click()
    expect(page).to_have_url(re.compile(r"personal=1"))
    expect(doc).to_contain_text("visas på begäran av")

    with page.expect_download() as dl:
        page.get_by_role("link", name="Hämta PDF").click()
    assert dl.value.suggested_filename == f"svarspaket-{reference}.pdf"
    with open(dl.value.path(), "rb") as fh:
        data = fh.read()
    pdf_text = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split()
    )
    assert "Avser: " + subjected in pdf_text
    assert "visas på begäran av" in pdf_text
    assert not _words(pdf_text.replace(subjected, ""), involved.split()[0])

    page.get_by_role("link", name="← Till ärendet").click()
    expect(page).to_have_url(re.compile(rf"/arenden/{case_id}/?$"))
    ctx.close()
