"""Demo data: "Exempelkommun" with four units, one user per role and about 60 cases
spread over every step. Idempotent: does nothing when the organisation exists."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from kb_app.db import session_scope
from kb_app.domain import deadlines
from kb_app.domain.fmt import TZ
from kb_app.domain.process import STEP_ORDER, EventKind, Step, next_step
from kb_app.domain.vocab import GROUND_CODES, KIND_CODES, Role, UnitKind, to_mask
from kb_app.models import (
    Case,
    Delegation,
    Measure,
    Organisation,
    OrgSetting,
    Party,
    ReportLink,
    RoleAssignment,
    SchoolClass,
    Unit,
    User,
)
from kb_app.services.admin import auth
from kb_app.services.base import changes
from kb_app.services.base.timeline import append_event
from kb_app.services.reporting import references

ORG_NAME = "Exempelkommun"
DEMO_PASSWORD = "varna-demo-2026"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    name: str
    email: str
    password: str


UNITS = [
    (
        "Solrosens förskola",
        UnitKind.PRESCHOOL,
        [("Avdelning Blåklockan", ""), ("Avdelning Smultronet", ""), ("Avdelning Vitsippan", "")],
    ),
    (
        "Björkskolan F–6",
        UnitKind.COMPULSORY,
        [
            ("F A", "F"),
            ("1A", "1"),
            ("2A", "2"),
            ("3A", "3"),
            ("4A", "4"),
            ("4B", "4"),
            ("5A", "5"),
            ("6A", "6"),
            ("6B", "6"),
        ],
    ),
    (
        "Ekbackeskolan 7–9",
        UnitKind.COMPULSORY,
        [("7A", "7"), ("7B", "7"), ("8A", "8"), ("8B", "8"), ("9A", "9"), ("9B", "9")],
    ),
    (
        "Strandgymnasiet",
        UnitKind.UPPER_SECONDARY,
        [("NA22", "G1"), ("SA22", "G1"), ("TE21", "G2"), ("EK21", "G2"), ("BF20", "G3")],
    ),
]

USERS = [
    (Role.ADMIN, "Alva Sandberg", "admin@exempelkommun.se", None),
    (Role.ORGANISER, "Maria Lindqvist", "huvudman@exempelkommun.se", None),
    (
        Role.PRINCIPAL,
        "Karin Berg",
        "rektor@exempelkommun.se",
        ["Björkskolan F–6", "Solrosens förskola"],
    ),
    (
        Role.PRINCIPAL,
        "Johan Ek",
        "rektor.ekbacke@exempelkommun.se",
        ["Ekbackeskolan 7–9", "Strandgymnasiet"],
    ),
    (Role.INVESTIGATOR, "Sara Nilsson", "utredare@exempelkommun.se", None),
]

FIRST = [
    "Elsa",
    "Liam",
    "Alice",
    "Noah",
    "Maja",
    "Hugo",
    "Vera",
    "Elias",
    "Selma",
    "Oscar",
    "Alma",
    "William",
    "Wilma",
    "Lucas",
    "Ella",
    "Adam",
    "Ebba",
    "Ali",
    "Leah",
    "Omar",
    "Nora",
    "Isak",
    "Saga",
    "Milo",
]
LAST = [
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Pettersson",
    "Jonsson",
    "Hassan",
    "Lindberg",
    "Axelsson",
    "Berglund",
]
STAFF = [
    "Anna Holm (lärare)",
    "Peter Ström (fritidspedagog)",
    "Lisa Ekström (barnskötare)",
    "Erik Dahl (lärare)",
]
REPORTERS = [
    ("Anna Holm", "anna.holm@exempelkommun.se", "teacher"),
    ("Lisa Ekström", "lisa.ekstrom@exempelkommun.se", "childminder"),
    ("Erik Dahl", "erik.dahl@exempelkommun.se", "teacher"),
    ("Fatima Rahimi", "fatima.rahimi@exempelkommun.se", "student_health"),
    ("Peter Ström", "peter.strom@exempelkommun.se", "leisure"),
]
STORIES = [
    (
        "schoolyard",
        "Under lunchrasten knuffade två elever {s} upprepade gånger vid klätterställningen och sa att hen inte fick vara med. {s} blev ledsen och gick in till fritids.",
    ),
    (
        "corridor",
        "{s} berättade att några elever i korridoren har kallat hen fula ord flera dagar i rad, bland annat kommentarer om hens utseende.",
    ),
    (
        "online",
        "{s} har fått elaka meddelanden i en gruppchatt där flera klasskamrater deltar. Skärmdumpar visades för mentor.",
    ),
    (
        "dining_hall",
        "I matsalen tog en elev {s}s bricka och de andra vid bordet skrattade. {s} ville inte äta med klassen efteråt.",
    ),
    (
        "changing_room",
        "Efter idrottslektionen filmade en elev {s} i omklädningsrummet utan lov. Filmen har enligt uppgift visats för andra.",
    ),
    (
        "classroom",
        "Under lektionen sa en elev nedsättande saker om {s}s religion. Flera skrattade och {s} lämnade klassrummet.",
    ),
    (
        "commute",
        "{s} berättar att hen blir hotad av äldre elever på vägen hem från skolan, vid busshållplatsen.",
    ),
    (
        "classroom",
        "{s} uppger att en vuxen i verksamheten har talat till hen på ett kränkande sätt inför gruppen.",
    ),
]
FINDINGS = [
    "Samtal har hållits med den utsatta eleven, de inblandade och berörd personal. Händelsen bekräftas i sak.",
    "Uppgifterna går isär. Ingen vuxen såg händelsen och de inblandade förnekar att något inträffat.",
    "Händelsen bekräftas av flera vittnen och av de inblandade själva.",
]


SPAN = {
    Step.REPORTED: (0, 4),
    Step.RECEIVED: (2, 8),
    Step.INVESTIGATION_STARTED: (4, 15),
    Step.INVESTIGATED: (10, 25),
    Step.MEASURES_DECIDED: (15, 40),
    Step.FOLLOWED_UP: (35, 70),
    Step.CLOSED: (45, 330),
}


RECURRING_PUPIL = "Elsa Andersson"
RECURRING_CLASS = "4A"


def _school_day_before(reported_at: datetime, days: int):
    """The incident's date: ``days`` before the report, moved back to a school day."""
    d = (reported_at.astimezone(TZ) - timedelta(days=days)).date()
    while not deadlines.is_working_day(d):
        d -= timedelta(days=1)
    return d


def _working_hours(day: datetime, now: datetime, rng: random.Random) -> datetime:
    """A time between 07:30 and 16:00 Swedish time on the school day ``day`` (or the
    one before it), never after ``now``."""
    local = day.astimezone(TZ).replace(hour=7, minute=30, second=0, microsecond=0)
    while not deadlines.is_working_day(local.date()):
        local -= timedelta(days=1)
    at = (local + timedelta(minutes=rng.randint(0, 510))).astimezone(UTC)
    return min(at, now - timedelta(minutes=rng.randint(20, 90)))


def _bdays_later(at: datetime, rng: random.Random, lo: int, hi: int) -> datetime:
    """A working-hours time some working days after ``at``, always later than ``at``."""
    d = deadlines.add_working_days(at.astimezone(TZ).date(), rng.randint(lo, hi))
    candidate = datetime(d.year, d.month, d.day, rng.randint(7, 15), rng.randint(0, 59), tzinfo=TZ)
    return max(candidate.astimezone(UTC), at + timedelta(minutes=rng.randint(15, 90)))


def seed_demo(
    *, now: datetime, cases: int = 60, rng_seed: int = 20261124
) -> list[DemoLogin] | None:
    """Create the demo organisation. Returns the logins, or None if it existed."""
    rng = random.Random(rng_seed)
    pw_hash = auth.hash_password(DEMO_PASSWORD)
    with session_scope() as s:
        if s.exec(select(Organisation).where(Organisation.name == ORG_NAME)).first():
            return None
        org = Organisation(name=ORG_NAME, created_at=now - timedelta(days=400))
        s.add(org)
        s.flush()
        s.add(OrgSetting(organisation_id=org.id))
        units: dict[str, Unit] = {}
        classes: dict[int, list[SchoolClass]] = {}
        for name, kind, cls in UNITS:
            unit = Unit(organisation_id=org.id, name=name, kind=kind, pupil_count=0)
            s.add(unit)
            s.flush()
            units[name] = unit
            classes[unit.id] = []
            for cname, grade in cls:
                sc = SchoolClass(
                    unit_id=unit.id, name=cname, grade=grade, pupil_count=rng.randint(16, 28)
                )
                s.add(sc)
                classes[unit.id].append(sc)
                unit.pupil_count += sc.pupil_count
            s.add(ReportLink(unit_id=unit.id, token=secrets.token_urlsafe(24)))
        users: dict[str, User] = {}
        logins: list[DemoLogin] = []
        for role, name, email, unit_names in USERS:
            user = User(organisation_id=org.id, email=email, name=name, password_hash=pw_hash)
            s.add(user)
            s.flush()
            users[email] = user
            if unit_names:
                for un in unit_names:
                    s.add(RoleAssignment(user_id=user.id, role=role, unit_id=units[un].id))
            else:
                s.add(RoleAssignment(user_id=user.id, role=role))
            logins.append(DemoLogin(role=role, name=name, email=email, password=DEMO_PASSWORD))
        s.flush()
        principal_of = {
            units["Björkskolan F–6"].id: users["rektor@exempelkommun.se"],
            units["Solrosens förskola"].id: users["rektor@exempelkommun.se"],
            units["Ekbackeskolan 7–9"].id: users["rektor.ekbacke@exempelkommun.se"],
            units["Strandgymnasiet"].id: users["rektor.ekbacke@exempelkommun.se"],
        }
        investigator = users["utredare@exempelkommun.se"]
        unit_list = list(units.values())
        # Steps the demo cases stop at, spread so every step is present.
        targets = (
            [Step.REPORTED] * 7
            + [Step.RECEIVED] * 6
            + [Step.INVESTIGATION_STARTED] * 8
            + [Step.INVESTIGATED] * 7
            + [Step.MEASURES_DECIDED] * 9
            + [Step.FOLLOWED_UP] * 6
        )
        targets += [Step.CLOSED] * max(0, cases - len(targets))
        targets = targets[:cases]
        rng.shuffle(targets)
        # Open cases are recent; closed ones spread over the past months. References are
        # handed out in the order the cases were reported, as in real life.
        planned = sorted(
            (_working_hours(now - timedelta(days=rng.randint(*SPAN[t])), now, rng), t)
            for t in targets
        )
        for i, (reported_at, target) in enumerate(planned):
            unit = unit_list[i % len(unit_list)] if i % 5 else unit_list[1]
            _seed_case(
                s,
                rng,
                org.id,
                unit,
                classes[unit.id],
                principal_of[unit.id],
                investigator,
                target,
                reported_at,
                now,
                i,
            )
        changes.bump(s, org.id, now)
    return logins


def _seed_case(
    s: Session,
    rng: random.Random,
    org_id: int,
    unit: Unit,
    unit_classes: list[SchoolClass],
    principal: User,
    investigator: User,
    target: Step,
    reported_at: datetime,
    now: datetime,
    i: int,
) -> None:
    sc = rng.choice(unit_classes)
    subj = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    recurring = next((c for c in unit_classes if c.name == RECURRING_CLASS), None)
    if i % 20 == 5 and recurring is not None:
        # One pupil recurs over the year, so "Upprepade händelser" has something to show.
        sc, subj = recurring, RECURRING_PUPIL
    place, story = STORIES[i % len(STORIES)]
    staff_case = i % len(STORIES) == 7
    reporter = REPORTERS[i % len(REPORTERS)]
    kinds = rng.sample(KIND_CODES, rng.randint(1, 2))
    grounds = rng.sample(GROUND_CODES, 1) if i % 4 == 0 else []
    number, reference = references.allocate(s, org_id, reported_at.year)
    case = Case(
        organisation_id=org_id,
        unit_id=unit.id,
        reference=reference,
        year=reported_at.year,
        number=number,
        step=Step.REPORTED,
        responsible_user_id=principal.id,
        reported_at=reported_at,
        updated_at=reported_at,
        class_name=sc.name,
        grade=sc.grade,
        occurred_on=_school_day_before(reported_at, rng.randint(0, 2)),
        occurred_time=f"{rng.randint(8, 15):02d}:{rng.choice([0, 15, 30, 45]):02d}",
        place=place,
        description=story.format(s=subj.split()[0]),
        kinds=to_mask(kinds, KIND_CODES),
        grounds=to_mask(grounds, GROUND_CODES),
        immediate_actions="Pratade med de inblandade direkt och skilde dem åt.",
        guardians_informed=rng.choice(["yes", "no", "unknown"]),
        witnesses="Rastvakt" if i % 3 == 0 else "",
        staff_involved=staff_case,
        reporter_name=reporter[0],
        reporter_email=reporter[1],
        reporter_role=reporter[2],
        due_at=deadlines.due_at(reported_at, deadlines.DEFAULT_LIMITS[Step.RECEIVED]),
    )
    s.add(case)
    s.flush()
    s.add(
        Party(
            case_id=case.id,
            role="subjected",
            kind="pupil",
            name=subj,
            name_key=subj.lower(),
            class_name=sc.name,
            grade=sc.grade,
        )
    )
    if staff_case:
        staff = rng.choice(STAFF)
        s.add(
            Party(
                case_id=case.id, role="involved", kind="staff", name=staff, name_key=staff.lower()
            )
        )
    else:
        for _ in range(rng.randint(1, 2)):
            other = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            s.add(
                Party(
                    case_id=case.id,
                    role="involved",
                    kind="pupil",
                    name=other,
                    name_key=other.lower(),
                    class_name=sc.name,
                    grade=sc.grade,
                )
            )
    append_event(
        s,
        case,
        EventKind.REPORTED,
        at=reported_at,
        actor_label=f"{reporter[0]} (anmälare)",
        payload={"reference": reference},
    )
    append_event(
        s,
        case,
        EventKind.ORGANISER_NOTIFIED,
        at=reported_at,
        actor_label="Värna (automatiskt)",
        payload={},
    )
    at = reported_at
    delegated = i % 3 == 0
    step = Step.REPORTED
    while step != target:
        nxt = next_step(step)
        at = min(
            _bdays_later(at, rng, 0, 3 if nxt != Step.FOLLOWED_UP else 18),
            now - timedelta(minutes=5),
        )
        actor = principal
        payload: dict = {}
        if nxt == Step.INVESTIGATION_STARTED:
            if delegated:
                append_event(
                    s,
                    case,
                    EventKind.DELEGATED,
                    at=at,
                    actor_user_id=principal.id,
                    actor_label=principal.name,
                    payload={
                        "investigator_user_id": investigator.id,
                        "investigator": investigator.name,
                    },
                )
                s.add(
                    Delegation(
                        case_id=case.id,
                        investigator_user_id=investigator.id,
                        delegated_by_user_id=principal.id,
                        created_at=at,
                    )
                )
                actor = investigator
            payload = {"investigator": actor.name}
        elif nxt == Step.INVESTIGATED:
            actor = investigator if delegated else principal
            conclusion = rng.choice(["confirmed", "confirmed", "not_confirmed", "harassment"])
            case.conclusion = conclusion
            payload = {
                "talks": ["subjected", "involved", "staff"],
                "guardians_contacted_on": at.date().isoformat(),
                "findings": rng.choice(FINDINGS),
                "conclusion": conclusion,
            }
        elif nxt == Step.MEASURES_DECIDED:
            m = Measure(
                case_id=case.id,
                level=rng.choice(["individual", "group"]),
                description="Samtal med de inblandade och vårdnadshavare; ökad vuxennärvaro på rasterna.",
                responsible=principal.name,
                due_on=(at + timedelta(days=14)).date(),
                created_at=at,
            )
            s.add(m)
            payload = {
                "measures": [
                    {
                        "level": m.level,
                        "description": m.description,
                        "responsible": m.responsible,
                        "due_on": m.due_on.isoformat(),
                    }
                ]
            }
        elif nxt == Step.FOLLOWED_UP:
            actor = investigator if delegated else principal
            payload = {
                "followed_up_on": at.date().isoformat(),
                "stopped": True,
                "notes": "Eleven upplever att det har blivit bättre. Inga nya händelser.",
            }
        elif nxt == Step.CLOSED:
            payload = {"summary": "Åtgärderna har haft effekt. Ärendet avslutas."}
        append_event(
            s, case, nxt, at=at, actor_user_id=actor.id, actor_label=actor.name, payload=payload
        )
        step = nxt
    case.step = step
    case.updated_at = at
    if step == Step.CLOSED:
        case.closed_at = at
        case.due_at = None
    else:
        limit = deadlines.DEFAULT_LIMITS.get(next_step(step))
        case.due_at = deadlines.due_at(at, limit) if limit is not None else None
    if (
        delegated
        and STEP_ORDER.index(step) >= STEP_ORDER.index(Step.INVESTIGATION_STARTED)
        and step != Step.CLOSED
    ):
        case.responsible_user_id = investigator.id
    s.add(case)
