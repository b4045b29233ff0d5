"""A case made to trip a reply pack's masking: two subjected siblings with the same
surname (Noah and Elsa Berg), a principal who shares it (Karin Berg), two involved
pupils who share a surname only with each other (Oskar and Vera Lindqvist), a name
with å/ä/ö (Ali Öberg), names inside other words ("Alice", "Alicia",
"Bergström", "Lindqvistgården"), genitives ("Noahs", "Noah:s", "Oskars", "Jens
Eks"), an involved staff member (Åsa Nyström), an external person (Jens Ek), a
reporter (Anna Holm) and an investigator (Per Lind). Every step's record,
measures, a supplement and a comment name them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlmodel import select

from kb_app.db import session_scope
from kb_app.domain.process import EventKind, Step
from kb_app.domain.vocab import Role
from kb_app.models import (
    Delegation,
    Measure,
    Organisation,
    OrgSetting,
    Party,
    RoleAssignment,
    Unit,
    User,
)
from kb_app.services.base.timeline import append_event
from tests.support.stats_fixture import make_case


def at(m, d, h=10) -> datetime:
    return datetime(2026, m, d, h, tzinfo=UTC)


DESCRIPTION = (
    "Oskar och Ali Öberg tog Noahs bricka i matsalen. Elsa Berg såg det. "
    "Alice i 5A och fröken Bergström hjälpte Noah. Oskars vårdnadshavare ringde "
    "Karin Berg. Noah:s mamma ringde också. ÖBERG skrek. Lindqvist sprang iväg mot "
    "Lindqvistgården."
)


@dataclass
class PackFixture:
    case_id: int
    reference: str
    parties: dict[str, int]  # first name -> party id
    users: dict[str, int]


def build() -> PackFixture:
    with session_scope() as s:
        org = Organisation(name="Testkommun")
        s.add(org)
        s.flush()
        # Password logins only: the second factor has tests of its own.
        s.add(OrgSetting(organisation_id=org.id, second_factor_roles=""))
        unit = Unit(organisation_id=org.id, name="Ekskolan", kind="grundskola")
        other_unit = Unit(organisation_id=org.id, name="Granskolan", kind="grundskola")
        s.add_all([unit, other_unit])
        s.flush()
        users = {}
        for key, name, role, unit_id in [
            ("organiser", "Hanna Huvudman", Role.ORGANISER, None),
            ("principal", "Karin Berg", Role.PRINCIPAL, unit.id),
            ("principal_gran", "Göran Gran", Role.PRINCIPAL, other_unit.id),
            ("investigator", "Per Lind", Role.INVESTIGATOR, None),
        ]:
            u = User(organisation_id=org.id, email=f"{key}@test.se", name=name)
            s.add(u)
            s.flush()
            s.add(RoleAssignment(user_id=u.id, role=role, unit_id=unit_id))
            users[key] = u.id
        case = make_case(
            s,
            org.id,
            unit.id,
            at(9, 7),
            [],
            class_name="5B",
            grade="5",
            kinds=["physical", "verbal"],
            grounds=["ethnicity"],
            place="dining_hall",
            occurred_on=date(2026, 9, 4),
            occurred_time="11:45",
            staff=True,
            parties=[
                ("subjected", "pupil", "Noah Berg", "5B"),
                ("subjected", "pupil", "Elsa Berg", "5B"),
                ("involved", "pupil", "Oskar Lindqvist", "5B"),
                ("involved", "pupil", "Ali Öberg", "5B"),
                ("involved", "pupil", "Vera Lindqvist", "5B"),
                ("involved", "staff", "Åsa Nyström", ""),
                ("involved", "external", "Jens Ek", ""),
            ],
            description=DESCRIPTION,
        )
        case.reporter_name = "Anna Holm"
        case.immediate_actions = "Åsa Nyström skilde Oskar och Noah åt."
        case.witnesses = "Alicia och Elsa"
        case.guardians_informed = "yes"
        pid = {
            p.name.split()[0]: p.id for p in s.exec(select(Party).where(Party.case_id == case.id))
        }
        principal, investigator = users["principal"], users["investigator"]

        def ev(kind, when, who, payload=None, label=None):
            name = {principal: "Karin Berg", investigator: "Per Lind"}[who]
            append_event(
                s,
                case,
                kind,
                at=when,
                actor_user_id=who,
                actor_label=label or name,
                payload=payload or {},
            )

        ev(EventKind.RECEIVED, at(9, 8), principal)
        ev(EventKind.DELEGATED, at(9, 8, 11), principal, {"investigator": "Per Lind"})
        s.add(
            Delegation(
                case_id=case.id,
                investigator_user_id=investigator,
                delegated_by_user_id=principal,
                created_at=at(9, 8, 11),
            )
        )
        ev(
            EventKind.INVESTIGATION_STARTED,
            at(9, 8, 14),
            investigator,
            {"investigator": "Per Lind"},
        )
        ev(
            EventKind.INVESTIGATED,
            at(9, 15),
            investigator,
            {
                "talks": ["subjected", "involved", "staff"],
                "guardians_contacted_on": "2026-09-10",
                "conclusion": "confirmed",
                "findings": (
                    "Elsas berättelse stämmer med Oskars. Ali:s kompis Alicia bekräftade. "
                    "Åsas anteckningar visar samma sak."
                ),
            },
        )
        measures = [
            {
                "level": "individual",
                "description": "Samtal med Oskar och hans vårdnadshavare",
                "responsible": "Åsa Nyström",
                "due_on": "2026-10-01",
            },
            {
                "level": "group",
                "description": "Vuxen i matsalen när 5B äter; Ali Öbergs plats flyttas",
                "responsible": "Karin Berg",
                "due_on": "2026-09-25",
            },
        ]
        decided = append_event(
            s,
            case,
            EventKind.MEASURES_DECIDED,
            at=at(9, 17),
            actor_user_id=principal,
            actor_label="Karin Berg",
            payload={"measures": measures, "none_needed": False, "none_reason": ""},
        )
        for m in measures:
            s.add(
                Measure(
                    case_id=case.id,
                    level=m["level"],
                    description=m["description"],
                    responsible=m["responsible"],
                    due_on=date.fromisoformat(m["due_on"]),
                    created_at=at(9, 17),
                    event_id=decided.id,
                )
            )
        ev(
            EventKind.FOLLOWED_UP,
            at(10, 15),
            principal,
            {
                "followed_up_on": "2026-10-15",
                "stopped": True,
                "notes": "Noah och Elsa mår bättre. Jens Eks buss har fått en vuxen till.",
            },
        )
        append_event(
            s,
            case,
            EventKind.SUPPLEMENT,
            at=at(10, 16),
            actor_label="Anna Holm (anmälare)",
            payload={"text": "Oskars pappa hörde av sig till Anna Holm."},
        )
        ev(EventKind.COMMENT, at(10, 17), principal, {"text": "Ring Åsas kollega om Vera."})
        ev(
            EventKind.CLOSED,
            at(10, 20),
            principal,
            {"summary": "Avslutat. Noahs och Veras klass mår bra."},
        )
        case.step = Step.CLOSED
        case.closed_at = at(10, 20)
        case.responsible_user_id = principal
        s.add(case)
        s.flush()
        return PackFixture(case.id, case.reference, pid, users)
