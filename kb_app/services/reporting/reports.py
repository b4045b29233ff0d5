"""Staff reports through a unit's link, and the reporter's supplements (kompletteringar).

``submit_report`` is the first step of the legal chain (skollagen 6 kap. 10 §): in one
transaction it creates the case with a gapless reference, its parties, the timeline
events ``reported`` and ``organiser_notified``, and queues the mails to the unit's
principals and the organisers. Mail never carries names, class or description: only
the reference, the unit's name and a link for logged-in users.

A retried or double submission (same submission id) returns the case already made.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from kb_app.db import read_scope, session_scope
from kb_app.domain.fmt import local, sv_date
from kb_app.domain.process import EventKind, Step
from kb_app.domain.report import FORM, CleanReport, ReportInput, clean_supplement, validate
from kb_app.domain.vocab import GROUND_CODES, KIND_CODES, Role, to_mask
from kb_app.models import Case, Party, RateEvent, RoleAssignment, Unit, User
from kb_app.services.admin.auth import token_hash
from kb_app.services.base import changes, conflicts, limits
from kb_app.services.base.outbox import case_link, queue_mail
from kb_app.services.base.timeline import append_event
from kb_app.services.reporting import references, report_links
from kb_app.settings import get_settings

log = logging.getLogger("kb_app.reports")

# Abuse limits per rolling hour (reports: settings KB_REPORT_LIMIT_PER_LINK/_CLIENT/_ADDRESS)
SUPPLEMENTS_PER_CASE_PER_HOUR = 20
SUPPLEMENTS_PER_CLIENT_PER_HOUR = 30
RATE_WINDOW = timedelta(hours=1)

MSG_INVALID_LINK = "Länken gäller inte längre."
MSG_RATE_LIMITED = (
    "Det har kommit in ovanligt många anmälningar på kort tid, så vi tar en kort paus. "
    "Vänta en stund och försök igen – det du har skrivit finns kvar. "
    "Är det bråttom: berätta för rektor direkt."
)
MSG_TRY_AGAIN = "Sidan behöver laddas om innan anmälan kan skickas. Det du har skrivit finns kvar."
MSG_SUPPLEMENT_RATE = (
    "Du har skickat många kompletteringar på kort tid. Vänta en stund och försök igen."
)

_SUBMISSION_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class SubmitResult:
    """Either ``errors`` (field -> Swedish message) or a case."""

    errors: dict[str, str] = field(default_factory=dict)
    case_id: int | None = None
    reference: str = ""
    # The private supplement link's token: only on the submission that created the case.
    supplement_token: str | None = None
    duplicate: bool = False
    link_invalid: bool = False

    @property
    def ok(self) -> bool:
        return self.case_id is not None


@dataclass(frozen=True)
class SupplementResult:
    ok: bool
    error: str = ""
    reference: str = ""
    link_invalid: bool = False


# ---------------------------------------------------------------- helpers


def new_submission_id() -> str:
    return secrets.token_urlsafe(16)


def _client_key(client: str) -> str:
    # The address is personal data: only a keyed hash is kept (a plain hash of an IPv4
    # address is easily reversed), and only for an hour or two.
    key = get_settings().secret_key.encode()
    return hmac.new(key, client.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:32]


def _serialise(s: Session, keys: list[str]) -> None:
    """Make concurrent requests on the same limit keys take turns until commit, so
    the count and the insert of one are not interleaved with another's. SQLite
    serialises writers already (the session begins IMMEDIATE); PostgreSQL under
    READ COMMITTED needs a transaction-level advisory lock per key, taken in a
    fixed order so two requests never wait on each other crosswise."""
    if s.get_bind().dialect.name != "postgresql":
        return
    for key in sorted(keys):
        s.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})


def _over_limit(s: Session, limits_by_key: dict[str, int], now: datetime) -> bool:
    _serialise(s, list(limits_by_key))
    for key, limit in limits_by_key.items():
        count = s.exec(
            select(func.count())
            .select_from(RateEvent)
            .where(RateEvent.key == key, RateEvent.at > now - RATE_WINDOW)
        ).one()
        if count >= limit:
            return True
    return False


def _count(s: Session, keys: list[str], now: datetime) -> None:
    # Forget what no window can see any more, then count this request.
    s.execute(
        delete(RateEvent).where(RateEvent.key.in_(keys), RateEvent.at < now - 2 * RATE_WINDOW)
    )
    for key in keys:
        s.add(RateEvent(key=key, at=now))


def _principals(s: Session, unit_id: int) -> list[User]:
    return list(
        s.exec(
            select(User)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(
                RoleAssignment.role == Role.PRINCIPAL,
                RoleAssignment.unit_id == unit_id,
                User.active,
            )
            .order_by(User.id)
        ).unique()
    )


def _organisers(s: Session, organisation_id: int) -> list[User]:
    return list(
        s.exec(
            select(User)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(
                RoleAssignment.role == Role.ORGANISER,
                RoleAssignment.unit_id.is_(None),
                User.organisation_id == organisation_id,
                User.active,
            )
            .order_by(User.id)
        ).unique()
    )


# ---------------------------------------------------------------- mail (no personal data)

_PRIVACY = (
    "Av sekretesskäl innehåller meddelandet inga namn eller uppgifter om händelsen. "
    "Logga in i Värna för att läsa anmälan."
)


def report_mail(
    *,
    reference: str,
    unit_name: str,
    link: str,
    due: str,
    as_principal: bool,
    as_organiser: bool,
    staff_involved: bool,
    conflict: bool = False,
) -> tuple[str, str]:
    """Subject and body of the mail about a new report. ``conflict``: a person with a
    role at the unit is named as involved (jäv) and bypassed; the mail goes to the
    organisers alone, escalated (and still without names)."""
    attention = as_organiser and staff_involved
    subject = f"Ny anmälan {reference} – {unit_name}"
    if as_organiser and conflict:
        subject += " – jäv: huvudmannen ansvarar"
    elif attention:
        subject += " – kräver huvudmannens uppmärksamhet"
    parts = [
        "Hej!",
        f"En ny anmälan om kränkande behandling har kommit in för {unit_name}.",
        f"Ärende: {reference}\nÖppna ärendet: {link}",
    ]
    if as_principal:
        parts.append(
            "Du är rektor för enheten: bekräfta i Värna att du har tagit emot anmälan"
            + (f" senast {due}." if due else ".")
            + " Huvudmannen har underrättats automatiskt."
        )
    if as_organiser:
        parts.append(
            "Huvudmannen har underrättats om anmälan enligt skollagen 6 kap. 10 §. "
            "Huvudmannen ska se till att händelsen skyndsamt utreds."
        )
    if as_organiser and conflict:
        parts.append(
            "Jävsituation: enligt anmälan är en person med ansvar för enheten inblandad. "
            "Personen har kopplats bort från ärendet och har inte fått något meddelande. "
            "Huvudmannen är ansvarig för ärendet och dess nästa steg"
            + (f": bekräfta mottagandet senast {due}" if due else "")
            + ", och bekräfta eller avvisa jävet i Värna."
        )
    elif attention:
        parts.append(
            "Enligt anmälan är en person i personalen inblandad. Ärendet kräver därför "
            "huvudmannens särskilda uppmärksamhet (skollagen 6 kap. 9 och 10 §§)."
        )
    parts += [_PRIVACY, "Värna"]
    return subject, "\n\n".join(parts) + "\n"


def receipt_mail(*, reference: str, link: str) -> tuple[str, str]:
    """The reporter's receipt: the case number and the private supplement link only
    (no unit, no names, no content: the mailbox may be shared or read by others)."""
    subject = f"Värna: kvitto på din anmälan, ärende {reference}"
    body = "\n\n".join(
        [
            "Hej!",
            f"Tack för din anmälan. Den har tagits emot och fått ärendenummer {reference}.",
            "Vill du lägga till något senare, till exempel något du kommer på efteråt, "
            f"använder du din privata länk för komplettering:\n{link}",
            "Länken är personlig: dela den inte med någon. Av sekretesskäl innehåller "
            "det här meddelandet inga uppgifter om vad som hänt.",
            "Värna",
        ]
    )
    return subject, body + "\n"


def supplement_mail(*, reference: str, unit_name: str, link: str) -> tuple[str, str]:
    subject = f"Komplettering i ärende {reference} – {unit_name}"
    body = "\n\n".join(
        [
            "Hej!",
            f"Anmälaren har lagt till en komplettering i ärende {reference} ({unit_name}).",
            f"Öppna ärendet: {link}",
            _PRIVACY.replace("anmälan", "kompletteringen"),
            "Värna",
        ]
    )
    return subject, body + "\n"


# ---------------------------------------------------------------- submit


def submit_report(
    token: str,
    data: ReportInput | Mapping,
    submission_id: str,
    *,
    client: str = "",
    now: datetime,
) -> SubmitResult:
    """Create the case of a staff report, or answer field errors. Never two cases for
    one submission id, also when two identical requests race."""
    if not isinstance(data, ReportInput):
        data = ReportInput.from_dict(data if isinstance(data, Mapping) else {})
    if not isinstance(submission_id, str) or not _SUBMISSION_ID.match(submission_id):
        return SubmitResult(errors={FORM: MSG_TRY_AGAIN})
    client = client if isinstance(client, str) else ""
    try:
        return _submit(token, data, submission_id, client, now)
    except IntegrityError:
        # The same submission id committed by a concurrent request: answer with its case.
        with read_scope() as s:
            existing = s.exec(select(Case).where(Case.submission_id == submission_id)).first()
        if existing is None:
            raise
        log.info("submission %s… raced; returning case %s", submission_id[:6], existing.id)
        return SubmitResult(case_id=existing.id, reference=existing.reference, duplicate=True)


def _submit(
    token: str, data: ReportInput, submission_id: str, client: str, now: datetime
) -> SubmitResult:
    with session_scope() as s:
        found = report_links.active_link(s, token)
        if found is None:
            return SubmitResult(errors={FORM: MSG_INVALID_LINK}, link_invalid=True)
        link, unit = found
        existing = s.exec(select(Case).where(Case.submission_id == submission_id)).first()
        if existing is not None:
            if existing.unit_id != unit.id:
                return SubmitResult(errors={FORM: MSG_TRY_AGAIN})
            return SubmitResult(case_id=existing.id, reference=existing.reference, duplicate=True)
        settings = get_settings()
        rate_keys = {f"report-link:{link.id}": settings.report_limit_per_link}
        if client:
            address = _client_key(client)
            # One address at this link (a school's shared address passes; one
            # flooding address leaves the rest of the link's hour to the others),
            # and one address over every link (a ceiling for a flood spread out).
            rate_keys[f"report-link-client:{link.id}:{address}"] = settings.report_limit_per_client
            rate_keys[f"report-client:{address}"] = settings.report_limit_per_address
        if _over_limit(s, rate_keys, now):
            log.warning("report rate limit reached for link %s", link.id)
            return SubmitResult(errors={FORM: MSG_RATE_LIMITED})
        clean, errors = validate(data, now=now, classes=report_links.unit_classes(s, unit.id))
        if clean is None:
            return SubmitResult(errors=errors)
        case, supplement_token = _create_case(s, unit, clean, submission_id, now)
        _count(s, list(rate_keys), now)
        changes.bump(s, unit.organisation_id, now)
        log.info("report %s created for unit %s", case.reference, unit.id)
        return SubmitResult(
            case_id=case.id, reference=case.reference, supplement_token=supplement_token
        )


def _create_case(
    s: Session, unit: Unit, clean: CleanReport, submission_id: str, now: datetime
) -> tuple[Case, str]:
    org_id = unit.organisation_id
    year = local(now).year
    number, reference = references.allocate(s, org_id, year)
    principals = _principals(s, unit.id)
    organisers = _organisers(s, org_id)
    first = clean.subjected[0]
    supplement_token = secrets.token_urlsafe(24)
    case = Case(
        organisation_id=org_id,
        unit_id=unit.id,
        reference=reference,
        year=year,
        number=number,
        submission_id=submission_id,
        step=Step.REPORTED,
        responsible_user_id=principals[0].id if principals else None,
        due_at=limits.due_for_next_step(s, org_id, Step.REPORTED, now),
        reported_at=now,
        updated_at=now,
        class_name=first.class_name,
        grade=first.grade,
        occurred_on=clean.occurred_on,
        occurred_time=clean.occurred_time,
        place=clean.place,
        place_other=clean.place_other,
        description=clean.description,
        kinds=to_mask(list(clean.kinds), KIND_CODES),
        grounds=to_mask(list(clean.grounds), GROUND_CODES),
        immediate_actions=clean.immediate_actions,
        guardians_informed=clean.guardians_informed,
        witnesses=clean.witnesses,
        staff_involved=clean.staff_involved,
        reporter_name=clean.reporter_name,
        reporter_email=clean.reporter_email,
        reporter_role=clean.reporter_role,
        supplement_token_hash=token_hash(supplement_token),
    )
    s.add(case)
    s.flush()
    for p in clean.parties:
        s.add(
            Party(
                case_id=case.id,
                role=p.role,
                kind=p.kind,
                name=p.name,
                name_key=p.name_key,
                class_name=p.class_name,
                grade=p.grade,
            )
        )
    append_event(
        s,
        case,
        EventKind.REPORTED,
        at=now,
        actor_label=f"{clean.reporter_name} (anmälare)"[:200],
        payload={"reference": reference},
    )
    append_event(
        s,
        case,
        EventKind.ORGANISER_NOTIFIED,
        at=now,
        actor_label="Värna (automatiskt)",
        payload={"organisers": len(organisers), "staff_involved": clean.staff_involved},
    )
    s.flush()
    # Jäv: a user with a role at the unit named as involved is kept away from the case
    # (no mail, no access); the case goes to the organiser at once.
    bypassed = conflicts.bypass(s, case, now=now)
    if bypassed:
        principals = []  # the organiser is responsible: no principal is asked to act
    recipients: dict[int, tuple[User, set[str]]] = {}
    for role, users in ((Role.PRINCIPAL, principals), (Role.ORGANISER, organisers)):
        for user in users:
            recipients.setdefault(user.id, (user, set()))[1].add(role)
    link = case_link(case.id)
    due = sv_date(case.due_at) if case.due_at else ""
    excluded = {u.id for u in bypassed}
    for user, roles in recipients.values():
        if user.id in excluded:
            continue
        subject, body = report_mail(
            reference=reference,
            unit_name=unit.name,
            link=link,
            due=due,
            as_principal=Role.PRINCIPAL in roles,
            as_organiser=Role.ORGANISER in roles,
            staff_involved=clean.staff_involved,
            conflict=bool(bypassed),
        )
        queue_mail(
            s,
            to=user.email,
            subject=subject,
            body=body,
            now=now,
            dedupe_key=f"report:{case.id}:user:{user.id}",
            case_id=case.id,
        )
    if not recipients:
        log.warning("case %s: unit %s has no principal or organiser to notify", case.id, unit.id)
    if clean.reporter_email:
        subject, body = receipt_mail(
            reference=reference, link=report_links.supplement_url(supplement_token)
        )
        queue_mail(
            s,
            to=clean.reporter_email,
            subject=subject,
            body=body,
            now=now,
            dedupe_key=f"report:{case.id}:receipt",
            case_id=case.id,
        )
    return case, supplement_token


# ---------------------------------------------------------------- supplements


def _case_by_supplement_token(s: Session, token: str) -> Case | None:
    if not report_links.plausible_token(token):
        return None
    return s.exec(select(Case).where(Case.supplement_token_hash == token_hash(token))).first()


def supplement_reference(token: str) -> str | None:
    """The reference of the case behind a supplement link (None if unknown)."""
    with read_scope() as s:
        case = _case_by_supplement_token(s, token)
        return case.reference if case else None


def add_supplement(token: str, text: str, *, client: str = "", now: datetime) -> SupplementResult:
    """The reporter adds a komplettering: a timeline event and a mail to the responsible."""
    clean, error = clean_supplement(text)
    client = client if isinstance(client, str) else ""
    with session_scope() as s:
        case = _case_by_supplement_token(s, token)
        if case is None:
            return SupplementResult(False, MSG_INVALID_LINK, link_invalid=True)
        if error:
            return SupplementResult(False, error, reference=case.reference)
        rate_keys = _supplement_rate_keys(case, client)
        if _over_limit(s, rate_keys, now):
            return SupplementResult(False, MSG_SUPPLEMENT_RATE, reference=case.reference)
        event = append_event(
            s,
            case,
            EventKind.SUPPLEMENT,
            at=now,
            actor_label=f"{case.reporter_name} (anmälare)"[:200],
            payload={"text": clean},
        )
        case.updated_at = now
        s.add(case)
        _notify_supplement(s, case, f"supplement:{event.id}", now)
        _count(s, list(rate_keys), now)
        changes.bump(s, case.organisation_id, now)
        return SupplementResult(True, reference=case.reference)


def _supplement_rate_keys(case: Case, client: str) -> dict[str, int]:
    """A reporter's supplements and files share one limit per case and per client."""
    keys = {f"supplement-case:{case.id}": SUPPLEMENTS_PER_CASE_PER_HOUR}
    if client:
        keys[f"supplement-client:{_client_key(client)}"] = SUPPLEMENTS_PER_CLIENT_PER_HOUR
    return keys


def _notify_supplement(s: Session, case: Case, dedupe: str, now: datetime) -> None:
    """Mail the responsible (or the unit's principals) that the reporter added
    something: the case number and a link, no content."""
    unit = s.get(Unit, case.unit_id)
    responsible = s.get(User, case.responsible_user_id) if case.responsible_user_id else None
    excluded = conflicts.excluded_user_ids(s, case.id)
    to = [responsible] if responsible and responsible.active else _principals(s, unit.id)
    to = [u for u in to if u.id not in excluded]
    subject, body = supplement_mail(
        reference=case.reference, unit_name=unit.name, link=case_link(case.id)
    )
    for user in to:
        queue_mail(
            s,
            to=user.email,
            subject=subject,
            body=body,
            now=now,
            dedupe_key=f"{dedupe}:user:{user.id}",
            case_id=case.id,
        )


@dataclass(frozen=True)
class FileResult:
    """The answer to a reporter's file: ``code`` is "ok" or the code of its
    message (``attachments.message_for``); the file's safe name when taken."""

    code: str
    name: str = ""


def add_reporter_file(
    token: str, *, filename: str, data: bytes, client: str = "", now: datetime
) -> FileResult:
    """A file the reporter sends with the private supplement link (on the receipt or
    the supplement page): checked and cleaned as every attachment, stored on the
    case as "Anmälan" with the reporter as author, under the supplements' limits,
    and the responsible is told by mail."""
    from kb_app.errors import InvalidInput
    from kb_app.services.case import attachments

    client = client if isinstance(client, str) else ""
    with read_scope() as s:
        if _case_by_supplement_token(s, token) is None:
            return FileResult("lank")
    try:
        file = attachments.prepare(filename, data)
    except InvalidInput as exc:
        return FileResult(attachments.code_of(next(iter(exc.errors.values()), "")))
    try:
        with session_scope() as s:
            case = _case_by_supplement_token(s, token)
            if case is None:
                attachments.discard(file.key)
                return FileResult("lank")
            rate_keys = _supplement_rate_keys(case, client)
            if _over_limit(s, rate_keys, now):
                attachments.discard(file.key)
                return FileResult("manga")
            row = attachments.attach(
                s,
                case,
                file,
                context="report",
                user_id=None,
                actor_label=f"{case.reporter_name} (anmälare)"[:200],
                now=now,
            )
            case.updated_at = now
            s.add(case)
            _notify_supplement(s, case, f"attachment:{row.id}", now)
            _count(s, list(rate_keys), now)
            return FileResult("ok", row.filename)
    except InvalidInput as exc:
        attachments.discard(file.key)
        return FileResult(attachments.code_of(next(iter(exc.errors.values()), "")))
    except BaseException:
        attachments.discard(file.key)
        raise
