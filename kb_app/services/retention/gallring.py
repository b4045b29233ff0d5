"""The gallring (thinning out) of closed cases past the organisation's retention.

Every night ``propose_due`` puts each closed case whose period has ended
(``OrgSetting.retention_years`` after its closing) on the organisation's list,
unless it is under a legal hold, already thinned, already on the list, or was
taken off it less than a year ago. Nothing is removed until an organiser
approves the list (``approve``, the proposals they saw) or takes a case off it
with a reason (``take_off``). When the organisation delivers to the e-archive
first (``Handling.ARCHIVE_FIRST``), a case is thinned only once an organiser has
marked it delivered (``mark_delivered``).

The thinning (``_thin``) removes the parties' names, the case's free text (what
happened, immediate actions, witnesses, the other place), the reporter's name and
e-mail, the measures' texts, the free text of every timeline event, and the
attachments (rows and files). It keeps what the statistics count: unit, dates,
class and grade, kinds, grounds, place, staff involved, step, conclusion, step
times, the parties' roles and kinds, so every chart counts the case as before.

The timeline stays verifiable: each redacted event keeps its stored hash (so the
chain and the checkpoints hold) and is marked ``redacted``; the ``thinned`` event
appended last lists the keyed hash of each redacted event as it now is and seals
the thinned case row and parties (services/case/audit.py verifies both). The
gallring record (``GallringRecord``, append-only) keeps for ever what was
thinned, when, on whose approval, and what was removed.

A legal hold (an ongoing Skolinspektionen, BEO or police matter) is set and
lifted by an organiser with a reason, on the gallring page by case reference;
a held case is never proposed, and a hold takes it off the list.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, func, select

from kb_app.db import read_scope, session_scope
from kb_app.domain import retention as rt
from kb_app.domain.access import Action, Actor, can
from kb_app.domain.fmt import local, sv_date, sv_datetime
from kb_app.domain.process import FORM, EventKind
from kb_app.domain.statistics.periods import local_midnight_utc
from kb_app.errors import AccessDenied, InvalidInput
from kb_app.models import (
    ArchiveDelivery,
    Attachment,
    Case,
    CaseEvent,
    GallringProposal,
    GallringRecord,
    LegalHold,
    Measure,
    Organisation,
    OrgSetting,
    Outbox,
    Party,
    Unit,
    User,
)
from kb_app.services.base import access_log, changes
from kb_app.services.base.conflicts import excluded_cases
from kb_app.services.base.timeline import append_event
from kb_app.services.case import attachments as attachment_files
from kb_app.services.case.audit import stored_event_hash
from kb_app.settings import audit_key

log = logging.getLogger("kb_app.retention")

MSG_REASON = f"Skriv ett skäl (minst {rt.REASON_MIN} och högst {rt.REASON_MAX} tecken)."
MSG_NO_CASE = "Det finns inget ärende med det numret."
MSG_HELD = "Ärendet har redan en bevarandespärr."
MSG_THINNED = "Ärendet är redan gallrat."
MSG_GONE = "Förslaget finns inte längre på listan. Ladda om sidan."
SKIP_NOT_DELIVERED = "inte levererat till e-arkiv"
SKIP_NOT_DUE = "inte längre aktuellt"
SKIP_EXCLUDED = "du är jävig i ärendet"


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class ProposalRow:
    id: int
    case_id: int
    reference: str
    unit: str
    reported: str
    closed: str
    due: str
    delivered: str  # "" when not delivered
    ready: bool  # may be thinned now (delivered, when that is needed)


@dataclass(frozen=True)
class HoldRow:
    id: int
    case_id: int
    reference: str
    reason: str
    set_by: str
    set_at: str


@dataclass(frozen=True)
class RecordRow:
    reference: str
    unit: str
    reported: str
    closed: str
    thinned: str
    approved_by: str
    handling: str
    delivered: str
    removed: str


@dataclass(frozen=True)
class TakenOffRow:
    reference: str
    reason: str
    by: str
    at: str


@dataclass(frozen=True)
class Overview:
    years: int
    handling: str
    handling_label: str
    proposals: list[ProposalRow] = field(default_factory=list)
    holds: list[HoldRow] = field(default_factory=list)
    records: list[RecordRow] = field(default_factory=list)
    taken_off: list[TakenOffRow] = field(default_factory=list)


@dataclass(frozen=True)
class ApproveResult:
    thinned: list[str] = field(default_factory=list)  # references
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (reference, why)


def _require(actor: Actor | None, action: Action, what: str, *, now: datetime) -> Actor:
    if actor is None or not can(actor, action):
        access_log.deny(actor, what, now=now)
        raise AccessDenied()
    return actor


def _setting(s: Session, organisation_id: int) -> tuple[int, rt.Handling]:
    row = s.get(OrgSetting, organisation_id)
    years = row.retention_years if row else 5
    try:
        handling = rt.Handling(row.retention_action if row else rt.Handling.THIN)
    except ValueError:
        handling = rt.Handling.THIN
    return years, handling


def _names(s: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return dict(s.exec(select(User.id, User.name).where(User.id.in_(wanted))).all())


def _active_holds(organisation_id: int | None = None):
    q = select(LegalHold.case_id).where(LegalHold.lifted_at.is_(None))
    if organisation_id is not None:
        q = q.where(LegalHold.organisation_id == organisation_id)
    return q


def overview(actor: Actor | None, *, now: datetime, records_limit: int = 200) -> Overview:
    """The organisation's gallring list, its legal holds and its gallring record."""
    actor = _require(actor, Action.GALLRING, "gallring_list", now=now)
    org = actor.organisation_id
    with read_scope() as s:
        years, handling = _setting(s, org)
        units = dict(s.exec(select(Unit.id, Unit.name).where(Unit.organisation_id == org)).all())
        rows = s.exec(
            select(GallringProposal, Case, ArchiveDelivery.delivered_at)
            .join(Case, Case.id == GallringProposal.case_id)
            .outerjoin(ArchiveDelivery, ArchiveDelivery.case_id == Case.id)
            .where(
                GallringProposal.organisation_id == org,
                GallringProposal.state == rt.ProposalState.PENDING,
                Case.id.not_in(excluded_cases(actor.user_id)),
            )
            .order_by(Case.closed_at, Case.id)
        ).all()
        proposals = [
            ProposalRow(
                id=p.id,
                case_id=c.id,
                reference=c.reference,
                unit=units.get(c.unit_id, ""),
                reported=sv_date(c.reported_at),
                closed=sv_date(c.closed_at),
                due=sv_date(p.due_on),
                delivered=sv_date(delivered) if delivered else "",
                ready=handling == rt.Handling.THIN or delivered is not None,
            )
            for p, c, delivered in rows
        ]
        holds_q = s.exec(
            select(LegalHold, Case.reference)
            .join(Case, Case.id == LegalHold.case_id)
            .where(LegalHold.organisation_id == org, LegalHold.lifted_at.is_(None))
            .order_by(LegalHold.set_at.desc(), LegalHold.id.desc())
        ).all()
        taken_q = s.exec(
            select(GallringProposal, Case.reference)
            .join(Case, Case.id == GallringProposal.case_id)
            .where(
                GallringProposal.organisation_id == org,
                GallringProposal.state == rt.ProposalState.TAKEN_OFF,
                GallringProposal.decided_at >= now - timedelta(days=rt.RETAKE_AFTER_DAYS),
            )
            .order_by(GallringProposal.decided_at.desc())
            .limit(50)
        ).all()
        names = _names(
            s,
            {h.set_by_user_id for h, _ in holds_q} | {p.decided_by_user_id for p, _ in taken_q},
        )
        records = s.exec(
            select(GallringRecord)
            .where(GallringRecord.organisation_id == org)
            .order_by(GallringRecord.thinned_at.desc(), GallringRecord.id.desc())
            .limit(records_limit)
        ).all()
    return Overview(
        years=years,
        handling=str(handling),
        handling_label=rt.HANDLING_LABELS[handling],
        proposals=proposals,
        holds=[
            HoldRow(
                h.id,
                h.case_id,
                ref,
                h.reason,
                names.get(h.set_by_user_id, ""),
                sv_datetime(h.set_at),
            )
            for h, ref in holds_q
        ],
        records=[
            RecordRow(
                reference=r.reference,
                unit=r.unit_name,
                reported=sv_date(r.reported_at),
                closed=sv_date(r.closed_at),
                thinned=sv_datetime(r.thinned_at),
                approved_by=r.approved_by_label,
                handling=rt.HANDLING_LABELS.get(r.handling, r.handling),
                delivered=sv_date(r.delivered_at) if r.delivered_at else "",
                removed=r.removed,
            )
            for r in records
        ],
        taken_off=[
            TakenOffRow(
                ref, p.reason, names.get(p.decided_by_user_id, ""), sv_datetime(p.decided_at)
            )
            for p, ref in taken_q
        ],
    )


# --------------------------------------------------------------------------- the nightly list


def _cutoff(now: datetime, years: int) -> datetime:
    """Cases closed before this instant may be due (one day's margin for 29 February)."""
    today = local(now).date()
    try:
        day = today.replace(year=today.year - years)
    except ValueError:
        day = today.replace(year=today.year - years, day=28)
    return local_midnight_utc(day + timedelta(days=2))


def propose_due(*, now: datetime) -> int:
    """Put every closed case past its retention on its organisation's list, and take
    off pending proposals no longer due (reopened, or under a legal hold). Idempotent:
    a case is on the list at most once. Returns the number of cases proposed."""
    proposed = 0
    today = local(now).date()
    with session_scope() as s:
        for org_id in s.exec(select(Organisation.id)).all():
            years, _ = _setting(s, org_id)
            # Pending proposals that are no longer due.
            for p, closed_at in s.exec(
                select(GallringProposal, Case.closed_at)
                .join(Case, Case.id == GallringProposal.case_id)
                .where(
                    GallringProposal.organisation_id == org_id,
                    GallringProposal.state == rt.ProposalState.PENDING,
                )
            ).all():
                held = s.exec(_active_holds().where(LegalHold.case_id == p.case_id)).first()
                if held is not None or not rt.is_due(closed_at, years, today):
                    p.state = rt.ProposalState.DROPPED
                    p.decided_at = now
                    p.reason = "Bevarandespärr" if held is not None else "Inte längre aktuellt"
                    s.add(p)
            s.flush()
            blocked = (
                select(GallringProposal.case_id)
                .where(GallringProposal.organisation_id == org_id)
                .where(
                    (GallringProposal.state == rt.ProposalState.PENDING)
                    | (
                        (GallringProposal.state == rt.ProposalState.TAKEN_OFF)
                        & (
                            GallringProposal.decided_at
                            >= now - timedelta(days=rt.RETAKE_AFTER_DAYS)
                        )
                    )
                )
            )
            candidates = s.exec(
                select(Case.id, Case.closed_at)
                .where(
                    Case.organisation_id == org_id,
                    Case.closed_at.is_not(None),
                    Case.closed_at < _cutoff(now, years),
                    Case.id.not_in(select(GallringRecord.case_id)),
                    Case.id.not_in(_active_holds(org_id)),
                    Case.id.not_in(blocked),
                )
                .order_by(Case.id)
            ).all()
            for case_id, closed_at in candidates:
                if not rt.is_due(closed_at, years, today):
                    continue
                s.add(
                    GallringProposal(
                        organisation_id=org_id,
                        case_id=case_id,
                        proposed_at=now,
                        due_on=rt.due_on(closed_at, years),
                        state=rt.ProposalState.PENDING,
                    )
                )
                proposed += 1
            if proposed:
                changes.bump(s, org_id, now=now)
    if proposed:
        log.info("retention: %d cases proposed for the gallring", proposed)
    return proposed


# --------------------------------------------------------------------------- decisions


def _reason(raw: Any) -> str:
    text = " ".join(str(raw or "").split())
    if not rt.REASON_MIN <= len(text) <= rt.REASON_MAX:
        raise InvalidInput({"reason": MSG_REASON})
    return text


def _pending(s: Session, actor: Actor, proposal_id: Any) -> GallringProposal:
    p = s.get(GallringProposal, proposal_id) if isinstance(proposal_id, int) else None
    excluded = set(s.exec(excluded_cases(actor.user_id)).all())
    if (
        p is None
        or p.organisation_id != actor.organisation_id
        or p.state != rt.ProposalState.PENDING
        or p.case_id in excluded
    ):
        raise InvalidInput({FORM: MSG_GONE})
    return p


def take_off(actor: Actor | None, proposal_id: Any, reason: Any, *, now: datetime) -> str:
    """Take one case off the list, with a reason (it is proposed again after a
    year at the earliest). Returns the case's reference."""
    actor = _require(actor, Action.GALLRING, "gallring_take_off", now=now)
    text = _reason(reason)
    with session_scope() as s:
        p = _pending(s, actor, proposal_id)
        p.state = rt.ProposalState.TAKEN_OFF
        p.decided_by_user_id = actor.user_id
        p.decided_at = now
        p.reason = text
        s.add(p)
        changes.bump(s, actor.organisation_id, now=now)
        return s.get(Case, p.case_id).reference


def mark_delivered(actor: Actor | None, proposal_id: Any, *, now: datetime) -> str:
    """Mark the proposed case delivered to the e-archive (a timeline event)."""
    actor = _require(actor, Action.GALLRING, "gallring_delivered", now=now)
    with session_scope() as s:
        p = _pending(s, actor, proposal_id)
        case = s.get(Case, p.case_id)
        if s.get(ArchiveDelivery, case.id) is None:
            s.add(
                ArchiveDelivery(
                    case_id=case.id,
                    organisation_id=case.organisation_id,
                    delivered_by_user_id=actor.user_id,
                    delivered_at=now,
                )
            )
            append_event(
                s,
                case,
                EventKind.ARCHIVE_DELIVERED,
                at=now,
                actor_user_id=actor.user_id,
                actor_label=actor.name,
            )
            access_log.record(s, actor, "archive_delivered", now=now, case_id=case.id)
            changes.bump(s, case.organisation_id, now=now)
        return case.reference


def approve(actor: Actor | None, proposal_ids: list[Any], *, now: datetime) -> ApproveResult:
    """Thin out the proposed cases the organiser approved (the ids of the list they
    saw): each in its own transaction, its files removed from disk once it is
    committed. A case no longer due, under a hold, or (when the organisation
    delivers first) not delivered is left out and named in the result."""
    actor = _require(actor, Action.GALLRING, "gallring_approve", now=now)
    thinned: list[str] = []
    skipped: list[tuple[str, str]] = []
    for pid in dict.fromkeys(i for i in proposal_ids if isinstance(i, int)):
        with session_scope() as s:
            p = s.get(GallringProposal, pid)
            if (
                p is None
                or p.organisation_id != actor.organisation_id
                or p.state != rt.ProposalState.PENDING
            ):
                continue
            case = s.get(Case, p.case_id)
            years, handling = _setting(s, case.organisation_id)
            why = ""
            if case.id in set(s.exec(excluded_cases(actor.user_id)).all()):
                why = SKIP_EXCLUDED
            elif s.exec(_active_holds().where(LegalHold.case_id == case.id)).first() is not None:
                why = SKIP_NOT_DUE
                p.state, p.decided_at, p.reason = rt.ProposalState.DROPPED, now, "Bevarandespärr"
            elif not rt.is_due(case.closed_at, years, local(now).date()):
                why = SKIP_NOT_DUE
                p.state, p.decided_at, p.reason = (
                    rt.ProposalState.DROPPED,
                    now,
                    "Inte längre aktuellt",
                )
            delivery = s.get(ArchiveDelivery, case.id)
            if not why and handling == rt.Handling.ARCHIVE_FIRST and delivery is None:
                why = SKIP_NOT_DELIVERED
            if why:
                s.add(p)
                skipped.append((case.reference, why))
                continue
            keys = _thin(s, case, p, actor, years, handling, delivery, now=now)
            thinned.append(case.reference)
        for key in keys:  # committed: the files go
            try:
                attachment_files._path(key).unlink()
            except FileNotFoundError:
                pass
        log.info("gallring: case %s thinned out by user %s", case.id, actor.user_id)
    return ApproveResult(thinned, skipped)


def _thin(
    s: Session,
    case: Case,
    proposal: GallringProposal,
    actor: Actor,
    years: int,
    handling: rt.Handling,
    delivery: ArchiveDelivery | None,
    *,
    now: datetime,
) -> list[str]:
    """Remove the case's personal data and free text in this transaction; return
    the storage keys of its attachments (removed from disk after the commit)."""
    key = audit_key()
    removed: dict[str, int] = {}

    def count(what: str, n: int = 1) -> None:
        removed[what] = removed.get(what, 0) + n

    # Mail to the reporter: the address goes (the bodies carry no names).
    if case.reporter_email:
        for row in s.exec(
            select(Outbox).where(Outbox.case_id == case.id, Outbox.to_addr == case.reporter_email)
        ):
            row.to_addr = ""
            s.add(row)
    for p in s.exec(select(Party).where(Party.case_id == case.id)):
        if p.name or p.name_key:
            count("parties")
        p.name, p.name_key = "", ""
        s.add(p)
    for attr in ("immediate_actions", "witnesses", "place_other", "reporter_name"):
        if getattr(case, attr):
            setattr(case, attr, "")
    if case.reporter_email:
        count("reporter")
        case.reporter_email = ""
    case.reporter_name = ""
    case.description = rt.THINNED_TEXT
    case.supplement_token_hash = None
    case.updated_at = now
    s.add(case)
    for m in s.exec(select(Measure).where(Measure.case_id == case.id)):
        m.description, m.responsible = rt.THINNED_TEXT, ""
        s.add(m)
        count("measures")
    keys: list[str] = []
    for a in s.exec(select(Attachment).where(Attachment.case_id == case.id)):
        keys.append(a.storage_key)
        s.delete(a)
        count("attachments")
    redacted: list[list] = []
    for ev in s.exec(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
    ).all():
        if ev.redacted:
            continue
        payload = json.loads(ev.payload or "{}")
        if not rt.needs_redaction(payload, ev.actor_label):
            continue
        ev.actor_label = rt.redacted_label(ev.actor_label)
        ev.payload = json.dumps(
            rt.redacted_payload(payload), sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )
        ev.redacted = True
        s.add(ev)
        redacted.append([ev.seq, stored_event_hash(key, ev)])
        count("events")
    s.flush()
    summary = removed_text(removed)
    append_event(
        s,
        case,
        EventKind.THINNED,
        at=now,
        actor_user_id=actor.user_id,
        actor_label=actor.name,
        payload={
            "redacted": redacted,
            "removed": removed,
            "retention_years": years,
            "handling": str(handling),
        },
    )
    s.add(
        GallringRecord(
            organisation_id=case.organisation_id,
            case_id=case.id,
            reference=case.reference,
            unit_name=s.get(Unit, case.unit_id).name,
            reported_at=case.reported_at,
            closed_at=case.closed_at,
            retention_years=years,
            handling=str(handling),
            delivered_at=delivery.delivered_at if delivery else None,
            proposed_at=proposal.proposed_at,
            approved_by_user_id=actor.user_id,
            approved_by_label=actor.name,
            thinned_at=now,
            removed=summary,
        )
    )
    proposal.state = rt.ProposalState.THINNED
    proposal.decided_by_user_id = actor.user_id
    proposal.decided_at = now
    s.add(proposal)
    access_log.record(s, actor, "gallring", now=now, case_id=case.id)
    changes.bump(s, case.organisation_id, now=now)
    return keys


def removed_text(removed: dict[str, int]) -> str:
    """What was removed, in Swedish, for the gallring record."""
    parts = ["beskrivning och övrig fritext i ärendet"]
    labels = {
        "parties": ("namn på {} person", "namn på {} personer"),
        "reporter": ("anmälarens namn och e-post", "anmälarens namn och e-post"),
        "events": ("fritext i {} händelse", "fritext i {} händelser"),
        "measures": ("text i {} åtgärd", "text i {} åtgärder"),
        "attachments": ("{} bilaga", "{} bilagor"),
    }
    for k, (one, many) in labels.items():
        n = removed.get(k, 0)
        if n:
            parts.append((one if n == 1 else many).format(n))
    return ", ".join(parts)


# --------------------------------------------------------------------------- legal holds


def _case_by_reference(s: Session, actor: Actor, reference: Any) -> Case:
    ref = " ".join(str(reference or "").split()).upper()
    case = (
        s.exec(
            select(Case).where(
                Case.organisation_id == actor.organisation_id, func.upper(Case.reference) == ref
            )
        ).first()
        if ref
        else None
    )
    if case is None or case.id in set(s.exec(excluded_cases(actor.user_id)).all()):
        raise InvalidInput({"reference": MSG_NO_CASE})
    return case


def set_hold(actor: Actor | None, reference: Any, reason: Any, *, now: datetime) -> str:
    """Put a legal hold on a case (by its reference), with a reason: it is never
    proposed, and taken off the list if it is on it. Returns the reference."""
    actor = _require(actor, Action.LEGAL_HOLD, "legal_hold_set", now=now)
    errors: dict[str, str] = {}
    try:
        text = _reason(reason)
    except InvalidInput as exc:
        errors.update(exc.errors)
    with session_scope() as s:
        try:
            case = _case_by_reference(s, actor, reference)
        except InvalidInput as exc:
            errors.update(exc.errors)
            case = None
        if case is not None:
            if s.exec(select(GallringRecord.id).where(GallringRecord.case_id == case.id)).first():
                errors["reference"] = MSG_THINNED
            elif s.exec(_active_holds().where(LegalHold.case_id == case.id)).first() is not None:
                errors["reference"] = MSG_HELD
        if errors:
            raise InvalidInput(errors)
        s.add(
            LegalHold(
                organisation_id=case.organisation_id,
                case_id=case.id,
                reason=text,
                set_by_user_id=actor.user_id,
                set_at=now,
            )
        )
        for p in s.exec(
            select(GallringProposal).where(
                GallringProposal.case_id == case.id,
                GallringProposal.state == rt.ProposalState.PENDING,
            )
        ):
            p.state, p.decided_at, p.reason = rt.ProposalState.DROPPED, now, "Bevarandespärr"
            p.decided_by_user_id = actor.user_id
            s.add(p)
        append_event(
            s,
            case,
            EventKind.LEGAL_HOLD_SET,
            at=now,
            actor_user_id=actor.user_id,
            actor_label=actor.name,
            payload={"reason": text},
        )
        access_log.record(s, actor, "legal_hold_set", now=now, case_id=case.id)
        changes.bump(s, case.organisation_id, now=now)
        return case.reference


def lift_hold(actor: Actor | None, hold_id: Any, reason: Any, *, now: datetime) -> str:
    """Lift a legal hold, with a reason. Returns the case's reference."""
    actor = _require(actor, Action.LEGAL_HOLD, "legal_hold_lift", now=now)
    text = _reason(reason)
    with session_scope() as s:
        hold = s.get(LegalHold, hold_id) if isinstance(hold_id, int) else None
        excluded = set(s.exec(excluded_cases(actor.user_id)).all())
        if (
            hold is None
            or hold.organisation_id != actor.organisation_id
            or hold.lifted_at is not None
            or hold.case_id in excluded
        ):
            raise InvalidInput({FORM: "Spärren finns inte längre. Ladda om sidan."})
        hold.lifted_at, hold.lifted_by_user_id, hold.lift_reason = now, actor.user_id, text
        s.add(hold)
        case = s.get(Case, hold.case_id)
        append_event(
            s,
            case,
            EventKind.LEGAL_HOLD_LIFTED,
            at=now,
            actor_user_id=actor.user_id,
            actor_label=actor.name,
            payload={"reason": text},
        )
        access_log.record(s, actor, "legal_hold_lift", now=now, case_id=case.id)
        changes.bump(s, case.organisation_id, now=now)
        return case.reference


def is_thinned(s: Session, case_id: int) -> bool:
    return (
        s.exec(select(GallringRecord.id).where(GallringRecord.case_id == case_id)).first()
        is not None
    )
