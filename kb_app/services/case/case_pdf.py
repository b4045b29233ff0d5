"""The case file (Ärendeakt) as a PDF, drawn with reportlab.

Bitstream Vera (shipped with reportlab) covers å, ä and ö. The input is the view
built by ``view.case_file``: the caller has already checked EXPORT_CASE
and logged the access.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

import reportlab
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

from kb_app.services.case.view import CaseView

FONT, BOLD = "Vera", "VeraBd"
TEAL = colors.HexColor("#0d7d74")
GRAY = colors.HexColor("#5b6470")
LINE = colors.HexColor("#d7dbe0")
SECRECY = "Omfattas av sekretess enligt offentlighets- och sekretesslagen (2009:400) 23 kap."


@lru_cache(maxsize=1)
def _fonts() -> None:
    folder = Path(reportlab.__file__).parent / "fonts"
    pdfmetrics.registerFont(TTFont(FONT, str(folder / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(folder / "VeraBd.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle(
        "base", fontName=FONT, bulletFontName=FONT, fontSize=9.5, leading=13, alignment=TA_LEFT
    )
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10.5, textColor=GRAY),
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=17, leading=21),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=BOLD,
            fontSize=11.5,
            leading=15,
            spaceBefore=10,
            spaceAfter=4,
            textColor=TEAL,
        ),
        "label": ParagraphStyle("label", parent=base, fontName=BOLD, textColor=GRAY),
        "bold": ParagraphStyle("bold", parent=base, fontName=BOLD),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.5, leading=11),
        "cell_label": ParagraphStyle(
            "cell_label", parent=base, fontName=BOLD, fontSize=8.5, leading=11, textColor=GRAY
        ),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text or "").replace("\n", "<br/>"), style)


def _kv_table(rows: list[tuple[str, str]], st) -> Table:
    data = [[_p(k, st["label"]), _p(v or "–", st["base"])] for k, v in rows]
    t = Table(data, colWidths=[45 * mm, None], hAlign="LEFT")
    t.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONT", (0, 0), (-1, -1), FONT),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return t


def _grid(header: list[str], rows: list[list[str]], widths, st) -> Table:
    data = [[_p(h, st["cell_label"]) for h in header]] + [
        [_p(c, st["cell"]) for c in r] for r in rows
    ]
    t = Table(data, colWidths=widths, hAlign="LEFT", repeatRows=1)
    t.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONT", (0, 0), (-1, -1), FONT),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, GRAY),
                ("LINEBELOW", (0, 1), (-1, -1), 0.4, LINE),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return t


def render(view: CaseView) -> bytes:
    """The PDF bytes of one case file."""
    _fonts()
    st = _styles()
    buf = io.BytesIO()
    ref = view.reference

    def frame(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(GRAY)
        canvas.drawString(18 * mm, 10 * mm, f"Ärendeakt {ref} · {SECRECY}")
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"Sida {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=f"Ärendeakt {ref}",
        author="Värna",
        subject="Kränkande behandling, skollagen 6 kap. 10 §",
        # Every font embedded (PDF/A in archive packages): not reportlab's Helvetica
        initialFontName=FONT,
    )
    story: list = [
        _p(f"Ärendeakt {ref}", st["title"]),
        Spacer(1, 2 * mm),
        _p(
            f"Utskriven {view.printed} av {view.printed_by}. {SECRECY}",
            st["small"],
        ),
        Spacer(1, 3 * mm),
        _p("Ärendet", st["h2"]),
        _kv_table(
            [
                ("Enhet", view.unit),
                ("Klass / avdelning", view.class_name),
                ("Årskurs", view.grade),
                ("Anmält", view.reported),
                ("Steg", view.step + (f" ({view.closed_at})" if view.closed else "")),
                ("Ansvarig", view.responsible),
                ("Personal inblandad", "Ja" if view.staff_involved else "Nej"),
                ("Slutsats", view.conclusion),
            ],
            st,
        ),
        _p("Händelsen", st["h2"]),
        _kv_table(
            [
                ("När", view.occurred),
                ("Var", view.place),
                ("Slag", view.kinds),
                ("Diskrimineringsgrund", view.grounds or "Ingen angiven"),
                ("Vad hände", view.description),
                ("Åtgärder direkt", view.immediate_actions),
                ("Vårdnadshavare informerade", view.guardians_informed),
                ("Vittnen", view.witnesses),
                ("Anmälare", view.reporter),
            ],
            st,
        ),
        _p("Parter", st["h2"]),
        _grid(
            ["Roll", "Typ", "Namn", "Klass", "Årskurs"],
            [[p["role"], p["kind"], p["name"], p["class_name"], p["grade"]] for p in view.parties]
            or [["–", "", "", "", ""]],
            [24 * mm, 26 * mm, 60 * mm, 28 * mm, 32 * mm],
            st,
        ),
    ]
    if view.measures:
        story += [
            _p("Beslutade åtgärder", st["h2"]),
            _grid(
                ["Nivå", "Åtgärd", "Ansvarig", "Senast"],
                [[m["level"], m["description"], m["responsible"], m["due"]] for m in view.measures],
                [30 * mm, 80 * mm, 35 * mm, 25 * mm],
                st,
            ),
        ]
    story += [
        _p("Bilagor", st["h2"]),
        _grid(
            ["Fil", "Typ", "Storlek", "Hör till", "Bifogad"],
            [
                [a["filename"], a["type"], a["size"], a["context"], f"{a['when']} {a['who']}"]
                for a in view.attachments
            ]
            or [["Inga bilagor", "", "", "", ""]],
            [62 * mm, 28 * mm, 18 * mm, 24 * mm, 38 * mm],
            st,
        ),
    ]
    story += [
        _p("Skyndsamhet", st["h2"]),
        _grid(
            ["Steg", "Frist", "Senast", "Utfört", "Tid", "Bedömning"],
            [
                [r["step"], r["limit"], r["due"], r["done"] or "–", r["taken"], r["status_label"]]
                for r in view.promptness
            ]
            or [["–", "", "", "", "", ""]],
            [38 * mm, 26 * mm, 25 * mm, 32 * mm, 27 * mm, 25 * mm],
            st,
        ),
        _p("Tidslinje", st["h2"]),
    ]
    for ev in view.timeline:
        story.append(
            KeepTogether(
                [
                    _p(f"{ev['when']} · {ev['label']} · {ev['who']}", st["bold"]),
                    _p(ev["details"], st["base"]),
                    Spacer(1, 2.5 * mm),
                ]
            )
        )
    doc.build(story, onFirstPage=frame, onLaterPages=frame)
    return buf.getvalue()
