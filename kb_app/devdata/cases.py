"""The one generator of made-up cases, for the demo (``seed``) and the benchmark
(``bench``): a random case with its parties, its steps up to a target step and
the timeline they leave, its dates on school days and in working hours.

``draft`` returns plain rows (dicts and ``Event``), written by the caller: the
demo and ``bench.insert_report`` through the ORM and the timeline service
(``add_case``), the benchmark in bulk. What the caller decides about a case
(its unit, reporter, story, target step ...) comes in a ``Plan``; the words it
is made of in ``Texts``. The random draws come in a fixed order and a choice
without alternatives draws nothing, so a seed gives the same cases every time.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from kb_app.domain import deadlines
from kb_app.domain.fmt import TZ
from kb_app.domain.process import STEP_ORDER, EventKind, Step, next_step
from kb_app.domain.vocab import GROUND_CODES, KIND_CODES, to_mask
from kb_app.models import Case, Delegation, Measure, Party
from kb_app.services.base.timeline import append_event

Person = tuple[int, str]  # (user id, name)

CONCLUSIONS = ["confirmed", "confirmed", "not_confirmed", "harassment"]
GUARDIANS_INFORMED = ["yes", "no", "unknown"]
FOLLOW_UP_NOTES = "Eleven upplever att det har blivit bättre. Inga nya händelser."
CLOSING_SUMMARY = "Åtgärderna har haft effekt. Ärendet avslutas."


@dataclass(frozen=True)
class Texts:
    """The names and sentences cases are made of, and how many of each a case gets
    ((lo, hi) ranges, inclusive)."""

    first: Sequence[str]
    last: Sequence[str]
    staff: Sequence[str]
    findings: Sequence[str]  # for an investigation that confirms the acts
    measures: Sequence[str]
    # For "Kränkning ej konstaterad" (so a case never says both); empty: ``findings``.
    findings_unconfirmed: Sequence[str] = ()
    findings_per_case: tuple[int, int] = (1, 1)
    measures_per_case: tuple[int, int] = (1, 1)
    measure_levels: Sequence[str] = ("individual", "group")
    measure_days: int = 14
    involved: tuple[int, int] = (1, 2)
    involved_kinds: Sequence[str] = ("pupil",)
    # Share of steps the commenter (Plan.commenter) remarks on.
    comment_share: float = 0.0


@dataclass(frozen=True)
class Plan:
    """What the caller decides about one case."""

    unit_id: int
    year: int
    number: int
    reference: str
    reported_at: datetime
    target: Step
    classes: Sequence[tuple[str, str]]  # (name, grade) of the unit's classes
    principal: Person
    investigator: Person
    delegated: bool
    staff_case: bool
    grounds: int  # how many grounds of discrimination
    reporter: tuple[str, str, str]  # name, e-mail, role
    reporter_label: str  # the REPORTED event's actor label
    place: str
    story: str  # the description; "{s}" is the subjected pupil's first name
    immediate_actions: str
    witnesses: str
    recurring: tuple[str, str] | None = None  # (class name, pupil) to use instead of a draw
    commenter: Person | None = None


@dataclass(frozen=True)
class Event:
    kind: str
    at: datetime
    actor_user_id: int | None
    actor_label: str
    payload: dict


@dataclass
class Draft:
    """One case as rows: ``case`` has every column but ids and the organisation."""

    case: dict
    parties: list[dict] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    delegation: dict | None = None
    measures: list[dict] = field(default_factory=list)


# Dates and times --------------------------------------------------------------

_add_working_days = functools.cache(deadlines.add_working_days)


def school_day_before(reported_at: datetime, days: int) -> date:
    """The incident's date: ``days`` before the report, moved back to a school day."""
    d = (reported_at.astimezone(TZ) - timedelta(days=days)).date()
    while not deadlines.is_working_day(d):
        d -= timedelta(days=1)
    return d


def working_hours(day: datetime, now: datetime, rng: random.Random) -> datetime:
    """A time between 07:30 and 16:00 Swedish time on the school day ``day`` (or the
    one before it), never after ``now``."""
    local = day.astimezone(TZ).replace(hour=7, minute=30, second=0, microsecond=0)
    while not deadlines.is_working_day(local.date()):
        local -= timedelta(days=1)
    at = (local + timedelta(minutes=rng.randint(0, 510))).astimezone(UTC)
    return min(at, now - timedelta(minutes=rng.randint(20, 90)))


def working_days_later(at: datetime, rng: random.Random, lo: int, hi: int) -> datetime:
    """A working-hours time some working days after ``at``, always later than ``at``."""
    d = _add_working_days(at.astimezone(TZ).date(), rng.randint(lo, hi))
    candidate = datetime(d.year, d.month, d.day, rng.randint(7, 15), rng.randint(0, 59), tzinfo=TZ)
    return max(candidate.astimezone(UTC), at + timedelta(minutes=rng.randint(15, 90)))


# Draws ------------------------------------------------------------------------


def spread(counts: Iterable[tuple[object, int]]) -> list:
    """Each value as many times as its count, in order."""
    return [value for value, n in counts for _ in range(n)]


def _between(rng: random.Random, lo: int, hi: int) -> int:
    return lo if lo == hi else rng.randint(lo, hi)


def _some(rng: random.Random, options: Sequence, lo: int, hi: int) -> list:
    """Between lo and hi of the options, distinct; no draw where there is no choice."""
    k = _between(rng, lo, hi)
    if k <= 0:
        return []
    if k >= len(options):
        return list(options)[:k]
    return rng.sample(options, k)


def _one(rng: random.Random, options: Sequence):
    return options[0] if len(options) == 1 else rng.choice(options)


def _name(rng: random.Random, texts: Texts) -> str:
    return f"{rng.choice(texts.first)} {rng.choice(texts.last)}"


# The case ---------------------------------------------------------------------


def draft(rng: random.Random, plan: Plan, texts: Texts, *, now: datetime) -> Draft:
    """One case as ``plan`` says, the rest drawn from ``rng``, its steps walked up to
    ``plan.target`` (never later than ``now``)."""
    class_name, grade = rng.choice(plan.classes)
    subject = _name(rng, texts)
    if plan.recurring is not None:
        recurring_class, subject = plan.recurring
        class_name, grade = next((c, g) for c, g in plan.classes if c == recurring_class)
    kinds = _some(rng, KIND_CODES, 1, 2)
    grounds = _some(rng, GROUND_CODES, plan.grounds, plan.grounds)
    reported = plan.reported_at
    out = Draft(
        case={
            "unit_id": plan.unit_id,
            "reference": plan.reference,
            "year": plan.year,
            "number": plan.number,
            "reported_at": reported,
            "class_name": class_name,
            "grade": grade,
            "occurred_on": school_day_before(reported, rng.randint(0, 2)),
            "occurred_time": f"{rng.randint(8, 15):02d}:{rng.choice([0, 15, 30, 45]):02d}",
            "place": plan.place,
            "description": plan.story.format(s=subject.split()[0]),
            "kinds": to_mask(kinds, KIND_CODES),
            "grounds": to_mask(grounds, GROUND_CODES),
            "immediate_actions": plan.immediate_actions,
            "guardians_informed": rng.choice(GUARDIANS_INFORMED),
            "witnesses": plan.witnesses,
            "staff_involved": plan.staff_case,
            "reporter_name": plan.reporter[0],
            "reporter_email": plan.reporter[1],
            "reporter_role": plan.reporter[2],
            "conclusion": "",
        }
    )
    out.parties = _parties(rng, plan, texts, subject, class_name, grade)
    out.events = [
        Event(
            EventKind.REPORTED, reported, None, plan.reporter_label, {"reference": plan.reference}
        ),
        Event(EventKind.ORGANISER_NOTIFIED, reported, None, "Värna (automatiskt)", {}),
    ]
    at, step = _walk(rng, plan, texts, out, now)
    responsible = plan.principal[0]
    if (
        plan.delegated
        and STEP_ORDER.index(step) >= STEP_ORDER.index(Step.INVESTIGATION_STARTED)
        and step != Step.CLOSED
    ):
        responsible = plan.investigator[0]
    limit = None if step == Step.CLOSED else deadlines.DEFAULT_LIMITS.get(next_step(step))
    out.case.update(
        step=str(step),
        responsible_user_id=responsible,
        updated_at=at,
        closed_at=at if step == Step.CLOSED else None,
        due_at=deadlines.due_at(at, limit) if limit is not None else None,
    )
    return out


def _parties(
    rng: random.Random, plan: Plan, texts: Texts, subject: str, class_name: str, grade: str
) -> list[dict]:
    def party(role: str, kind: str, name: str = "", in_class: bool = False) -> dict:
        return {
            "role": role,
            "kind": kind,
            "name": name,
            "name_key": name.lower(),
            "class_name": class_name if in_class else "",
            "grade": grade if in_class else "",
        }

    parties = [party("subjected", "pupil", subject, in_class=True)]
    if plan.staff_case:
        parties.append(party("involved", "staff", rng.choice(texts.staff)))
        return parties
    for _ in range(_between(rng, *texts.involved)):
        kind = _one(rng, texts.involved_kinds)
        if kind == "pupil":
            parties.append(party("involved", kind, _name(rng, texts), in_class=True))
        else:
            parties.append(party("involved", kind))
    return parties


def _walk(
    rng: random.Random, plan: Plan, texts: Texts, out: Draft, now: datetime
) -> tuple[datetime, Step]:
    """The steps after the report up to the target: their events, the delegation and
    the measures. Returns the time and step reached."""
    principal, investigator = plan.principal, plan.investigator
    at = plan.reported_at
    step = Step.REPORTED
    while step != plan.target:
        nxt = next_step(step)
        prev_at = at
        at = min(
            working_days_later(at, rng, 0, 3 if nxt != Step.FOLLOWED_UP else 18),
            now - timedelta(minutes=5),
        )
        actor = principal
        payload: dict = {}
        if nxt == Step.INVESTIGATION_STARTED:
            if plan.delegated:
                # Delegated between the receipt and the investigator's own start.
                delegated_at = prev_at + (at - prev_at) / 2
                out.events.append(
                    Event(
                        EventKind.DELEGATED,
                        delegated_at,
                        principal[0],
                        principal[1],
                        {"investigator_user_id": investigator[0], "investigator": investigator[1]},
                    )
                )
                out.delegation = {
                    "investigator_user_id": investigator[0],
                    "delegated_by_user_id": principal[0],
                    "created_at": delegated_at,
                }
                actor = investigator
            payload = {
                "investigator": actor[1],
                "investigator_user_id": actor[0],
                "delegated": plan.delegated,
            }
        elif nxt == Step.INVESTIGATED:
            actor = investigator if plan.delegated else principal
            conclusion = rng.choice(CONCLUSIONS)
            out.case["conclusion"] = conclusion
            payload = {
                "talks": ["subjected", "involved", "staff"],
                "guardians_contacted_on": at.date().isoformat(),
                "findings": " ".join(
                    _some(
                        rng,
                        (texts.findings_unconfirmed or texts.findings)
                        if conclusion == "not_confirmed"
                        else texts.findings,
                        *texts.findings_per_case,
                    )
                ),
                "conclusion": conclusion,
            }
        elif nxt == Step.MEASURES_DECIDED:
            for description in _some(rng, texts.measures, *texts.measures_per_case):
                out.measures.append(
                    {
                        "level": rng.choice(texts.measure_levels),
                        "description": description,
                        "responsible": principal[1],
                        "due_on": (at + timedelta(days=texts.measure_days)).date(),
                        "created_at": at,
                    }
                )
            payload = {
                "measures": [
                    {
                        "level": m["level"],
                        "description": m["description"],
                        "responsible": m["responsible"],
                        "due_on": m["due_on"].isoformat(),
                    }
                    for m in out.measures
                ]
            }
        elif nxt == Step.FOLLOWED_UP:
            actor = investigator if plan.delegated else principal
            payload = {
                "followed_up_on": at.date().isoformat(),
                "stopped": True,
                "notes": FOLLOW_UP_NOTES,
            }
        elif nxt == Step.CLOSED:
            payload = {"summary": CLOSING_SUMMARY}
        out.events.append(Event(str(nxt), at, actor[0], actor[1], payload))
        if (
            plan.commenter is not None
            and texts.comment_share
            and rng.random() < texts.comment_share
        ):
            comment_at = at + timedelta(minutes=rng.randint(5, 600))
            if comment_at < now:
                out.events.append(
                    Event(
                        EventKind.COMMENT,
                        comment_at,
                        plan.commenter[0],
                        plan.commenter[1],
                        {"text": "Huvudmannen följer ärendet."},
                    )
                )
        step = nxt
    return at, step


def add_case(s: Session, organisation_id: int, d: Draft) -> Case:
    """Write a drafted case through the ORM, its timeline through ``append_event``
    (hash chain and step days as for a real case)."""
    case = Case(organisation_id=organisation_id, **d.case)
    s.add(case)
    s.flush()
    for p in d.parties:
        s.add(Party(case_id=case.id, **p))
    for ev in d.events:
        append_event(
            s,
            case,
            ev.kind,
            at=ev.at,
            actor_user_id=ev.actor_user_id,
            actor_label=ev.actor_label,
            payload=ev.payload,
        )
    if d.delegation is not None:
        s.add(Delegation(case_id=case.id, **d.delegation))
    for m in d.measures:
        s.add(Measure(case_id=case.id, **m))
    s.add(case)
    return case
