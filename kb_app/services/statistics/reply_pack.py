"""The reply pack for one case (PDF): the report, the timeline, the investigation,
the measures and the follow-up, for one child, with every other person named on
the case masked ("Elev A"). For answering a guardian, BEO or Skolinspektionen.

Access: whoever may export the case (``Action.EXPORT_CASE``); every attempt is
written to the access log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer
from sqlmodel import select

from kb_app.db import session_scope
from kb_app.domain.access import Action, Actor, CaseFacts, can_on_case
from kb_app.domain.fmt import sv_date, sv_datetime
from kb_app.domain.masking import Pseudonyms, mask_text, masking_plan, person_key
from kb_app.domain.process import CONCLUSION_LABELS, EVENT_LABELS, EventKind
from kb_app.domain.vocab import (
    GRADE_LABELS,
    GUARDIANS_INFORMED,
    PARTY_KIND_LABELS,
    PLACE_LABELS,
    grounds_label,
    kinds_label,
)
from kb_app.errors import AccessDenied
from kb_app.models import Case, CaseEvent, Delegation, Measure, Organisation, Party, Unit
from kb_app.services.base import access_log, pdf

# Timeline events shown in the pack; internal comments and reminders are left out.
SHOWN_EVENTS = {
    EventKind.REPORTED,
    EventKind.RECEIVED,
    EventKind.ORGANISER_NOTIFIED,
    EventKind.INVESTIGATION_STARTED,
    EventKind.INVESTIGATED,
    EventKind.MEASURES_DECIDED,
    EventKind.FOLLOWED_UP,
    EventKind.CLOSED,
    EventKind.SUPPLEMENT,
    EventKind.DELEGATED,
    EventKind.DELEGATION_WITHDRAWN,
    EventKind.REOPENED,
    EventKind.TAKEN_OVER,
}

PAYLOAD_LABELS = {
    "talks": "Samtal",
    "guardians_contacted_on": "Vårdnadshavare kontaktade",
    "findings": "Vad utredningen visar",
    "conclusion": "Slutsats",
    "measures": "Åtgärder",
    "followed_up_on": "Uppföljning gjord",
    "stopped": "Har kränkningarna upphört?",
    "notes": "Anteckningar",
    "summary": "Sammanfattning",
    "investigator": "Utredare",
    "text": "Text",
    "reason": "Motivering",
    "comment": "Kommentar",
    "no_measures_reason": "Motivering till att inga åtgärder behövs",
    "next": "Fortsättning",
}
TALK_LABELS = {
    "subjected": "den utsatta",
    "involved": "de inblandade",
    "staff": "personal",
    "guardians": "vårdnadshavare",
}
MEASURE_LEVELS = {"individual": "Individ", "group": "Grupp", "organisational": "Organisation"}
SKIP_KEYS = {"reference"}


@dataclass(frozen=True)
class ReplyPack:
    reference: str
    filename: str
    pdf: bytes


def _facts(s, case: Case) -> CaseFacts:
    delegated = s.exec(
        select(Delegation.investigator_user_id).where(
            Delegation.case_id == case.id, Delegation.withdrawn_at.is_(None)
        )
    ).all()
    return CaseFacts(
        case_id=case.id,
        organisation_id=case.organisation_id,
        unit_id=case.unit_id,
        delegated_to=frozenset(delegated),
        closed=case.closed_at is not None,
        staff_involved=case.staff_involved,
        responsible_user_id=case.responsible_user_id,
    )


def _value_text(key: str, value, mask) -> str:
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if key == "conclusion":
        return CONCLUSION_LABELS.get(str(value), str(value))
    if key == "talks" and isinstance(value, list):
        return "Med " + ", ".join(TALK_LABELS.get(str(v), str(v)) for v in value)
    if key.endswith("_on") and isinstance(value, str):
        try:
            from datetime import date

            return sv_date(date.fromisoformat(value[:10]))
        except ValueError:
            return mask(value)
    if key == "measures" and isinstance(value, list):
        lines = []
        for m in value:
            if isinstance(m, dict):
                lvl = MEASURE_LEVELS.get(str(m.get("level", "")), str(m.get("level", "")))
                due = m.get("due_on")
                line = f"{lvl}: {m.get('description', '')}"
                if m.get("responsible"):
                    line += f" (ansvarig: {m['responsible']}"
                    line += f", senast {_value_text('due_on', due, mask)})" if due else ")"
                lines.append(mask(line))
        return "\n".join(lines)
    if isinstance(value, list):
        return mask(", ".join(str(v) for v in value))
    if isinstance(value, dict):
        return mask(", ".join(f"{k}: {v}" for k, v in value.items()))
    return mask(str(value))


def _payload_lines(payload: dict, mask) -> list[tuple[str, str]]:
    out = []
    for key, value in payload.items():
        if key in SKIP_KEYS or key.endswith("_id") or value in (None, "", [], {}):
            continue
        label = PAYLOAD_LABELS.get(key)
        if label is None:
            label = key.replace("_", " ").capitalize()
        out.append((label, _value_text(key, value, mask)))
    return out


def build(
    actor: Actor | None,
    *,
    case_id: int | None = None,
    reference: str | None = None,
    party_id: int | None = None,
    now: datetime,
) -> ReplyPack:
    """The reply pack of a case (by id or reference) for one subjected child
    (``party_id``; default: the first subjected pupil)."""
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
            access_log.record(s, actor, "export_reply_pack", now=now, case_id=case.id)
            unit = s.get(Unit, case.unit_id)
            org = s.get(Organisation, case.organisation_id)
            parties = list(s.exec(select(Party).where(Party.case_id == case.id).order_by(Party.id)))
            events = list(
                s.exec(
                    select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
                )
            )
            measures = list(
                s.exec(select(Measure).where(Measure.case_id == case.id).order_by(Measure.id))
            )
    if not allowed:
        # Recorded in a transaction of its own: a refusal is never rolled back.
        access_log.deny(actor, "export_reply_pack", now=now, case_id=denied_id)
        raise AccessDenied()
    pdf_bytes = render(
        case,
        unit.name if unit else "",
        org.name if org else "",
        parties,
        events,
        measures,
        party_id=party_id,
        actor_name=actor.name,
        now=now,
    )
    return ReplyPack(case.reference, f"svarspaket-{case.reference}.pdf", pdf_bytes)


def render(
    case: Case,
    unit_name: str,
    org_name: str,
    parties: list[Party],
    events: list[CaseEvent],
    measures: list[Measure],
    *,
    party_id: int | None,
    actor_name: str,
    now: datetime,
) -> bytes:
    subjected = [p for p in parties if p.role == "subjected"]
    kept = next((p for p in subjected if p.id == party_id), None)
    if kept is None:
        kept = next(
            (p for p in subjected if p.kind == "pupil"), subjected[0] if subjected else None
        )
    pseudo = Pseudonyms()
    others: list[tuple[str, str]] = []
    shown: dict[int, str] = {}
    for p in parties:
        if kept is not None and p.id == kept.id:
            shown[p.id] = p.name or "Den utsatta"
        elif p.kind == "staff":
            shown[p.id] = p.name or PARTY_KIND_LABELS["staff"]
        elif p.name:
            stand_in = pseudo.name(
                p.kind, person_key(p.name_key, p.name, case.unit_id, p.class_name)
            )
            shown[p.id] = stand_in
            others.append((p.name, stand_in))
        else:
            shown[p.id] = PARTY_KIND_LABELS.get(p.kind, p.kind)
    plan = masking_plan(others, [kept.name] if kept and kept.name else [])

    def mask(text: str) -> str:
        return mask_text(text or "", plan)

    S = pdf.styles()
    title = f"Svarspaket {case.reference}"
    story: list = [
        Paragraph(pdf.esc(title), S["title"]),
        Paragraph(
            pdf.esc(f"{org_name} · {unit_name} · Skapat {sv_datetime(now)} av {actor_name}"),
            S["subtitle"],
        ),
    ]
    about = "Avser: " + (
        f"{kept.name}" + (f", {kept.class_name}" if kept.class_name else "")
        if kept and kept.name
        else "den utsatta"
    )
    story += [
        pdf.para(about, "h3"),
        pdf.para(
            "Andra barns och andra personers namn är ersatta med beteckningar (till exempel "
            "”Elev A”). Fritext kan ändå nämna personer som inte är parter i ärendet: läs "
            "igenom handlingen och gör en sekretessprövning (OSL 23 kap.) innan den lämnas ut.",
            "small",
        ),
        Spacer(1, 6),
    ]
    kinds = kinds_label(case.kinds)
    grounds = grounds_label(case.grounds)
    place = PLACE_LABELS.get(case.place, case.place)
    if case.place_other:
        place += f" ({mask(case.place_other)})"
    when = sv_date(case.occurred_on) + (f" kl. {case.occurred_time}" if case.occurred_time else "")
    report_rows = [
        ["Ärende", case.reference],
        ["Anmält", sv_datetime(case.reported_at)],
        ["Inträffade", when],
        ["Plats", place],
        ["Slag av kränkning", kinds or "–"],
        ["Diskrimineringsgrund", grounds or "Ingen angiven"],
        ["Personal inblandad", "Ja" if case.staff_involved else "Nej"],
        ["Vårdnadshavare informerade", dict(GUARDIANS_INFORMED).get(case.guardians_informed, "")],
        [
            "Klass / årskurs",
            " / ".join(
                x
                for x in [case.class_name, GRADE_LABELS.get(case.grade, "") if case.grade else ""]
                if x
            )
            or "–",
        ],
    ]
    story += pdf.section(
        "Anmälan",
        pdf.table(None, report_rows, widths=[50 * mm, 124 * mm]),
        Spacer(1, 4),
        pdf.para("Vad hände", "h3"),
        pdf.para(mask(case.description)),
    )
    if case.immediate_actions:
        story += [pdf.para("Åtgärder direkt", "h3"), pdf.para(mask(case.immediate_actions))]
    if case.witnesses:
        story += [pdf.para("Vittnen", "h3"), pdf.para(mask(case.witnesses))]
    party_rows = [
        [
            "Utsatt" if p.role == "subjected" else "Inblandad",
            PARTY_KIND_LABELS.get(p.kind, p.kind),
            shown[p.id],
            p.class_name or "",
        ]
        for p in parties
    ]
    if party_rows:
        story += pdf.section(
            "Berörda",
            pdf.table(
                ["Roll", "Slag", "Namn", "Klass"],
                party_rows,
                widths=[28 * mm, 30 * mm, 86 * mm, 30 * mm],
            ),
        )
    timeline_rows = [
        [sv_datetime(ev.at), EVENT_LABELS.get(ev.kind, ev.kind), mask(ev.actor_label)]
        for ev in events
        if ev.kind in SHOWN_EVENTS
    ]
    story += pdf.section(
        "Tidslinje",
        pdf.table(["Tid", "Händelse", "Av"], timeline_rows, widths=[38 * mm, 66 * mm, 70 * mm]),
    )
    sections = [
        ("Utredning", {EventKind.INVESTIGATION_STARTED, EventKind.INVESTIGATED}),
        ("Beslutade åtgärder", {EventKind.MEASURES_DECIDED}),
        ("Uppföljning", {EventKind.FOLLOWED_UP}),
        ("Avslut", {EventKind.CLOSED, EventKind.REOPENED}),
        ("Kompletteringar", {EventKind.SUPPLEMENT}),
    ]
    for heading, kinds_ in sections:
        flow: list = []
        for ev in events:
            if ev.kind not in kinds_:
                continue
            try:
                payload = json.loads(ev.payload or "{}")
            except ValueError:
                payload = {}
            lines = _payload_lines(payload if isinstance(payload, dict) else {}, mask)
            flow.append(
                pdf.para(f"{EVENT_LABELS.get(ev.kind, ev.kind)} {sv_datetime(ev.at)}", "h3")
            )
            if lines:
                flow.append(pdf.table(None, lines, widths=[50 * mm, 124 * mm]))
        if heading == "Beslutade åtgärder" and measures:
            flow.append(pdf.para("Åtgärder i ärendet", "h3"))
            flow.append(
                pdf.table(
                    ["Nivå", "Åtgärd", "Ansvarig", "Senast"],
                    [
                        [
                            MEASURE_LEVELS.get(m.level, m.level),
                            mask(m.description),
                            mask(m.responsible),
                            sv_date(m.due_on) if m.due_on else "",
                        ]
                        for m in measures
                    ],
                    widths=[24 * mm, 86 * mm, 40 * mm, 24 * mm],
                )
            )
        if flow:
            story += pdf.section(heading, *flow)
        elif heading in ("Utredning", "Beslutade åtgärder", "Uppföljning"):
            story += pdf.section(heading, pdf.para("Inte gjort ännu.", "small"))
    return pdf.build(
        story,
        title=title,
        footer=lambda: f"{case.reference} · Svarspaket · Innehåller sekretessuppgifter",
    )
