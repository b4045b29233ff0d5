"""Plotly figures (plain dicts) for the statistics page, from the domain's shapes.

One calm palette: teal for this period's figures, slate for comparisons, amber for
what needs attention (staff involved, limits). Swedish labels; numbers with a
decimal comma (``separators``) and the "sv" locale set on the component.
"""

from __future__ import annotations

from kb_app.domain import statistics as st

TEAL = "#12a594"
TEAL_SOFT = "#8fd3c5"
SLATE = "#b9bbc6"
SLATE_DARK = "#60646c"
AMBER = "#ffb224"
GRID = "#e8e8ec"
TEXT = "#1c2024"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"

CONFIG = {"displayModeBar": False, "responsive": True, "scrollZoom": False}


def _layout(height: int, **extra) -> dict:
    base = {
        "height": height,
        "autosize": True,
        "margin": {"l": 8, "r": 24, "t": 8, "b": 8, "pad": 4},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": FONT, "size": 12, "color": TEXT},
        "separators": ", ",
        "showlegend": False,
        "hoverlabel": {"font": {"family": FONT}},
        "xaxis": {
            "gridcolor": GRID,
            "zeroline": False,
            "automargin": True,
            "fixedrange": True,
            "rangemode": "tozero",
        },
        "yaxis": {"gridcolor": GRID, "zeroline": False, "automargin": True, "fixedrange": True},
        "bargap": 0.35,
    }
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            base[k] = {**base[k], **v}
        else:
            base[k] = v
    return base


def _legend_top() -> dict:
    return {
        "showlegend": True,
        "legend": {
            "orientation": "h",
            "x": 0,
            "y": 1.02,
            "yanchor": "bottom",
            "font": {"size": 12},
        },
    }


def wrap(label: str, width: int = 20) -> str:
    """Break a long axis label over lines (narrow screens)."""
    words, lines, line = label.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    lines.append(line)
    return "<br>".join(lines)


def hbar(
    labels: list[str],
    values: list[float],
    *,
    text: list[str] | None = None,
    color: str = TEAL,
    hover: str = "%{y}: %{x}<extra></extra>",
    extra_traces: list[dict] | None = None,
    shapes: list[dict] | None = None,
    annotations: list[dict] | None = None,
) -> dict:
    n = max(1, len(labels))
    top = max([*values, *(s.get("x0", 0) for s in shapes or [])] + [1])
    trace = {
        "type": "bar",
        "orientation": "h",
        "y": [wrap(lbl) for lbl in labels],
        "x": values,
        "marker": {"color": color},
        "text": text if text is not None else [st.num(v) for v in values],
        "textposition": "outside",
        "cliponaxis": False,
        "hovertemplate": hover,
    }
    return {
        "data": [trace, *(extra_traces or [])],
        "layout": _layout(
            max(150, 34 * n + 40),
            xaxis={"range": [0, top * 1.35]},
            yaxis={"autorange": "reversed", "gridcolor": "rgba(0,0,0,0)"},
            shapes=shapes or [],
            annotations=annotations or [],
        ),
    }


def funnel(ov: st.Overview) -> dict:
    return hbar(
        [r.label for r in ov.funnel],
        [r.count for r in ov.funnel],
        text=[f"{r.count} ({st.pct(r.share)})" for r in ov.funnel],
        hover="%{y}: %{x} ärenden<extra></extra>",
    )


def months(ov: st.Overview) -> dict:
    labels = [m.label for m in ov.months]
    prev = st.previous_period(ov.period)
    return {
        "data": [
            {
                "type": "bar",
                "name": ov.period.label,
                "x": labels,
                "y": [m.current for m in ov.months],
                "marker": {"color": TEAL},
                "hovertemplate": "%{x}: %{y} ärenden<extra>" + ov.period.label + "</extra>",
            },
            {
                "type": "bar",
                "name": prev.label,
                "x": labels,
                "y": [m.previous for m in ov.months],
                "marker": {"color": SLATE},
                "hovertemplate": "%{x}: %{y} ärenden<extra>" + prev.label + "</extra>",
            },
        ],
        "layout": _layout(
            300,
            barmode="group",
            bargap=0.25,
            xaxis={"gridcolor": "rgba(0,0,0,0)", "type": "category"},
            yaxis={"rangemode": "tozero", "tickformat": "d"},
            **_legend_top(),
        ),
    }


def comparison(comp: st.Comparison | None, *, limit: int = 20) -> dict:
    if comp is None:
        return {}
    rows = comp.rows[:limit]
    if comp.uses_pupils:
        values = [r.per_100 or 0 for r in rows]
        text = [st.num(r.per_100) if r.per_100 is not None else "saknar elevantal" for r in rows]
        avg, unit_text = comp.average_per_100, "per 100 barn/elever"
    else:
        values = [r.cases for r in rows]
        text = [str(r.cases) for r in rows]
        avg, unit_text = comp.average_cases, "ärenden"
    shapes, notes = [], []
    if avg is not None:
        shapes = [
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": avg,
                "x1": avg,
                "y0": 0,
                "y1": 1,
                "line": {"color": SLATE_DARK, "width": 1.5, "dash": "dash"},
            }
        ]
        notes = [
            {
                "x": avg,
                "y": 1,
                "xref": "x",
                "yref": "paper",
                "yanchor": "bottom",
                "text": f"Genomsnitt {st.num(avg)}",
                "showarrow": False,
                "font": {"size": 11, "color": SLATE_DARK},
            }
        ]
    fig = hbar(
        [r.label for r in rows],
        values,
        text=text,
        hover="%{y}: %{x:.1f} " + unit_text + "<extra></extra>",
        shapes=shapes,
        annotations=notes,
    )
    fig["layout"]["margin"]["t"] = 28
    return fig


def counts(rows: list[st.Row], color: str = TEAL) -> dict:
    return hbar(
        [r.label for r in rows],
        [r.count for r in rows],
        text=[f"{r.count} ({st.pct(r.share)})" if r.count else "0" for r in rows],
        color=color,
        hover="%{y}: %{x} ärenden<extra></extra>",
    )


def hotspots(h: st.Hotspots) -> dict:
    x = [f"{hh:02d}" for hh in h.hours]
    return {
        "data": [
            {
                "type": "heatmap",
                "z": h.matrix,
                "x": x,
                "y": st.WEEKDAY_SHORT,
                "colorscale": [[0, "#f7f9f8"], [0.0001, "#e0f3ef"], [1, "#0d7c72"]],
                "showscale": False,
                "xgap": 2,
                "ygap": 2,
                "hovertemplate": "%{y} kl. %{x}: %{z} ärenden<extra></extra>",
                "text": [[str(v) if v else "" for v in row] for row in h.matrix],
                "texttemplate": "%{text}",
                "textfont": {"size": 11},
            }
        ],
        "layout": _layout(
            300,
            xaxis={
                "type": "category",
                "title": {"text": "Klockslag (timme)"},
                "gridcolor": "rgba(0,0,0,0)",
            },
            yaxis={"type": "category", "autorange": "reversed", "gridcolor": "rgba(0,0,0,0)"},
        ),
    }


def step_times(rows: list[st.StepTime]) -> dict:
    labels = [wrap(r.label.split(" (")[0]) for r in rows]
    limits = [r.limit for r in rows]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "name": "Median",
                "y": labels,
                "x": [r.median or 0 for r in rows],
                "marker": {"color": TEAL},
                "hovertemplate": "%{y}: median %{x:.1f} arbetsdagar<extra></extra>",
            },
            {
                "type": "bar",
                "orientation": "h",
                "name": "90:e percentil",
                "y": labels,
                "x": [r.p90 or 0 for r in rows],
                "marker": {"color": TEAL_SOFT},
                "hovertemplate": "%{y}: 90 % inom %{x:.1f} arbetsdagar<extra></extra>",
            },
            {
                "type": "scatter",
                "mode": "markers",
                "name": "Frist",
                "y": [lbl for lbl, lim in zip(labels, limits, strict=True) if lim is not None],
                "x": [lim for lim in limits if lim is not None],
                "marker": {
                    "symbol": "line-ns-open",
                    "size": 22,
                    "color": AMBER,
                    "line": {"width": 3},
                },
                "hovertemplate": "%{y}: frist %{x} arbetsdagar<extra></extra>",
            },
        ],
        "layout": _layout(
            320,
            barmode="group",
            bargap=0.3,
            yaxis={"autorange": "reversed", "gridcolor": "rgba(0,0,0,0)"},
            xaxis={"title": {"text": "Arbetsdagar"}},
            **_legend_top(),
        ),
    }


def staff(ov: st.Overview) -> dict:
    rows = st.staff_rows(ov.staff_involved, ov.total)
    return {
        "data": [
            {
                "type": "pie",
                "labels": [r.label for r in rows],
                "values": [r.count for r in rows],
                "hole": 0.62,
                "sort": False,
                "direction": "clockwise",
                "marker": {"colors": [AMBER, "#e8e8ec"]},
                "textinfo": "none",
                "hovertemplate": "%{label}: %{value} ärenden (%{percent})<extra></extra>",
            }
        ],
        "layout": _layout(
            260,
            showlegend=True,
            legend={"orientation": "h", "x": 0.5, "xanchor": "center", "y": -0.08},
            annotations=[
                {
                    "text": f"<b>{st.pct(ov.staff_share)}</b>",
                    "showarrow": False,
                    "font": {"size": 20},
                    "x": 0.5,
                    "y": 0.5,
                    "xref": "paper",
                    "yref": "paper",
                }
            ],
        ),
    }


def all_figures(ov: st.Overview) -> dict[str, dict]:
    return {
        "funnel": funnel(ov),
        "months": months(ov),
        "units": comparison(ov.units),
        "classes": comparison(ov.classes),
        "kinds": counts(ov.kinds),
        "grounds": counts(ov.grounds),
        "places": counts(ov.places),
        "hotspots": hotspots(ov.hotspots),
        "step_times": step_times(ov.step_times),
        "staff": staff(ov),
    }
