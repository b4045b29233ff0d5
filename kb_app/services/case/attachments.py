"""Attachments on a case: photos, screenshots, PDFs and office documents.

Files are kept in the data folder (``Settings.attachment_dir``, 0700; each file
0600, named by a random key), never in Reflex's public upload folder, and are
served only through the access-checked download route (``api.attachment``).

What a file is comes from its content, never its name: ``puremagic`` names the
type, then a check of the structure confirms it (an image must end where its
format ends, an office document must be the package it claims to be, a text
must be UTF-8 text). Only the types in ``KINDS`` are taken; anything else (an
executable renamed ``.jpg``, a file that is two formats at once) is refused with
a Swedish message. Images lose their metadata (EXIF with the GPS position, XMP,
comments) before they are stored.

Adding a file appends an ``attachment_added`` event to the timeline (with the
checksum of the stored bytes), in the same transaction as the attachment row;
every download is written to the access log, and so is every refusal.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import puremagic
from sqlalchemy import func
from sqlmodel import Session, select

from kb_app.domain.access import Action, Actor
from kb_app.domain.fmt import sv_datetime
from kb_app.domain.process import EventKind
from kb_app.errors import AccessDenied, InvalidInput
from kb_app.models import Attachment, Case, User
from kb_app.services.base import changes
from kb_app.services.base.timeline import append_event
from kb_app.services.case.access import _read, _run
from kb_app.settings import get_settings, private_dir

log = logging.getLogger(__name__)

FIELD = "file"  # the key of the error in InvalidInput

# "report": sent by the reporter with the private supplement link (services/reporting).
CONTEXTS = {"investigation": "Utredningen", "comment": "Kommentar", "report": "Anmälan"}
# Who may attach to what: the investigation's files are part of recording it.
CONTEXT_ACTIONS = {"investigation": Action.RECORD_INVESTIGATION, "comment": Action.ATTACH_FILE}


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    mime: str
    ext: str


KINDS = {
    k.code: k
    for k in (
        Kind("jpeg", "JPEG-bild", "image/jpeg", ".jpg"),
        Kind("png", "PNG-bild", "image/png", ".png"),
        Kind("pdf", "PDF", "application/pdf", ".pdf"),
        Kind(
            "docx",
            "Word-dokument",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ".docx",
        ),
        Kind(
            "xlsx",
            "Excel-dokument",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ".xlsx",
        ),
        Kind("odt", "OpenDocument-text", "application/vnd.oasis.opendocument.text", ".odt"),
        Kind("txt", "Textfil", "text/plain; charset=utf-8", ".txt"),
    )
}
MIME_KINDS = {k.mime: k for k in KINDS.values()}

MSG_EMPTY = "Filen är tom. Välj en annan fil."
MSG_TYPE = (
    "Den här filtypen tas inte emot. Bifoga en bild (JPEG eller PNG), en PDF, ett "
    "Word-, Excel- eller OpenDocument-dokument eller en textfil."
)
MSG_HEIC = (
    "HEIC-bilder (iPhone) tas inte emot ännu. Spara bilden som JPEG "
    "(på iPhone: Inställningar › Kamera › Format › Mest kompatibel) och försök igen."
)
MSG_BROKEN = "Filen verkar vara skadad eller är inte vad den ser ut att vara. Välj en annan fil."
MSG_MACRO = "Dokument med makron tas inte emot. Spara dokumentet utan makron och försök igen."
MSG_CONTEXT = "Välj vad filen hör till."
MSG_NOT_NOW = (
    "Utredningen är redan registrerad eller inte påbörjad: bifoga filen till en kommentar."
)


def msg_too_big(limit_mb: int) -> str:
    return f"Filen är för stor. Största tillåtna storlek är {limit_mb} MB per fil."


def msg_case_full(limit_mb: int) -> str:
    return (
        f"Ärendets bilagor får tillsammans vara högst {limit_mb} MB, och den här filen "
        "får inte plats. Kontakta huvudmannen om fler filer behövs."
    )


# The codes the upload route answers with, and the messages the page shows for them.
CODES = {
    "tom": MSG_EMPTY,
    "typ": MSG_TYPE,
    "heic": MSG_HEIC,
    "skadad": MSG_BROKEN,
    "makro": MSG_MACRO,
    "del": MSG_CONTEXT,
    "avslutad": MSG_NOT_NOW,
}
MSG_DENIED = "Du kan inte bifoga filer till det här ärendet."
MSG_LOGIN = "Du har loggats ut. Logga in igen och bifoga filen på nytt."
MSG_NETWORK = "Filen kunde inte skickas. Kontrollera anslutningen och försök igen."
MSG_NO_FILE = "Välj en fil att bifoga."
MSG_LINK = "Länken för komplettering gäller inte längre, så filen kunde inte skickas."
MSG_MANY = "Du har skickat många kompletteringar den senaste timmen. Försök igen om en stund."


def code_of(message: str) -> str:
    for code, text in CODES.items():
        if text == message:
            return code
    if message.startswith("Filen är för stor"):
        return "stor"
    if message.startswith("Ärendets bilagor"):
        return "fullt"
    return "typ"


def message_for(code: str) -> str:
    """The Swedish message for an answer of the upload route ("" for "ok")."""
    settings = get_settings()
    return {
        "ok": "",
        "stor": msg_too_big(settings.attachment_max_mb),
        "fullt": msg_case_full(settings.attachment_case_max_mb),
        "nekad": MSG_DENIED,
        "ogiltig": MSG_DENIED,
        "inloggning": MSG_LOGIN,
        "natverk": MSG_NETWORK,
        "ingen": MSG_NO_FILE,
        "lank": MSG_LINK,
        "manga": MSG_MANY,
        **CODES,
    }.get(str(code or ""), MSG_NETWORK)


# --------------------------------------------------------------------------- content


def _refuse(message: str):
    raise InvalidInput({FIELD: message})


def _jpeg_strip(data: bytes) -> bytes:
    """The JPEG without its metadata segments (APP1..APP15: EXIF, XMP, …, and COM),
    losslessly; refused when anything follows the end of the image."""
    if data[:3] != b"\xff\xd8\xff":
        _refuse(MSG_BROKEN)
    out = bytearray(b"\xff\xd8")
    i = 2
    n = len(data)
    while True:
        if i + 4 > n or data[i] != 0xFF:
            _refuse(MSG_BROKEN)
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if length < 2 or i + 2 + length > n:
            _refuse(MSG_BROKEN)
        segment = data[i : i + 2 + length]
        if marker == 0xDA:  # start of scan: the entropy-coded data follows
            rest = data[i:]
            end = rest.rfind(b"\xff\xd9")
            if end < 0 or rest[end + 2 :].strip(b"\x00"):
                _refuse(MSG_BROKEN)  # something rides after the image (a polyglot)
            out += rest[: end + 2]
            return bytes(out)
        if not (0xE1 <= marker <= 0xEF or marker == 0xFE):
            out += segment
        i += 2 + length


def _jpeg(data: bytes) -> bytes:
    from PIL import Image, ImageOps

    stripped = _jpeg_strip(data)
    try:
        with Image.open(io.BytesIO(data)) as im:
            orientation = im.getexif().get(0x0112, 1)
            im.load()
            if orientation in (1, None):
                return _check_image(stripped, "JPEG")
            # Turned by its EXIF tag: turn the pixels instead (the tag is removed).
            upright = ImageOps.exif_transpose(im)
            buf = io.BytesIO()
            upright.save(buf, "JPEG", quality=92)
            return _jpeg_strip(buf.getvalue())
    except InvalidInput:
        raise
    except Exception:  # noqa: BLE001 - Pillow raises many kinds for a broken file
        _refuse(MSG_BROKEN)
    raise AssertionError("unreachable")


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_DROP = {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"}


def _png(data: bytes) -> bytes:
    """The PNG without its text, time and EXIF chunks; nothing may follow IEND."""
    if not data.startswith(PNG_SIGNATURE):
        _refuse(MSG_BROKEN)
    out = bytearray(PNG_SIGNATURE)
    i = len(PNG_SIGNATURE)
    while True:
        if i + 12 > len(data):
            _refuse(MSG_BROKEN)
        length = int.from_bytes(data[i : i + 4], "big")
        ctype = data[i + 4 : i + 8]
        end = i + 12 + length
        if end > len(data):
            _refuse(MSG_BROKEN)
        if ctype not in PNG_DROP:
            out += data[i:end]
        i = end
        if ctype == b"IEND":
            if data[i:].strip(b"\x00"):
                _refuse(MSG_BROKEN)  # a polyglot: another file after the image
            return _check_image(bytes(out), "PNG")


def _check_image(data: bytes, fmt: str) -> bytes:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.format != fmt:
                _refuse(MSG_BROKEN)
            im.load()
    except InvalidInput:
        raise
    except Exception:  # noqa: BLE001
        _refuse(MSG_BROKEN)
    return data


# Markers of active content or of a second format hidden in a document.
_ACTIVE = (b"<script", b"<html", b"<!doctype", b"<svg", b"<?php", b"MZ\x90\x00")


def _pdf(data: bytes) -> bytes:
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-2048:]:
        _refuse(MSG_BROKEN)
    head = data[:4096].lower()
    if any(m.lower() in head for m in _ACTIVE) or b"PK\x03\x04" in data[:4096]:
        _refuse(MSG_BROKEN)
    return data


def _office(data: bytes, code: str, max_bytes: int) -> bytes:
    if not data.startswith(b"PK\x03\x04"):
        _refuse(MSG_BROKEN)  # a zip with something in front of it
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
            names = {i.filename for i in infos}
            if sum(i.file_size for i in infos) > 20 * max_bytes or len(infos) > 5000:
                _refuse(MSG_BROKEN)  # a zip bomb
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                _refuse(MSG_MACRO)
            if code == "docx":
                ok = "[Content_Types].xml" in names and "word/document.xml" in names
            elif code == "xlsx":
                ok = "[Content_Types].xml" in names and "xl/workbook.xml" in names
            else:
                ok = (
                    infos
                    and infos[0].filename == "mimetype"
                    and z.read("mimetype") == b"application/vnd.oasis.opendocument.text"
                )
            if not ok:
                _refuse(MSG_BROKEN)
            if z.testzip() is not None:
                _refuse(MSG_BROKEN)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError):
        _refuse(MSG_BROKEN)
    # The ZIP's central directory must end the file: nothing appended after it.
    eocd = data.rfind(b"PK\x05\x06")
    if eocd < 0 or len(data) - eocd != 22 + int.from_bytes(data[eocd + 20 : eocd + 22], "little"):
        _refuse(MSG_BROKEN)
    return data


def _text(data: bytes) -> bytes:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        _refuse(MSG_TYPE)
    if "\x00" in text or any(unicodedata.category(c) == "Cc" and c not in "\n\r\t\f" for c in text):
        _refuse(MSG_TYPE)
    head = data[:4096].lstrip().lower()
    if head.startswith((b"<", b"#!")) or any(m.lower() in head for m in _ACTIVE):
        _refuse(MSG_TYPE)  # markup or a script, not a plain text
    return data


def _puremagic_kind(data: bytes) -> str | None:
    """The kind puremagic names (its most confident match of our allow-list), "other"
    when it names only other types, None when it names nothing."""
    try:
        matches = puremagic.magic_string(data)
    except puremagic.PureError:
        return None
    if not matches:
        return None
    by_ext = {
        ".jpg": "jpeg",
        ".jpeg": "jpeg",
        ".png": "png",
        ".pdf": "pdf",
        ".docx": "docx",
        ".xlsx": "xlsx",
        ".odt": "odt",
        ".zip": "zip",
        ".heic": "heic",
        ".heif": "heic",
        ".avif": "heic",
        ".txt": "txt",
    }
    for m in sorted(matches, key=lambda m: -m.confidence):
        kind = by_ext.get((m.extension or "").lower())
        if kind is None and m.mime_type:
            mk = MIME_KINDS.get(m.mime_type)
            kind = mk.code if mk else ("heic" if "heic" in m.mime_type else None)
        if kind:
            return kind
    return "other"


def inspect(data: bytes, *, max_bytes: int) -> tuple[Kind, bytes]:
    """The kind of ``data`` and the bytes to store (images without metadata), or
    ``InvalidInput`` with the Swedish reason."""
    if not data:
        _refuse(MSG_EMPTY)
    named = _puremagic_kind(data)
    if named == "heic":
        _refuse(MSG_HEIC)
    if named in {"zip", "docx", "xlsx"} or data.startswith(b"PK\x03\x04"):
        # puremagic often sees only "a zip": the package's parts decide which.
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = set(z.namelist())
        except (zipfile.BadZipFile, OSError):
            _refuse(MSG_BROKEN)
        named = (
            "docx"
            if "word/document.xml" in names
            else "xlsx"
            if "xl/workbook.xml" in names
            else "odt"
            if "mimetype" in names
            else "other"
        )
    if named is None or named == "txt":
        return KINDS["txt"], _text(data)
    if named == "jpeg":
        return KINDS["jpeg"], _jpeg(data)
    if named == "png":
        return KINDS["png"], _png(data)
    if named == "pdf":
        return KINDS["pdf"], _pdf(data)
    if named in {"docx", "xlsx", "odt"}:
        return KINDS[named], _office(data, named, max_bytes)
    _refuse(MSG_TYPE)
    raise AssertionError("unreachable")


_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|;]+')


def safe_filename(name: str, kind: Kind) -> str:
    """A name to show and to download under: no path, no control or shell
    characters, at most 120 characters, and the extension of the real type."""
    base = unicodedata.normalize("NFC", str(name or "")).replace("\\", "/").rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base  # the real type's extension follows
    stem = re.sub(r"\s+", " ", _UNSAFE.sub("_", stem))
    stem = stem.strip(" ._")[:120].strip(" ._") or "bilaga"
    return stem + kind.ext


# --------------------------------------------------------------------------- storage


def _store_dir() -> Path:
    return private_dir(get_settings().attachment_dir)


def _path(storage_key: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", storage_key or ""):
        raise ValueError("not a storage key")
    return _store_dir() / storage_key


def _write(data: bytes) -> str:
    key = secrets.token_hex(32)
    fd = os.open(_path(key), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    return key


def _discard(key: str) -> None:
    try:
        _path(key).unlink()
    except FileNotFoundError:
        pass


def stored_path(attachment: Attachment) -> Path:
    """Where the bytes of ``attachment`` are (tests, retention)."""
    return _path(attachment.storage_key)


# --------------------------------------------------------------------------- use cases


def _case_bytes(s: Session, case_id: int) -> int:
    return s.exec(
        select(func.coalesce(func.sum(Attachment.size), 0)).where(Attachment.case_id == case_id)
    ).one()


@dataclass(frozen=True)
class Prepared:
    """A checked, cleaned file written to the store, not yet on any case."""

    kind: Kind
    name: str
    size: int
    sha256: str
    key: str


def prepare(filename: str, data: bytes) -> Prepared:
    """Check the file by its content, clean it and write it to the store (its row
    and event come with ``attach``; ``discard(key)`` if that fails)."""
    settings = get_settings()
    max_bytes = settings.attachment_max_mb * 1024 * 1024
    if len(data) > max_bytes:
        raise InvalidInput({FIELD: msg_too_big(settings.attachment_max_mb)})
    kind, clean = inspect(bytes(data), max_bytes=max_bytes)
    name = safe_filename(filename, kind)
    return Prepared(kind, name, len(clean), hashlib.sha256(clean).hexdigest(), _write(clean))


def discard(key: str) -> None:
    _discard(key)


def attach(
    s: Session,
    case: Case,
    file: Prepared,
    *,
    context: str,
    user_id: int | None,
    actor_label: str,
    now: datetime,
) -> Attachment:
    """The attachment row and its timeline event, in the caller's transaction."""
    settings = get_settings()
    if _case_bytes(s, case.id) + file.size > settings.attachment_case_max_mb * 1024 * 1024:
        raise InvalidInput({FIELD: msg_case_full(settings.attachment_case_max_mb)})
    row = Attachment(
        case_id=case.id,
        filename=file.name,
        content_type=file.kind.mime,
        size=file.size,
        storage_key=file.key,
        context=context,
        sha256=file.sha256,
        uploaded_by_user_id=user_id,
        created_at=now,
    )
    s.add(row)
    s.flush()
    append_event(
        s,
        case,
        EventKind.ATTACHMENT_ADDED,
        at=now,
        actor_user_id=user_id,
        actor_label=actor_label,
        payload={
            "attachment_id": row.id,
            "filename": file.name,
            "type": file.kind.label,
            "size": file.size,
            "context": context,
            "sha256": file.sha256,
        },
    )
    changes.bump(s, case.organisation_id, now=now)
    log.info(
        "attachment %s (%s, %d bytes) added to case %s", row.id, file.kind.code, file.size, case.id
    )
    return row


def add_attachment(
    actor: Actor | None,
    case_id: Any,
    *,
    filename: str,
    data: bytes,
    context: str,
    now: datetime,
) -> Attachment:
    """Check, clean and store one file on the case, with its timeline event."""
    action = CONTEXT_ACTIONS.get(context)
    if action is None:
        # Still ask the policy first, so a probe of another case is logged as one.
        _read(actor, case_id, Action.ATTACH_FILE, now, lambda *_: None)
        raise InvalidInput({FIELD: MSG_CONTEXT})
    try:
        file = prepare(filename, data)
    except InvalidInput:
        _read(actor, case_id, action, now, lambda *_: None)  # refused first if not allowed
        raise

    def work(s: Session, case: Case, _facts, _d) -> Attachment:
        if context == "investigation" and case.closed_at is not None:
            raise InvalidInput({FIELD: MSG_NOT_NOW})
        return attach(
            s, case, file, context=context, user_id=actor.user_id, actor_label=actor.name, now=now
        )

    try:
        return _run(actor, case_id, action, now, work)
    except BaseException:
        _discard(file.key)
        raise


def size_label(size: int) -> str:
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} kB"
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")


def rows(s: Session, case_id: int) -> list[dict[str, str]]:
    """The case's attachments as rows to show (oldest first)."""
    found = s.exec(
        select(Attachment, User.name)
        .join(User, User.id == Attachment.uploaded_by_user_id, isouter=True)
        .where(Attachment.case_id == case_id)
        .order_by(Attachment.id)
    ).all()
    return [
        {
            "id": str(a.id),
            "filename": a.filename,
            "type": (MIME_KINDS.get(a.content_type) or KINDS["txt"]).label,
            "size": size_label(a.size),
            "context": CONTEXTS.get(a.context, a.context),
            "who": name or ("Anmälaren" if a.uploaded_by_user_id is None else ""),
            "when": sv_datetime(a.created_at),
            "sha256": a.sha256,
        }
        for a, name in found
    ]


def list_attachments(actor: Actor | None, case_id: Any, *, now: datetime) -> list[dict[str, str]]:
    """The attachment rows of a case for a reader of it (the read is logged)."""
    return _read(actor, case_id, Action.READ_CASE, now, lambda s, c, _f, _d: rows(s, c.id))


@dataclass(frozen=True)
class Download:
    filename: str
    content_type: str
    data: bytes


def download(actor: Actor | None, attachment_id: Any, *, now: datetime) -> Download:
    """The bytes of one attachment for someone who may download it (logged as
    ``download_attachment`` on its case; a refusal, or an unknown id, is logged too)."""
    from kb_app.db import read_scope
    from kb_app.services.base import access_log

    att = None
    if isinstance(attachment_id, int) and 0 < attachment_id < 2**62:
        with read_scope() as s:
            att = s.get(Attachment, attachment_id)
    if att is None:
        access_log.deny(actor, Action.DOWNLOAD_ATTACHMENT, now=now, case_id=None)
        raise AccessDenied()

    def work(_s, case: Case, _f, _d) -> Download:
        return Download(att.filename, att.content_type, _path(att.storage_key).read_bytes())

    return _read(actor, att.case_id, Action.DOWNLOAD_ATTACHMENT, now, work)
