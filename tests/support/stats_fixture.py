"""A small organisation with known cases, built through the models and the real
timeline service, so every statistics figure can be computed by hand.

Units: Ekskolan (200 pupils; classes 4A 20, 4B 25, 5A without count),
Granskolan (50 pupils, no classes), Tallskolan (no pupil count).

School year 2025/26 (1 Aug 2025 – 31 Jul 2026), times in UTC at midday so the
Swedish day equals the UTC day, except C10 (22:30 UTC on 31 July = 00:30 on
1 August in Sweden):

| case | unit | class | reported | steps (working days from the step before)        |
| C1   | Ek   | 4A    | Mon 1 Sep   | rec 1, start 2, inv 5, meas 1, fu 20, closed (total 30) |
| C2   | Ek   | 4A    | Mon 15 Sep  | rec 3, start 1, inv 10                          |
| C3   | Ek   | 4B    | Mon 6 Oct   | rec 0                                           |
| C4   | Ek   | 5A    | Mon 12 Jan  | –                                               |
| C5   | Gran | 7A    | Mon 3 Nov   | rec 1, start 1, inv 2, meas 1, fu 10, closed (total 15) |
| C6   | Tall | –     | Mon 2 Mar   | rec 2                                           |
| C10  | Gran | –     | 1 Aug 00:30 | –                                               |
Previous school year: C7 (Ek, Sep 2024), C8 (Gran, Mar 2025). Outside: C9 (Dec 2023).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from kb_app.db import session_scope
from kb_app.domain.process import EventKind, Step
from kb_app.domain.vocab import GROUND_CODES, KIND_CODES, Role, to_mask
from kb_app.models import (
    Case,
    Organisation,
    OrgSetting,
    Party,
    RoleAssignment,
    SchoolClass,
    Unit,
    User,
)
from kb_app.services.base.timeline import append_event
from kb_app.services.reporting import references

STEPS = [
    Step.RECEIVED,
    Step.INVESTIGATION_STARTED,
    Step.INVESTIGATED,
    Step.MEASURES_DECIDED,
    Step.FOLLOWED_UP,
    Step.CLOSED,
]


def at(y, m, d, h=10, mi=0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=UTC)


@dataclass
class Fixture:
    org_id: int
    units: dict[str, int]
    users: dict[str, int]
    cases: dict[str, int]
    refs: dict[str, str]


def make_case(
    s,
    org_id: int,
    unit_id: int,
    reported: datetime,
    steps: list[datetime],
    *,
    class_name: str = "",
    grade: str = "",
    kinds: list[str] = (),
    grounds: list[str] = (),
    place: str = "classroom",
    occurred_on: date | None = None,
    occurred_time: str = "",
    staff: bool = False,
    parties: list[tuple[str, str, str, str]] = (),
    description: str = "Händelse.",
) -> Case:
    number, reference = references.allocate(s, org_id, reported.year)
    case = Case(
        organisation_id=org_id,
        unit_id=unit_id,
        reference=reference,
        year=reported.year,
        number=number,
        step=Step.REPORTED,
        reported_at=reported,
        updated_at=reported,
        class_name=class_name,
        grade=grade,
        occurred_on=occurred_on or reported.date(),
        occurred_time=occurred_time,
        place=place,
        description=description,
        kinds=to_mask(list(kinds), KIND_CODES),
        grounds=to_mask(list(grounds), GROUND_CODES),
        staff_involved=staff,
        reporter_name="Anna Holm",
        reporter_email="anna.holm@example.se",
        reporter_role="teacher",
    )
    s.add(case)
    s.flush()
    for role, kind, name, cls in parties:
        s.add(
            Party(
                case_id=case.id,
                role=role,
                kind=kind,
                name=name,
                name_key=" ".join(name.lower().split()),
                class_name=cls,
            )
        )
    append_event(s, case, EventKind.REPORTED, at=reported, actor_label="Anna Holm (anmälare)")
    append_event(s, case, EventKind.ORGANISER_NOTIFIED, at=reported, actor_label="Värna")
    for step, when in zip(STEPS, steps, strict=False):
        append_event(s, case, step, at=when, actor_label="Rektor", payload={})
        case.step = step
        if step == Step.CLOSED:
            case.closed_at = when
    s.add(case)
    s.flush()
    return case


def build() -> Fixture:
    with session_scope() as s:
        org = Organisation(name="Testkommun")
        s.add(org)
        s.flush()
        # Password logins only: the second factor has tests of its own.
        s.add(OrgSetting(organisation_id=org.id, second_factor_roles=""))
        ek = Unit(organisation_id=org.id, name="Ekskolan", kind="grundskola", pupil_count=200)
        gran = Unit(organisation_id=org.id, name="Granskolan", kind="grundskola", pupil_count=50)
        tall = Unit(organisation_id=org.id, name="Tallskolan", kind="grundskola")
        s.add_all([ek, gran, tall])
        s.flush()
        s.add_all(
            [
                SchoolClass(unit_id=ek.id, name="4A", grade="4", pupil_count=20),
                SchoolClass(unit_id=ek.id, name="4B", grade="4", pupil_count=25),
                SchoolClass(unit_id=ek.id, name="5A", grade="5", pupil_count=None),
            ]
        )
        users = {}
        for key, role, unit in [
            ("organiser", Role.ORGANISER, None),
            ("principal", Role.PRINCIPAL, ek.id),
            ("principal_gran", Role.PRINCIPAL, gran.id),
            ("investigator", Role.INVESTIGATOR, None),
            ("admin", Role.ADMIN, None),
        ]:
            u = User(organisation_id=org.id, email=f"{key}@test.se", name=key.capitalize())
            s.add(u)
            s.flush()
            s.add(RoleAssignment(user_id=u.id, role=role, unit_id=unit))
            users[key] = u.id
        c = {}
        c["C1"] = make_case(
            s,
            org.id,
            ek.id,
            at(2025, 9, 1),
            [
                at(2025, 9, 2),
                at(2025, 9, 4),
                at(2025, 9, 11),
                at(2025, 9, 12),
                at(2025, 10, 10),
                at(2025, 10, 13),
            ],
            class_name="4A",
            grade="4",
            kinds=["physical", "verbal"],
            place="schoolyard",
            occurred_time="12:10",
            parties=[
                ("subjected", "pupil", "Elsa Berg", "4A"),
                ("involved", "pupil", "Omar Ali", "4A"),
                ("involved", "staff", "Peter Ström", ""),
            ],
            description="Omar Ali knuffade Elsa vid klätterställningen. Omar sa att Elsa inte fick vara med.",
        )
        c["C2"] = make_case(
            s,
            org.id,
            ek.id,
            at(2025, 9, 15, 9),
            [at(2025, 9, 18), at(2025, 9, 19), at(2025, 10, 3)],
            class_name="4A",
            grade="4",
            kinds=["verbal"],
            grounds=["ethnicity"],
            place="corridor",
            occurred_time="12:40",
            parties=[
                ("subjected", "pupil", "Omar Ali", "4A"),
                ("involved", "pupil", "Elsa Berg", "4A"),
            ],
        )
        c["C3"] = make_case(
            s,
            org.id,
            ek.id,
            at(2025, 10, 6, 8),
            [at(2025, 10, 6, 14)],
            class_name="4B",
            grade="4",
            kinds=["psychosocial"],
            grounds=["sex", "religion"],
            place="schoolyard",
            occurred_on=date(2025, 10, 3),
            occurred_time="12:15",
            staff=True,
            parties=[
                ("subjected", "pupil", "Liam Ek", "4B"),
                ("involved", "staff", "Anna Holm", ""),
            ],
        )
        c["C4"] = make_case(
            s,
            org.id,
            ek.id,
            at(2026, 1, 12),
            [],
            class_name="5A",
            grade="5",
            kinds=["written"],
            place="online",
            occurred_on=date(2026, 1, 11),
            parties=[("subjected", "pupil", "Maja Lind", "5A")],
        )
        c["C5"] = make_case(
            s,
            org.id,
            gran.id,
            at(2025, 11, 3),
            [
                at(2025, 11, 4),
                at(2025, 11, 5),
                at(2025, 11, 7),
                at(2025, 11, 10),
                at(2025, 11, 24),
                at(2025, 11, 24, 15),
            ],
            class_name="7A",
            grade="7",
            kinds=["physical"],
            grounds=["age"],
            place="schoolyard",
            occurred_time="12:30",
            parties=[("subjected", "pupil", "Noah Sund", "7A")],
        )
        c["C6"] = make_case(
            s,
            org.id,
            tall.id,
            at(2026, 3, 2),
            [at(2026, 3, 4)],
            kinds=["verbal"],
            place="dining_hall",
            occurred_time="11:05",
            staff=True,
            parties=[("subjected", "pupil", "Vera Ås", "")],
        )
        c["C10"] = make_case(
            s,
            org.id,
            gran.id,
            at(2025, 7, 31, 22, 30),
            [],
            kinds=["verbal"],
            place="corridor",
            occurred_on=date(2025, 8, 1),
            occurred_time="00:20",
        )
        c["C7"] = make_case(s, org.id, ek.id, at(2024, 9, 10), [], class_name="4A", grade="4")
        c["C8"] = make_case(s, org.id, gran.id, at(2025, 3, 5), [])
        c["C9"] = make_case(s, org.id, ek.id, at(2023, 12, 1), [])
        return Fixture(
            org_id=org.id,
            units={"ek": ek.id, "gran": gran.id, "tall": tall.id},
            users=users,
            cases={k: v.id for k, v in c.items()},
            refs={k: v.reference for k, v in c.items()},
        )
