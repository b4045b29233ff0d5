"""Security headers on every HTTP response of the app (routes and pages)."""

from __future__ import annotations

import warnings

import pytest

from kb_app import api

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


def _client() -> TestClient:
    return TestClient(api.security_headers(api.build_api()), follow_redirects=False)


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
    assert "base-uri 'none'" in csp
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
