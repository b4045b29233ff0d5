"""The register extract (registerutdrag, GDPR art. 15): every case of the
organisation in which a person appears, in which role, and a PDF to send to the
person with every other person masked as in the reply pack.

The organiser searches for a name, matched as the repeated-events feature matches
pupils (``domain.report.name_key``: case-folded, single spaces) against the cases'
parties and reporters. Only cases the organiser may export are found (never one
where they are named as involved themselves). Each found case gets an access-log
row (``register_search`` for the list, ``register_extract`` for the PDF), so the
case's "Vem har läst ärendet" shows that it was searched; a search that finds
nothing is logged without a case. The name searched for is not stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import func, or_, select

from kb_app.db import session_scope
from kb_app.domain.access import Action, Actor, can, can_on_case
from kb_app.domain.case_text import PARTY_ROLE_LABELS
from kb_app.domain.fmt import sv_date, sv_datetime
from kb_app.domain.process import STEP_LABELS
from kb_app.domain.report import name_key
from kb_app.domain.vocab import PARTY_KIND_LABELS
from kb_app.errors import AccessDenied, InvalidInput
from kb_app.models import Case, CaseEvent, Measure, Organisation, Party, Unit
from kb_app.services.base import access_log, pdf
from kb_app.services.statistics import reply_pack as rp

MIN_NAME = 2
MAX_NAME = 200
MAX_CASES = 200  # more than any one person's cases; the list says when it is cut
MSG_NAME = f"Skriv personens för- och efternamn (minst {MIN_NAME} tecken)."
MSG_NAME_LONG = f"Namnet får vara högst {MAX_NAME} tecken."
REPORTER = "Anmälare"


@dataclass(frozen=True)
class Hit:
    case_id: int
    reference: str
    reported: str
    unit: str
    roles: str  # "Utsatt", "Inblandad, Anmälare" …
    kind: str  # Elev, Personal …
    class_name: str
    status: str


@dataclass(frozen=True)
class Found:
    name: str
    hits: list[Hit] = field(default_factory=list)
    cut: bool = False  # more than MAX_CASES cases


def _key(name: str) -> str:
    key = name_key(name or "")
    if len(key) > MAX_NAME:
        raise InvalidInput({"namn": MSG_NAME_LONG})
    if len(key) < MIN_NAME:
        raise InvalidInput({"namn": MSG_NAME})
    return key


def _matches(s, actor: Actor, key: str) -> list[tuple[Case, list[Party], bool]]:
    """(case, the person's parties on it, named as reporter) for every case of the
    organisation the actor may export, newest first."""
    party_cases = select(Party.case_id).where(Party.name_key == key)
    reporter = func.lower(func.trim(Case.reporter_name)) == key
    cases = list(
        s.exec(
            select(Case)
            .where(Case.organisation_id == actor.organisation_id)
            .where(or_(Case.id.in_(party_cases), reporter))
            .order_by(Case.reported_at.desc(), Case.id.desc())
            .limit(MAX_CASES + 1)
        )
    )
    out = []
    for case in cases:
        if not can_on_case(actor, Action.EXPORT_CASE, rp._facts(s, case)):
            continue
        mine = list(
            s.exec(
                select(Party)
                .where(Party.case_id == case.id, Party.name_key == key)
                .order_by(Party.id)
            )
        )
        as_reporter = name_key(case.reporter_name or "") == key
        if mine or as_reporter:
            out.append((case, mine, as_reporter))
    return out


def _hit(case: Case, unit: str, mine: list[Party], as_reporter: bool) -> Hit:
    roles = list(dict.fromkeys(PARTY_ROLE_LABELS.get(p.role, "Berörd") for p in mine))
    if as_reporter:
        roles.append(REPORTER)
    kinds = list(dict.fromkeys(PARTY_KIND_LABELS.get(p.kind, "Person") for p in mine))
    classes = list(dict.fromkeys(p.class_name for p in mine if p.class_name))
    return Hit(
        case_id=case.id,
        reference=case.reference,
        reported=sv_date(case.reported_at),
        unit=unit,
        roles=", ".join(roles),
        kind=", ".join(kinds) or ("Personal" if as_reporter else ""),
        class_name=", ".join(classes),
        status=STEP_LABELS.get(case.step, case.step),
    )


def search(actor: Actor | None, name: str, *, now: datetime) -> Found:
    """The cases in which ``name`` appears (organisers only; logged per case)."""
    if actor is None or not can(actor, Action.REGISTER_EXTRACT):
        access_log.deny(actor, "register_search", now=now)
        raise AccessDenied()
    key = _key(name)
    with session_scope() as s:
        found = _matches(s, actor, key)
        units = dict(s.exec(select(Unit.id, Unit.name)).all())
        hits = [_hit(c, units.get(c.unit_id, ""), mine, rep) for c, mine, rep in found]
        for h in hits[:MAX_CASES]:
            access_log.record(s, actor, "register_search", now=now, case_id=h.case_id)
        if not hits:
            access_log.record(s, actor, "register_search", now=now)
    return Found(name=" ".join(name.split()), hits=hits[:MAX_CASES], cut=len(hits) > MAX_CASES)


def extract_pdf(actor: Actor | None, name: str, *, now: datetime) -> tuple[bytes, str]:
    """The extract as a PDF and its file name. Per case, the reply pack's content
    with the person shown by name and everyone else masked."""
    if actor is None or not can(actor, Action.REGISTER_EXTRACT):
        access_log.deny(actor, "register_extract", now=now)
        raise AccessDenied()
    key = _key(name)
    shown = " ".join(name.split())
    with session_scope() as s:
        found = _matches(s, actor, key)[:MAX_CASES]
        # The name as the cases write it, not as it was typed in the search
        shown = next((p.name for _, mine, _ in found for p in mine if p.name), shown)
        units = dict(s.exec(select(Unit.id, Unit.name)).all())
        org = s.get(Organisation, actor.organisation_id)
        packs = []
        for case, mine, as_reporter in found:
            access_log.record(s, actor, "register_extract", now=now, case_id=case.id)
            parties = list(s.exec(select(Party).where(Party.case_id == case.id).order_by(Party.id)))
            events = list(
                s.exec(
                    select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
                )
            )
            measures = list(
                s.exec(select(Measure).where(Measure.case_id == case.id).order_by(Measure.id))
            )
            officials = rp._officials(s, case, events, actor)
            hit = _hit(case, units.get(case.unit_id, ""), mine, as_reporter)
            pack = rp.compose(
                case,
                hit.unit,
                org.name if org else "",
                parties,
                events,
                measures,
                party_id=mine[0].id if mine else None,
                any_role=True,
                show_reporter=as_reporter,
                show_staff=False,
                officials=officials,
                actor_name=actor.name,
                now=now,
            )
            packs.append((hit, pack))
        if not found:
            access_log.record(s, actor, "register_extract", now=now)
    body = _render(shown, org.name if org else "", actor.name, packs, now=now)
    slug = "-".join(key.split())[:40] or "person"
    return body, f"registerutdrag-{slug}-{now:%Y-%m-%d}.pdf"


def _render(name: str, org_name: str, by: str, packs: list, *, now: datetime) -> bytes:
    S = pdf.styles()
    story: list = [
        pdf.para("Registerutdrag", "title"),
        pdf.para(f"{org_name} · Skapat {sv_datetime(now)} av {by}", "subtitle"),
        pdf.para(f"Avser: {name}", "h3"),
        pdf.para(
            "Utdraget visar de ärenden om kränkande behandling hos "
            f"{org_name or 'huvudmannen'} där personen förekommer, i vilken roll, och vad som "
            "står i ärendet (dataskyddsförordningen, artikel 15). Andra personers namn är "
            "ersatta med beteckningar (”Elev A”, ”Personal A”); de som handlagt ärendena visas "
            "med namn. Läs igenom utdraget och gör en sekretessprövning (OSL 23 kap.) innan "
            "det lämnas ut.",
            "body",
        ),
    ]
    if not packs:
        story += pdf.section(
            "Ärenden", pdf.para("Personen förekommer inte i något ärende.", "body")
        )
        return pdf.build(story, title="Registerutdrag", footer=lambda: "Registerutdrag")
    rows = [[h.reference, h.reported, h.unit, h.roles, h.status] for h, _ in packs]
    story += pdf.section(
        f"Ärenden ({len(packs)})",
        pdf.table(["Ärende", "Anmält", "Enhet", "Roll", "Status"], rows),
    )
    for hit, pack in packs:
        story += pdf.section(f"Ärende {hit.reference} · {hit.roles}", pdf.para(pack.about, "h3"))
        story += rp.story_sections(pack, S)
    return pdf.build(
        story,
        title="Registerutdrag",
        footer=lambda: "Registerutdrag · Innehåller sekretessuppgifter",
    )


# --------------------------------------------------------------------------- HTML


def render_html(found: Found | None, *, name: str = "", error: str = "") -> str:
    """The search page: a form, and the cases found with the PDF's download (a
    POST, so the name never stands in an address or a server log)."""
    from html import escape

    from kb_app import routes

    value = escape(" ".join((name or "").split()), quote=True)
    described = " aria-describedby='namn-fel' aria-invalid='true'" if error else ""
    parts = [
        "<!doctype html><html lang='sv'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        "<meta name='robots' content='noindex, nofollow'>",
        "<title>Registerutdrag · Värna</title>",
        f"<style>{rp.CSS}.err{{color:#ce2c31;font-size:.9rem;margin:.2rem 0}}"
        ".bar input{font:inherit;font-size:.95rem;padding:.35rem .6rem;border:1px solid "
        "#b9bbc6;border-radius:6px;width:min(20rem,100%);box-sizing:border-box}.bar label{flex:1 1 14rem}"
        ".wide{overflow-x:auto}a{color:#0d7c72}td a{white-space:nowrap}"
        "@media (max-width:40rem){.doc{padding:1rem}body{margin:.5rem auto}}"
        "</style></head><body>",
        "<main class='doc'>",
        f"<p><a href='{routes.STATISTICS}'>← Till statistiken</a></p>",
        "<h1>Registerutdrag</h1>",
        "<p class='muted'>Sök på en persons namn för att se alla ärenden där personen "
        "förekommer, och ta fram ett utdrag att skicka till personen (dataskyddsförordningen, "
        "artikel 15). Andra personer är maskerade i utdraget. Sökningen loggas i varje "
        "ärende som hittas.</p>",
        f"<form class='bar' method='post' action='{routes.REGISTER_EXTRACT}'>",
        "<label for='namn'>För- och efternamn",
        f"<input id='namn' name='namn' value='{value}' autocomplete='off' required "
        f"maxlength='{MAX_NAME}'{described}></label>",
        "<button type='submit'>Sök</button></form>",
    ]
    if error:
        parts.append(f"<p class='err' id='namn-fel' role='alert'>{escape(error)}</p>")
    if found is not None:
        n = len(found.hits)
        parts.append(f"<h2>{escape(found.name)}: {n} ärende{'n' if n != 1 else ''}</h2>")
        if not found.hits:
            parts.append(
                "<p>Personen förekommer inte i något ärende som du har tillgång till. "
                "Kontrollera stavningen; namnet jämförs utan hänsyn till stora och små "
                "bokstäver.</p>"
            )
        else:
            if found.cut:
                parts.append(f"<p class='small'>Bara de {MAX_CASES} senaste ärendena visas.</p>")
            parts.append(
                "<div class='wide' tabindex='0' aria-label='Ärenden'><table><thead><tr>"
                + "".join(
                    f"<th scope='col'>{h}</th>"
                    for h in ["Ärende", "Anmält", "Enhet", "Roll", "Slag", "Klass", "Status"]
                )
                + "</tr></thead><tbody>"
            )
            for h in found.hits:
                parts.append(
                    f"<tr><td><a href='{routes.case(h.case_id)}'>{escape(h.reference)}</a></td>"
                    + "".join(
                        f"<td>{escape(x)}</td>"
                        for x in [h.reported, h.unit, h.roles, h.kind, h.class_name, h.status]
                    )
                    + "</tr>"
                )
            parts.append("</tbody></table></div>")
        parts.append(
            f"<form method='post' action='{routes.REGISTER_EXTRACT_PDF}' class='bar'>"
            f"<input type='hidden' name='namn' value='{value}'>"
            "<button type='submit'>Hämta registerutdraget (PDF)</button></form>"
        )
    parts.append("</main></body></html>")
    return "".join(parts)
