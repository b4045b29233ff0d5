"""axe-core (npm, installed into .tools by the Makefile) injected by Playwright:
every violation of serious or critical impact is a test failure."""

from __future__ import annotations

import json
from pathlib import Path

AXE_JS = Path(__file__).resolve().parents[2] / ".tools/node_modules/axe-core/axe.min.js"
FAILING_IMPACTS = {"serious", "critical"}
# WCAG 2.1 A and AA (the law's level), and axe's best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def violations(page) -> list[dict]:
    """The serious and critical violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        "async (tags) => await window.axe.run(document, "
        "{runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        TAGS,
    )
    return [v for v in result["violations"] if v.get("impact") in FAILING_IMPACTS]


def describe(found: list[dict]) -> str:
    """The violations, short enough to read in a failure message."""
    return json.dumps(
        [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [
                    {
                        "target": n["target"],
                        "html": n.get("html", "")[:160],
                        "why": (n.get("any") or n.get("all") or [{}])[0].get("message", ""),
                    }
                    for n in v["nodes"][:6]
                ],
            }
            for v in found
        ],
        ensure_ascii=False,
        indent=1,
    )
