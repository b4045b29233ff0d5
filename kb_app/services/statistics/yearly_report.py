"""The yearly report for the organiser and Skolinspektionen: every statistics figure
of the chosen filters as tables with simple bar charts, as a web page and a PDF.
Aggregates only: no names, no free text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape

from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

from kb_app.db import session_scope
from kb_app.domain import statistics as st
from kb_app.domain.access import Actor
from kb_app.domain.fmt import sv_datetime
from kb_app.errors import NoStatisticsAccess
from kb_app.models import Organisation
from kb_app.services.base import access_log, pdf
from kb_app.services.statistics.queries import overview_in, resolve_scope

ORDER = [
    "funnel",
    "months",
    "step_times",
    "units",
    "classes",
    "kinds",
    "grounds",
    "places",
    "hotspots",
    "staff",
]


@dataclass(frozen=True)
class YearlyReport:
    organisation: str
    overview: st.Overview
    tables: dict[str, st.TableView]
    generated_at: datetime
    generated_by: str

    @property
    def title(self) -> str:
        return f"Kränkande behandling – {self.overview.period.label}"

    @property
    def filename_stem(self) -> str:
        p = self.overview.period
        return "arsrapport-" + (
            f"{p.start.year}-{str(p.start.year + 1)[-2:]}"
            if p.kind == st.PeriodKind.SCHOOL_YEAR
            else (
                str(p.start.year) if p.kind == st.PeriodKind.CALENDAR_YEAR else p.start.isoformat()
            )
        )


def yearly_report(actor: Actor | None, filters: st.Filters, *, now: datetime) -> YearlyReport:
    try:
        with session_scope() as s:
            scope = resolve_scope(s, actor, filters)
            access_log.record(s, actor, "export_report", now=now)
            ov = overview_in(s, scope)
            org = s.get(Organisation, scope.organisation_id)
    except NoStatisticsAccess:
        if actor is not None:
            access_log.deny(actor, "export_report", now=now)
        raise
    return YearlyReport(
        organisation=org.name if org else "",
        overview=ov,
        tables=st.tables(ov),
        generated_at=now,
        generated_by=actor.name,
    )


# --------------------------------------------------------------------------- charts data


def _chart_series(key: str, ov: st.Overview) -> tuple[list[str], list[list[float]], list[str]]:
    """Labels, series and series names for a table's bar chart ([] when none)."""
    if key == "funnel":
        return [r.label for r in ov.funnel], [[r.count for r in ov.funnel]], []
    if key == "months":
        return (
            [m.label for m in ov.months],
            [[m.current for m in ov.months], [m.previous for m in ov.months]],
            ["Perioden", "Föregående period"],
        )
    if key in ("units", "classes"):
        comp = ov.units if key == "units" else ov.classes
        if comp is None:
            return [], [], []
        rows = comp.rows[:25]
        if comp.uses_pupils:
            return [r.label for r in rows], [[r.per_100 or 0 for r in rows]], []
        return [r.label for r in rows], [[r.cases for r in rows]], []
    if key in ("kinds", "grounds", "places"):
        rows = getattr(ov, key)
        return [r.label for r in rows], [[r.count for r in rows]], []
    if key == "step_times":
        timed = ov.step_times
        return (
            [s.label for s in timed],
            [[s.median or 0 for s in timed], [s.p90 or 0 for s in timed]],
            ["Median", "90:e percentil"],
        )
    if key == "hotspots":
        h = ov.hotspots
        return (
            st.WEEKDAY_LONG,
            [[sum(row) + h.unknown_time[i] for i, row in enumerate(h.matrix)]],
            [],
        )
    return [], [], []


# --------------------------------------------------------------------------- HTML


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1c2024;
 max-width:56rem;margin:2rem auto;padding:0 1rem;line-height:1.45;background:#fff}
h1{font-size:1.6rem;margin:0 0 .25rem}h2{font-size:1.15rem;color:#0d7c72;margin:2rem 0 .3rem}
.muted{color:#60646c;font-size:.9rem}.note{color:#60646c;font-size:.9rem;margin:.2rem 0 .6rem}
table{border-collapse:collapse;width:100%;font-size:.9rem;margin:.4rem 0 1rem}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e0e1e6;vertical-align:top}
thead th{background:#f0f0f3;font-weight:600}tbody th{font-weight:500}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(11rem,1fr));gap:.75rem;margin:1.2rem 0}
.kpi{border:1px solid #e0e1e6;border-radius:8px;padding:.7rem .9rem}
.kpi b{display:block;font-size:1.5rem}.bars{margin:.3rem 0 .5rem}
.bar{display:grid;grid-template-columns:minmax(8rem,14rem) 1fr 3.5rem;gap:.5rem;align-items:center;font-size:.85rem;margin:.15rem 0}
.bar span.track{background:#f0f0f3;border-radius:3px;height:.8rem;display:block}
.bar span.fill{background:#12a594;border-radius:3px;height:.8rem;display:block}
.bar span.fill.prev{background:#b9bbc6}
@media print{body{margin:0}h2{break-after:avoid}table{break-inside:auto}}
"""


def _bars_html(labels: list[str], series: list[list[float]], names: list[str]) -> str:
    if not labels or not series:
        return ""
    top = max([max(s) if s else 0 for s in series] + [1])
    out = ['<div class="bars" aria-hidden="true">']
    for i, label in enumerate(labels):
        for j, s in enumerate(series):
            v = s[i] if i < len(s) else 0
            width = 100 * v / top
            name = f" · {names[j]}" if names and len(series) > 1 else ""
            out.append(
                f'<div class="bar"><span>{escape(label)}{escape(name)}</span>'
                f'<span class="track"><span class="fill{" prev" if j else ""}" '
                f'style="width:{width:.1f}%"></span></span><span>{escape(st.num(v))}</span></div>'
            )
    out.append("</div>")
    return "".join(out)


def report_html(rep: YearlyReport) -> str:
    ov = rep.overview
    parts = [
        "<!doctype html><html lang='sv'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        "<meta name='robots' content='noindex, nofollow'>",
        f"<title>{escape(rep.title)} · Värna</title><style>{CSS}</style></head><body>",
        f"<h1>{escape(rep.title)}</h1>",
        f"<p class='muted'>{escape(rep.organisation)} · {escape(ov.scope_label)} · "
        f"Skapad {escape(sv_datetime(rep.generated_at))} av {escape(rep.generated_by)}</p>",
        "<p>Sammanställning av anmälningar om kränkande behandling enligt skollagen "
        "6 kap. 10 §, som underlag för det systematiska kvalitetsarbetet och planen mot "
        "kränkande behandling (6 kap. 8 §). Rapporten innehåller inga namn.</p>",
        "<div class='kpis'>",
    ]
    for label, value, expl in st.summary(ov):
        parts.append(
            f"<div class='kpi'>{escape(label)}<b>{escape(value)}</b>"
            f"<span class='muted'>{escape(expl)}</span></div>"
        )
    parts.append("</div>")
    for key in ORDER:
        t = rep.tables.get(key)
        if t is None:
            continue
        labels, series, names = _chart_series(key, ov)
        parts.append(f"<section><h2>{escape(t.title)}</h2><p class='note'>{escape(t.note)}</p>")
        if key != "hotspots":
            parts.append(_bars_html(labels, series, names))
        parts.append("<table><thead><tr>")
        for i, h in enumerate(t.headers):
            parts.append(f"<th scope='col'{' class=num' if i else ''}>{escape(h)}</th>")
        parts.append("</tr></thead><tbody>")
        for row in t.rows:
            parts.append("<tr>")
            for i, cell in enumerate(row):
                tag = "th scope='row'" if i == 0 else "td class='num'"
                parts.append(f"<{tag}>{escape(cell)}</{tag.split()[0]}>")
            parts.append("</tr>")
        parts.append("</tbody></table></section>")
    parts.append(
        "<p class='muted'>Tider räknas i svenska arbetsdagar (helgfria vardagar) från "
        "föregående steg. Ett ärende hör till perioden efter det datum det anmäldes.</p>"
    )
    parts.append("</body></html>")
    return "".join(parts)


# --------------------------------------------------------------------------- PDF


def report_pdf(rep: YearlyReport) -> bytes:
    ov = rep.overview
    S = pdf.styles()
    story = [
        Paragraph(pdf.esc(rep.title), S["title"]),
        Paragraph(
            pdf.esc(
                f"{rep.organisation} · {ov.scope_label} · Skapad "
                f"{sv_datetime(rep.generated_at)} av {rep.generated_by}"
            ),
            S["subtitle"],
        ),
        pdf.para(
            "Sammanställning av anmälningar om kränkande behandling enligt skollagen 6 kap. "
            "10 §, som underlag för det systematiska kvalitetsarbetet och planen mot "
            "kränkande behandling (6 kap. 8 §). Rapporten innehåller inga namn."
        ),
        Spacer(1, 6),
        pdf.table(
            ["Nyckeltal", "Värde", ""],
            [[label, value, expl] for label, value, expl in st.summary(ov)],
            widths=[55 * mm, 30 * mm, 89 * mm],
        ),
    ]
    for key in ORDER:
        t = rep.tables.get(key)
        if t is None:
            continue
        labels, series, names = _chart_series(key, ov)
        flow = [pdf.para(t.note, "small"), Spacer(1, 3)]
        if labels and series and key != "hotspots":
            decimals = 1 if key in ("units", "classes", "step_times") else 0
            flow.append(pdf.bar_chart(labels, series, names=names, decimals=decimals))
        if key == "hotspots":
            widths = (
                [22 * mm]
                + [(174 * mm - 22 * mm - 16 * mm) / max(1, len(t.headers) - 2)]
                * (len(t.headers) - 2)
                + [16 * mm]
            )
            flow.append(pdf.table(t.headers, t.rows, widths=widths))
        else:
            flow.append(pdf.table(t.headers, t.rows))
        story += pdf.section(t.title, *flow, keep=len(flow) - 1)  # title, note, chart
    story.append(
        pdf.para(
            "Tider räknas i svenska arbetsdagar (helgfria vardagar) från föregående steg. "
            "Ett ärende hör till perioden efter det datum det anmäldes.",
            "small",
        )
    )
    return pdf.build(
        story,
        title=rep.title,
        footer=lambda: f"{rep.organisation} · {rep.title} · Värna",
    )
