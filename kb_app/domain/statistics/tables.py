"""Statistics tables (pure): every chart's figures as a table (the page's
accessible tables, the exports and the yearly report) and the summary lines.
"""

from __future__ import annotations

from dataclasses import dataclass

from kb_app.domain.statistics.figures import (
    WEEKDAY_LONG,
    Overview,
    Row,
    num,
    pct,
    share,
    staff_rows,
)
from kb_app.domain.statistics.periods import previous_period


@dataclass(frozen=True)
class TableView:
    """A chart's figures as a table: the screen-reader view, the reports' tables."""

    key: str
    title: str
    note: str
    headers: list[str]
    rows: list[list[str]]


def _days(v: float | None) -> str:
    return num(v, 1) if v is not None else "–"


def _shares(key: str, title: str, note: str, what: str, rows: list[Row]) -> TableView:
    """A table of counts and shares (kinds, grounds, places)."""
    return TableView(
        key,
        title,
        note,
        [what, "Ärenden", "Andel"],
        [[r.label, str(r.count), pct(r.share)] for r in rows],
    )


def tables(ov: Overview) -> dict[str, TableView]:
    """Every chart of ``ov`` as a titled table with Swedish numbers."""
    out: dict[str, TableView] = {}
    out["funnel"] = TableView(
        "funnel",
        "Från anmälan till avslut",
        "Ärenden anmälda under perioden och hur långt de har kommit.",
        ["Steg", "Ärenden", "Andel av anmälda"],
        [[r.label, str(r.count), pct(r.share)] for r in ov.funnel],
    )
    prev = previous_period(ov.period)
    out["months"] = TableView(
        "months",
        "Anmälningar per månad",
        f"{ov.period.label} jämfört med {prev.label[0].lower() + prev.label[1:]}.",
        ["Månad", "Perioden", "Föregående period"],
        [[m.label, str(m.current), str(m.previous)] for m in ov.months],
    )
    u = ov.units
    if u.uses_pupils:
        note = (
            "Anmälningar per 100 barn/elever. Genomsnitt för hela huvudmannen: "
            f"{num(u.average_per_100)} per 100."
        )
    else:
        note = (
            f"Antal anmälningar (elevantal saknas). Genomsnitt per enhet: {num(u.average_cases)}."
        )
    out["units"] = TableView(
        "units",
        "Per enhet jämfört med huvudmannen",
        note,
        ["Enhet", "Ärenden", "Barn/elever", "Per 100 barn/elever"],
        [[r.label, str(r.cases), str(r.pupils or "–"), num(r.per_100)] for r in u.rows]
        + [
            [
                f"{u.whole_label} (genomsnitt)",
                str(u.total_cases),
                str(u.total_pupils or "–"),
                num(u.average_per_100),
            ]
        ],
    )
    if ov.classes is not None:
        c = ov.classes
        out["classes"] = TableView(
            "classes",
            f"Per klass i {c.whole_label}",
            (
                f"Anmälningar per 100 elever. Enhetens genomsnitt: {num(c.average_per_100)} per 100."
                if c.uses_pupils
                else f"Antal anmälningar. Genomsnitt per klass: {num(c.average_cases)}."
            ),
            ["Klass", "Ärenden", "Elever", "Per 100 elever"],
            [[r.label, str(r.cases), str(r.pupils or "–"), num(r.per_100)] for r in c.rows]
            + [
                [
                    f"{c.whole_label} (genomsnitt)",
                    str(c.total_cases),
                    str(c.total_pupils or "–"),
                    num(c.average_per_100),
                ]
            ],
        )
    out["kinds"] = _shares(
        "kinds", "Slag av kränkning", "Ett ärende kan ha flera slag.", "Slag", ov.kinds
    )
    out["grounds"] = _shares(
        "grounds",
        "Diskrimineringsgrunder",
        "Trakasserier som har samband med en diskrimineringsgrund. Ett ärende kan ha flera.",
        "Grund",
        ov.grounds,
    )
    out["places"] = _shares("places", "Var det hände", "Plats för händelsen.", "Plats", ov.places)
    h = ov.hotspots
    out["hotspots"] = TableView(
        "hotspots",
        "Veckodag och klockslag",
        "När händelserna inträffade, antal ärenden per timme."
        + (f" Vanligast: {h.top[0][0]} ({h.top[0][1]} st)." if h.top else ""),
        ["Veckodag"] + [f"{hh:02d}" for hh in h.hours] + ["Okänd tid"],
        [
            [WEEKDAY_LONG[wd]] + [str(v) for v in h.matrix[wd]] + [str(h.unknown_time[wd])]
            for wd in range(7)
        ],
    )
    out["step_times"] = TableView(
        "step_times",
        "Tid per steg",
        "Arbetsdagar från föregående steg (för hela ärendet: från anmälan till avslut). "
        "Median och 90:e percentil; andel klara inom huvudmannens frist.",
        ["Steg", "Ärenden", "Median", "90:e percentil", "Frist", "Inom frist"],
        [
            [
                s.label,
                str(s.cases),
                _days(s.median),
                _days(s.p90),
                (f"{s.limit} arbetsdag" + ("ar" if s.limit != 1 else ""))
                if s.limit is not None
                else "–",
                pct(s.share_within) if s.limit is not None else "–",
            ]
            for s in ov.step_times
        ],
    )
    out["staff"] = TableView(
        "staff",
        "Personal inblandad",
        "Ärenden där en vuxen i verksamheten pekas ut (skollagen 6 kap. 9 §).",
        ["", "Ärenden", "Andel"],
        [[r.label, str(r.count), pct(r.share)] for r in staff_rows(ov.staff_involved, ov.total)],
    )
    return out


def summary(ov: Overview) -> list[tuple[str, str, str]]:
    """Key figures: (label, value, explanation)."""
    within, timed = ov.within_all
    open_cases = ov.total - ov.closed
    return [
        ("Anmälda ärenden", str(ov.total), ov.period.label),
        (
            "Pågående",
            str(open_cases),
            f"{ov.closed} avslutade"
            + (
                f"; nya åtgärder behövs i {ov.new_measures_needed}"
                if ov.new_measures_needed
                else ""
            ),
        ),
        ("Steg inom frist", pct(share(within, timed)), f"{within} av {timed} steg"),
        ("Personal inblandad", pct(ov.staff_share), f"{ov.staff_involved} ärenden"),
    ]
