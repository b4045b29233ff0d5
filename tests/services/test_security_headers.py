"""Security headers on every HTTP response of the app (routes and pages)."""

from __future__ import annotations

import warnings

import pytest

from kb_app import api, headers

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


def _client() -> TestClient:
    return TestClient(headers.security_headers(api.build_api()), follow_redirects=False)


@pytest.mark.parametrize(
    "path", ["/logga-in", "/auth/logout", "/export/statistik/arenden.csv", "/finns-inte"]
)
def test_every_response_has_the_headers(sqlite_engine, path):
    r = _client().get(path)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-frame-options"] == "DENY"
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "base-uri 'none'" in csp and "default-src 'self'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert "strict-transport-security" not in r.headers


def test_hsts_only_behind_https(sqlite_engine, monkeypatch):
    from kb_app.settings import reset_settings

    monkeypatch.setenv("KB_PUBLIC_URL", "https://varna.example.se")
    reset_settings()
    r = _client().get("/logga-in")
    assert r.headers["strict-transport-security"].startswith("max-age=")


@pytest.mark.parametrize(
    ("headers", "refused"),
    [
        ({"origin": "null", "sec-fetch-site": "same-origin"}, False),  # no-referrer form post
        ({"sec-fetch-site": "same-origin"}, False),
        ({"origin": "null", "sec-fetch-site": "cross-site"}, True),
        ({"origin": "https://angripare.example"}, True),
        ({"origin": "null"}, True),
        ({}, True),
    ],
)
def test_login_post_origin_check_under_no_referrer(demo, headers, refused):
    """With Referrer-Policy: no-referrer the browser posts the login form with
    Origin: null; Sec-Fetch-Site tells a same-origin post from a forged one."""
    r = _client().post(
        "/auth/login",
        data={"email": "rektor@exempelkommun.se", "password": "varna-demo-2026"},
        headers=headers,
    )
    assert (r.status_code == 403) is refused, (r.status_code, r.text)


def test_inline_scripts_are_allowed_by_hash_only(tmp_path):
    """The CSP lists the hash of each inline script of the built pages and nothing
    that would let an injected script run."""
    import base64
    import hashlib

    body = b"window.__reactRouterContext = {};"
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "page.html").write_bytes(
        b"<html><script>" + body + b'</script><script type="module" src="/a.js"></script>'
        b"<script></script></html>"
    )
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert headers.inline_script_hashes(tmp_path) == [f"'sha256-{digest}'"]
    csp = headers.content_security_policy(tmp_path)
    script_src = csp.split("script-src ", 1)[1].split(";", 1)[0].split()
    assert script_src == ["'self'", "'unsafe-eval'", f"'sha256-{digest}'"]


@pytest.mark.parametrize(
    ("location", "configured", "expected"),
    [
        ("http://angripare.example/logga-in/", True, "https://varna.example.se/logga-in/"),
        ("http://angripare.example/logga-in/?a=1", False, "/logga-in/?a=1"),
        ("/logga-in?fel=fel", True, "/logga-in?fel=fel"),
    ],
)
def test_redirects_never_carry_the_host_header(location, configured, expected):
    assert headers.safe_location(location, "https://varna.example.se", configured) == expected


def test_a_redirect_through_the_middleware_is_rebased(sqlite_engine, monkeypatch):
    from starlette.applications import Starlette
    from starlette.responses import RedirectResponse
    from starlette.routing import Route

    from kb_app.settings import reset_settings

    monkeypatch.setenv("KB_PUBLIC_URL", "https://varna.example.se")
    reset_settings()

    async def slash(request):
        return RedirectResponse(str(request.url) + "/", status_code=307)

    app = headers.security_headers(Starlette(routes=[Route("/logga-in", slash)]))
    r = TestClient(app, follow_redirects=False).get(
        "/logga-in", headers={"host": "angripare.example"}
    )
    assert r.headers["location"] == "https://varna.example.se/logga-in/"


def test_a_configured_public_url_is_the_only_accepted_origin(demo, monkeypatch):
    """With KB_PUBLIC_URL set, a post whose Origin matches only the Host header
    (DNS rebinding) is refused."""
    from kb_app.settings import reset_settings

    monkeypatch.setenv("KB_PUBLIC_URL", "https://varna.example.se")
    reset_settings()
    form = {"email": "rektor@exempelkommun.se", "password": "varna-demo-2026"}
    rebound = _client().post(
        "/auth/login",
        data=form,
        headers={"origin": "http://angripare.example", "host": "angripare.example"},
    )
    assert rebound.status_code == 403
    ours = _client().post("/auth/login", data=form, headers={"origin": "https://varna.example.se"})
    assert ours.status_code == 303


@pytest.mark.parametrize(
    ("nasta", "expected"),
    [
        ("/arenden/7", "/arenden/7"),
        ("/oversikt?steg=open", "/oversikt?steg=open"),
        ("", "/oversikt"),
        ("https://angripare.example/x", "/oversikt"),
        ("//angripare.example/x", "/oversikt"),
        ("/\\angripare.example", "/oversikt"),
        ("/logga-in", "/oversikt"),
        ("/auth/logout", "/oversikt"),
    ],
)
def test_login_returns_to_the_page_that_asked_for_it(demo, nasta, expected):
    """The address follows the page after login: back to a local page only."""
    form = {"email": "rektor@exempelkommun.se", "password": "varna-demo-2026", "nasta": nasta}
    r = _client().post("/auth/login", data=form, headers={"sec-fetch-site": "same-origin"})
    assert r.status_code == 303
    assert r.headers["location"] in (expected, expected + "/")


def test_a_failed_login_keeps_the_page_to_return_to(demo):
    form = {"email": "rektor@exempelkommun.se", "password": "fel-fel-fel", "nasta": "/arenden/7"}
    r = _client().post("/auth/login", data=form, headers={"sec-fetch-site": "same-origin"})
    assert r.headers["location"] == "/logga-in?fel=fel&nasta=%2Farenden%2F7"


def test_login_page_address_for_a_page():
    from kb_app import routes

    assert routes.login_returning_to("/arenden/7") == "/logga-in?nasta=/arenden/7"
    assert routes.login_returning_to("//x.example") == "/logga-in"
