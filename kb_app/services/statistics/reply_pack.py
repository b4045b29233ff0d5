"""The reply pack (svarspaket) for one case and one subjected child: the report,
the parties, the timeline, the investigation, the measures, the follow-up, the
supplements and the comments, with every other person named on the case masked
(``domain.masking.Masker``: "Elev A", "Personal A", "Övrig person A"). For
answering a guardian, BEO or Skolinspektionen.

One content model (:class:`ReplyPack`) is rendered both as the HTML preview and as
the PDF, so the preview shows exactly what the download will hold.

Who is shown by name: the chosen child; the officials who handled the case (the
users who recorded its events, its responsible and its investigators, and the
user making the pack); staff and external persons only when the user chooses so
(that choice is written to the access log as ``reply_pack_staff_named``). Every
label is Swedish (``domain.case_text`` and ``domain.vocab``).

Access: whoever may export the case (``Action.EXPORT_CASE``); every attempt is
written to the access log (``export_reply_pack`` for the PDF,
``preview_reply_pack`` for the preview).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from html import escape
from urllib.parse import urlencode

from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, TableStyle
from reportlab.platypus import Table as RLTable
from sqlmodel import select

from kb_app import routes
from kb_app.db import session_scope
from kb_app.domain.access import Action, Actor, CaseFacts, can_on_case
from kb_app.domain.case_text import PARTY_ROLE_LABELS, describe, event_label
from kb_app.domain.fmt import sv_date, sv_datetime
from kb_app.domain.masking import AMBIGUOUS, Masker, Person, Pseudonyms, person_key
from kb_app.domain.process import MEASURE_LEVEL_LABELS, EventKind
from kb_app.domain.vocab import (
    GRADE_LABELS,
    GUARDIANS_INFORMED,
    PARTY_KIND_LABELS,
    PLACE_LABELS,
    grounds_label,
    kinds_label,
)
from kb_app.errors import AccessDenied, InvalidInput
from kb_app.models import (
    Case,
    CaseEvent,
    Delegation,
    Measure,
    Organisation,
    Party,
    Unit,
    User,
)
from kb_app.services.base import access_log, pdf
from kb_app.services.case.access import _active_delegations, case_facts

# Timeline events shown in the pack; reminders (the system's own) are left out.
SHOWN_EVENTS = {k for k in EventKind if k != EventKind.REMINDER}

# The pack's categories of masked people (stand-in kind, heading); unknown and
# external persons are "other".
CATEGORIES = [
    ("pupil", "Andra barn/elever"),
    ("staff", "Personal"),
    ("guardian", "Vårdnadshavare"),
    ("other", "Övriga personer"),
]
_CATEGORY_OF_KIND = {"pupil": "pupil", "staff": "staff", "guardian": "guardian"}

MSG_NOT_SUBJECTED = "Välj ett av de utsatta barnen i ärendet."


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Text:
    text: str
    style: str = "body"  # body, h3, small
    meta: str = ""  # shown quieter after the text (an event's time and author)


@dataclass(frozen=True)
class Table:
    headers: list[str] | None
    rows: list[list[str]]
    widths_mm: list[float]


@dataclass(frozen=True)
class Section:
    title: str
    blocks: list[Text | Table]


@dataclass(frozen=True)
class Choice:
    party_id: int
    label: str


@dataclass
class ReplyPack:
    case_id: int
    reference: str
    party_id: int | None
    show_staff: bool
    title: str
    subtitle: str
    about: str
    notices: list[str]
    sections: list[Section]
    choices: list[Choice] = field(default_factory=list)

    @property
    def filename(self) -> str:
        return f"svarspaket-{self.reference}.pdf"

    def query(self) -> str:
        q = {"id": str(self.case_id)}
        if self.party_id is not None:
            q["part"] = str(self.party_id)
        if self.show_staff:
            q["personal"] = "1"
        return urlencode(q)

    @cached_property
    def pdf(self) -> bytes:
        return render_pdf(self)

    def html(self) -> str:
        return render_html(self)


# --------------------------------------------------------------------------- build


def _facts(s, case: Case) -> CaseFacts:
    # The one access check's facts (delegations, take-over, jäv exclusions).
    return case_facts(s, case, _active_delegations(s, case.id))


def _officials(s, case: Case, events: list[CaseEvent], actor: Actor) -> list[str]:
    """The users who handled the case: shown by name (they act in their office)."""
    ids = {ev.actor_user_id for ev in events if ev.actor_user_id}
    ids |= set(
        s.exec(select(Delegation.investigator_user_id).where(Delegation.case_id == case.id)).all()
    )
    if case.responsible_user_id:
        ids.add(case.responsible_user_id)
    names = list(s.exec(select(User.name).where(User.id.in_(ids))).all()) if ids else []
    return [n for n in [*names, actor.name] if n]


def build(
    actor: Actor | None,
    *,
    case_id: int | None = None,
    reference: str | None = None,
    party_id: int | None = None,
    show_staff: bool = False,
    preview: bool = False,
    now: datetime,
) -> ReplyPack:
    """The reply pack of a case (by id or reference) for one subjected child
    (``party_id``; default: the first subjected pupil). ``show_staff`` shows the
    names of staff and external persons (logged). ``preview``: logged as a preview.
    A ``party_id`` that is not a subjected party of the case raises InvalidInput."""
    what = "preview_reply_pack" if preview else "export_reply_pack"
    if actor is None:
        raise AccessDenied()
    with session_scope() as s:
        q = select(Case).where(Case.organisation_id == actor.organisation_id)
        if case_id is not None:
            q = q.where(Case.id == case_id)
        elif reference:
            q = q.where(Case.reference == reference.strip().upper())
        else:
            raise AccessDenied()
        case = s.exec(q).first()
        allowed = case is not None and can_on_case(actor, Action.EXPORT_CASE, _facts(s, case))
        if not allowed:
            denied_id = case.id if case else case_id
        else:
            parties = list(s.exec(select(Party).where(Party.case_id == case.id).order_by(Party.id)))
            subjected = [p for p in parties if p.role == "subjected"]
            if party_id is not None and party_id not in {p.id for p in subjected}:
                raise InvalidInput({"part": MSG_NOT_SUBJECTED})
            access_log.record(s, actor, what, now=now, case_id=case.id)
            if show_staff:
                access_log.record(s, actor, "reply_pack_staff_named", now=now, case_id=case.id)
            unit = s.get(Unit, case.unit_id)
            org = s.get(Organisation, case.organisation_id)
            events = list(
                s.exec(
                    select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
                )
            )
            measures = list(
                s.exec(select(Measure).where(Measure.case_id == case.id).order_by(Measure.id))
            )
            officials = _officials(s, case, events, actor)
    if not allowed:
        # Recorded in a transaction of its own: a refusal is never rolled back.
        access_log.deny(actor, what, now=now, case_id=denied_id)
        raise AccessDenied()
    return compose(
        case,
        unit.name if unit else "",
        org.name if org else "",
        parties,
        events,
        measures,
        party_id=party_id,
        show_staff=show_staff,
        officials=officials,
        actor_name=actor.name,
        now=now,
    )


def _category(p: Party) -> str:
    return _CATEGORY_OF_KIND.get(p.kind, "other")


def compose(
    case: Case,
    unit_name: str,
    org_name: str,
    parties: list[Party],
    events: list[CaseEvent],
    measures: list[Measure],
    *,
    party_id: int | None,
    show_staff: bool,
    officials: list[str],
    actor_name: str,
    now: datetime,
    any_role: bool = False,
    show_reporter: bool = False,
) -> ReplyPack:
    """``any_role`` (the register extract): ``party_id`` may be any party and no
    child is chosen when it is None; ``show_reporter`` names the reporter."""
    subjected = [p for p in parties if p.role == "subjected"]
    kept = next((p for p in (parties if any_role else subjected) if p.id == party_id), None)
    if kept is None and not any_role:
        kept = next(
            (p for p in subjected if p.kind == "pupil"), subjected[0] if subjected else None
        )
    pseudo = Pseudonyms()
    people: list[Person] = []
    shown: dict[int, str] = {}  # party id -> name or stand-in in the parties table
    category_of: dict[str, str] = {}  # stand-in -> category
    for p in parties:
        cat = _category(p)
        name = " ".join((p.name or "").split())
        if kept is not None and p.id == kept.id:
            shown[p.id] = name or "Den utsatta"
            if name:
                people.append(Person(name, None, cat))
        elif not name:
            shown[p.id] = PARTY_KIND_LABELS.get(p.kind, "Person") + " (namn saknas)"
        elif show_staff and cat != "pupil":
            shown[p.id] = name
            people.append(Person(name, None, cat))
        else:
            stand_in = _stand_in(
                pseudo, cat, person_key(p.name_key, name, case.unit_id, p.class_name)
            )
            shown[p.id] = stand_in
            category_of[stand_in] = cat
            people.append(Person(name, stand_in, cat))
    reporter = " ".join((case.reporter_name or "").split())
    if reporter:
        if show_staff or show_reporter:
            people.append(Person(reporter, None, "staff"))
        else:
            stand_in = _stand_in(pseudo, "staff", person_key("", reporter, case.unit_id))
            category_of[stand_in] = "staff"
            people.append(Person(reporter, stand_in, "staff"))
    masked_names = {x.name.casefold() for x in people if x.stand_in}
    for name in officials:
        name = " ".join(name.split())
        if name and name.casefold() not in masked_names:
            people.append(Person(name, None, "official"))
    mask = Masker(people)

    about = "Avser: " + (
        kept.name + (f", {kept.class_name}" if kept.class_name else "")
        if kept and kept.name
        else (reporter if show_reporter and reporter else "den utsatta")
    )
    notices = [
        "Andra barns namn är ersatta med beteckningar (”Elev A”, ”Elev B” …) överallt i "
        "handlingen, även i böjda former som ”Elev A:s”.",
        (
            f"Namn på personal och externa personer visas på begäran av {actor_name} (loggat)."
            if show_staff
            else "Namn på personal och externa personer är ersatta (”Personal A”, "
            "”Övrig person A”). De som handlagt ärendet visas med namn."
        ),
        "Fritext kan ändå nämna personer som inte är parter i ärendet: läs igenom "
        "handlingen och gör en sekretessprövning (OSL 23 kap.) innan den lämnas ut.",
    ]

    sections: list[Section] = []
    place = PLACE_LABELS.get(case.place, "Annan plats")
    if case.place_other:
        place += f" ({mask(case.place_other)})"
    when = sv_date(case.occurred_on) + (f" kl. {case.occurred_time}" if case.occurred_time else "")
    klass = (kept.class_name if kept else "") or case.class_name
    grade = (kept.grade if kept and kept.grade else case.grade) or ""
    grade = GRADE_LABELS.get(grade, "") if grade else ""
    report_rows = [
        ["Ärende", case.reference],
        ["Anmält", sv_datetime(case.reported_at)],
        ["Inträffade", when],
        ["Plats", place],
        ["Slag av kränkning", kinds_label(case.kinds) or "–"],
        ["Diskrimineringsgrund", grounds_label(case.grounds) or "Ingen angiven"],
        ["Personal inblandad", "Ja" if case.staff_involved else "Nej"],
        [
            "Vårdnadshavare informerade",
            dict(GUARDIANS_INFORMED).get(case.guardians_informed, "Vet inte"),
        ],
        # The chosen child's class (the case row holds the first subjected pupil's)
        ["Klass / årskurs", " / ".join(x for x in [klass, grade] if x) or "–"],
    ]
    if reporter:
        report_rows.append(["Anmäld av", mask(reporter)])
    blocks: list[Text | Table] = [
        Table(None, report_rows, [50, 124]),
        Text("Vad hände", "h3"),
        Text(mask(case.description)),
    ]
    if case.immediate_actions:
        blocks += [Text("Åtgärder direkt", "h3"), Text(mask(case.immediate_actions))]
    if case.witnesses:
        blocks += [Text("Vittnen", "h3"), Text(mask(case.witnesses))]
    sections.append(Section("Anmälan", blocks))
    if parties:
        rows = [
            [
                PARTY_ROLE_LABELS.get(p.role, "Berörd"),
                PARTY_KIND_LABELS.get(p.kind, "Person"),
                shown[p.id],
                p.class_name or "",
            ]
            for p in parties
        ]
        sections.append(
            Section("Berörda", [Table(["Roll", "Slag", "Namn", "Klass"], rows, [28, 30, 86, 30])])
        )

    shown_events = [ev for ev in events if ev.kind in SHOWN_EVENTS]
    sections.append(
        Section(
            "Tidslinje",
            [
                Table(
                    ["Tid", "Händelse", "Av"],
                    [
                        [sv_datetime(ev.at), event_label(ev.kind), mask(ev.actor_label)]
                        for ev in shown_events
                    ],
                    [38, 66, 70],
                )
            ],
        )
    )
    groups = [
        (
            "Utredning",
            {
                EventKind.INVESTIGATION_STARTED,
                EventKind.DELEGATED,
                EventKind.DELEGATION_WITHDRAWN,
                EventKind.INVESTIGATED,
            },
            True,
        ),
        ("Beslutade åtgärder", {EventKind.MEASURES_PROPOSED, EventKind.MEASURES_DECIDED}, True),
        ("Uppföljning", {EventKind.FOLLOWED_UP}, True),
        ("Avslut", {EventKind.CLOSED, EventKind.REOPENED, EventKind.TAKEN_OVER}, False),
        ("Kompletteringar", {EventKind.SUPPLEMENT}, False),
        ("Kommentarer", {EventKind.COMMENT}, False),
    ]
    tabled = {m.event_id for m in measures if m.event_id}
    for heading, kinds_, always in groups:
        blocks = []
        for ev in events:
            if ev.kind not in kinds_:
                continue
            try:
                payload = json.loads(ev.payload or "{}")
            except ValueError:
                payload = {}
            lines = describe(ev.kind, payload if isinstance(payload, dict) else {})
            by = mask(ev.actor_label)
            meta = sv_datetime(ev.at) + (f" · {by}" if by else "")
            blocks.append(Text(event_label(ev.kind), "h3", meta))
            if ev.id in tabled:
                lines = ["Åtgärderna står i tabellen nedan."]
            blocks += [Text(mask(line)) for line in lines if line]
        if heading == "Beslutade åtgärder" and measures:
            blocks.append(Text("Åtgärder i ärendet", "h3"))
            blocks.append(
                Table(
                    ["Nivå", "Åtgärd", "Ansvarig", "Senast"],
                    [
                        [
                            MEASURE_LEVEL_LABELS.get(m.level, "–"),
                            mask(m.description),
                            mask(m.responsible),
                            sv_date(m.due_on) if m.due_on else "",
                        ]
                        for m in measures
                    ],
                    [28, 82, 40, 24],
                )
            )
        if blocks:
            sections.append(Section(heading, blocks))
        elif always:
            sections.append(Section(heading, [Text("Inte gjort ännu.", "small")]))

    sections.append(_masked_summary(pseudo, category_of, mask))
    choices = [
        Choice(p.id, (p.name or "Namn saknas") + (f", {p.class_name}" if p.class_name else ""))
        for p in subjected
    ]
    return ReplyPack(
        case_id=case.id,
        reference=case.reference,
        party_id=kept.id if kept else None,
        show_staff=show_staff,
        title=f"Svarspaket {case.reference}",
        subtitle=f"{org_name} · {unit_name} · Skapat {sv_datetime(now)} av {actor_name}",
        about=about,
        notices=notices,
        sections=sections,
        choices=choices,
    )


def _stand_in(pseudo: Pseudonyms, category: str, key: str) -> str:
    """Stand-ins per category: "Elev A", "Personal A", "Övrig person A"."""
    return pseudo.name(category, key)


def _masked_summary(pseudo: Pseudonyms, category_of: dict[str, str], mask: Masker) -> Section:
    """What was masked, per category: how many persons and how many places in the
    text, never who."""
    rows = []
    for cat, heading in CATEGORIES:
        stand_ins = sorted(
            (s for s, c in category_of.items() if c == cat), key=lambda x: (len(x), x)
        )
        if not stand_ins and cat == "guardian":
            continue
        places = sum(mask.counts.get(s, 0) for s in stand_ins)
        rows.append(
            [
                heading,
                f"{len(stand_ins)} ({', '.join(stand_ins)})" if stand_ins else "0",
                str(places),
            ]
        )
    blocks: list[Text | Table] = [
        Table(["Kategori", "Personer", "Ersatta ställen i texten"], rows, [50, 84, 40])
    ]
    if mask.counts.get(AMBIGUOUS):
        blocks.append(
            Text(
                ("1 ställe" if mask.counts[AMBIGUOUS] == 1 else f"{mask.counts[AMBIGUOUS]} ställen")
                + f" med ett namn som flera maskerade personer delar är ersatta med ”{AMBIGUOUS}”.",
                "small",
            )
        )
    return Section("Maskerat i handlingen", blocks)


# --------------------------------------------------------------------------- PDF


def _notice_box(notices: list[str], S) -> RLTable:
    """What was masked and the secrecy note, in a quiet box under the title."""
    box = RLTable(
        [[[Paragraph(pdf.esc(n), S["small"]) for n in notices]]],
        colWidths=[174 * mm],
        hAlign="LEFT",
    )
    box.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), pdf.HEAD_BG),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
            ]
        )
    )
    return box


def render_pdf(pack: ReplyPack) -> bytes:
    S = pdf.styles()
    story: list = [
        Paragraph(pdf.esc(pack.title), S["title"]),
        Paragraph(pdf.esc(pack.subtitle), S["subtitle"]),
        pdf.para(pack.about, "h3"),
        _notice_box(pack.notices, S),
        Spacer(1, 4),
    ]
    story += story_sections(pack, S)
    return pdf.build(
        story,
        title=pack.title,
        footer=lambda: f"{pack.reference} · Svarspaket · Innehåller sekretessuppgifter",
    )


def story_sections(pack: ReplyPack, S) -> list:
    """The pack's sections as PDF flowables (also the register extract's per case)."""
    story: list = []
    for section in pack.sections:
        flow = []
        for b in section.blocks:
            if isinstance(b, Table):
                flow.append(pdf.table(b.headers, b.rows, widths=[w * mm for w in b.widths_mm]))
            elif b.meta:
                flow.append(
                    Paragraph(
                        f"{pdf.esc(b.text)}&nbsp;&nbsp;<font name='{pdf.FONT}' size='8.5' "
                        f"color='#60646c'>{pdf.esc(b.meta)}</font>",
                        S[b.style],
                    )
                )
            else:
                flow.append(pdf.para(b.text, b.style))
        story += pdf.section(section.title, *flow)
    return story


# --------------------------------------------------------------------------- HTML

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1c2024;
 max-width:52rem;margin:1.5rem auto;padding:0 1rem;line-height:1.45;background:#fff}
h1{font-size:1.6rem;margin:0 0 .25rem}h2{font-size:1.15rem;color:#0d7c72;margin:1.8rem 0 .3rem}
h3{font-size:1rem;margin:1rem 0 .2rem}.meta{color:#60646c;font-weight:400;font-size:.85rem;margin-left:.4rem}
.notes{background:#f0f0f3;border-radius:6px;padding:.5rem .8rem;margin:.6rem 0 1rem}.muted{color:#60646c;font-size:.9rem}
.small{color:#60646c;font-size:.85rem;margin:.2rem 0}
p{margin:.3rem 0;white-space:pre-line}
table{border-collapse:collapse;width:100%;font-size:.9rem;margin:.4rem 0 .8rem}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e0e1e6;vertical-align:top;white-space:pre-line}
thead th{background:#f0f0f3;font-weight:600}tbody th{font-weight:600;width:14rem}
.bar{position:sticky;top:0;background:#f7f7f8;border:1px solid #e0e1e6;border-radius:8px;
 padding:.8rem 1rem;margin-bottom:1.5rem;display:flex;flex-wrap:wrap;gap:.8rem 1.2rem;align-items:end}
.bar label{display:flex;flex-direction:column;font-size:.85rem;gap:.2rem}
.bar label.check{flex-direction:row;align-items:center;gap:.4rem}
.bar select,.bar button,.bar a.dl{font:inherit;font-size:.9rem;padding:.35rem .7rem;border-radius:6px}
.bar select{border:1px solid #b9bbc6;background:#fff}
.bar button{border:1px solid #0d7c72;background:#fff;color:#0d7c72;cursor:pointer}
.bar a.dl{background:#0d7c72;color:#fff;text-decoration:none;border:1px solid #0d7c72}
.bar a.back{flex-basis:100%;color:#0d7c72;font-size:.9rem}
.doc{border:1px solid #e0e1e6;border-radius:8px;padding:1.5rem 2rem}
@media print{.bar{display:none}.bar a.back{flex-basis:100%;color:#0d7c72;font-size:.9rem}
.doc{border:0;padding:0}body{margin:0}}
"""


def _html_block(b: Text | Table) -> str:
    if isinstance(b, Text):
        if b.style == "h3":
            meta = f" <span class='meta'>{escape(b.meta)}</span>" if b.meta else ""
            return f"<h3>{escape(b.text)}{meta}</h3>"
        cls = " class='small'" if b.style == "small" else ""
        return f"<p{cls}>{escape(b.text)}</p>"
    out = ["<table>"]
    if b.headers:
        out.append("<thead><tr>")
        out += [f"<th scope='col'>{escape(h)}</th>" for h in b.headers]
        out.append("</tr></thead>")
    out.append("<tbody>")
    for row in b.rows:
        out.append("<tr>")
        for i, cell in enumerate(row):
            if not b.headers and i == 0:
                out.append(f"<th scope='row'>{escape(str(cell))}</th>")
            else:
                out.append(f"<td>{escape(str(cell))}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _controls(pack: ReplyPack) -> str:
    """The choices above the preview (not part of the pack): which child, whether
    staff are named; and the download of exactly this content."""
    options = "".join(
        f"<option value='{c.party_id}'{' selected' if c.party_id == pack.party_id else ''}>"
        f"{escape(c.label)}</option>"
        for c in pack.choices
    )
    checked = " checked" if pack.show_staff else ""
    pdf_href = routes.EXPORT_REPLY_PACK + "?" + pack.query()
    return (
        f"<form class='bar' method='get' action='{routes.EXPORT_REPLY_PACK_PREVIEW}' "
        "aria-label='Val för svarspaketet'>"
        f"<a class='back' href='{routes.case(pack.case_id)}'>← Till ärendet</a>"
        f"<input type='hidden' name='id' value='{pack.case_id}'>"
        f"<label for='part'>Barnet som svarspaketet gäller<select id='part' name='part'>"
        f"{options}</select></label>"
        "<label class='check'><input type='checkbox' id='personal' name='personal' value='1'"
        f"{checked}>Visa namn på personal och externa personer (loggas)</label>"
        "<button type='submit'>Uppdatera förhandsgranskningen</button>"
        f"<a class='dl' id='download-pack' href='{escape(pdf_href)}' download>Hämta PDF</a>"
        "</form>"
    )


def render_html(pack: ReplyPack) -> str:
    parts = [
        "<!doctype html><html lang='sv'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        "<meta name='robots' content='noindex, nofollow'>",
        f"<title>Förhandsgranskning: {escape(pack.title)} · Värna</title>",
        f"<style>{CSS}</style></head><body>",
        _controls(pack),
        "<main class='doc' id='pack'>",
        f"<h1>{escape(pack.title)}</h1>",
        f"<p class='muted'>{escape(pack.subtitle)}</p>",
        f"<h3>{escape(pack.about)}</h3>",
        "<div class='notes'>",
        *[f"<p class='small'>{escape(n)}</p>" for n in pack.notices],
        "</div>",
    ]
    for section in pack.sections:
        parts.append(f"<section><h2>{escape(section.title)}</h2>")
        parts += [_html_block(b) for b in section.blocks]
        parts.append("</section>")
    parts.append("</main></body></html>")
    return "".join(parts)
