"""Screenshots of pages at 1280 and 375 px for looking at the UI.

Usage: python scripts/screenshots.py BASE_URL OUT_DIR [email:path ...]
Each argument logs in as the e-mail (demo password) and captures the path.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def main() -> None:
    base, out = sys.argv[1], Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for spec in sys.argv[3:]:
            email, _, path = spec.partition(":")
            for width in (1280, 375):
                ctx = browser.new_context(viewport={"width": width, "height": 900}, locale="sv-SE")
                page = ctx.new_page()
                if email != "-":
                    page.goto(base + "/logga-in")
                    page.get_by_label("E-postadress").fill(email)
                    page.get_by_label("Lösenord").fill("varna-demo-2026")
                    page.get_by_role("button", name="Logga in").click()
                    page.wait_for_load_state("networkidle")
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(800)
                name = f"{email.split('@')[0]}{path.replace('/', '_') or '_root'}-{width}.png"
                page.screenshot(path=str(out / name), full_page=True)
                print(out / name)
                ctx.close()
        browser.close()


if __name__ == "__main__":
    main()
