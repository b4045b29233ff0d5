"""Jäv in chromium: a report naming Björkskolan's principal reaches the organiser,
who sees the banner, confirms the match and takes the case over with a reason
(required, with a Swedish message beside the field); the principal is refused."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime

from playwright.sync_api import expect
from sqlalchemy import text

from kb_app import db
from tests.e2e.conftest import REPO, login

DENIED = "Ärendet finns inte eller så saknar du behörighet."


_REPORT = """
import json, sys
from kb_app.dbtypes import utcnow
from kb_app.services.reporting import reports
data = json.loads(sys.argv[2])
r = reports.submit_report(sys.argv[1], data, reports.new_submission_id(), now=utcnow())
assert r.ok, r.errors
print(r.case_id, r.reference)
"""


def _report_naming_the_principal(app_server) -> tuple[int, str]:
    """Written as another worker would: a process with the server's settings (its
    database and its audit key, so the chain it starts verifies)."""
    engine = db.make_engine(app_server.env["KB_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            token = conn.execute(
                text(
                    "SELECT l.token FROM report_link l JOIN unit u ON u.id = l.unit_id "
                    "WHERE u.name = 'Björkskolan F–6' AND l.active"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    data = {
        "reporter_name": "Anna Holm",
        "reporter_email": "anna.holm@exempelkommun.se",
        "reporter_role": "teacher",
        "occurred_on": datetime.now(UTC).date().isoformat(),
        "place": "schoolyard",
        "description": "Rektor höjde rösten mot eleven inför hela klassen.",
        "subjected": [{"name": "Kalle Zetterkvist", "class_name": "4B"}],
        "involved": [{"kind": "staff", "name": "Karin Berg"}],
        "kinds": ["verbal"],
        "guardians_informed": "no",
    }
    r = subprocess.run(
        [sys.executable, "-c", _REPORT, token, json.dumps(data)],
        env=app_server.env,
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    case_id, reference = r.stdout.split()
    return int(case_id), reference


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


def test_banner_confirm_and_take_over_with_a_reason(app_server, browser):
    base = app_server.base_url
    case_id, reference = _report_naming_the_principal(app_server)
    path = f"/arenden/{case_id}"

    ctx, page = _open(browser, base, "huvudman@exempelkommun.se", path)
    expect(page.get_by_role("heading", name=reference)).to_be_visible()
    banner = page.locator("#kb-conflict")
    expect(banner).to_contain_text("Jävsituation: Karin Berg är involverad och har kopplats bort")
    expect(page.get_by_text("Karin Berg: misstänkt, ej bekräftad")).to_be_visible()
    page.get_by_role("button", name="Bekräfta jävet").click()
    expect(page.get_by_role("status")).to_contain_text("Jävet är bekräftat")
    expect(page.get_by_text("Karin Berg: bekräftad av huvudmannen")).to_be_visible()
    expect(page.locator(".kb-event").filter(has_text="Jäv bekräftat")).to_have_count(1)

    # Take over: without a reason, a Swedish message beside the field and nothing saved.
    page.get_by_role("button", name="Ta över ärendet").click()
    expect(page.get_by_text("Skriv varför du tar över ärendet.")).to_be_visible()
    expect(page.locator(".kb-event").filter(has_text="Övertagen av huvudman")).to_have_count(0)
    reason = "Rektor är själv anmäld i ärendet."
    page.get_by_label("Skäl till att huvudmannen tar över").fill(reason)
    page.get_by_role("button", name="Ta över ärendet").click()
    expect(page.get_by_role("status")).to_contain_text("tagit över ansvaret")
    expect(
        page.locator(".kb-event").filter(has_text="Övertagen av huvudman").filter(has_text=reason)
    ).to_have_count(1)
    ctx.close()

    # The principal named in the report: as if the case did not exist.
    ctx, page = _open(browser, base, "rektor@exempelkommun.se", path)
    expect(page.get_by_text(DENIED)).to_be_visible()
    expect(page.get_by_text(reference)).to_have_count(0)
    ctx.close()
