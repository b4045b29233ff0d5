"""The reminder sweep and the daily digest (scheduler jobs; time is injected).

For each open case whose current step is past due:
- level 1: a reminder to the responsible person (the principal, or the
  investigator when delegated) once the due date has passed;
- level 2: a second reminder two working days later;
- level 3: an escalation to the organisers when the step is
  ``OrgSetting.escalate_after_days`` working days late.

Each level of each due date of each step happens exactly once: a ``Reminder``
row with the unique key (case, step, due date, level) is inserted in the same
transaction as the ``reminder`` timeline event and the outbox mails, so two
sweeps at once, a restart or a repeated sweep cannot repeat it. The case row is
re-read (and on PostgreSQL locked) in that transaction, so a step completed just
before the sweep sends nothing.

Users who chose a daily digest get no mail per reminder (the timeline still
records it); instead, once a day, one mail with their late cases.

A measure whose responsible person was chosen among the organisation's users
(``Measure.responsible_user_id``) reminds that user by mail on its date (``due_on``,
local), once: the mail's dedupe key is the measure and its date, queued in the same
transaction as the ``reminder`` event. A name typed for someone outside Värna gets
no mail.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from kb_app.db import read_scope, session_scope
from kb_app.domain import deadlines
from kb_app.domain.fmt import TZ, sv_date
from kb_app.domain.process import STEP_LABELS, EventKind, Step, next_step
from kb_app.domain.vocab import Role
from kb_app.models import Case, Measure, Outbox, Reminder, RoleAssignment, Unit, User
from kb_app.services.base import changes, outbox
from kb_app.services.base.conflicts import excluded_user_ids
from kb_app.services.base.limits import escalate_after
from kb_app.services.base.timeline import append_event
from kb_app.settings import get_settings

log = logging.getLogger("kb_app.reminders")

SYSTEM_LABEL = "Värna (automatiskt)"
DIGEST_HOUR = 7  # local time; digests go out on working days from this hour
PRIVACY_NOTE = (
    "Av sekretesskäl innehåller det här meddelandet inga uppgifter om ärendet. "
    "Logga in i Värna för att läsa det."
)


@dataclass
class SweepSummary:
    reminders: int = 0  # reminder events written
    mails: int = 0  # mails queued
    superseded: int = 0

    def __str__(self) -> str:
        return f"påminnelser {self.reminders}, e-post {self.mails}, överhoppade {self.superseded}"


def _stamp(due: datetime) -> str:
    return due.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def reminder_key(case_id: int, step: str, due: datetime, level: int) -> str:
    """The unique key of one reminder: (case, step that is due, due date, level)."""
    return f"reminder:{case_id}:{step}:{_stamp(due)}:{level}"


def _insert_ignore(session: Session, table, **values) -> bool:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = session.execute(
        insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(table.c.id)
    )
    return result.first() is not None


def _active_users(session: Session, ids) -> list[User]:
    ids = list(ids)
    if not ids:
        return []
    return list(session.exec(select(User).where(User.id.in_(ids), User.active).order_by(User.id)))


def _principals(session: Session, unit_id: int) -> list[int]:
    return list(
        session.exec(
            select(RoleAssignment.user_id).where(
                RoleAssignment.role == Role.PRINCIPAL, RoleAssignment.unit_id == unit_id
            )
        )
    )


def _organisers(session: Session, organisation_id: int) -> list[User]:
    ids = session.exec(
        select(RoleAssignment.user_id)
        .join(User, User.id == RoleAssignment.user_id)
        .where(
            RoleAssignment.role == Role.ORGANISER,
            RoleAssignment.unit_id.is_(None),
            User.organisation_id == organisation_id,
        )
    )
    return _active_users(session, ids)


def responsible_users(session: Session, case: Case) -> list[User]:
    """Who is reminded about a late step: the responsible person, or the unit's
    principals when there is none (or they are no longer active); never a user the
    case names as involved (jäv)."""
    excluded = excluded_user_ids(session, case.id)
    if case.responsible_user_id is not None and case.responsible_user_id not in excluded:
        users = _active_users(session, [case.responsible_user_id])
        if users:
            return users
    return _active_users(
        session, [u for u in _principals(session, case.unit_id) if u not in excluded]
    )


def _mail_text(level: int, case: Case, unit_name: str, due_step: str, esc_days: int):
    ref = case.reference
    label = STEP_LABELS.get(due_step, due_step)
    due = sv_date(case.due_at)
    if level == deadlines.REMINDER:
        subject = f"Påminnelse: {ref} – steget ”{label}” är försenat"
        lead = f"Steget ”{label}” i ärende {ref} ({unit_name}) skulle ha varit klart senast {due}."
    elif level == deadlines.SECOND_REMINDER:
        subject = f"Andra påminnelsen: {ref} – steget ”{label}” är fortfarande försenat"
        lead = (
            f"Steget ”{label}” i ärende {ref} ({unit_name}) skulle ha varit klart senast {due} "
            f"och är nu mer än {deadlines.SECOND_REMINDER_DAYS} arbetsdagar försenat."
        )
    else:
        subject = f"Eskalering: {ref} är mer än {esc_days} arbetsdagar försenat"
        lead = (
            f"Steget ”{label}” i ärende {ref} ({unit_name}) skulle ha varit klart senast {due} "
            f"och är nu mer än {esc_days} arbetsdagar försenat. Den ansvarige har påmints. "
            "Huvudmannen ska se till att ärendet utreds skyndsamt."
        )
    body = (
        f"Hej!\n\n{lead}\n\nÖppna ärendet:\n{outbox.case_link(case.id)}\n\n"
        f"{PRIVACY_NOTE}\n\nDetta är ett automatiskt meddelande från Värna.\n"
    )
    return subject, body


def _lock_case(session: Session, case_id: int) -> Case | None:
    stmt = select(Case).where(Case.id == case_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()  # waits for a transition in progress on this case
    # SQLite: session_scope already holds the write lock (BEGIN IMMEDIATE).
    return session.exec(stmt.execution_options(populate_existing=True)).first()


def _remind_case(case_id: int, now: datetime, out: SweepSummary) -> None:
    with session_scope() as s:
        case = _lock_case(s, case_id)
        if case is None or case.closed_at is not None or case.due_at is None:
            return
        due_step = next_step(Step(case.step))
        if due_step is None or not now > case.due_at:
            return
        esc_days = escalate_after(s, case.organisation_id)
        levels = deadlines.reminder_levels_due(case.due_at, now, esc_days)
        unit = s.get(Unit, case.unit_id)
        wrote = False
        for level in levels:
            # Both personal reminders due at once (the scheduler was down, or a
            # limit was shortened): send only the second one.
            superseded = level == deadlines.REMINDER and deadlines.SECOND_REMINDER in levels
            key = reminder_key(case.id, due_step, case.due_at, level)
            fresh = _insert_ignore(
                s,
                Reminder.__table__,
                dedupe_key=key,
                case_id=case.id,
                step=str(due_step),
                due_at=case.due_at,
                level=level,
                created_at=now,
                superseded=superseded,
            )
            if not fresh:
                continue
            if superseded:
                out.superseded += 1
                continue
            if level == deadlines.ESCALATION:
                recipients = _organisers(s, case.organisation_id)
            else:
                recipients = responsible_users(s, case)
            subject, body = _mail_text(level, case, unit.name if unit else "", due_step, esc_days)
            mailed, digest = [], []
            for user in recipients:
                if user.daily_digest:
                    digest.append(user.name)
                    continue
                if outbox.queue_mail(
                    s,
                    to=user.email,
                    subject=subject,
                    body=body,
                    now=now,
                    dedupe_key=f"{key}:to:{user.id}",
                    case_id=case.id,
                    organisation_id=case.organisation_id,
                ):
                    out.mails += 1
                mailed.append(user.name)
            append_event(
                s,
                case,
                EventKind.REMINDER,
                at=now,
                actor_label=SYSTEM_LABEL,
                payload={
                    "level": level,
                    "level_label": deadlines.LEVEL_LABELS[level],
                    "step": str(due_step),
                    "due_at": _stamp(case.due_at),
                    "recipients": mailed,
                    "in_daily_digest": digest,
                },
            )
            out.reminders += 1
            wrote = True
        if wrote:
            changes.bump(s, case.organisation_id, now)


def _late_cases(session: Session, now: datetime, organisation_ids=None):
    stmt = select(Case).where(
        Case.closed_at.is_(None),
        Case.due_at.is_not(None),
        Case.due_at < now,
        Case.step != Step.CLOSED,
    )
    if organisation_ids is not None:
        stmt = stmt.where(Case.organisation_id.in_(list(organisation_ids)))
    return list(session.exec(stmt.order_by(Case.due_at, Case.id)))


# Measures on their date ----------------------------------------------------------


def measure_key(measure_id: int, due_on) -> str:
    return f"measure:{measure_id}:{due_on.isoformat()}"


def _measure_text(case: Case, unit_name: str, measure: Measure) -> tuple[str, str]:
    due = sv_date(measure.due_on)
    subject = f"Påminnelse: en åtgärd i {case.reference} ska vara genomförd senast {due}"
    body = (
        f"Hej!\n\nDu är ansvarig för en åtgärd i ärende {case.reference} ({unit_name}) "
        f"som ska vara genomförd senast {due}.\n\nÖppna ärendet:\n"
        f"{outbox.case_link(case.id)}\n\n{PRIVACY_NOTE}\n\n"
        "Detta är ett automatiskt meddelande från Värna.\n"
    )
    return subject, body


def _remind_measure(measure_id: int, now: datetime, out: SweepSummary) -> None:
    with session_scope() as s:
        measure = s.get(Measure, measure_id)
        if measure is None or measure.responsible_user_id is None or measure.due_on is None:
            return
        case = _lock_case(s, measure.case_id)
        if case is None or case.closed_at is not None:
            return
        if measure.due_on > now.astimezone(TZ).date():
            return
        if measure.responsible_user_id in excluded_user_ids(s, case.id):
            return  # never a mail about a case to a user it names as involved (jäv)
        users = _active_users(s, [measure.responsible_user_id])
        if not users or users[0].organisation_id != case.organisation_id:
            return
        user = users[0]
        unit = s.get(Unit, case.unit_id)
        subject, body = _measure_text(case, unit.name if unit else "", measure)
        if not outbox.queue_mail(
            s,
            to=user.email,
            subject=subject,
            body=body,
            now=now,
            dedupe_key=measure_key(measure.id, measure.due_on),
            case_id=case.id,
            organisation_id=case.organisation_id,
        ):
            return  # already reminded (another sweep, or before a restart)
        append_event(
            s,
            case,
            EventKind.REMINDER,
            at=now,
            actor_label=SYSTEM_LABEL,
            payload={
                "measure_id": measure.id,
                "due_on": measure.due_on.isoformat(),
                "recipients": [user.name],
                "text": f"{user.name} har påmints om en åtgärd som ska vara genomförd "
                f"senast {sv_date(measure.due_on)}.",
            },
        )
        out.reminders += 1
        out.mails += 1
        changes.bump(s, case.organisation_id, now)


def _due_measures(session: Session, now: datetime) -> list[int]:
    """Measures of open cases, with a user responsible, whose date has come and
    whose reminder has not been queued."""
    today = now.astimezone(TZ).date()
    rows = list(
        session.exec(
            select(Measure.id, Measure.due_on)
            .join(Case, Case.id == Measure.case_id)
            .where(
                Measure.responsible_user_id.is_not(None),
                Measure.due_on.is_not(None),
                Measure.due_on <= today,
                Case.closed_at.is_(None),
            )
            .order_by(Measure.id)
        )
    )
    keys = {measure_key(mid, due): mid for mid, due in rows}
    done: set[str] = set()
    todo = list(keys)
    for i in range(0, len(todo), 500):
        done.update(
            session.exec(select(Outbox.dedupe_key).where(Outbox.dedupe_key.in_(todo[i : i + 500])))
        )
    return [mid for key, mid in keys.items() if key not in done]


def sweep(*, now: datetime) -> SweepSummary:
    """Write the reminders that have fallen due at ``now``. Safe to run anywhere,
    any number of times, concurrently."""
    out = SweepSummary()
    with read_scope() as s:
        late = _late_cases(s, now)
        esc = {org: escalate_after(s, org) for org in {c.organisation_id for c in late}}
        wanted: dict[str, int] = {}
        for c in late:
            due_step = next_step(Step(c.step))
            if due_step is None:
                continue
            for level in deadlines.reminder_levels_due(c.due_at, now, esc[c.organisation_id]):
                wanted[reminder_key(c.id, due_step, c.due_at, level)] = c.id
        done: set[str] = set()
        keys = list(wanted)
        for i in range(0, len(keys), 500):
            done.update(
                s.exec(
                    select(Reminder.dedupe_key).where(Reminder.dedupe_key.in_(keys[i : i + 500]))
                )
            )
        measures = _due_measures(s, now)
    todo = sorted({case_id for key, case_id in wanted.items() if key not in done})
    for case_id in todo:
        try:
            _remind_case(case_id, now, out)
        except Exception:  # one bad case must not stop the others
            log.exception("reminder for case %s failed", case_id)
    for measure_id in measures:
        try:
            _remind_measure(measure_id, now, out)
        except Exception:  # one bad measure must not stop the others
            log.exception("reminder for measure %s failed", measure_id)
    if out.reminders or out.superseded:
        log.info("reminder sweep: %s", out)
    return out


# The daily digest ---------------------------------------------------------------


def digest_key(user_id: int, now: datetime) -> str:
    return f"digest:{user_id}:{now.astimezone(TZ).date().isoformat()}"


def digest_due(now: datetime) -> bool:
    local = now.astimezone(TZ)
    return local.hour >= DIGEST_HOUR and deadlines.is_working_day(local.date())


def _digest_text(user: User, own: list[tuple[Case, str]], escalated: list[tuple[Case, str]]):
    base = get_settings().public_url
    total = len({c.id for c, _ in own} | {c.id for c, _ in escalated})
    lines = ["Hej!", ""]

    def block(title: str, items: list[tuple[Case, str]]) -> None:
        lines.append(title)
        for case, unit_name in items[:30]:
            step = STEP_LABELS.get(next_step(Step(case.step)) or "", "")
            lines.append(
                f"- {case.reference} ({unit_name}): ”{step}” senast {sv_date(case.due_at)}"
            )
            lines.append(f"  {outbox.case_link(case.id)}")
        if len(items) > 30:
            lines.append(f"… och {len(items) - 30} till.")
        lines.append("")

    if own:
        block(f"Du ansvarar för {len(own)} försenade ärenden:", own)
    if escalated:
        block(f"{len(escalated)} ärenden har eskalerats till huvudmannen:", escalated)
    lines += [
        f"Logga in i Värna: {base}/",
        "",
        PRIVACY_NOTE,
        "",
        "Du får den här sammanfattningen en gång per arbetsdag i stället för en påminnelse "
        f"per ärende. Du kan ändra det under Mitt konto: {base}/mitt-konto",
    ]
    noun = "ärende" if total == 1 else "ärenden"
    return f"Daglig sammanfattning: {total} försenade {noun} i Värna", "\n".join(lines) + "\n"


def send_digests(*, now: datetime) -> int:
    """Queue today's digest for each user who chose one and has late cases (once a
    day: the dedupe key is the user and the local date). Returns mails queued."""
    if not digest_due(now):
        return 0
    with read_scope() as s:
        users = list(s.exec(select(User).where(User.daily_digest, User.active)))
        # Leave out those who already have today's digest (the sweep runs every 15 min).
        keys = {digest_key(u.id, now): u for u in users}
        sent_today = (
            set(s.exec(select(Outbox.dedupe_key).where(Outbox.dedupe_key.in_(list(keys)))))
            if keys
            else set()
        )
        users = [u for key, u in keys.items() if key not in sent_today]
        if not users:
            return 0
        by_id = {u.id: u for u in users}
        orgs = {u.organisation_id for u in users}
        late = _late_cases(s, now, orgs)
        units = {u.id: u.name for u in s.exec(select(Unit).where(Unit.organisation_id.in_(orgs)))}
        esc = {org: escalate_after(s, org) for org in orgs}
        own: dict[int, list[tuple[Case, str]]] = defaultdict(list)
        escalated: dict[int, list[tuple[Case, str]]] = defaultdict(list)
        organisers = {org: [u.id for u in _organisers(s, org)] for org in orgs}
        for case in late:
            if next_step(Step(case.step)) is None:
                continue
            item = (case, units.get(case.unit_id, ""))
            for user in responsible_users(s, case):
                if user.id in by_id:
                    own[user.id].append(item)
            levels = deadlines.reminder_levels_due(case.due_at, now, esc[case.organisation_id])
            if deadlines.ESCALATION in levels:
                for uid in organisers[case.organisation_id]:
                    if uid in by_id:
                        escalated[uid].append(item)
    queued = 0
    for user in users:
        if not own[user.id] and not escalated[user.id]:
            continue
        subject, body = _digest_text(user, own[user.id], escalated[user.id])
        with session_scope() as s:
            if outbox.queue_mail(
                s,
                to=user.email,
                subject=subject,
                body=body,
                now=now,
                dedupe_key=digest_key(user.id, now),
                organisation_id=user.organisation_id,
            ):
                queued += 1
    if queued:
        log.info("daily digests queued: %s", queued)
    return queued
