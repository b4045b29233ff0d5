"""Admins are warned while KB_PUBLIC_URL is unset or points at this machine
(mail links would say localhost) (issue 17, point 11)."""

from __future__ import annotations

import pytest

from kb_app.settings import get_settings, reset_settings


@pytest.mark.parametrize(
    ("value", "warned"),
    [
        (None, "inte satt"),
        ("http://localhost:3000", "pekar på den här datorn"),
        ("http://127.0.0.1:3000", "pekar på den här datorn"),
        ("https://varna.kommun.se", ""),
    ],
)
def test_public_url_warning(monkeypatch, value, warned):
    if value is None:
        monkeypatch.delenv("KB_PUBLIC_URL", raising=False)
    else:
        monkeypatch.setenv("KB_PUBLIC_URL", value)
    reset_settings()
    try:
        warning = get_settings().public_url_warning
        assert (warned in warning) if warned else warning == ""
    finally:
        monkeypatch.undo()
        reset_settings()


def test_the_admin_page_shows_the_warning(demo, monkeypatch, now, clock):
    import asyncio

    from kb_app.services.admin import auth
    from tests.support.state import state_for

    monkeypatch.delenv("KB_PUBLIC_URL", raising=False)
    reset_settings()
    try:
        token = auth.login("admin@exempelkommun.se", "varna-demo-2026", now=now).token
        root, _ = state_for(token, "/admin")
        from kb_app.state.admin import AdminState

        admin = root.get_substate(AdminState.get_full_name().split("."))
        asyncio.run(type(admin).load.fn(admin))
        assert "KB_PUBLIC_URL är inte satt" in admin.public_url_warning
    finally:
        monkeypatch.undo()
        reset_settings()
