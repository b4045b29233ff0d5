"""Archive packages (arkivpaket): closed cases as a submission information package
for an archive that keeps them (bevarande), following FGS Paketstruktur 2.0, which
is E-ARK CSIP 2.1.0 with E-ARK SIP 2.1.0 (METS, PREMIS).

One package (a zip with one root folder named as the package's OBJID) holds one
case or every closed case of a closing year the organiser may export::

    <OBJID>/METS.xml                           the package description (METS, CSIP + SIP)
    <OBJID>/metadata/descriptive/dc.xml        what the package is (Dublin Core)
    <OBJID>/metadata/preservation/premis.xml   the representation, its creation, the agents
    <OBJID>/documentation/om-arkivpaketet.txt  what is where, in Swedish
    <OBJID>/schemas/tidslinje.schema.json      the form of each case's timeline file
    <OBJID>/representations/rep1/METS.xml      the representation's files with their checksums
    <OBJID>/representations/rep1/metadata/preservation/premis.xml  each file: fixity, format
    <OBJID>/representations/rep1/data/<KB-…>/arendeakt.pdf          the case file, PDF/A-2b
    <OBJID>/representations/rep1/data/<KB-…>/tidslinje.json         the timeline, with its hash chain
    <OBJID>/representations/rep1/data/<KB-…>/bilagor/<id>-<name>    the attachments as stored

Every file is listed in a METS file with its size and SHA-256; ``verify`` checks a
package file against that (``kb-app archive verify``) without the database.

Organisers only (``Action.ARCHIVE_EXPORT``), and only the closed cases they may
export (never one where they are named as involved). Each case in a package gets
an access-log row ``archive_export``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import re
import shutil
import uuid
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from sqlalchemy import extract, func
from sqlmodel import select

from kb_app.db import read_scope, session_scope
from kb_app.domain.access import Action, Actor, can, can_on_case
from kb_app.domain.fmt import TZ, sv_datetime
from kb_app.domain.process import EVENT_LABELS
from kb_app.errors import AccessDenied, InvalidInput
from kb_app.models import Attachment, Case, CaseEvent, Organisation, Unit
from kb_app.services.base import access_log, pdfa
from kb_app.services.base.timeline import event_payload
from kb_app.services.case import attachments, case_pdf
from kb_app.services.case.access import _active_delegations, case_facts
from kb_app.services.case.view import _view

LOG_ACTION = "archive_export"
MAX_CASES = 500  # one package; a larger year is split by the organiser per case or asked again

NS = {
    "mets": "http://www.loc.gov/METS/",
    "csip": "https://DILCIS.eu/XML/METS/CSIPExtensionMETS",
    "sip": "https://DILCIS.eu/XML/METS/SIPExtensionMETS",
    "xlink": "http://www.w3.org/1999/xlink",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "premis": "http://www.loc.gov/premis/v3",
    "dc": "http://purl.org/dc/elements/1.1/",
}
for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)

CSIP_PROFILE = "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml"
CONTENT_TYPE = "Värna: ärenden om kränkande behandling (skollagen 6 kap. 10 §)"
SCHEMA_LOCATION = (
    "http://www.loc.gov/METS/ http://www.loc.gov/standards/mets/mets.xsd "
    "http://www.w3.org/1999/xlink http://www.loc.gov/standards/mets/xlink.xsd "
    "https://DILCIS.eu/XML/METS/CSIPExtensionMETS "
    "https://earkcsip.dilcis.eu/schema/DILCISExtensionMETS.xsd "
    "https://DILCIS.eu/XML/METS/SIPExtensionMETS "
    "https://earksip.dilcis.eu/schema/DILCISExtensionSIPMETS.xsd"
)

MSG_NONE = "Det finns inga avslutade ärenden att arkivera för det valet."
MSG_NOT_CLOSED = "Ärendet är inte avslutat. Bara avslutade ärenden kan arkiveras."
MSG_CHOOSE = "Välj ett avslutningsår eller skriv ett ärendenummer."
MSG_TOO_MANY = (
    f"Valet omfattar fler än {MAX_CASES} ärenden. Hämta ett paket per ärende eller "
    "kontakta systemförvaltningen."
)


def msg_attachment(reference: str, filename: str) -> str:
    return (
        f"Bilagan {filename} i ärende {reference} saknas eller stämmer inte med sin "
        "kontrollsumma. Inget arkivpaket skapades; kör 'kb-app audit verify' och "
        "kontakta systemförvaltningen."
    )


def _software_version() -> str:
    try:
        return package_version("kb-app")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "0"


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest().upper()


def _xml(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)


# --------------------------------------------------------------------------- what may be archived


@dataclass(frozen=True)
class YearChoice:
    year: int
    cases: int


def _year_range(year: int) -> tuple[datetime, datetime]:
    """The closing year in Swedish time, as UTC bounds [start, end)."""
    start = datetime(year, 1, 1, tzinfo=TZ).astimezone(UTC)
    return start, datetime(year + 1, 1, 1, tzinfo=TZ).astimezone(UTC)


def closing_years(actor: Actor | None, *, now: datetime) -> list[YearChoice]:
    """The years (Swedish time) in which cases of the organisation were closed,
    newest first, with how many (the organiser's choice on Statistik → Export).
    Counts every closed case; the package itself leaves out those the organiser
    may not export."""
    if actor is None or not can(actor, Action.ARCHIVE_EXPORT):
        access_log.deny(actor, LOG_ACTION, now=now)
        raise AccessDenied()
    # Grouped by the UTC year in SQL (an index-friendly count), then the hour or
    # two around each new year moved to its Swedish year.
    utc_year = extract("year", Case.closed_at)
    counts: dict[int, int] = {}
    with read_scope() as s:
        mine = Case.organisation_id == actor.organisation_id
        for y, n in s.exec(
            select(utc_year, func.count())
            .where(mine, Case.closed_at.is_not(None))
            .group_by(utc_year)
        ).all():
            counts[int(y)] = counts.get(int(y), 0) + int(n)
        for y in list(counts):
            edge = _year_range(y + 1)[0]  # Swedish new year, in UTC (the evening before)
            moved = s.exec(
                select(func.count()).where(
                    mine, Case.closed_at >= edge, Case.closed_at < datetime(y + 1, 1, 1, tzinfo=UTC)
                )
            ).one()
            if moved:
                counts[y] -= moved
                counts[y + 1] = counts.get(y + 1, 0) + moved
    return [YearChoice(y, n) for y, n in sorted(counts.items(), reverse=True) if n > 0]


# --------------------------------------------------------------------------- the package


@dataclass
class _File:
    path: str  # relative to the package root
    data: bytes  # empty for a file copied from ``source``
    mime: str
    created: datetime
    fmt: str = ""  # a format name for PREMIS
    source: Path | None = None  # a stored attachment, streamed into the zip
    source_size: int = 0
    source_sha256: str = ""  # upper-case hex

    @property
    def size(self) -> int:
        return self.source_size if self.source is not None else len(self.data)

    @property
    def sha256(self) -> str:
        return self.source_sha256 if self.source is not None else _sha256(self.data)


@dataclass
class Package:
    objid: str
    filename: str
    references: list[str] = field(default_factory=list)
    data: bytes = b""  # build_package only; write_package writes to its file


def _hash_file(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:120] or "fil"


def _timeline_json(case: Case, unit: str, events: list[CaseEvent]) -> bytes:
    doc = {
        "format": "varna-tidslinje/1",
        "arende": case.reference,
        "enhet": unit,
        "anmalt": _iso(case.reported_at),
        "avslutat": _iso(case.closed_at) if case.closed_at else None,
        "kedja": "Varje händelse bär hash (HMAC-SHA256 med Värnas granskningsnyckel) över "
        "sitt innehåll och föregående händelses hash (prev_hash).",
        "handelser": [
            {
                "nr": e.seq,
                "typ": e.kind,
                "rubrik": EVENT_LABELS.get(e.kind, e.kind),
                "tid": _iso(e.at),
                "vem": e.actor_label,
                "uppgifter": event_payload(e),
                "prev_hash": e.prev_hash,
                "hash": e.hash,
            }
            for e in events
        ],
    }
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


TIMELINE_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Värna: ett ärendes tidslinje (tidslinje.json)",
    "type": "object",
    "required": ["format", "arende", "anmalt", "handelser"],
    "properties": {
        "format": {"const": "varna-tidslinje/1"},
        "arende": {"type": "string", "description": "Ärendenummer, t.ex. KB-2026-0042"},
        "enhet": {"type": "string"},
        "anmalt": {"type": "string", "format": "date-time"},
        "avslutat": {"type": ["string", "null"], "format": "date-time"},
        "kedja": {"type": "string"},
        "handelser": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["nr", "typ", "tid", "vem", "uppgifter", "prev_hash", "hash"],
                "properties": {
                    "nr": {"type": "integer", "description": "Löpnummer i ärendet"},
                    "typ": {"type": "string", "description": "Händelsens kod (reported …)"},
                    "rubrik": {"type": "string", "description": "Händelsen på svenska"},
                    "tid": {"type": "string", "format": "date-time", "description": "UTC"},
                    "vem": {"type": "string", "description": "Namnet vid tillfället"},
                    "uppgifter": {"type": "object", "description": "Det som registrerades"},
                    "prev_hash": {"type": "string"},
                    "hash": {"type": "string"},
                },
            },
        },
    },
}


def _documentation(org: str, label: str, refs: list[str], now: datetime) -> bytes:
    lines = [
        f"Arkivpaket från Värna: {label}",
        f"Huvudman: {org}",
        f"Skapat: {sv_datetime(now)}",
        "",
        "Paketet följer FGS Paketstruktur 2.0 (E-ARK CSIP 2.1.0 och E-ARK SIP 2.1.0).",
        "METS.xml i paketets rot beskriver paketet; representations/rep1/METS.xml listar",
        "varje fil i ärendena med storlek och SHA-256-kontrollsumma.",
        "",
        "Per ärende, i representations/rep1/data/<ärendenummer>/:",
        "  arendeakt.pdf    ärendeakten (PDF/A-2b): anmälan, parter, utredning, åtgärder,",
        "                   uppföljning, skyndsamhet och tidslinje",
        "  tidslinje.json   tidslinjen som strukturerade data (schemas/tidslinje.schema.json),",
        "                   med händelsernas hashkedja",
        "  bilagor/         ärendets bilagor som de lagrades",
        "",
        "Innehållet omfattas av sekretess enligt offentlighets- och sekretesslagen",
        "(2009:400) 23 kap.",
        "",
        f"Ärenden ({len(refs)}):",
        *[f"  {r}" for r in refs],
        "",
    ]
    return "\n".join(lines).encode("utf-8")


def _dc(objid: str, label: str, org: str, refs: list[str], now: datetime) -> bytes:
    root = ET.Element("metadata")
    for name, value in [
        ("identifier", objid),
        ("title", label),
        ("creator", org),
        ("publisher", org),
        ("subject", "Kränkande behandling, skollagen (2010:800) 6 kap. 10 §"),
        ("type", "Ärenden"),
        ("date", _iso(now)),
        ("language", "sv"),
        ("rights", "Sekretess enligt offentlighets- och sekretesslagen (2009:400) 23 kap."),
        *[("relation", r) for r in refs],
    ]:
        ET.SubElement(root, _q("dc", name)).text = value
    return _xml(root)


def _premis_rep(files: list[_File]) -> bytes:
    """PREMIS of the representation: each file with its fixity, size and format."""
    root = ET.Element(_q("premis", "premis"), {"version": "3.0"})
    for f in files:
        obj = ET.SubElement(root, _q("premis", "object"), {_q("xsi", "type"): "premis:file"})
        ident = ET.SubElement(obj, _q("premis", "objectIdentifier"))
        ET.SubElement(ident, _q("premis", "objectIdentifierType")).text = "local"
        ET.SubElement(ident, _q("premis", "objectIdentifierValue")).text = f.path
        chars = ET.SubElement(obj, _q("premis", "objectCharacteristics"))
        ET.SubElement(chars, _q("premis", "compositionLevel")).text = "0"
        fixity = ET.SubElement(chars, _q("premis", "fixity"))
        ET.SubElement(fixity, _q("premis", "messageDigestAlgorithm")).text = "SHA-256"
        ET.SubElement(fixity, _q("premis", "messageDigest")).text = f.sha256
        ET.SubElement(chars, _q("premis", "size")).text = str(f.size)
        fmt = ET.SubElement(chars, _q("premis", "format"))
        des = ET.SubElement(fmt, _q("premis", "formatDesignation"))
        ET.SubElement(des, _q("premis", "formatName")).text = f.fmt or f.mime
        ET.SubElement(obj, _q("premis", "originalName")).text = PurePosixPath(f.path).name
    return _xml(root)


def _premis_package(objid: str, org: str, actor: Actor, now: datetime, n: int) -> bytes:
    """PREMIS of the package: the representation, the event that made it, its agents."""
    root = ET.Element(_q("premis", "premis"), {"version": "3.0"})
    obj = ET.SubElement(root, _q("premis", "object"), {_q("xsi", "type"): "premis:representation"})
    ident = ET.SubElement(obj, _q("premis", "objectIdentifier"))
    ET.SubElement(ident, _q("premis", "objectIdentifierType")).text = "local"
    ET.SubElement(ident, _q("premis", "objectIdentifierValue")).text = "rep1"
    event = ET.SubElement(root, _q("premis", "event"))
    eid = ET.SubElement(event, _q("premis", "eventIdentifier"))
    ET.SubElement(eid, _q("premis", "eventIdentifierType")).text = "local"
    ET.SubElement(eid, _q("premis", "eventIdentifierValue")).text = f"{objid}-creation"
    ET.SubElement(event, _q("premis", "eventType")).text = "creation"
    ET.SubElement(event, _q("premis", "eventDateTime")).text = _iso(now)
    detail = ET.SubElement(event, _q("premis", "eventDetailInformation"))
    ET.SubElement(
        detail, _q("premis", "eventDetail")
    ).text = f"Arkivpaket med {n} avslutade ärenden skapat ur Värna"
    outcome = ET.SubElement(event, _q("premis", "eventOutcomeInformation"))
    ET.SubElement(outcome, _q("premis", "eventOutcome")).text = "success"
    agents = [
        ("software", "Värna", f"varna-{_software_version()}", "executing program"),
        (
            "person",
            actor.name or f"användare {actor.user_id}",
            f"user-{actor.user_id}",
            "implementer",
        ),
        ("organization", org, "archivist", "archivist"),
    ]
    for _kind, _name, value, role in agents:
        link = ET.SubElement(event, _q("premis", "linkingAgentIdentifier"))
        ET.SubElement(link, _q("premis", "linkingAgentIdentifierType")).text = "local"
        ET.SubElement(link, _q("premis", "linkingAgentIdentifierValue")).text = value
        ET.SubElement(link, _q("premis", "linkingAgentRole")).text = role
    lobj = ET.SubElement(event, _q("premis", "linkingObjectIdentifier"))
    ET.SubElement(lobj, _q("premis", "linkingObjectIdentifierType")).text = "local"
    ET.SubElement(lobj, _q("premis", "linkingObjectIdentifierValue")).text = "rep1"
    for kind, name, value, _role in agents:
        agent = ET.SubElement(root, _q("premis", "agent"))
        aid = ET.SubElement(agent, _q("premis", "agentIdentifier"))
        ET.SubElement(aid, _q("premis", "agentIdentifierType")).text = "local"
        ET.SubElement(aid, _q("premis", "agentIdentifierValue")).text = value
        ET.SubElement(agent, _q("premis", "agentName")).text = name
        ET.SubElement(agent, _q("premis", "agentType")).text = kind
    return _xml(root)


class _Ids:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}-{self.n:05d}"


def _file_el(parent: ET.Element, f: _File, href: str, ids: _Ids) -> ET.Element:
    el = ET.SubElement(
        parent,
        _q("mets", "file"),
        {
            "ID": ids("file"),
            "MIMETYPE": f.mime,
            "SIZE": str(f.size),
            "CREATED": _iso(f.created),
            "CHECKSUM": f.sha256,
            "CHECKSUMTYPE": "SHA-256",
        },
    )
    ET.SubElement(
        el,
        _q("mets", "FLocat"),
        {"LOCTYPE": "URL", _q("xlink", "type"): "simple", _q("xlink", "href"): href},
    )
    return el


def _md_ref(parent: ET.Element, f: _File, href: str, mdtype: str, ids: _Ids) -> None:
    ET.SubElement(
        parent,
        _q("mets", "mdRef"),
        {
            "ID": ids("mdref"),
            "LOCTYPE": "URL",
            _q("xlink", "type"): "simple",
            _q("xlink", "href"): href,
            "MDTYPE": mdtype,
            "MIMETYPE": f.mime,
            "SIZE": str(f.size),
            "CREATED": _iso(f.created),
            "CHECKSUM": f.sha256,
            "CHECKSUMTYPE": "SHA-256",
        },
    )


def _mets_root(objid: str, label: str, now: datetime) -> ET.Element:
    return ET.Element(
        _q("mets", "mets"),
        {
            "OBJID": objid,
            "LABEL": label,
            "TYPE": "Other",
            _q("csip", "OTHERTYPE"): "Ärenden",
            _q("csip", "CONTENTINFORMATIONTYPE"): "OTHER",
            _q("csip", "OTHERCONTENTINFORMATIONTYPE"): CONTENT_TYPE,
            "PROFILE": CSIP_PROFILE,
            _q("xsi", "schemaLocation"): SCHEMA_LOCATION,
        },
    )


def _mets_hdr(root: ET.Element, org: str, actor: Actor, now: datetime) -> None:
    hdr = ET.SubElement(
        root,
        _q("mets", "metsHdr"),
        {
            "CREATEDATE": _iso(now),
            "LASTMODDATE": _iso(now),
            "RECORDSTATUS": "NEW",
            _q("csip", "OAISPACKAGETYPE"): "SIP",
        },
    )
    soft = ET.SubElement(
        hdr, _q("mets", "agent"), {"ROLE": "CREATOR", "TYPE": "OTHER", "OTHERTYPE": "SOFTWARE"}
    )
    ET.SubElement(soft, _q("mets", "name")).text = "Värna"
    ET.SubElement(
        soft, _q("mets", "note"), {_q("csip", "NOTETYPE"): "SOFTWARE VERSION"}
    ).text = _software_version()
    arch = ET.SubElement(hdr, _q("mets", "agent"), {"ROLE": "ARCHIVIST", "TYPE": "ORGANIZATION"})
    ET.SubElement(arch, _q("mets", "name")).text = org or "Huvudmannen"
    sub = ET.SubElement(
        hdr,
        _q("mets", "agent"),
        {"ROLE": "OTHER", "OTHERROLE": "SUBMITTER", "TYPE": "INDIVIDUAL"},
    )
    ET.SubElement(sub, _q("mets", "name")).text = actor.name or f"Användare {actor.user_id}"


def _grp(parent: ET.Element, use: str, ids: _Ids) -> ET.Element:
    return ET.SubElement(
        parent,
        _q("mets", "fileGrp"),
        {
            "ID": ids("grp"),
            "USE": use,
            _q("csip", "CONTENTINFORMATIONTYPE"): "OTHER",
            _q("csip", "OTHERCONTENTINFORMATIONTYPE"): CONTENT_TYPE,
        },
    )


def _rep_mets(
    objid: str, label: str, org: str, actor: Actor, data: list[_File], premis: _File, now
) -> bytes:
    """representations/rep1/METS.xml: the representation's data files and PREMIS,
    each with its SHA-256; paths relative to the representation's folder."""
    ids = _Ids()
    root = _mets_root(f"{objid}-rep1", f"{label}: representation rep1", now)
    _mets_hdr(root, org, actor, now)
    amd = ET.SubElement(root, _q("mets", "amdSec"), {"ID": ids("amd")})
    prov = ET.SubElement(
        amd, _q("mets", "digiprovMD"), {"ID": ids("digiprov"), "STATUS": "CURRENT"}
    )
    _md_ref(prov, premis, "metadata/preservation/premis.xml", "PREMIS", ids)
    sec = ET.SubElement(root, _q("mets", "fileSec"), {"ID": ids("filesec")})
    grp = _grp(sec, "Data", ids)
    file_ids = [
        _file_el(grp, f, f.path.removeprefix("representations/rep1/"), ids).get("ID") for f in data
    ]
    smap = ET.SubElement(
        root, _q("mets", "structMap"), {"ID": ids("structmap"), "TYPE": "PHYSICAL", "LABEL": "CSIP"}
    )
    top = ET.SubElement(smap, _q("mets", "div"), {"ID": ids("div"), "LABEL": f"{objid}-rep1"})
    ET.SubElement(
        top, _q("mets", "div"), {"ID": ids("div"), "LABEL": "Metadata", "ADMID": prov.get("ID")}
    )
    ddiv = ET.SubElement(top, _q("mets", "div"), {"ID": ids("div"), "LABEL": "Data"})
    for fid in file_ids:
        ET.SubElement(ddiv, _q("mets", "fptr"), {"FILEID": fid})
    return _xml(root)


def _root_mets(
    objid: str,
    label: str,
    org: str,
    actor: Actor,
    *,
    dc: _File,
    premis: _File,
    doc: _File,
    schema: _File,
    rep_mets: _File,
    now: datetime,
) -> bytes:
    ids = _Ids()
    root = _mets_root(objid, label, now)
    _mets_hdr(root, org, actor, now)
    dmd = ET.SubElement(
        root, _q("mets", "dmdSec"), {"ID": ids("dmd"), "CREATED": _iso(now), "STATUS": "CURRENT"}
    )
    _md_ref(dmd, dc, dc.path, "DC", ids)
    amd = ET.SubElement(root, _q("mets", "amdSec"), {"ID": ids("amd")})
    prov = ET.SubElement(
        amd, _q("mets", "digiprovMD"), {"ID": ids("digiprov"), "STATUS": "CURRENT"}
    )
    _md_ref(prov, premis, premis.path, "PREMIS", ids)
    sec = ET.SubElement(root, _q("mets", "fileSec"), {"ID": ids("filesec")})
    doc_grp = _grp(sec, "Documentation", ids)
    _file_el(doc_grp, doc, doc.path, ids)
    schema_grp = _grp(sec, "Schemas", ids)
    _file_el(schema_grp, schema, schema.path, ids)
    rep_grp = _grp(sec, "Representations/rep1", ids)
    _file_el(rep_grp, rep_mets, rep_mets.path, ids)
    smap = ET.SubElement(
        root, _q("mets", "structMap"), {"ID": ids("structmap"), "TYPE": "PHYSICAL", "LABEL": "CSIP"}
    )
    top = ET.SubElement(smap, _q("mets", "div"), {"ID": ids("div"), "LABEL": objid})
    ET.SubElement(
        top,
        _q("mets", "div"),
        {"ID": ids("div"), "LABEL": "Metadata", "DMDID": dmd.get("ID"), "ADMID": prov.get("ID")},
    )
    d = ET.SubElement(top, _q("mets", "div"), {"ID": ids("div"), "LABEL": "Documentation"})
    ET.SubElement(d, _q("mets", "fptr"), {"FILEID": doc_grp.get("ID")})
    d = ET.SubElement(top, _q("mets", "div"), {"ID": ids("div"), "LABEL": "Schemas"})
    ET.SubElement(d, _q("mets", "fptr"), {"FILEID": schema_grp.get("ID")})
    reps = ET.SubElement(top, _q("mets", "div"), {"ID": ids("div"), "LABEL": "Representations"})
    ET.SubElement(reps, _q("mets", "fptr"), {"FILEID": rep_grp.get("ID")})
    rep = ET.SubElement(
        reps, _q("mets", "div"), {"ID": ids("div"), "LABEL": "Representations/rep1"}
    )
    ET.SubElement(
        rep,
        _q("mets", "mptr"),
        {
            "LOCTYPE": "URL",
            _q("xlink", "type"): "simple",
            _q("xlink", "href"): rep_mets.path,
            _q("xlink", "title"): rep_grp.get("ID"),
        },
    )
    return _xml(root)


def _case_files(s, actor: Actor, case: Case, now: datetime) -> list[_File]:
    """The case file (PDF/A), the timeline and the attachments of one case."""
    facts = case_facts(s, case, _active_delegations(s, case.id))
    view = dataclasses.replace(
        _view(s, actor, case, facts, now), printed=sv_datetime(now), printed_by=actor.name
    )
    base = f"representations/rep1/data/{case.reference}"
    pdf_bytes = pdfa.to_pdfa(
        case_pdf.render(view), title=f"Ärendeakt {case.reference}", created=now
    )
    events = list(
        s.exec(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq))
    )
    unit = s.get(Unit, case.unit_id)
    files = [
        _File(f"{base}/arendeakt.pdf", pdf_bytes, "application/pdf", now, "PDF/A-2b"),
        _File(
            f"{base}/tidslinje.json",
            _timeline_json(case, unit.name if unit else "", events),
            "application/json",
            now,
            "JSON (varna-tidslinje/1)",
        ),
    ]
    rows = s.exec(
        select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id)
    ).all()
    for a in rows:
        source = attachments.stored_path(a)
        try:
            size, digest = _hash_file(source)
        except OSError:
            raise InvalidInput({"arkiv": msg_attachment(case.reference, a.filename)}) from None
        if a.sha256 and digest != a.sha256:
            raise InvalidInput({"arkiv": msg_attachment(case.reference, a.filename)})
        files.append(
            _File(
                f"{base}/bilagor/{a.id}-{_slug(a.filename)}",
                b"",
                a.content_type,
                a.created_at,
                source=source,
                source_size=size,
                source_sha256=digest.upper(),
            )
        )
    return files


def _zip(objid: str, files: list[_File], out: BinaryIO) -> None:
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for f in sorted(files, key=lambda f: f.path):
            info = zipfile.ZipInfo(
                f"{objid}/{f.path}", date_time=f.created.astimezone(UTC).timetuple()[:6]
            )
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            if f.source is None:
                z.writestr(info, f.data)
                continue
            with f.source.open("rb") as src, z.open(info, "w") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)


def build_package(
    actor: Actor | None,
    *,
    year: int | None = None,
    reference: str | None = None,
    now: datetime,
) -> Package:
    """``write_package`` into memory: the package with its bytes in ``data``."""
    buf = io.BytesIO()
    package = write_package(actor, buf, year=year, reference=reference, now=now)
    package.data = buf.getvalue()
    return package


def write_package(
    actor: Actor | None,
    out: BinaryIO,
    *,
    year: int | None = None,
    reference: str | None = None,
    now: datetime,
) -> Package:
    """One archive package written to ``out`` (a zip): the closed case
    ``reference``, or every closed case of the closing ``year`` (Swedish time) that
    the organiser may export. Attachments are streamed from their store, so a
    large year does not sit in memory whole. Logged per case."""
    if actor is None or not can(actor, Action.ARCHIVE_EXPORT):
        access_log.deny(actor, LOG_ACTION, now=now)
        raise AccessDenied()
    ref = (reference or "").strip().upper() or None
    if ref is None and year is None:
        raise InvalidInput({"arkiv": MSG_CHOOSE})
    with read_scope() as s:
        stmt = select(Case).where(Case.organisation_id == actor.organisation_id)
        if ref is not None:
            stmt = stmt.where(Case.reference == ref)
        else:
            start, end = _year_range(year)
            stmt = stmt.where(Case.closed_at >= start, Case.closed_at < end)
        candidates = list(s.exec(stmt.order_by(Case.reference).limit(MAX_CASES + 1)))
        cases = [
            c
            for c in candidates
            if can_on_case(
                actor, Action.EXPORT_CASE, case_facts(s, c, _active_delegations(s, c.id))
            )
        ]
        if ref is not None and not cases:
            access_log.deny(actor, LOG_ACTION, now=now)
            raise AccessDenied()
        if ref is not None and cases[0].closed_at is None:
            raise InvalidInput({"arkiv": MSG_NOT_CLOSED})
        if not cases:
            raise InvalidInput({"arkiv": MSG_NONE})
        if len(candidates) > MAX_CASES:
            raise InvalidInput({"arkiv": MSG_TOO_MANY})
        org_row = s.get(Organisation, actor.organisation_id)
        org = org_row.name if org_row else ""
        data: list[_File] = []
        for case in cases:
            data += _case_files(s, actor, case, now)
        refs = [c.reference for c in cases]
    label = (
        f"Ärende {ref} om kränkande behandling"
        if ref
        else f"Ärenden om kränkande behandling avslutade {year}"
    )
    what = ref or str(year)
    objid = f"varna-arkivpaket-{what}-{now:%Y%m%d}-{uuid.uuid4().hex[:8]}"
    rep_premis = _File(
        "representations/rep1/metadata/preservation/premis.xml",
        _premis_rep(data),
        "application/xml",
        now,
        "PREMIS 3",
    )
    rep_mets = _File(
        "representations/rep1/METS.xml",
        _rep_mets(objid, label, org, actor, data, rep_premis, now),
        "application/xml",
        now,
        "METS 1.12",
    )
    dc = _File(
        "metadata/descriptive/dc.xml", _dc(objid, label, org, refs, now), "application/xml", now
    )
    premis = _File(
        "metadata/preservation/premis.xml",
        _premis_package(objid, org, actor, now, len(cases)),
        "application/xml",
        now,
    )
    doc = _File(
        "documentation/om-arkivpaketet.txt",
        _documentation(org, label, refs, now),
        "text/plain",
        now,
    )
    schema = _File(
        "schemas/tidslinje.schema.json",
        (json.dumps(TIMELINE_SCHEMA, ensure_ascii=False, indent=2) + "\n").encode("utf-8"),
        "application/schema+json",
        now,
    )
    mets = _File(
        "METS.xml",
        _root_mets(
            objid,
            label,
            org,
            actor,
            dc=dc,
            premis=premis,
            doc=doc,
            schema=schema,
            rep_mets=rep_mets,
            now=now,
        ),
        "application/xml",
        now,
    )
    _zip(objid, [mets, dc, premis, doc, schema, rep_mets, rep_premis, *data], out)
    # Logged once the package is made, per case (each case's "Vem har läst ärendet").
    with session_scope() as log_s:
        for case in cases:
            access_log.record(log_s, actor, LOG_ACTION, now=now, case_id=case.id)
    return Package(objid=objid, filename=f"arkivpaket-{what}-{now:%Y-%m-%d}.zip", references=refs)


# --------------------------------------------------------------------------- verify


@dataclass(frozen=True)
class Verified:
    objid: str = ""
    files: int = 0  # files checked against a checksum
    findings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


# What reading a damaged member can raise: a bad CRC, a broken deflate stream, a cut file.
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError)


def _check_mets(
    read: Callable[[str], bytes],
    names: set[str],
    mets_path: str,
    listed: set[str],
    findings: list[str],
) -> int:
    """Check every file and metadata reference of one METS file (paths relative to
    its folder); follows the representations' METS. Returns the files checked."""
    folder = PurePosixPath(mets_path).parent
    try:
        root = ET.fromstring(read(mets_path))
    except (ET.ParseError, *_DAMAGED):
        findings.append(f"Paketbeskrivningen {mets_path} är skadad och kan inte läsas.")
        return 0
    if root.tag != _q("mets", "mets"):
        findings.append(f"{mets_path} är ingen METS-fil.")
        return 0
    checked = 0
    refs: list[tuple[ET.Element, str]] = []
    for el in root.iter(_q("mets", "file")):
        loc = el.find(_q("mets", "FLocat"))
        refs.append((el, loc.get(_q("xlink", "href"), "") if loc is not None else ""))
    for el in root.iter(_q("mets", "mdRef")):
        refs.append((el, el.get(_q("xlink", "href"), "")))
    for el, href in refs:
        if not href or ".." in PurePosixPath(href).parts or href.startswith("/"):
            findings.append(f"Ogiltig filhänvisning i {mets_path}: {href!r}.")
            continue
        path = str(folder / href)
        if path in listed:
            continue  # listed twice (or a METS naming itself): checked once
        listed.add(path)
        if path not in names:
            findings.append(f"Filen saknas i paketet: {path}.")
            continue
        if (el.get("CHECKSUMTYPE") or "").upper() != "SHA-256" or not el.get("CHECKSUM"):
            findings.append(f"Kontrollsumma (SHA-256) saknas för {path} i {mets_path}.")
            continue
        try:
            data = read(path)
        except _DAMAGED:
            findings.append(f"Filen är skadad och kan inte läsas: {path}.")
            continue
        checked += 1
        if _sha256(data) != el.get("CHECKSUM", "").upper():
            findings.append(f"Ändrad fil: {path} (kontrollsumman stämmer inte).")
        elif str(len(data)) != el.get("SIZE"):
            findings.append(f"Ändrad fil: {path} (storleken stämmer inte).")
        elif PurePosixPath(path).name == "METS.xml":
            checked += _check_mets(read, names, path, listed, findings)
    return checked


def verify(path: str | Path) -> Verified:
    """Check an archive package file: its structure (one root folder with METS.xml,
    metadata/ and representations/), every file listed in a METS file with the
    same size and SHA-256, and no file that is not listed. No database needed."""
    findings: list[str] = []
    try:
        z = zipfile.ZipFile(path)
    except FileNotFoundError:
        return Verified(findings=[f"Filen finns inte: {path}."])
    except _DAMAGED:
        return Verified(findings=[f"Filen är inget zip-arkiv (eller är skadad): {path}."])
    with z:
        names = {n for n in z.namelist() if not n.endswith("/")}
        tops = {n.split("/", 1)[0] for n in z.namelist()}
        if len(tops) != 1 or any("/" not in n for n in names):
            return Verified(findings=["Paketet ska ha exakt en rotmapp med allt innehåll."])
        objid = next(iter(tops))
        rel = {n.removeprefix(objid + "/") for n in names}
        for needed, what in [
            ("metadata/", "mappen metadata"),
            ("representations/", "mappen representations"),
        ]:
            if not any(r.startswith(needed) for r in rel):
                findings.append(f"Paketet saknar {what}.")
        if "METS.xml" not in rel:
            findings.append("Paketet saknar paketbeskrivningen METS.xml.")
            return Verified(objid=objid, findings=findings)

        def read(name: str) -> bytes:
            return z.read(f"{objid}/{name}")

        listed = {"METS.xml"}
        checked = _check_mets(read, rel, "METS.xml", listed, findings)
        for extra in sorted(rel - listed):
            findings.append(f"Filen finns inte i paketbeskrivningen: {extra}.")
    return Verified(objid=objid, files=checked, findings=findings)


__all__ = [
    "LOG_ACTION",
    "Package",
    "Verified",
    "YearChoice",
    "build_package",
    "write_package",
    "closing_years",
    "verify",
]
