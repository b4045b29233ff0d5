"""Shared PDF building blocks (reportlab): the Vera fonts shipped with reportlab
(full Swedish alphabet), calm styles, tables and simple bar charts."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from kb_app.domain.statistics import num

TEAL = colors.HexColor("#0d7c72")
TEAL_LIGHT = colors.HexColor("#9fd8cf")
SLATE = colors.HexColor("#60646c")
GRID = colors.HexColor("#d9d9e0")
HEAD_BG = colors.HexColor("#f0f0f3")
TEXT = colors.HexColor("#1c2024")

FONT = "Vera"
FONT_BOLD = "Vera-Bold"


@lru_cache(maxsize=1)
def register_fonts() -> None:
    import reportlab

    base = Path(reportlab.__file__).parent / "fonts"
    pdfmetrics.registerFont(TTFont(FONT, str(base / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(base / "VeraBd.ttf")))
    pdfmetrics.registerFont(TTFont("Vera-Italic", str(base / "VeraIt.ttf")))
    pdfmetrics.registerFont(TTFont("Vera-BoldItalic", str(base / "VeraBI.ttf")))
    from reportlab.pdfbase.pdfmetrics import registerFontFamily

    registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic="Vera-Italic", boldItalic="Vera-BoldItalic"
    )


def styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    body = ParagraphStyle(
        "body", fontName=FONT, fontSize=9.5, leading=13, textColor=TEXT, alignment=TA_LEFT
    )
    return {
        "title": ParagraphStyle(
            "title", parent=body, fontName=FONT_BOLD, fontSize=18, leading=22, spaceAfter=4
        ),
        "subtitle": ParagraphStyle("subtitle", parent=body, textColor=SLATE, spaceAfter=10),
        "h2": ParagraphStyle(
            "h2",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=12.5,
            leading=16,
            spaceBefore=12,
            spaceAfter=5,
            textColor=TEAL,
        ),
        "h3": ParagraphStyle(
            "h3", parent=body, fontName=FONT_BOLD, fontSize=10.5, spaceBefore=6, spaceAfter=3
        ),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=10.5, textColor=SLATE),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8.5, leading=11),
        "cell_bold": ParagraphStyle("cell_bold", parent=body, fontName=FONT_BOLD, fontSize=8.5),
    }


def esc(text: str) -> str:
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def para(text: str, style: str = "body") -> Paragraph:
    """A paragraph of plain text (escaped; line breaks kept)."""
    return Paragraph(esc(text).replace("\n", "<br/>"), styles()[style])


def table(
    headers: list[str] | None, rows: list[list[str]], widths: list[float] | None = None
) -> Table:
    """A table; without headers the first column is shown in bold as labels."""
    st = styles()
    data = [[Paragraph(esc(h), st["cell_bold"]) for h in headers]] if headers else []
    for r in rows:
        data.append(
            [
                Paragraph(
                    esc(str(c)).replace("\n", "<br/>"),
                    st["cell_bold" if not headers and i == 0 else "cell"],
                )
                for i, c in enumerate(r)
            ]
        )
    if not data:
        data = [[""]]
    t = Table(data, colWidths=widths, repeatRows=1 if headers else 0, hAlign="LEFT")
    head = []
    if headers:
        head = [
            ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
            ("LINEBELOW", (0, 0), (-1, 0), 0.6, GRID),
        ]
    t.setStyle(
        TableStyle(
            head
            + [
                ("LINEBELOW", (0, 1 if headers else 0), (-1, -1), 0.3, GRID),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return t


def bar_chart(
    labels: list[str],
    series: list[list[float]],
    *,
    names: list[str] | None = None,
    width: float = 170 * mm,
    decimals: int = 0,
) -> Drawing:
    """Horizontal bars, one row per label (first label on top), one colour per series.

    Numbers in Swedish format (decimal comma, as in the tables beside the charts);
    the legend of several series sits above the bars, clear of the value axis."""
    from reportlab.graphics.shapes import Rect

    register_fonts()

    def sv(value: float) -> str:
        return num(value, decimals)

    legend = bool(names) and len(series) > 1
    legend_h = 14 if legend else 0
    n = max(1, len(labels))
    bar_h = 11 if len(series) == 1 else 8
    height = n * (bar_h * len(series) + 6) + 24 + legend_h
    d = Drawing(width, height)
    c = HorizontalBarChart()
    c.x, c.y = 62 * mm, 14
    c.width, c.height = width - 62 * mm - 30, height - 22 - legend_h
    c.data = [list(reversed(s)) for s in series] or [[0]]
    c.categoryAxis.categoryNames = list(reversed(labels)) or [""]
    c.categoryAxis.labels.fontName = FONT
    c.categoryAxis.labels.fontSize = 7.5
    c.categoryAxis.labels.boxAnchor = "e"
    c.categoryAxis.labels.dx = -4
    c.categoryAxis.strokeColor = GRID
    c.valueAxis.labels.fontName = FONT
    c.valueAxis.labels.fontSize = 7
    c.valueAxis.valueMin = 0
    top = max([max(s) if s else 0 for s in series] + [1])
    c.valueAxis.valueMax = top * 1.15
    if decimals == 0:  # counts: whole-number ticks only
        c.valueAxis.valueStep = max(1, math.ceil(top * 1.15 / 6))
    c.valueAxis.labelTextFormat = lambda v: num(v, max(decimals, 1))
    c.valueAxis.strokeColor = GRID
    c.valueAxis.visibleGrid = True
    c.valueAxis.gridStrokeColor = GRID
    c.valueAxis.gridStrokeWidth = 0.3
    c.barSpacing = 1
    c.groupSpacing = 5
    palette = [TEAL, TEAL_LIGHT, SLATE]
    for i in range(len(series)):
        c.bars[i].fillColor = palette[i % len(palette)]
        c.bars[i].strokeColor = None
    c.barLabelFormat = sv
    c.barLabels.fontName = FONT
    c.barLabels.fontSize = 6.5
    c.barLabels.boxAnchor = "w"
    c.barLabels.dx = 3
    d.add(c)
    if legend:
        x, y = 62 * mm, height - 9
        for i, name in enumerate(names or []):
            d.add(Rect(x, y, 7, 7, fillColor=palette[i % len(palette)], strokeColor=None))
            d.add(String(x + 10, y + 1, name, fontName=FONT, fontSize=7, fillColor=TEXT))
            x += 14 + pdfmetrics.stringWidth(name, FONT, 7) + 12
    return d


def section(title: str, *flowables, keep: int = 1) -> list:
    """A titled section; the title is kept on one page with the first ``keep``
    flowables (a note and its chart, say)."""
    st = styles()
    head = Paragraph(esc(title), st["h2"])
    if flowables:
        return [KeepTogether([head, *flowables[:keep]]), *flowables[keep:], Spacer(1, 4)]
    return [head]


def build(story: list, *, title: str, footer: Callable[[], str]) -> bytes:
    register_fonts()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=title,
        author="Värna",
        lang="sv-SE",
    )

    def on_page(canvas, doc_):
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(SLATE)
        canvas.drawString(18 * mm, 10 * mm, footer())
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"Sida {doc_.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buf.getvalue()
