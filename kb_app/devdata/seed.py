"""Demo data: "Exempelkommun" with four units, one user per role and about 60 cases
spread over every step. Idempotent: does nothing when the organisation exists."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from kb_app.db import session_scope
from kb_app.devdata import cases as gen
from kb_app.domain.process import Step
from kb_app.domain.vocab import Role, UnitKind
from kb_app.models import (
    Organisation,
    OrgSetting,
    ReportLink,
    RoleAssignment,
    SchoolClass,
    Unit,
    User,
)
from kb_app.services.admin import auth
from kb_app.services.base import changes
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
    "Händelsen bekräftas av flera vittnen och av de inblandade själva.",
]
# For "Kränkning ej konstaterad": nothing that says the acts are confirmed.
FINDINGS_UNCONFIRMED = [
    "Uppgifterna går isär. Ingen vuxen såg händelsen och de inblandade förnekar att något inträffat.",
    "Samtal har hållits med den utsatta eleven, de inblandade och berörd personal. Det har inte gått att klarlägga vad som hände.",
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
TEXTS = gen.Texts(
    first=FIRST,
    last=LAST,
    staff=STAFF,
    findings=FINDINGS,
    findings_unconfirmed=FINDINGS_UNCONFIRMED,
    measures=["Samtal med de inblandade och vårdnadshavare; ökad vuxennärvaro på rasterna."],
)


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
        # The demo accounts have no second factor: the demo organisation asks for
        # none (a real organisation asks it of organiser, principal and admin).
        s.add(OrgSetting(organisation_id=org.id, second_factor_roles=""))
        units: dict[str, Unit] = {}
        classes: dict[int, list[SchoolClass]] = {}
        for name, kind, cls in UNITS:
            unit = Unit(
                organisation_id=org.id,
                name=name,
                kind=kind,
                pupil_count=0,
                created_at=org.created_at,
            )
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
            s.add(
                ReportLink(
                    unit_id=unit.id, token=secrets.token_urlsafe(24), created_at=org.created_at
                )
            )
        users: dict[str, User] = {}
        logins: list[DemoLogin] = []
        for role, name, email, unit_names in USERS:
            user = User(
                organisation_id=org.id,
                email=email,
                name=name,
                password_hash=pw_hash,
                created_at=org.created_at,
            )
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
        targets = gen.spread(
            [
                (Step.REPORTED, 7),
                (Step.RECEIVED, 6),
                (Step.INVESTIGATION_STARTED, 8),
                (Step.INVESTIGATED, 7),
                (Step.MEASURES_DECIDED, 9),
                (Step.FOLLOWED_UP, 6),
            ]
        )
        targets += [Step.CLOSED] * max(0, cases - len(targets))
        targets = targets[:cases]
        rng.shuffle(targets)
        # Open cases are recent; closed ones spread over the past months. References are
        # handed out in the order the cases were reported, as in real life.
        planned = sorted(
            (gen.working_hours(now - timedelta(days=rng.randint(*SPAN[t])), now, rng), t)
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
    """Demo case number ``i``: its story, reporter and delegation follow the number,
    the rest is drawn (``gen.draft``)."""
    place, story = STORIES[i % len(STORIES)]
    reporter = REPORTERS[i % len(REPORTERS)]
    classes = [(c.name, c.grade) for c in unit_classes]
    recurring = None
    if i % 20 == 5 and any(name == RECURRING_CLASS for name, _ in classes):
        # One pupil recurs over the year, so "Upprepade händelser" has something to show.
        recurring = (RECURRING_CLASS, RECURRING_PUPIL)
    number, reference = references.allocate(s, org_id, reported_at.year)
    plan = gen.Plan(
        unit_id=unit.id,
        year=reported_at.year,
        number=number,
        reference=reference,
        reported_at=reported_at,
        target=target,
        classes=classes,
        principal=(principal.id, principal.name),
        investigator=(investigator.id, investigator.name),
        delegated=i % 3 == 0,
        staff_case=i % len(STORIES) == 7,
        grounds=1 if i % 4 == 0 else 0,
        reporter=reporter,
        reporter_label=f"{reporter[0]} (anmälare)",
        place=place,
        story=story,
        immediate_actions="Pratade med de inblandade direkt och skilde dem åt.",
        witnesses="Rastvakt" if i % 3 == 0 else "",
        recurring=recurring,
    )
    gen.add_case(s, org_id, gen.draft(rng, plan, TEXTS, now=now))
