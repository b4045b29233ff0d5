"""Swedish text for a case's timeline events and fields (pure): one wording for the
case page, the printable case file and the PDF."""

from __future__ import annotations

from collections.abc import Mapping

from kb_app.domain.fmt import sv_date
from kb_app.domain.process import (
    CONCLUSION_LABELS,
    EVENT_LABELS,
    MEASURE_LEVEL_LABELS,
    TALK_LABELS,
    EventKind,
    parse_date,
)
from kb_app.domain.vocab import PARTY_KIND_LABELS

PARTY_ROLE_LABELS = {"subjected": "Utsatt", "involved": "Inblandad", "witness": "Vittne"}


def event_label(kind: str) -> str:
    return EVENT_LABELS.get(kind, kind)


def _d(value) -> str:
    d = parse_date(value)
    return sv_date(d) if d else ""


def party_line(p: Mapping | None) -> str:
    """A party as one line: role, kind, name and class ("Vittne, Personal, Rut")."""
    if not isinstance(p, Mapping):
        return ""
    parts = [
        PARTY_ROLE_LABELS.get(p.get("role", ""), p.get("role", "")),
        PARTY_KIND_LABELS.get(p.get("kind", ""), p.get("kind", "")),
        p.get("name") or "(namn ej angivet)",
    ]
    line = ", ".join(x for x in parts if x)
    return f"{line} ({p['class_name']})" if p.get("class_name") else line


_PARTY_CHANGES = {"added": "Tillagd", "corrected": "Rättad", "removed": "Borttagen"}


def measure_line(m: Mapping) -> str:
    level = MEASURE_LEVEL_LABELS.get(m.get("level", ""), m.get("level", ""))
    parts = [
        p
        for p in (
            f"ansvarig: {m.get('responsible', '')}" if m.get("responsible") else "",
            f"senast {_d(m.get('due_on'))}" if m.get("due_on") else "",
        )
        if p
    ]
    tail = f" ({', '.join(parts)})" if parts else ""
    return f"{level}: {m.get('description', '')}{tail}"


GALLRAD_LINE = "Fritexten är gallrad."


def describe(kind: str, payload: Mapping) -> list[str]:
    """The lines that say what an event recorded."""
    p = payload or {}
    if p.get("gallrad"):  # redacted by the gallring: what is left, without free text
        if kind == EventKind.PARTY_CHANGED:
            return [GALLRAD_LINE]
        rest = {k: v for k, v in p.items() if k != "gallrad"}
        kept = [line for line in describe(kind, rest) if line.strip() and not line.endswith(": ")]
        return [*kept, GALLRAD_LINE]
    match kind:
        case EventKind.THINNED:
            return [
                "Ärendet har gallrats: namn, kontaktuppgifter, fritext och bilagor är "
                "borttagna. Uppgifterna för statistiken finns kvar."
            ]
        case EventKind.LEGAL_HOLD_SET:
            return ["Ärendet får inte gallras. Skäl: " + str(p.get("reason", ""))]
        case EventKind.LEGAL_HOLD_LIFTED:
            return ["Skäl: " + str(p.get("reason", ""))]
        case EventKind.ARCHIVE_DELIVERED:
            return ["Ärendet är markerat som levererat till e-arkivet."]
        case EventKind.REPORTED:
            return ["Anmälan har kommit in."]
        case EventKind.ORGANISER_NOTIFIED:
            return ["Huvudmannen har underrättats om anmälan."]
        case EventKind.RECEIVED:
            return ["Rektor har tagit emot anmälan."]
        case EventKind.INVESTIGATION_STARTED:
            who = p.get("investigator", "")
            return [f"Utreds av {who}."] if who else ["Utredningen har påbörjats."]
        case EventKind.DELEGATED:
            lines = [f"Utredningen har delegerats till {p.get('investigator', '')}."]
            if p.get("invited"):
                lines.append("Personen har bjudits in via e-post.")
            return lines
        case EventKind.DELEGATION_WITHDRAWN:
            return [f"Delegeringen till {p.get('investigator', '')} har återkallats."]
        case EventKind.INVESTIGATED:
            lines = []
            talks = [TALK_LABELS.get(t, t).lower() for t in p.get("talks", [])]
            if talks:
                lines.append("Samtal: " + ", ".join(talks) + ".")
            if p.get("guardians_contacted_on"):
                lines.append(f"Vårdnadshavare kontaktade: {_d(p['guardians_contacted_on'])}.")
            elif p.get("guardians_not_contacted_reason"):
                lines.append(
                    f"Vårdnadshavare har inte kontaktats: {p['guardians_not_contacted_reason']}"
                )
            if p.get("conclusion"):
                lines.append(
                    "Slutsats: " + CONCLUSION_LABELS.get(p["conclusion"], p["conclusion"]) + "."
                )
            if p.get("findings"):
                lines.append("Utredningen visar: " + p["findings"])
            return lines
        case EventKind.MEASURES_PROPOSED | EventKind.MEASURES_DECIDED:
            if p.get("none_needed"):
                return ["Inga åtgärder behövs: " + p.get("none_reason", "")]
            return [measure_line(m) for m in p.get("measures", [])]
        case EventKind.FOLLOWED_UP:
            on = _d(p.get("followed_up_on"))
            if p.get("stopped", True):
                first = f"Uppföljning {on}: kränkningarna har upphört."
            else:
                first = (
                    f"Uppföljning {on}: kränkningarna har inte upphört. Nya åtgärder ska beslutas."
                )
            return [first] + ([p["notes"]] if p.get("notes") else [])
        case EventKind.CLOSED:
            return [p["summary"]] if p.get("summary") else ["Ärendet har avslutats."]
        case EventKind.REOPENED:
            return ["Skäl: " + p.get("reason", "")]
        case EventKind.COMMENT | EventKind.SUPPLEMENT:
            return [p.get("text", "")]
        case EventKind.TAKEN_OVER:
            lines = ["Huvudmannen har tagit över ansvaret för ärendet."]
            return lines + (["Skäl: " + p["reason"]] if p.get("reason") else [])
        case EventKind.CONFLICT_BYPASSED:
            who = ", ".join(p.get("users", [])) or "En person med ansvar"
            return [
                f"{who} är enligt anmälan involverad och har kopplats bort från ärendet "
                "(jäv). Ärendet gick direkt till huvudmannen."
            ]
        case EventKind.CONFLICT_CONFIRMED:
            return [
                f"Huvudmannen har bekräftat jävet: {p.get('user', '')} hålls borta från ärendet."
            ]
        case EventKind.CONFLICT_REJECTED:
            return [
                f"Huvudmannen har avvisat jävet: {p.get('user', '')} är inte den som anmälan "
                "nämner och har åter tillgång till ärendet."
            ]
        case EventKind.PARTY_CHANGED:
            change = p.get("change", "")
            head = _PARTY_CHANGES.get(change, "Ändrad")
            if change == "corrected":
                lines = [
                    f"{head}: {party_line(p.get('new'))}.",
                    f"Tidigare: {party_line(p.get('old'))}.",
                ]
            else:
                lines = [f"{head}: {party_line(p.get('new') or p.get('old'))}."]
            return lines + (["Skäl: " + p["reason"]] if p.get("reason") else [])
        case EventKind.REMINDER:
            return [p["text"]] if p.get("text") else ["En påminnelse har skickats."]
        case EventKind.ATTACHMENT_ADDED:
            to = {"investigation": "utredningen", "comment": "en kommentar"}.get(
                p.get("context", ""), "ärendet"
            )
            return [f"Fil bifogad till {to}: {p.get('filename', '')} ({p.get('type', '')})."]
    return []


def follow_up_saved(stopped: bool, responsible: str, due: str) -> str:
    """The confirmation after a follow-up: what was recorded and what is due next."""
    who = ", ".join(p for p in (responsible, f"senast {due}" if due else "") if p)
    tail = f" ({who})" if who else ""
    if stopped:
        return f"Uppföljningen är sparad. Nästa steg: avsluta ärendet{tail}."
    return (
        "Uppföljningen är sparad. Kränkningarna har inte upphört, så ärendet står nu som "
        f"”Nya åtgärder behövs”. Nästa steg: besluta om nya åtgärder{tail}."
    )
