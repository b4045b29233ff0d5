"""The checks of ``make container-test`` against a running container, in chromium:
the login page and a demo login; with ``--report-link``, a report through that link
(prints its reference)."""

from __future__ import annotations

import argparse
import re
import sys

from playwright.sync_api import expect, sync_playwright

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent))

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, login  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("base")
    p.add_argument("--report-link")
    args = p.parse_args()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        ctx = browser.new_context(locale="sv-SE", timezone_id="Europe/Stockholm")
        ctx.set_default_timeout(30000)
        page = ctx.new_page()
        login(page, args.base, "huvudman@exempelkommun.se")
        expect(page.get_by_role("heading", name="Översikt")).to_be_visible()
        if args.report_link:
            page = ctx.new_page()
            page.goto(args.report_link)
            expect(page.get_by_role("heading", name="Anmäl kränkande behandling")).to_be_visible()
            page.get_by_label("Ditt namn").fill("Anna Holm")
            page.get_by_label("Din e-postadress").fill("anna.holm@exempelkommun.se")
            page.get_by_label("Din roll").select_option(label="Lärare")
            page.get_by_label("Datum").fill("2026-11-20")
            page.get_by_label("Klockslag").fill("12:15")
            page.get_by_label("Var hände det?").select_option(label="Korridor")
            page.get_by_label("Vad hände?").fill("En elev knuffades i korridoren vid skåpen.")
            page.get_by_role("group", name="Utsatt 1").get_by_label("Namn").fill("Kalle Test")
            page.get_by_label("Verbal", exact=True).click()
            page.get_by_label("Nej", exact=True).click()
            page.get_by_role("button", name="Skicka anmälan").click()
            expect(page.get_by_role("heading", name="Tack – anmälan är skickad")).to_be_visible()
            reference = page.locator("#kb-reference").inner_text()
            assert re.fullmatch(r"KB-\d{4}-\d{4}", reference), reference
            print(reference)
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
