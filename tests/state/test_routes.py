"""Every page path in kb_app/routes.py is a registered page, and the path helpers
build what the pages register."""

from __future__ import annotations

from kb_app import routes


def test_every_page_constant_is_a_registered_page():
    import kb_app.kb_app as k

    pages = {"/" + p if p != "index" else "/" for p in k.app._unevaluated_pages}
    constants = [
        routes.START, routes.LOGIN, routes.OVERVIEW, routes.MY_CASES, routes.STATISTICS,
        routes.REPORT_LINKS, routes.SETTINGS, routes.ACCOUNT, routes.ADMIN, routes.OUTBOX,
    ]  # fmt: skip
    assert set(constants) <= pages
    assert routes.CASES + "/[case_id]" in pages and routes.CASES + "/[case_id]/akt" in pages
    for prefix, param in [
        (routes.REPORT, "link_token"),
        (routes.SUPPLEMENT, "supplement_token"),
        (routes.SET_PASSWORD, "token"),
    ]:
        assert f"{prefix}/[{param}]" in pages


def test_path_helpers():
    assert routes.case(42) == "/arenden/42"
    assert routes.case_file(42) == "/arenden/42/akt"
    assert routes.case_pdf(42) == "/akt/42.pdf"
    assert routes.case("7") == "/arenden/7"
