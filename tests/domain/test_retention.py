"""When a closed case is due for the gallring, and what a redacted payload keeps."""

from __future__ import annotations

from datetime import UTC, date, datetime

from kb_app.domain import retention as rt


def test_due_on_counts_swedish_days_and_handles_29_february():
    # 23:30 UTC on 31 December is New Year's Day in Sweden.
    assert rt.due_on(datetime(2020, 12, 31, 23, 30, tzinfo=UTC), 5) == date(2026, 1, 1)
    assert rt.due_on(datetime(2024, 2, 29, 12, tzinfo=UTC), 5) == date(2029, 2, 28)
    closed = datetime(2021, 6, 10, 12, tzinfo=UTC)
    assert not rt.is_due(closed, 5, date(2026, 6, 9))
    assert rt.is_due(closed, 5, date(2026, 6, 10))
    assert not rt.is_due(None, 5, date(2100, 1, 1))


def test_a_redacted_payload_keeps_codes_numbers_and_dates_only():
    payload = {
        "talks": ["subjected", "staff"],
        "guardians_contacted_on": "2021-05-02",
        "guardians_not_contacted_reason": "",
        "findings": "Olle slog Lisa på rasten",
        "conclusion": "confirmed",
        "measures": [{"description": "Samtal med Olle", "level": "group"}],
        "none_needed": False,
        "attachment_id": 7,
        "filename": "olle.png",
        "new": {"name": "Olle"},
    }
    out = rt.redacted_payload(payload)
    assert out == {
        "talks": ["subjected", "staff"],
        "guardians_contacted_on": "2021-05-02",
        "conclusion": "confirmed",
        "measures_count": 1,
        "none_needed": False,
        "attachment_id": 7,
        "gallrad": True,
    }
    assert "Olle" not in repr(out)
    assert rt.needs_redaction(payload)
    assert not rt.needs_redaction({"reference": "KB-2021-0001", "organisers": 2})
