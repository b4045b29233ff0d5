"""Archive packages (issue 16.4): closed cases as an E-ARK SIP (CSIP 2.1.0 + SIP 2.1.0)
that the E-ARK project's own validator passes, with a SHA-256 per file that
``archive.verify`` (``kb-app archive verify``) checks: a changed byte is found."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime

import pikepdf
import pytest
from sqlmodel import select

from kb_app.db import read_scope
from kb_app.errors import AccessDenied, InvalidInput
from kb_app.models import AccessLog
from kb_app.services.case import archive, attachments
from tests.support import eark, reply_pack_fixture
from tests.support.helpers import actor_for

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


@pytest.fixture
def fx(engine):
    pack = reply_pack_fixture.build()
    organiser = actor_for("organiser@test.se")
    attachments.add_attachment(
        organiser,
        pack.case_id,
        filename="anteckningar.txt",
        data=b"Samtal med Noah 2026-09-10.\n",
        context="comment",
        now=datetime(2026, 10, 21, 8, tzinfo=UTC),
    )
    return pack


def _write(tmp_path, package) -> str:
    path = tmp_path / package.filename
    path.write_bytes(package.data)
    return str(path)


def test_a_case_package_passes_the_eark_validator_and_its_own_checksums(fx, tmp_path):
    org = actor_for("organiser@test.se")
    package = archive.build_package(org, reference=fx.reference.lower(), now=NOW)
    path = _write(tmp_path, package)

    report = eark.validate(path)
    assert report.valid, (report.structure, report.schema, report.real_errors)
    assert report.errors == [
        "SIP14: The creator agent element MUST have a NOTETYPE attribute of value "
        "IDENTIFICATIONCODE."
    ]  # the validator's own contradiction (tests/support/eark.py), nothing else

    checked = archive.verify(path)
    assert checked.ok, checked.findings
    assert (
        checked.files >= 8
    )  # dc, premis ×2, documentation, schema, rep METS, pdf, json, attachment

    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        root = package.objid
        assert {n.split("/", 1)[0] for n in names} == {root}
        data = f"{root}/representations/rep1/data/{fx.reference}"
        assert f"{data}/arendeakt.pdf" in names
        assert any(
            n.startswith(f"{data}/bilagor/") and n.endswith("anteckningar.txt") for n in names
        )
        timeline = json.loads(z.read(f"{data}/tidslinje.json"))
        assert timeline["arende"] == fx.reference
        kinds = [e["typ"] for e in timeline["handelser"]]
        assert kinds[-1] == "attachment_added" and "closed" in kinds
        assert all(e["hash"] and e["prev_hash"] is not None for e in timeline["handelser"])
        assert (
            z.read(
                f"{data}/bilagor/"
                + next(n.rsplit("/", 1)[1] for n in names if n.endswith("anteckningar.txt"))
            )
            == b"Samtal med Noah 2026-09-10.\n"
        )
        mets = z.read(f"{root}/METS.xml").decode()
        assert 'PROFILE="https://earksip.dilcis.eu/profile/E-ARK-SIP.xml"' in mets
        assert 'CHECKSUMTYPE="SHA-256"' in mets
        pdf_bytes = z.read(f"{data}/arendeakt.pdf")
        rep = tmp_path / "rep-METS.xml"
        rep.write_bytes(z.read(f"{root}/representations/rep1/METS.xml"))
    assert eark.schema_errors(rep) == []

    # The case file is PDF/A-2b: the XMP says so, an sRGB output intent, every font embedded.
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "2" and meta["pdfaid:conformance"] == "B"
        assert pdf.Root.OutputIntents[0].S == "/GTS_PDFA1"
        for page in pdf.pages:
            for _name, font in page.Resources.Font.items():
                desc = font.get("/FontDescriptor")
                assert desc is not None and ("/FontFile2" in desc or "/FontFile" in desc), font


def test_a_changed_byte_is_found(fx, tmp_path):
    org = actor_for("organiser@test.se")
    package = archive.build_package(org, reference=fx.reference, now=NOW)
    root = package.objid
    target = f"{root}/representations/rep1/data/{fx.reference}/tidslinje.json"

    # One byte of one file changed, the zip rewritten whole (its CRCs right).
    changed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package.data)) as src, zipfile.ZipFile(changed, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == target:
                data = data.replace(b"Karin Berg", b"Karin Borg", 1)
            dst.writestr(info, data)
    path = tmp_path / "changed.zip"
    path.write_bytes(changed.getvalue())
    found = archive.verify(path)
    assert not found.ok
    assert found.findings == [
        f"Ändrad fil: representations/rep1/data/{fx.reference}/tidslinje.json "
        "(kontrollsumman stämmer inte)."
    ]

    # One byte of the zip file itself flipped: the member's CRC (or the zip) breaks.
    raw = bytearray(package.data)
    with zipfile.ZipFile(io.BytesIO(package.data)) as z:
        info = z.getinfo(f"{root}/representations/rep1/data/{fx.reference}/arendeakt.pdf")
    raw[info.header_offset + 30 + len(info.filename.encode()) + 100] ^= 0x01
    flipped = tmp_path / "flipped.zip"
    flipped.write_bytes(bytes(raw))
    found = archive.verify(flipped)
    assert not found.ok
    assert any("arendeakt.pdf" in f for f in found.findings), found.findings

    # A file added that no METS lists, and one removed.
    extra = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package.data)) as src, zipfile.ZipFile(extra, "w") as dst:
        for info in src.infolist():
            if not info.filename.endswith("om-arkivpaketet.txt"):
                dst.writestr(info, src.read(info))
        dst.writestr(f"{root}/representations/rep1/data/extra.txt", b"x")
    path = tmp_path / "extra.zip"
    path.write_bytes(extra.getvalue())
    assert archive.verify(path).findings == [
        "Filen saknas i paketet: documentation/om-arkivpaketet.txt.",
        "Filen finns inte i paketbeskrivningen: representations/rep1/data/extra.txt.",
    ]
    assert archive.verify(tmp_path / "nothing.zip").findings == [
        f"Filen finns inte: {tmp_path / 'nothing.zip'}."
    ]


def test_a_year_package_holds_the_closed_cases_and_logs_each(fx, tmp_path):
    org = actor_for("organiser@test.se")
    years = archive.closing_years(org, now=NOW)
    assert [(y.year, y.cases) for y in years] == [(2026, 1)]
    package = archive.build_package(org, year=2026, now=NOW)
    assert package.references == [fx.reference]
    assert package.filename == "arkivpaket-2026-2026-11-24.zip"
    assert eark.validate(_write(tmp_path, package)).valid
    with read_scope() as s:
        rows = s.exec(select(AccessLog).where(AccessLog.action == archive.LOG_ACTION)).all()
    assert [(r.case_id, r.allowed, r.user_id) for r in rows] == [(fx.case_id, True, org.user_id)]
    with pytest.raises(InvalidInput) as exc:
        archive.build_package(org, year=2019, now=NOW)
    assert exc.value.errors == {"arkiv": archive.MSG_NONE}


def test_the_closing_year_is_the_swedish_one(fx):
    """Closed at 23:30 UTC on New Year's Eve is 00:30 on 1 January in Sweden."""
    from kb_app.db import session_scope
    from kb_app.domain.process import Step
    from kb_app.models import Case
    from tests.support.stats_fixture import make_case

    with session_scope() as s:
        first = s.get(Case, fx.case_id)
        late = make_case(s, first.organisation_id, first.unit_id, NOW, [])
        late.step = Step.CLOSED
        late.closed_at = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
        s.add(late)
        late_ref = late.reference
    org = actor_for("organiser@test.se")
    later = datetime(2027, 1, 2, 9, tzinfo=UTC)
    years = archive.closing_years(org, now=later)
    assert [(y.year, y.cases) for y in years] == [(2027, 1), (2026, 1)]
    assert archive.build_package(org, year=2027, now=later).references == [late_ref]
    assert archive.build_package(org, year=2026, now=later).references == [fx.reference]


def test_only_closed_cases_and_only_organisers(fx):
    org = actor_for("organiser@test.se")
    from kb_app.db import session_scope
    from kb_app.models import Case
    from tests.support.stats_fixture import make_case

    with session_scope() as s:
        first = s.get(Case, fx.case_id)
        open_case = make_case(s, first.organisation_id, first.unit_id, NOW, [])
        open_ref = open_case.reference
    with pytest.raises(InvalidInput) as exc:
        archive.build_package(org, reference=open_ref, now=NOW)
    assert exc.value.errors == {"arkiv": archive.MSG_NOT_CLOSED}
    with pytest.raises(InvalidInput):
        archive.build_package(org, now=NOW)
    for who in ["principal", "investigator"]:
        actor = actor_for(f"{who}@test.se")
        with pytest.raises(AccessDenied):
            archive.build_package(actor, reference=fx.reference, now=NOW)
        with pytest.raises(AccessDenied):
            archive.closing_years(actor, now=NOW)
    with pytest.raises(AccessDenied):
        archive.build_package(org, reference="KB-1999-0001", now=NOW)
    with read_scope() as s:
        refused = s.exec(
            select(AccessLog).where(
                AccessLog.action == archive.LOG_ACTION, AccessLog.allowed.is_(False)
            )
        ).all()
    assert len(refused) == 5


def test_kb_app_archive_verify(fx, tmp_path, capsys):
    from kb_app import cli

    package = archive.build_package(actor_for("organiser@test.se"), reference=fx.reference, now=NOW)
    good = _write(tmp_path, package)
    assert cli.main(["archive", "verify", good]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"OK: arkivpaketet {package.objid} är helt:")

    raw = bytearray(package.data)
    with zipfile.ZipFile(io.BytesIO(package.data)) as z:
        info = z.getinfo(f"{package.objid}/representations/rep1/data/{fx.reference}/arendeakt.pdf")
    raw[info.header_offset + 30 + len(info.filename.encode()) + 200] ^= 0x40
    bad = tmp_path / "bad.zip"
    bad.write_bytes(bytes(raw))
    assert cli.main(["archive", "verify", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "FEL: " in out and "arendeakt.pdf" in out
    assert "Arkivpaketet är ändrat eller skadat" in out
    assert "Traceback" not in out


def _client_for(email: str):
    import warnings

    from kb_app import api
    from kb_app.services.admin import auth

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    client = TestClient(api.build_api(), base_url="http://testserver")
    if email:
        with read_scope() as s:
            from kb_app.models import User

            uid = s.exec(select(User.id).where(User.email == email)).one()
        auth.set_password(uid, "provlosenord-2026")
        client.cookies.set(
            api.SESSION_COOKIE, auth.login(email, "provlosenord-2026", now=NOW).token
        )
    return client


def test_the_route_downloads_a_package_for_organisers_only(fx, clock, tmp_path):
    r = _client_for("").get("/export/arkivpaket.zip?ar=2026", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/logga-in"

    org = _client_for("organiser@test.se")
    r = org.get("/export/arkivpaket.zip?ar=2026")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    assert r.headers["cache-control"] == "no-store"
    assert 'filename="arkivpaket-2026-2026-11-24.zip"' in r.headers["content-disposition"]
    path = tmp_path / "p.zip"
    path.write_bytes(r.content)
    assert archive.verify(path).ok
    r = org.get(f"/export/arkivpaket.zip?ref={fx.reference}")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    r = org.get("/export/arkivpaket.zip?ar=2019")
    assert r.status_code == 400 and r.text == archive.MSG_NONE
    r = org.get("/export/arkivpaket.zip")
    assert r.status_code == 400 and r.text == archive.MSG_CHOOSE
    for who in ["principal", "investigator"]:
        r = _client_for(f"{who}@test.se").get("/export/arkivpaket.zip?ar=2026")
        assert r.status_code == 403 and fx.reference not in r.text


def test_a_changed_stored_attachment_stops_the_package(fx):
    from kb_app.models import Attachment

    with read_scope() as s:
        row = s.exec(select(Attachment).where(Attachment.case_id == fx.case_id)).one()
    stored = attachments.stored_path(row)
    stored.write_bytes(stored.read_bytes().replace(b"Noah", b"Nora"))
    with pytest.raises(InvalidInput) as exc:
        archive.build_package(actor_for("organiser@test.se"), reference=fx.reference, now=NOW)
    assert exc.value.errors == {"arkiv": archive.msg_attachment(fx.reference, row.filename)}
    with read_scope() as s:
        logged = s.exec(select(AccessLog).where(AccessLog.action == archive.LOG_ACTION)).all()
    assert logged == []  # nothing made, nothing logged as exported


def test_every_changed_byte_of_a_file_in_the_zip_is_found(fx, tmp_path):
    """A byte flipped anywhere in any member's stored data is found (as changed or
    damaged), and no flip anywhere in the zip makes verify fail with an exception."""
    package = archive.build_package(actor_for("organiser@test.se"), reference=fx.reference, now=NOW)
    with zipfile.ZipFile(io.BytesIO(package.data)) as z:
        regions = []
        for info in z.infolist():
            start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
            regions.append((start, start + info.compress_size))
    inside = [a + (b - a) * k // 7 for a, b in regions for k in range(4) if b > a]
    anywhere = list(range(0, len(package.data), max(1, len(package.data) // 60)))
    path = tmp_path / "p.zip"
    for offset in sorted(set(inside + anywhere)):
        raw = bytearray(package.data)
        raw[offset] ^= 0xFF
        path.write_bytes(bytes(raw))
        result = archive.verify(path)  # never raises
        assert all(isinstance(f, str) and f for f in result.findings)
        if offset in inside:
            assert not result.ok, offset
