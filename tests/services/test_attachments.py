"""Attachments (services/case/attachments.py) and the routes that take and give
them (kb_app/api.py): type by content, metadata stripped, limits, the store in
the data folder, access-checked downloads that are logged, the timeline, the
case file and the audit chain."""

from __future__ import annotations

import hashlib
import io
import json
import stat
import warnings
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from sqlmodel import select

from kb_app import api, db
from kb_app.domain.process import Step
from kb_app.errors import AccessDenied, InvalidInput
from kb_app.models import Attachment
from kb_app.services.admin import auth
from kb_app.services.case import attachments as att
from kb_app.services.case import audit, case_pdf, view
from kb_app.settings import get_settings, reset_settings
from tests.support import files
from tests.support.cases import INVESTIGATOR, PRINCIPAL, access_rows, drive, events, new_case
from tests.support.helpers import actor_for

ORIGIN = "http://testserver"
OTHER_PRINCIPAL = "rektor.ekbacke@exempelkommun.se"
ORGANISER = "huvudman@exempelkommun.se"


@pytest.fixture
def store(monkeypatch, tmp_path):
    """A data folder of this test's own (attachments, keys)."""
    monkeypatch.setenv("KB_DATA_DIR", str(tmp_path / "data"))
    reset_settings()
    return tmp_path / "data"


@pytest.fixture
def case(store, demo, now):
    """A case under investigation by the demo's investigator."""
    cid = new_case(now)
    drive(cid, Step.INVESTIGATION_STARTED, now, delegate_to=actor_for(INVESTIGATOR))
    return cid


def _rows() -> list[Attachment]:
    with db.read_scope() as s:
        return list(s.exec(select(Attachment).order_by(Attachment.id)))


def _add(cid, data, name, now, who=INVESTIGATOR, context="investigation"):
    return att.add_attachment(
        actor_for(who), cid, filename=name, data=data, context=context, now=now
    )


def _stored(row: Attachment) -> bytes:
    return att.stored_path(row).read_bytes()


# --------------------------------------------------------------- round trips


@pytest.mark.parametrize(
    "make,name,kind",
    [
        (files.pdf, "skärmdump.pdf", "pdf"),
        (files.docx, "samtal.docx", "docx"),
        (lambda: "Hej!\nDet hände på rasten.\n".encode(), "anteckning.txt", "txt"),
    ],
)
def test_a_document_round_trips_byte_identical(case, now, make, name, kind):
    data = make()
    row = _add(case, data, name, now)
    assert row.content_type == att.KINDS[kind].mime
    got = att.download(actor_for(PRINCIPAL), row.id, now=now)
    assert got.data == data and _stored(row) == data
    assert got.filename == name
    assert row.sha256 == hashlib.sha256(data).hexdigest()


def test_a_photo_loses_its_metadata_and_keeps_its_pixels(case, now):
    from PIL import Image

    photo = files.jpeg_with_gps()
    assert b"KameraTillverkare" in photo and b"hemlig kommentar" in photo
    row = _add(case, photo, "foto.JPG", now)
    got = att.download(actor_for(PRINCIPAL), row.id, now=now).data
    assert b"KameraTillverkare" not in got and b"Exif" not in got
    assert b"hemlig kommentar" not in got
    with Image.open(io.BytesIO(got)) as a, Image.open(io.BytesIO(photo)) as b:
        assert not a.getexif() and a.tobytes() == b.tobytes()  # lossless: same pixels
    assert row.filename == "foto.jpg" and row.size == len(got)


def test_a_turned_photo_is_turned_upright_and_loses_the_tag(case, now):
    from PIL import Image

    row = _add(case, files.jpeg_with_gps(orientation=6), "foto.jpg", now)
    with Image.open(io.BytesIO(_stored(row))) as im:
        assert im.size == (48, 64) and not im.getexif()


def test_a_png_loses_its_text_chunks(case, now):
    from PIL import Image

    png = files.png_with_text()
    row = _add(case, png, "skarmdump.png", now, context="comment")
    got = _stored(row)
    assert b"Elevens namn" in png and b"Elevens namn" not in got and b"tEXt" not in got
    with Image.open(io.BytesIO(got)) as a, Image.open(io.BytesIO(png)) as b:
        assert a.tobytes() == b.tobytes()


# --------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "make,name,message",
    [
        (files.windows_exe, "foto.jpg", att.MSG_TYPE),
        (files.elf, "dokument.pdf", att.MSG_TYPE),
        (lambda: b"#!/bin/sh\nrm -rf /\n", "anteckning.txt", att.MSG_TYPE),
        (lambda: b"<html><script>alert(1)</script></html>", "sida.txt", att.MSG_TYPE),
        (files.jpeg_zip_polyglot, "foto.jpg", att.MSG_BROKEN),
        (files.png_html_polyglot, "bild.png", att.MSG_BROKEN),
        (files.pdf_html_polyglot, "fil.pdf", att.MSG_BROKEN),
        (lambda: files.docx(macro=True), "makro.docx", att.MSG_MACRO),
        (lambda: b"", "tom.txt", att.MSG_EMPTY),
    ],
)
def test_a_bad_file_is_refused_in_swedish_and_nothing_is_stored(
    case, now, store, make, name, message
):
    before = len(events(case))
    with pytest.raises(InvalidInput) as err:
        _add(case, make(), name, now)
    assert err.value.errors == {att.FIELD: message}
    assert _rows() == [] and len(events(case)) == before
    assert not any((store / "attachments").glob("*"))


def test_an_oversize_file_and_a_full_case_are_refused(monkeypatch, case, now):
    monkeypatch.setenv("KB_ATTACHMENT_MAX_MB", "1")
    monkeypatch.setenv("KB_ATTACHMENT_CASE_MAX_MB", "2")
    reset_settings()
    assert get_settings().attachment_max_mb == 1
    big = b"a" * (1024 * 1024 + 1)
    with pytest.raises(InvalidInput) as err:
        _add(case, big, "stor.txt", now)
    assert err.value.errors[att.FIELD] == att.msg_too_big(1)
    part = b"b" * (900 * 1024)
    _add(case, part, "1.txt", now)
    _add(case, part, "2.txt", now)
    with pytest.raises(InvalidInput) as err:
        _add(case, part, "3.txt", now)
    assert err.value.errors[att.FIELD] == att.msg_case_full(2)
    assert len(_rows()) == 2


def test_the_filename_is_made_safe():
    kind = att.KINDS["pdf"]
    assert att.safe_filename("../../etc/passwd", kind) == "passwd.pdf"
    assert att.safe_filename('C:\\Users\\x\\"a;b"<c>.exe', kind) == "a_b_c.pdf"
    assert att.safe_filename("\x00\x1f.pdf", kind) == "bilaga.pdf"
    assert att.safe_filename("Åsa ö.pdf", kind) == "Åsa ö.pdf"
    assert len(att.safe_filename("x" * 400 + ".pdf", kind)) == 124


# --------------------------------------------------------------- store and access


def test_the_file_is_private_in_the_data_folder_and_nowhere_public(case, now, store):
    import reflex as rx

    row = _add(case, files.pdf(), "a.pdf", now)
    path = att.stored_path(row)
    assert path.parent == store / "attachments"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    upload_dir = rx.get_upload_dir()
    assert not upload_dir.exists() or not any(upload_dir.rglob(row.storage_key))


def test_who_may_attach_and_download(case, now):
    row = _add(case, files.pdf(), "a.pdf", now)
    # The principal and the organiser may download; the principal of another unit,
    # the admin and nobody get what a missing attachment gets, and it is logged.
    for email in (PRINCIPAL, ORGANISER, INVESTIGATOR):
        assert att.download(actor_for(email), row.id, now=now).data.startswith(b"%PDF")
    for who in (actor_for(OTHER_PRINCIPAL), actor_for("admin@exempelkommun.se"), None):
        with pytest.raises(AccessDenied):
            att.download(who, row.id, now=now)
    with pytest.raises(AccessDenied):
        att.download(actor_for(PRINCIPAL), row.id + 1000, now=now)
    log = [a for a in access_rows(case) if a.action == "download_attachment"]
    assert [a.allowed for a in log] == [True, True, True, False, False, False]
    # Attaching to another unit's case: refused and logged, nothing stored.
    with pytest.raises(AccessDenied):
        _add(case, files.pdf(), "b.pdf", now, who=OTHER_PRINCIPAL, context="comment")
    assert len(_rows()) == 1


def test_the_attachment_is_in_the_timeline_the_case_file_and_the_chain(case, now):
    row = _add(case, files.pdf(), "skärmdump.pdf", now)
    ev = events(case)[-1]
    assert ev.kind == "attachment_added"
    assert row.sha256 in ev.payload and "skärmdump.pdf" in ev.payload
    cv = view.load_case(actor_for(PRINCIPAL), case, now=now)
    assert cv.attachments[0]["filename"] == "skärmdump.pdf"
    assert cv.timeline[-1]["label"] == "Bilaga"
    assert "skärmdump.pdf" in cv.timeline[-1]["details"]
    pdf = case_pdf.render(view.case_file(actor_for(PRINCIPAL), case, now=now))
    assert pdf.startswith(b"%PDF-")
    result = audit.verify_all()
    assert result.ok, [f.message() for f in result.findings]


# --------------------------------------------------------------- the HTTP routes


@pytest.fixture
def client(clock):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

        return TestClient(api.build_api(), follow_redirects=False)


def _login(client, email: str | None) -> None:
    client.cookies.clear()
    if email:
        token = auth.login(email, "varna-demo-2026", now=datetime.now(UTC)).token
        client.cookies.set("kb_session", token)


def _post(client, cid, data, name, context="investigation", origin=ORIGIN):
    headers = {"x-filnamn": quote(name)}
    if origin:
        headers["origin"] = origin
    return client.post(f"/bilaga/ny/{cid}?del={context}", content=data, headers=headers)


def test_upload_and_download_routes(case, client):
    _login(client, INVESTIGATOR)
    photo = files.jpeg_with_gps()
    assert _post(client, case, photo, "foto.jpg", origin=None).status_code == 403
    r = _post(client, case, photo, "foto.jpg")
    assert r.status_code == 200 and r.json() == {"code": "ok", "name": "foto.jpg"}
    r = _post(client, case, files.windows_exe(), "foto.jpg")
    assert r.status_code == 400 and r.json() == {"code": "typ"}
    assert att.message_for("typ") == att.MSG_TYPE
    (row,) = _rows()

    _login(client, PRINCIPAL)
    r = client.get(f"/bilaga/{row.id}")
    assert r.status_code == 200 and r.content == _stored(row)
    assert r.headers["content-type"] == "image/jpeg"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["content-disposition"].startswith('attachment; filename="foto.jpg"')

    # Another unit's principal, no cookie, a made-up cookie: 404, the bytes never.
    for email in (OTHER_PRINCIPAL, None):
        _login(client, email)
        r = client.get(f"/bilaga/{row.id}")
        assert r.status_code == 404 and _stored(row) not in r.content
        assert r.text == AccessDenied.message
        assert _post(client, case, photo, "x.jpg").status_code in (401, 404)
    client.cookies.set("kb_session", "gissad")
    assert client.get(f"/bilaga/{row.id}").status_code == 404
    assert client.get("/bilaga/abc").status_code == 404
    assert len(_rows()) == 1


# --------------------------------------------------------------- who read the case


def test_principals_and_organisers_see_who_read_the_case(case, now):
    from kb_app.services.case import access_history

    view.load_case(actor_for(INVESTIGATOR), case, now=now)
    with pytest.raises(AccessDenied):
        view.load_case(actor_for(OTHER_PRINCIPAL), case, now=now)
    for email in (PRINCIPAL, ORGANISER):
        page = access_history.access_history(actor_for(email), case, now=now)
        assert page.total >= 2 and page.page == 1
        kinds = [r["kind"] for r in page.rows]
        assert "read" in kinds and "refused" in kinds
    # Newest first: the refusal came after the investigator's read.
    rows = access_history.access_history(actor_for(PRINCIPAL), case, now=now).rows
    assert rows[0]["kind"] in ("read", "refused")
    for who in (INVESTIGATOR, OTHER_PRINCIPAL, "admin@exempelkommun.se"):
        with pytest.raises(AccessDenied):
            access_history.access_history(actor_for(who), case, now=now)
    with pytest.raises(AccessDenied):
        access_history.access_history(None, case, now=now)


# --------------------------------------------------------------- the reporter's files


@pytest.fixture
def reporter_link(case):
    """The case's private supplement link, as the receipt gives it."""
    import secrets

    from kb_app.models import Case

    token = secrets.token_urlsafe(24)
    with db.session_scope() as s:
        row = s.get(Case, case)
        row.supplement_token_hash = auth.token_hash(token)
        s.add(row)
    return token


def test_the_reporter_sends_a_photo_with_the_supplement_link(case, reporter_link, now):
    from kb_app.services.reporting import reports
    from tests.support.cases import outbox_rows

    mails_before = len(outbox_rows())
    photo = files.jpeg_with_gps()
    got = reports.add_reporter_file(
        reporter_link, filename="rasten.JPG", data=photo, client="10.0.0.9", now=now
    )
    assert got == reports.FileResult("ok", "rasten.jpg")
    (row,) = _rows()
    assert row.context == "report" and row.uploaded_by_user_id is None
    assert b"KameraTillverkare" not in _stored(row) and b"Exif" not in _stored(row)
    added = [e for e in events(case) if e.kind == "attachment_added"]
    assert len(added) == 1 and added[0].actor_label.endswith("(anmälare)")
    assert json.loads(added[0].payload)["context"] == "report"
    shown = view.load_case(actor_for(PRINCIPAL), case, now=now).attachments
    assert [(a["filename"], a["context"], a["who"]) for a in shown] == [
        ("rasten.jpg", "Anmälan", "Anmälaren")
    ]
    # The responsible hears of it by mail: the case number and a link, no content.
    new_mails = outbox_rows()[mails_before:]
    assert new_mails and all("rasten" not in m.body for m in new_mails)
    assert audit.verify_all().ok


def test_a_reporters_bad_file_or_link_is_refused_and_nothing_stays(case, reporter_link, now, store):
    from kb_app.services.reporting import reports

    assert reports.add_reporter_file(
        reporter_link, filename="bild.jpg", data=files.windows_exe(), now=now
    ) == reports.FileResult("typ")
    assert reports.add_reporter_file(
        "x" * 32, filename="bild.jpg", data=files.jpeg_with_gps(), now=now
    ) == reports.FileResult("lank")
    assert reports.add_reporter_file(
        reporter_link, filename="tom.txt", data=b"", now=now
    ) == reports.FileResult("tom")
    assert _rows() == []
    assert not list((store / "attachments").glob("*"))
    # The supplements' limit per case holds for files too.
    for _ in range(reports.SUPPLEMENTS_PER_CASE_PER_HOUR):
        assert (
            reports.add_reporter_file(reporter_link, filename="a.txt", data=b"hej\n", now=now).code
            == "ok"
        )
    assert reports.add_reporter_file(
        reporter_link, filename="a.txt", data=b"hej\n", now=now
    ) == reports.FileResult("manga")
    assert att.message_for("manga") == att.MSG_MANY
    assert len(_rows()) == reports.SUPPLEMENTS_PER_CASE_PER_HOUR
    assert len(list((store / "attachments").glob("*"))) == len(_rows())


def test_the_reporter_route(case, reporter_link, client):
    client.cookies.clear()
    headers = {"x-filnamn": quote("skärmbild.png"), "origin": ORIGIN}
    r = client.post(
        f"/bilaga/anmalan/{reporter_link}", content=files.png_with_text(), headers=headers
    )
    assert r.status_code == 200 and r.json() == {"code": "ok", "name": "skärmbild.png"}
    r = client.post(
        f"/bilaga/anmalan/{reporter_link}",
        content=files.png_with_text(),
        headers={"x-filnamn": "a.png"},
    )
    assert r.status_code == 403  # no Origin: not from our page
    r = client.post("/bilaga/anmalan/" + "A" * 32, content=files.png_with_text(), headers=headers)
    assert r.status_code == 404 and r.json()["code"] == "lank"
    assert len(_rows()) == 1
