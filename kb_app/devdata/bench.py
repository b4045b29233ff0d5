"""A large, realistic organisation for the benchmark (``kb-app seed-bench``).

"Storkommun": units of every kind with their classes, principals, investigators
and organisers, and cases spread over ten school years (fewer in the summer,
more each year) in every step, with parties, measures, delegations, a full
hash-chained timeline per case (``domain.hashing``, so the chain verifies) and
the step days statistics read. The cases come from the demo's generator
(``devdata.cases``) with a larger vocabulary; they are written in bulk
(``devdata.bulk``: Core inserts in large batches, ids assigned here) into their
own database; 200 000 cases take a few minutes.
"""

from __future__ import annotations

import bisect
import random
import time as _time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from kb_app.db import session_scope
from kb_app.devdata import bulk
from kb_app.devdata import cases as gen
from kb_app.domain import deadlines
from kb_app.domain.fmt import TZ
from kb_app.domain.hashing import GENESIS, canonical_payload, case_seal, event_hash
from kb_app.domain.process import Step
from kb_app.domain.statistics import STEP_DAY_COLUMNS, working_days
from kb_app.domain.vocab import (
    PLACES,
    REPORTER_ROLES,
    Role,
    UnitKind,
)
from kb_app.models import (
    Case,
    CaseEvent,
    ChangeCounter,
    Delegation,
    Measure,
    Organisation,
    OrgSetting,
    Party,
    ReferenceCounter,
    ReportLink,
    RoleAssignment,
    SchoolClass,
    Unit,
    User,
)
from kb_app.services.base import changes
from kb_app.services.reporting import references
from kb_app.services.reporting.references import format_reference
from kb_app.settings import audit_key

ORG_NAME = "Storkommun"
BENCH_PASSWORD = "bench-losen-2026"
DOMAIN = "storkommun.se"
ORGANISER_EMAIL = f"huvudman@{DOMAIN}"

PLACE_PREFIX = (
    "Björk Ek Lind Sol Äng Sjö Berg Strand Ål Gran Tall Rönn Hassel Lärk Ås Öster Väster "
    "Norr Söder Kvarn Hag Mo Vik Ekeby Fjäll Dal Skogs Äppel Körsbärs Lönn Alm Asp Vide "
    "Mås Trast Lärke Sparv Tran Svan Örn Blåbärs Lingon Hjortron Kastanj Ljung Mossa "
    "Näckros Vitsippe Kloster Torp"
).split()
PLACE_SUFFIX = ["backen", "dalen", "hagen", "gården", "lunden", "vägen", "ängen", "åsen", "viken"]

FIRST = (
    "Elsa Liam Alice Noah Maja Hugo Vera Elias Selma Oscar Alma William Wilma Lucas Ella "
    "Adam Ebba Ali Leah Omar Nora Isak Saga Milo Astrid Sixten Freja Olle Ines Aron Juni "
    "Melvin Tyra Kevin Amira Yusuf Leo Ester Colin Stella Nils Ida Alva Viggo Siri Måns "
    "Agnes Edvin Hanna Theo Lova Gustav Klara Axel Signe Malte Lykke Ibrahim Sara Jonas"
).split()
LAST = (
    "Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson Persson Svensson "
    "Gustafsson Pettersson Jonsson Hassan Lindberg Axelsson Berglund Lindqvist Sandberg "
    "Holm Ström Dahl Ekström Rahimi Lundgren Björk Sjöberg Wallin Engström Håkansson "
    "Mohammed Ali Nguyen Öberg Åberg Forsberg Hedlund Nyström Lind Ahmed Jakobsson"
).split()

SENTENCES = [
    "Under lunchrasten knuffade två elever {s} upprepade gånger vid klätterställningen.",
    "{s} berättade för sin mentor att några klasskamrater har kallat hen fula ord flera dagar i rad.",
    "Enligt {s} har det pågått sedan början av terminen men blivit värre de senaste veckorna.",
    "Rastvakten såg att {s} stod ensam och grät bakom förrådet och gick fram för att prata.",
    "{s} har fått elaka meddelanden i en gruppchatt där flera i klassen deltar.",
    "Skärmdumpar från chatten visades för mentor och har sparats.",
    "I matsalen tog en elev {s}s bricka och de andra vid bordet skrattade.",
    "{s} ville efteråt inte äta tillsammans med klassen och gick hem tidigt.",
    "Efter idrottslektionen ska en elev ha filmat {s} i omklädningsrummet utan lov.",
    "Filmen har enligt uppgift visats för andra elever på en lektion.",
    "Under lektionen sa en elev nedsättande saker om {s}s ursprung och flera skrattade.",
    "{s} lämnade klassrummet och ville inte komma tillbaka resten av dagen.",
    "{s} uppger att äldre elever hotar hen på vägen hem, vid busshållplatsen.",
    "Vårdnadshavare har hört av sig och är oroliga för att {s} inte vill gå till skolan.",
    "{s} säger att en vuxen i verksamheten har talat till hen på ett kränkande sätt inför gruppen.",
    "Personalen på avdelningen har märkt att {s} ofta lämnas utanför i leken.",
    "Några barn har sagt att {s} inte får vara med eftersom hen är för liten.",
    "Händelsen ska ha skett i samband med att gruppen gick till skogen.",
    "Flera elever bekräftar att det har förekommit kommentarer om {s}s kropp.",
    "{s} har blivit kallad saker som anspelar på hens sexuella läggning.",
    "Det rör sig enligt {s} om samma elever som vid tidigare tillfällen i höstas.",
    "Anmälaren bedömer att {s} mår dåligt och att situationen behöver följas upp snabbt.",
]
ACTIONS = [
    "Pratade med de inblandade direkt och skilde dem åt.",
    "Kontaktade vårdnadshavare samma dag och informerade om vad som hänt.",
    "Ökad vuxennärvaro på rasterna tills vidare.",
    "Meddelade mentor och elevhälsan.",
    "Samtalade med hela gruppen om hur vi är mot varandra.",
    "Tog bort filmen tillsammans med eleven och informerade rektor.",
]
_NEUTRAL_FINDINGS = [
    "Samtal har hållits med den utsatta eleven, de inblandade och berörd personal.",
    "Vårdnadshavare till samtliga inblandade har kontaktats och fått information.",
    "Personal på fritidshemmet har bidragit med iakttagelser från eftermiddagarna.",
]
FINDINGS = [
    *_NEUTRAL_FINDINGS,
    "Händelsen bekräftas i sak av flera vittnen och av de inblandade själva.",
    "Utredningen visar ett mönster av upprepade kommentarer under flera veckor.",
    "Den inblandade eleven har erkänt och bett om ursäkt.",
    "Skolan bedömer att det rör sig om kränkande behandling enligt skollagen 6 kap.",
]
FINDINGS_UNCONFIRMED = [
    *_NEUTRAL_FINDINGS,
    "Uppgifterna går isär. Ingen vuxen såg händelsen och de inblandade förnekar att något inträffat.",
    "Det har inte gått att klarlägga vad som hände.",
]
MEASURE_TEXTS = [
    "Samtal med de inblandade eleverna och deras vårdnadshavare.",
    "Ökad vuxennärvaro i korridoren och på skolgården under raster.",
    "Värdegrundsarbete i klassen under sex veckor med stöd av kurator.",
    "Ny placering i klassrummet och i matsalen.",
    "Kompetensutveckling för personalen om normkritiskt förhållningssätt.",
    "Uppföljande samtal med kurator varannan vecka.",
]
STAFF = [f"{first} {last}" for first, last in zip(FIRST[::2], LAST, strict=False)]
TEXTS = gen.Texts(
    first=FIRST,
    last=LAST,
    staff=STAFF,
    findings=FINDINGS,
    findings_unconfirmed=FINDINGS_UNCONFIRMED,
    measures=MEASURE_TEXTS,
    findings_per_case=(2, 5),
    measures_per_case=(1, 3),
    measure_levels=("individual", "group", "organisational"),
    measure_days=21,
    involved=(0, 3),
    involved_kinds=("pupil", "pupil", "pupil", "unknown", "external"),
    comment_share=0.08,
)
# Units of each kind per hundred.
UNIT_KINDS = {
    UnitKind.PRESCHOOL: 44,
    UnitKind.COMPULSORY: 36,
    UnitKind.UPPER_SECONDARY: 8,
    UnitKind.LEISURE: 8,
    UnitKind.OTHER: 4,
}
PROGRAMS = ["NA", "SA", "TE", "EK", "BF", "EL", "IN", "VO", "ES", "HA"]

# Steps a case stops at, by its age in days: (max age, [(step, weight), ...])
AGE_STEPS = [
    (2, [(Step.REPORTED, 6), (Step.RECEIVED, 3)]),
    (7, [(Step.REPORTED, 1), (Step.RECEIVED, 3), (Step.INVESTIGATION_STARTED, 6)]),
    (25, [(Step.INVESTIGATION_STARTED, 4), (Step.INVESTIGATED, 4), (Step.MEASURES_DECIDED, 3)]),
    (70, [(Step.MEASURES_DECIDED, 4), (Step.FOLLOWED_UP, 4), (Step.CLOSED, 3)]),
    (150, [(Step.FOLLOWED_UP, 2), (Step.CLOSED, 10)]),
]
# Old cases still open (forgotten or stuck): a share of them, at some step.
STUCK_SHARE = 0.004
STUCK_STEPS = [Step.RECEIVED, Step.INVESTIGATION_STARTED, Step.INVESTIGATED, Step.MEASURES_DECIDED]


@dataclass
class Report:
    cases: int = 0
    events: int = 0
    parties: int = 0
    logins: list[tuple[str, str]] = field(default_factory=list)
    units: int = 0
    users: int = 0
    seconds: float = 0.0


@dataclass
class _Ids:
    """Next id per table (ids are assigned here so rows can refer to each other)."""

    next: dict[str, int] = field(default_factory=dict)

    def take(self, table: str) -> int:
        n = self.next.get(table, 1)
        self.next[table] = n + 1
        return n


def _unit_plan(
    n_units: int, rng: random.Random
) -> list[tuple[str, str, list[tuple[str, str]], int]]:
    """(name, kind, classes [(name, grade)], pupils) for every unit."""
    names: set[str] = set()

    def place() -> str:
        while True:
            p = rng.choice(PLACE_PREFIX) + rng.choice(PLACE_SUFFIX)
            p = p[0].upper() + p[1:]
            if p not in names:
                names.add(p)
                return p
            if len(names) > len(PLACE_PREFIX) * len(PLACE_SUFFIX) - 5:
                p = f"{p} {len(names)}"
                names.add(p)
                return p

    kinds = gen.spread(UNIT_KINDS.items())
    units = []
    for i in range(n_units):
        kind = kinds[i % len(kinds)] if n_units >= 5 else list(UnitKind)[i % 5]
        classes: list[tuple[str, str]] = []
        if kind == UnitKind.PRESCHOOL:
            name = f"{place()}s förskola"
            for g in rng.sample(
                ["Blåklockan", "Smultronet", "Vitsippan", "Ekorren", "Myran", "Humlan", "Solen"],
                rng.randint(3, 6),
            ):
                classes.append((f"Avdelning {g}", ""))
        elif kind == UnitKind.COMPULSORY:
            span = rng.choice(["F–6", "F–6", "7–9", "F–9"])
            name = f"{place()}skolan {span}"
            grades = {
                "F–6": ["F", *map(str, range(1, 7))],
                "7–9": ["7", "8", "9"],
                "F–9": ["F", *map(str, range(1, 10))],
            }[span]
            for g in grades:
                for par in "ABCD"[: rng.randint(1, 3 if span != "7–9" else 4)]:
                    classes.append((f"{g}{par}" if g != "F" else f"F{par}", g))
        elif kind == UnitKind.UPPER_SECONDARY:
            name = f"{place()}gymnasiet"
            for prog in rng.sample(PROGRAMS, rng.randint(3, 7)):
                for g, yr in (("G1", 26), ("G2", 25), ("G3", 24)):
                    classes.append((f"{prog}{yr}", g))
        elif kind == UnitKind.LEISURE:
            name = f"Fritidshemmet {place()}"
            for g in ["Gula", "Gröna", "Blå", "Röda"][: rng.randint(2, 4)]:
                classes.append((f"{g} gruppen", ""))
        else:
            name = f"Resursskolan {place()}"
            classes = [("Grupp 1", ""), ("Grupp 2", "")]
        pupils = sum(rng.randint(15, 28) for _ in classes)
        units.append((name, str(kind), classes, pupils))
    return units


def _day_sampler(start: date, end: date, rng: random.Random) -> Callable[[int], list[date]]:
    """Days weighted like real reporting: school days, few in July, more each year."""
    month_weight = {
        1: 1.0,
        2: 1.0,
        3: 1.1,
        4: 1.0,
        5: 1.0,
        6: 0.45,
        7: 0.05,
        8: 0.5,
        9: 1.1,
        10: 1.1,
        11: 1.1,
        12: 0.7,
    }
    days, weights = [], []
    span = (end - start).days or 1
    d = start
    while d <= end:
        w = month_weight[d.month] * (0.6 + 0.8 * (d - start).days / span)
        if d.weekday() >= 5:
            w *= 0.08
        days.append(d)
        weights.append(w)
        d += timedelta(days=1)
    cum, acc = [], 0.0
    for w in weights:
        acc += w
        cum.append(acc)

    def sample(n: int) -> list[date]:
        return rng.choices(days, cum_weights=cum, k=n)

    return sample


def seed_bench(
    url: str,
    *,
    cases: int = 200_000,
    units: int = 500,
    years: int = 10,
    now: datetime,
    rng_seed: int = 2026,
    replace: bool = False,
    progress: Callable[[str], None] = lambda _m: None,
    password_hash: str | None = None,
) -> Report:
    started = _time.monotonic()
    rng = random.Random(rng_seed)
    engine = bulk.prepare(url, replace)
    w = bulk.Writer(engine)
    ids = _Ids()
    report = Report()
    if password_hash is None:
        from kb_app.services.admin import auth

        password_hash = auth.hash_password(BENCH_PASSWORD)

    org_id = ids.take("org")
    created = now - timedelta(days=365 * years + 30)
    w.add(Organisation, {"id": org_id, "name": ORG_NAME, "created_at": created})
    # As the demo organisation: nobody is asked for a second factor (the bench's
    # clients log in with a password only).
    w.add(OrgSetting, {"organisation_id": org_id, "second_factor_roles": ""})

    # Units, classes, report links
    plan = _unit_plan(units, rng)
    unit_rows = []
    for name, kind, classes, pupils in plan:
        uid = ids.take("unit")
        w.add(
            Unit,
            {
                "id": uid,
                "organisation_id": org_id,
                "name": name,
                "kind": kind,
                "pupil_count": pupils,
                "active": True,
                "created_at": created,
            },
        )
        for cname, grade in classes:
            w.add(
                SchoolClass,
                {
                    "id": ids.take("class"),
                    "unit_id": uid,
                    "name": cname,
                    "grade": grade,
                    "pupil_count": pupils // max(1, len(classes)),
                },
            )
        w.add(
            ReportLink,
            {
                "id": ids.take("link"),
                "unit_id": uid,
                "token": f"bench-{uid}-{rng.getrandbits(64):016x}",
                "active": True,
                "created_at": created,
            },
        )
        unit_rows.append((uid, kind, classes, pupils))
    report.units = len(unit_rows)

    # Users: organisers, an admin, principals (one per unit or two units), investigators
    used_emails: set[str] = set()

    def person(prefix: str | None = None) -> tuple[str, str]:
        while True:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            email = (prefix or f"{first}.{last}").lower()
            for a, b in (("å", "a"), ("ä", "a"), ("ö", "o"), ("é", "e")):
                email = email.replace(a, b)
            n = 1
            candidate = f"{email}@{DOMAIN}"
            while candidate in used_emails:
                n += 1
                candidate = f"{email}{n}@{DOMAIN}"
            used_emails.add(candidate)
            return f"{first} {last}", candidate

    def add_user(
        role: str, email_prefix: str | None = None, unit_ids: list[int] | None = None
    ) -> tuple[int, str]:
        uid = ids.take("user")
        name, email = person(email_prefix)
        w.add(
            User,
            {
                "id": uid,
                "organisation_id": org_id,
                "email": email,
                "name": name,
                "password_hash": password_hash,
                "active": True,
                "daily_digest": False,
                "created_at": created,
            },
        )
        for unit_id in unit_ids or [None]:
            w.add(
                RoleAssignment,
                {"id": ids.take("role"), "user_id": uid, "role": role, "unit_id": unit_id},
            )
        return uid, name

    organisers = [add_user(Role.ORGANISER, "huvudman")]
    organisers += [add_user(Role.ORGANISER) for _ in range(3)]
    add_user(Role.ADMIN, "admin")
    report.logins.append((ORGANISER_EMAIL, BENCH_PASSWORD))
    principal_of: dict[int, tuple[int, str]] = {}
    unit_ids = [u[0] for u in unit_rows]
    i = 0
    first_principal = True
    while i < len(unit_ids):
        span = unit_ids[i : i + (2 if rng.random() < 0.3 else 1)]
        p = add_user(Role.PRINCIPAL, "rektor" if first_principal else None, span)
        if first_principal:
            report.logins.append((f"rektor@{DOMAIN}", BENCH_PASSWORD))
            first_principal = False
        for u in span:
            principal_of[u] = p
        i += len(span)
    investigators = [add_user(Role.INVESTIGATOR) for _ in range(max(2, units // 5))]
    report.users = ids.next["user"] - 1

    # Cases, in report order so references are in order too
    end = now.astimezone(TZ).date()
    start = end - timedelta(days=365 * years)
    calendar = _Calendar(start, end)
    days = sorted(_day_sampler(start, end, rng)(cases))
    weights = [u[3] * (1.6 if u[1] == UnitKind.COMPULSORY else 1.0) for u in unit_rows]
    unit_choice = rng.choices(range(len(unit_rows)), weights=weights, k=cases)
    ref_numbers: dict[int, int] = {}
    progress(f"{report.units} enheter och {report.users} användare; skapar {cases} ärenden …")
    for n, day in enumerate(days):
        uid, _, classes, _ = unit_rows[unit_choice[n]]
        reported = datetime(
            day.year,
            day.month,
            day.day,
            rng.randint(7, 16),
            rng.randint(0, 59),
            rng.randint(0, 59),
            rng.randint(0, 999_999),
            tzinfo=TZ,
        ).astimezone(UTC)
        if reported > now:
            reported = now - timedelta(minutes=rng.randint(1, 600))
        _case(
            w,
            ids,
            rng,
            org_id,
            uid,
            classes,
            principal_of[uid],
            investigators,
            organisers[0],
            reported,
            now,
            ref_numbers,
            calendar,
        )
        if n % 20000 == 19999:
            progress(f"  {n + 1} ärenden …")
    for year, last in ref_numbers.items():
        w.add(ReferenceCounter, {"organisation_id": org_id, "year": year, "last_number": last})
    w.add(ChangeCounter, {"organisation_id": org_id, "value": 1, "changed_at": now})
    w.flush()
    progress("Bygger statistik för frågeplaneraren …")
    bulk.finish(engine)
    report.cases = w.count[Case]
    report.events = w.count[CaseEvent]
    report.parties = w.count[Party]
    report.seconds = _time.monotonic() - started
    engine.dispose()
    return report


def _steps_for(age_days: int, rng: random.Random) -> Step:
    for max_age, options in AGE_STEPS:
        if age_days <= max_age:
            steps, weights = zip(*options, strict=True)
            return rng.choices(steps, weights=weights)[0]
    if rng.random() < STUCK_SHARE:
        return rng.choice(STUCK_STEPS)
    return Step.CLOSED


class _Calendar:
    """The working days of the period, for counting them by lookup."""

    def __init__(self, start: date, end: date):
        self.days: list[date] = []
        d = start - timedelta(days=7)
        while d <= end + timedelta(days=60):
            if deadlines.is_working_day(d):
                self.days.append(d)
            d += timedelta(days=1)

    def between(self, start: datetime, end: datetime) -> int:
        """``statistics.working_days``: working days after start's local day up to end's."""
        d0, d1 = start.astimezone(TZ).date(), end.astimezone(TZ).date()
        if d1 <= d0:
            return 0
        if d0 < self.days[0] or d1 > self.days[-1]:
            return working_days(start, end)
        return bisect.bisect_right(self.days, d1) - bisect.bisect_right(self.days, d0)


def _step_days(d: gen.Draft, calendar: _Calendar) -> dict[str, int | None]:
    """The ``wdays_*`` columns ``timeline.append_event`` keeps on a case."""
    first: dict[str, datetime] = {}
    for ev in d.events:
        first.setdefault(str(ev.kind), ev.at)
    out: dict[str, int | None] = {}
    for kind, (column, prev) in STEP_DAY_COLUMNS.items():
        at, prev_at = first.get(str(kind)), first.get(str(prev))
        out[column] = calendar.between(prev_at, at) if at and prev_at else None
    return out


def _events(case_id: int, items: list[gen.Event], ids: _Ids, seal: str) -> Iterator[dict]:
    """The case's events as ``timeline.append_event`` writes them: each keyed hash
    chained to the one before, each sealing the case row and parties (``seal``)."""
    key = audit_key()
    prev = GENESIS
    for seq, ev in enumerate(items, start=1):
        body = canonical_payload(ev.payload)
        h = event_hash(
            key,
            case_id=case_id,
            seq=seq,
            kind=str(ev.kind),
            actor_user_id=ev.actor_user_id,
            actor_label=ev.actor_label,
            at=ev.at,
            payload=body,
            prev_hash=prev,
            seal=seal,
        )
        yield {
            "id": ids.take("event"),
            "case_id": case_id,
            "seq": seq,
            "kind": str(ev.kind),
            "actor_user_id": ev.actor_user_id,
            "actor_label": ev.actor_label,
            "at": ev.at,
            "payload": body,
            "prev_hash": prev,
            "seal": seal,
            "hash": h,
        }
        prev = h


def _story(rng: random.Random, lo: int, hi: int) -> str:
    return " ".join(rng.sample(SENTENCES, rng.randint(lo, hi)))


def _case(
    w: bulk.Writer,
    ids: _Ids,
    rng: random.Random,
    org_id: int,
    unit_id: int,
    classes: list[tuple[str, str]],
    principal: gen.Person,
    investigators: list[gen.Person],
    organiser: gen.Person,
    reported: datetime,
    now: datetime,
    ref_numbers: dict[int, int],
    calendar: _Calendar,
) -> None:
    case_id = ids.take("case")
    year = reported.astimezone(TZ).year
    number = ref_numbers.get(year, 0) + 1
    ref_numbers[year] = number
    grounds = 1 if rng.random() < 0.1 else 0
    if rng.random() < 0.01:
        grounds = 2
    reporter = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    plan = gen.Plan(
        unit_id=unit_id,
        year=year,
        number=number,
        reference=format_reference(year, number),
        reported_at=reported,
        target=_steps_for((now - reported).days, rng),
        classes=classes,
        principal=principal,
        investigator=rng.choice(investigators),
        delegated=rng.random() < 0.3,
        staff_case=rng.random() < 0.06,
        grounds=grounds,
        reporter=(
            reporter,
            f"anmalare{rng.randint(1, 9999)}@{DOMAIN}",
            rng.choice(REPORTER_ROLES)[0],
        ),
        reporter_label=f"{reporter} (anmälare)",
        place=rng.choice(PLACES)[0],
        story=_story(rng, 3, 10),
        immediate_actions=" ".join(rng.sample(ACTIONS, rng.randint(1, 3))),
        witnesses="Rastvakt och två elever" if rng.random() < 0.3 else "",
        commenter=organiser,
    )
    d = gen.draft(rng, plan, TEXTS, now=now)
    case = {
        "id": case_id,
        "organisation_id": org_id,
        "submission_id": None,
        "place_other": "",
        "supplement_token_hash": None,
        **_step_days(d, calendar),
        **d.case,
    }
    w.add(Case, case)
    parties = [{"id": ids.take("party"), "case_id": case_id, **p} for p in d.parties]
    for p in parties:
        w.add(Party, p)
    seal = case_seal(audit_key(), case, parties)
    if d.delegation is not None:
        w.add(Delegation, {"id": ids.take("delegation"), "case_id": case_id, **d.delegation})
    for m in d.measures:
        w.add(Measure, {"id": ids.take("measure"), "case_id": case_id, **m})
    for ev in _events(case_id, sorted(d.events, key=lambda ev: ev.at), ids, seal):
        w.add(CaseEvent, ev)


def insert_report(
    unit_id: int,
    *,
    now: datetime,
    class_name: str = "",
    grade: str = "",
    rng: random.Random | None = None,
) -> tuple[int, str]:
    """One new report in an existing unit, written the way a submitted report is
    (a gapless reference, the timeline's first events, the change counter bumped
    in the same transaction). For the benchmark and tests; the report form's own
    service does this for real. Returns (case id, reference)."""
    rng = rng or random.Random()
    with session_scope() as s:
        unit = s.get(Unit, unit_id)
        if unit is None:
            raise ValueError(f"unit {unit_id} does not exist")
        year = now.astimezone(TZ).year
        number, reference = references.allocate(s, unit.organisation_id, year)
        principal = s.exec(
            select(User.id, User.name)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.unit_id == unit.id, RoleAssignment.role == Role.PRINCIPAL)
        ).first()
        responsible = (principal[0], principal[1]) if principal else (None, "")
        plan = gen.Plan(
            target=Step.REPORTED,
            reported_at=now,
            unit_id=unit.id,
            classes=[(class_name, grade)],
            year=year,
            number=number,
            reference=reference,
            principal=responsible,
            investigator=responsible,
            delegated=False,
            staff_case=False,
            grounds=0,
            reporter=(
                f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                f"anmalare@{DOMAIN}",
                rng.choice(REPORTER_ROLES)[0],
            ),
            reporter_label="Anmälare",
            place=rng.choice(PLACES)[0],
            story=_story(rng, 3, 6),
            immediate_actions="",
            witnesses="",
        )
        case = gen.add_case(s, unit.organisation_id, gen.draft(rng, plan, TEXTS, now=now))
        changes.bump(s, unit.organisation_id, now)
        return case.id, reference
