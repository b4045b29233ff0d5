"""Swedish formatting of dates and times (pure)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Europe/Stockholm")

MONTHS_SHORT = [
    "jan.",
    "feb.",
    "mars",
    "apr.",
    "maj",
    "juni",
    "juli",
    "aug.",
    "sep.",
    "okt.",
    "nov.",
    "dec.",
]
WEEKDAYS = ["måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"]


def local(dt: datetime) -> datetime:
    return dt.astimezone(TZ)


def sv_date(d: date | datetime | None) -> str:
    """22 nov. 2026"""
    if d is None:
        return ""
    if isinstance(d, datetime):
        d = local(d).date()
    return f"{d.day} {MONTHS_SHORT[d.month - 1]} {d.year}"


def sv_datetime(dt: datetime | None) -> str:
    """22 nov. 2026 14:05 (Swedish local time)"""
    if dt is None:
        return ""
    loc = local(dt)
    return f"{sv_date(loc.date())} {loc:%H:%M}"
