"""Exports: pseudonymised CSV/XLSX, named export logged, yearly report, reply pack
with other children masked, and the authenticated download routes."""

from __future__ import annotations

import csv
import io
import re
import warnings
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlmodel import select

from kb_app import api
from kb_app.db import read_scope
from kb_app.domain import statistics as st
from kb_app.errors import AccessDenied
from kb_app.models import AccessLog, Party
from kb_app.services.admin import auth
from kb_app.services.statistics import exports, reply_pack
from kb_app.services.statistics import yearly_report as reports
from tests.support import stats_fixture
from tests.support.helpers import actor_for

with warnings.catch_warnings():  # starlette's note about httpx versions
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

SY = st.Filters(st.school_year(2025))
CHILDREN = ["Elsa", "Omar", "Liam", "Maja", "Noah", "Vera"]
STAFF = ["Anna Holm", "Peter Ström"]


NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)  # the conftest `now`


@pytest.fixture
def fx(engine):
    return stats_fixture.build()


def _csv_rows(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def _names_in(text: str) -> list[str]:
    return [n for n in CHILDREN + STAFF if re.search(rf"\b{n}\b", text)]


def _log(action: str) -> list[AccessLog]:
    with read_scope() as s:
        return list(s.exec(select(AccessLog).where(AccessLog.action == action)))


def _pdf_text(data: bytes) -> str:
    assert data[:5] == b"%PDF-"
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_pseudonymised_csv_has_no_names_and_stable_pseudonyms(fx):
    data = exports.to_csv(
        exports.case_list(actor_for("organiser@test.se"), SY, include_names=False, now=NOW)
    )
    rows = _csv_rows(data)
    header, body = rows[0], rows[1:]
    assert header[0] == "Ärende" and "Vad hände" not in header
    assert header[-2:] == ["Inblandade", "Vittnen"]
    assert len(body) == 7
    text = data.decode("utf-8")
    assert _names_in(text) == []
    assert "klätterställningen" not in text  # no free text
    by_ref = {r[0]: dict(zip(header, r, strict=True)) for r in body}
    c1, c2 = by_ref[fx.refs["C1"]], by_ref[fx.refs["C2"]]
    # Elsa is subjected in C1 and involved in C2: the same stand-in both times
    assert c1["Utsatta"] == "Elev A (4A)"
    assert "Elev A (4A)" in c2["Inblandade"]
    assert c2["Utsatta"] == "Elev B (4A)"  # Omar
    assert "Personal A" in c1["Inblandade"]
    log = _log("export_cases")
    assert len(log) == 1 and log[0].allowed


def test_named_export_is_explicit_and_logged(fx):
    data = exports.to_csv(
        exports.case_list(actor_for("organiser@test.se"), SY, include_names=True, now=NOW)
    )
    text = data.decode("utf-8")
    assert "Elsa Berg (4A)" in text and "Vad hände" in text
    assert len(_log("export_cases_named")) == 1
    assert _log("export_cases") == []


def test_pseudonymised_xlsx_has_no_names(fx):
    data = exports.to_xlsx(
        exports.case_list(actor_for("organiser@test.se"), SY, include_names=False, now=NOW)
    )
    ws = load_workbook(io.BytesIO(data)).active
    values = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert values[0] == "Ärende"
    assert _names_in(" ".join(values)) == []
    assert ws.max_row == 8  # header + 7 cases


def test_principal_exports_only_their_units(fx):
    data = exports.to_csv(
        exports.case_list(actor_for("principal@test.se"), SY, include_names=False, now=NOW)
    )
    refs = {r[0] for r in _csv_rows(data)[1:]}
    assert refs == {fx.refs[c] for c in ["C1", "C2", "C3", "C4"]}


def test_investigator_cannot_export_and_the_attempt_is_logged(fx):
    with pytest.raises(AccessDenied):
        exports.case_list(actor_for("investigator@test.se"), SY, include_names=True, now=NOW)
    log = _log("export_cases_named")
    assert len(log) == 1 and not log[0].allowed


def test_yearly_report_html_and_pdf(fx):
    rep = reports.yearly_report(actor_for("organiser@test.se"), SY, now=NOW)
    html = reports.report_html(rep)
    assert "Kränkande behandling – Läsåret 2025/26" in html
    assert "Testkommun" in html and "<table>" in html
    assert _names_in(html) == []
    text = _pdf_text(reports.report_pdf(rep))
    assert "Läsåret 2025/26" in text
    assert "Från anmälan till avslut" in text and "Tid per steg" in text
    assert "Testkommun" in text
    assert _names_in(text) == []
    with pytest.raises(AccessDenied):
        reports.yearly_report(actor_for("investigator@test.se"), SY, now=NOW)


def test_reply_pack_masks_other_children(fx):
    pack = reply_pack.build(actor_for("organiser@test.se"), case_id=fx.cases["C1"], now=NOW)
    text = _pdf_text(pack.pdf)
    assert fx.refs["C1"] in text and pack.filename == f"svarspaket-{fx.refs['C1']}.pdf"
    assert "Elsa Berg" in text
    assert "Omar" not in text and "Ali" not in text.replace("Alias", "")
    assert "Elev A" in text
    # Staff (the involved teacher, the reporter) are masked unless asked for
    assert "Peter Ström" not in text and "Anna Holm" not in text
    assert "Personal A" in text and "Personal B" in text
    # "Omar Ali knuffade Elsa …": the other child is masked in the free text too
    assert "Elev A knuffade Elsa" in " ".join(text.split())
    log = _log("export_reply_pack")
    assert [(e.case_id, e.allowed) for e in log] == [(fx.cases["C1"], True)]


def test_reply_pack_for_the_other_child(fx):
    with read_scope() as s:
        omar = s.exec(
            select(Party).where(Party.case_id == fx.cases["C2"], Party.name == "Omar Ali")
        ).one()
    pack = reply_pack.build(
        actor_for("principal@test.se"),
        reference=fx.refs["C2"].lower(),
        party_id=omar.id,
        now=NOW,
    )
    text = _pdf_text(pack.pdf)
    assert "Omar Ali" in text and "Elsa" not in text


def test_reply_pack_access(fx):
    for who in ["investigator", "principal_gran", "admin"]:
        with pytest.raises(AccessDenied):
            reply_pack.build(actor_for(f"{who}@test.se"), case_id=fx.cases["C1"], now=NOW)
    with pytest.raises(AccessDenied):
        reply_pack.build(actor_for("organiser@test.se"), reference="KB-1999-9999", now=NOW)
    denials = _log("export_reply_pack")
    # Each refusal is kept (recorded in its own transaction, not rolled back).
    assert len(denials) == 4 and all(not e.allowed for e in denials)
    assert [e.case_id for e in denials[:3]] == [fx.cases["C1"]] * 3


# --------------------------------------------------------------------------- HTTP


def _client_for(email: str) -> TestClient:
    password = "provlosenord-2026"
    with read_scope() as s:
        from kb_app.models import User

        uid = s.exec(select(User.id).where(User.email == email)).one()
    auth.set_password(uid, password)
    result = auth.login(email, password, now=NOW)
    client = TestClient(api.build_api(), base_url="http://testserver")
    client.cookies.set(api.SESSION_COOKIE, result.token)
    return client


def test_download_routes_check_the_session_and_access(fx, clock):
    anonymous = TestClient(api.build_api(), base_url="http://testserver")
    r = anonymous.get("/export/statistik/arenden.csv", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/logga-in"

    org = _client_for("organiser@test.se")
    r = org.get("/export/statistik/arenden.csv?period=school_year&year=2025")
    assert r.status_code == 200
    assert "attachment" in r.headers["content-disposition"]
    assert "arenden-2025-26-pseudonymiserad.csv" in r.headers["content-disposition"]
    assert r.headers["cache-control"] == "no-store"
    assert len(_csv_rows(r.content)) == 8 and _names_in(r.text) == []

    r = org.get("/export/statistik/arenden.xlsx?period=school_year&year=2025&namn=1")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    r = org.get("/export/statistik/arsrapport.pdf?period=calendar_year&year=2025")
    assert r.status_code == 200 and r.content[:5] == b"%PDF-"
    r = org.get("/export/statistik/arsrapport.html?period=school_year&year=2025")
    assert r.status_code == 200 and "Läsåret 2025/26" in r.text
    r = org.get(f"/export/svarspaket.pdf?ref={fx.refs['C1']}")
    assert r.status_code == 200 and fx.refs["C1"] in _pdf_text(r.content)
    r = org.get("/export/statistik/arenden.csv?period=custom&from=2025-09-30&to=2025-09-01")
    assert r.status_code == 400 and "före" in r.text

    inv = _client_for("investigator@test.se")
    assert inv.get("/export/statistik/arenden.csv").status_code == 403
    assert inv.get("/export/statistik/arsrapport.pdf").status_code == 403
    assert inv.get(f"/export/svarspaket.pdf?id={fx.cases['C1']}").status_code == 404

    principal = _client_for("principal@test.se")
    r = principal.get(f"/export/statistik/arenden.csv?year=2025&unit={fx.units['gran']}")
    assert r.status_code == 403


def test_export_prints_every_conclusion_by_its_swedish_label(fx):
    from kb_app.db import session_scope
    from kb_app.domain.process import CONCLUSION_LABELS
    from kb_app.models import Case

    with session_scope() as s:
        case = s.exec(select(Case).where(Case.reference == fx.refs["C1"])).one()
        case.conclusion = "sexual_harassment"
        s.add(case)
    label = CONCLUSION_LABELS["sexual_harassment"]
    assert label == "Sexuella trakasserier enligt diskrimineringslagen"
    organiser = actor_for("organiser@test.se")
    rows = _csv_rows(exports.to_csv(exports.case_list(organiser, SY, include_names=False, now=NOW)))
    by_ref = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert by_ref[fx.refs["C1"]]["Slutsats"] == label
    data = exports.to_xlsx(exports.case_list(organiser, SY, include_names=False, now=NOW))
    ws = load_workbook(io.BytesIO(data)).active
    values = [c.value for row in ws.iter_rows() for c in row]
    assert label in values and "sexual_harassment" not in values


def test_xlsx_has_real_dates_numbers_filters_and_no_formulas(fx):
    """Opened with openpyxl: date cells are dates in the Swedish format, step times
    are numbers, the header is frozen with filters, and a text starting with "="
    is stored as text (never a formula)."""
    from datetime import date

    from kb_app.db import session_scope
    from kb_app.models import Case

    with session_scope() as s:
        case = s.exec(select(Case).where(Case.reference == fx.refs["C1"])).one()
        case.class_name = '=HYPERLINK("http://angripare.example","4A")'
        s.add(case)
    organiser = actor_for("organiser@test.se")
    data = exports.to_xlsx(exports.case_list(organiser, SY, include_names=False, now=NOW))
    ws = load_workbook(io.BytesIO(data)).active
    header = [c.value for c in ws[1]]
    for wanted in ("Ansvarig", "Frist", "Försenad", "Utredning påbörjad (arbetsdagar)"):
        assert wanted in header
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, len(header)).column_letter}{ws.max_row}"
    rows = {r[0].value: {h: c for h, c in zip(header, r, strict=True)} for r in ws.iter_rows(2)}
    c1 = rows[fx.refs["C1"]]
    occurred = c1["Inträffade"]
    assert occurred.is_date and occurred.number_format == "yyyy-mm-dd"
    assert isinstance(occurred.value, datetime) and occurred.value.date() <= date(2026, 7, 31)
    assert c1["Anmäld"].is_date and c1["Anmäld"].number_format == "yyyy-mm-dd hh:mm"
    timed = [c for h, c in c1.items() if h.endswith("(arbetsdagar)") and c.value is not None]
    assert timed and all(c.data_type == "n" and isinstance(c.value, int) for c in timed)
    klass = c1["Klass"]
    assert klass.data_type == "s" and klass.value.startswith("=HYPERLINK")
    # No cell of the sheet is a formula.
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    # CSV: UTF-8 with BOM, ";", ISO dates, the formula neutralised.
    rows_csv = _csv_rows(
        exports.to_csv(exports.case_list(organiser, SY, include_names=False, now=NOW))
    )
    by_ref = {r[0]: dict(zip(rows_csv[0], r, strict=True)) for r in rows_csv[1:]}
    assert by_ref[fx.refs["C1"]]["Klass"].startswith("'=HYPERLINK")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", by_ref[fx.refs["C1"]]["Inträffade"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", by_ref[fx.refs["C1"]]["Anmäld"])


def test_yearly_report_charts_use_swedish_numbers_and_a_clear_legend(fx):
    """The charts print what the tables print ("2,6", never "2.6"), and a legend
    sits above its bars, never on the value axis."""
    from reportlab.graphics.shapes import String

    from kb_app.services.base import pdf

    rep = reports.yearly_report(actor_for("organiser@test.se"), SY, now=NOW)
    text = _pdf_text(reports.report_pdf(rep))
    assert re.search(r"\d,\d", text) and not re.search(r"\b\d+\.\d+\b", text)
    d = pdf.bar_chart(["a", "b"], [[2.55, 1.0], [9.0, 0.5]], names=["Median", "90:e"], decimals=1)
    strings = [x for x in d.contents if isinstance(x, String)]
    assert [s.text for s in strings] == ["Median", "90:e"]
    chart = next(x for x in d.contents if not isinstance(x, String) and hasattr(x, "data"))
    assert all(s.y > chart.y + chart.height for s in strings)  # above the bars and the axis
    assert chart.barLabelFormat(2.55) == "2,5" or chart.barLabelFormat(2.55) == "2,6"
    assert chart.valueAxis.labelTextFormat(0.5) == "0,5"
