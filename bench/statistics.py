"""Latency of every statistics chart's data on a large organisation.

``run(database_url)`` times each query of ``services.statistics.CHARTS`` (and the
"Upprepade händelser" patterns) for a few realistic filter choices and returns
median and p95 in milliseconds. Target: p95 <= 300 ms on 200 000 cases.

If the database holds no large organisation (``kb-app seed-bench`` makes one),
``ensure_dataset`` generates one quickly with bulk inserts: 500 units and
200 000 cases over the last 2¼ years, each with parties and a timeline.

    python -m bench.statistics --database-url sqlite:///data/bench.db
"""

from __future__ import annotations

import argparse
import json
import random
import statistics as pystats
import sys
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, text
from sqlmodel import select

BENCH_ORG = "Prestandakommun"
TARGET_MS = 300.0


def _engine(database_url: str):
    from kb_app import db

    engine = db.make_engine(database_url)
    db.set_engine(engine)
    return engine


def _largest_org(engine) -> tuple[int | None, int]:
    from kb_app.models import Case

    with engine.connect() as conn:
        row = conn.execute(
            select(Case.organisation_id, func.count())
            .group_by(Case.organisation_id)
            .order_by(func.count().desc())
            .limit(1)
        ).first()
    return (row[0], row[1]) if row else (None, 0)


def ensure_dataset(engine, *, cases: int = 200_000, units: int = 500, now: datetime) -> int:
    """The id of an organisation with at least ``cases`` cases, generated if missing."""
    from kb_app import db

    if not _has_tables(engine):
        db.create_schema(engine)
    org_id, n = _largest_org(engine)
    if org_id is not None and n >= cases * 0.9:
        return org_id
    return generate(engine, cases=cases, units=units, now=now)


def _has_tables(engine) -> bool:
    from sqlalchemy import inspect

    return inspect(engine).has_table("kb_case")


FIRST = ["Elsa", "Liam", "Alice", "Noah", "Maja", "Hugo", "Vera", "Elias", "Selma", "Oscar"]
FIRST += ["Alma", "William", "Wilma", "Lucas", "Ella", "Adam", "Ebba", "Ali", "Leah", "Omar"]
LAST = ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson"]
LAST += ["Persson", "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Hassan", "Lindberg"]
PLACES = ["classroom", "corridor", "schoolyard", "dining_hall", "changing_room", "online"]
STEPS = [
    "reported",
    "received",
    "investigation_started",
    "investigated",
    "measures_decided",
    "followed_up",
    "closed",
]


def generate(engine, *, cases: int, units: int, now: datetime, seed: int = 7) -> int:
    """Bulk-insert a large organisation (Core executemany, no ORM objects)."""
    from kb_app.domain import statistics as st
    from kb_app.models import Case, CaseEvent, Organisation, OrgSetting, Party, SchoolClass, Unit

    rng = random.Random(seed)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        org_id = conn.execute(
            Organisation.__table__.insert()
            .values(name=BENCH_ORG, created_at=now - timedelta(days=900))
            .returning(Organisation.__table__.c.id)
        ).scalar_one()
        conn.execute(OrgSetting.__table__.insert().values(organisation_id=org_id))
        unit_rows = [
            {
                "organisation_id": org_id,
                "name": f"Enhet {i + 1:03d}",
                "kind": "grundskola",
                "pupil_count": rng.randint(150, 700),
                "active": True,
                "created_at": now - timedelta(days=900),
            }
            for i in range(units)
        ]
        conn.execute(Unit.__table__.insert(), unit_rows)
        unit_ids = [
            r[0]
            for r in conn.execute(
                select(Unit.id).where(Unit.organisation_id == org_id).order_by(Unit.id)
            )
        ]
        class_rows = []
        for uid in unit_ids:
            for g in range(1, 9):
                class_rows.append(
                    {
                        "unit_id": uid,
                        "name": f"{g}A",
                        "grade": str(g),
                        "pupil_count": rng.randint(18, 30),
                    }
                )
        conn.execute(SchoolClass.__table__.insert(), class_rows)
        next_case = (conn.execute(select(func.max(Case.id))).scalar() or 0) + 1
        next_event = (conn.execute(select(func.max(CaseEvent.id))).scalar() or 0) + 1
        next_party = (conn.execute(select(func.max(Party.id))).scalar() or 0) + 1
        span = 820 * 86400
        chunk = 10_000
        numbers: dict[int, int] = {}
        for base in range(0, cases, chunk):
            case_rows, event_rows, party_rows = [], [], []
            for _ in range(min(chunk, cases - base)):
                cid = next_case
                next_case += 1
                reported = now - timedelta(seconds=rng.randint(3600, span))
                age = (now - reported).days
                target = 6 if age > 60 else rng.randint(0, 6)
                uid = rng.choice(unit_ids)
                grade = rng.randint(1, 8)
                year = reported.year
                numbers[year] = numbers.get(year, 0) + 1
                at = reported
                times = {"reported": reported}
                for k in range(1, target + 1):
                    at = at + timedelta(
                        days=rng.randint(0, 4 if k != 5 else 25), minutes=rng.randint(1, 300)
                    )
                    if at > now:
                        at = now - timedelta(minutes=1)
                    times[STEPS[k]] = at
                wdays = {
                    column: st.working_days(times[prev], times[kind])
                    for kind, (column, prev) in st.STEP_DAY_COLUMNS.items()
                    if kind in times and prev in times
                }
                case_rows.append(
                    {
                        **{c: None for c, _ in st.STEP_DAY_COLUMNS.values()},
                        **wdays,
                        "id": cid,
                        "organisation_id": org_id,
                        "unit_id": uid,
                        "reference": f"PB-{year}-{numbers[year]:06d}-{org_id}",
                        "year": year,
                        "number": numbers[year] + org_id * 1_000_000,
                        "step": STEPS[target],
                        "due_at": None if target == 6 else at + timedelta(days=3),
                        "reported_at": reported,
                        "closed_at": times.get("closed"),
                        "updated_at": at,
                        "class_name": f"{grade}A",
                        "grade": str(grade),
                        "occurred_on": (reported - timedelta(days=rng.randint(0, 2))).date(),
                        "occurred_time": f"{rng.randint(8, 15):02d}:{rng.choice([0, 30]):02d}",
                        "place": rng.choice(PLACES),
                        "place_other": "",
                        "description": "Prestandadata.",
                        "kinds": rng.randint(1, 15),
                        "grounds": rng.choice([0, 0, 0, 1, 4, 16]),
                        "immediate_actions": "",
                        "guardians_informed": "unknown",
                        "witnesses": "",
                        "staff_involved": rng.random() < 0.08,
                        "reporter_name": "Anna Holm",
                        "reporter_email": "anna.holm@example.se",
                        "reporter_role": "teacher",
                        "conclusion": "confirmed" if target >= 3 else "",
                    }
                )
                seq = 0
                for kind, when in [("reported", reported), ("organiser_notified", reported)] + [
                    (STEPS[k], times[STEPS[k]]) for k in range(1, target + 1)
                ]:
                    seq += 1
                    event_rows.append(
                        {
                            "id": next_event,
                            "case_id": cid,
                            "seq": seq,
                            "kind": kind,
                            "actor_label": "",
                            "at": when,
                            "payload": "{}",
                            "prev_hash": "0" * 64,
                            "hash": "0" * 64,
                        }
                    )
                    next_event += 1
                for role in ("subjected", "involved"):
                    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                    party_rows.append(
                        {
                            "id": next_party,
                            "case_id": cid,
                            "role": role,
                            "kind": "pupil",
                            "name": name,
                            "name_key": name.lower(),
                            "class_name": f"{grade}A",
                            "grade": str(grade),
                        }
                    )
                    next_party += 1
            conn.execute(Case.__table__.insert(), case_rows)
            conn.execute(CaseEvent.__table__.insert(), event_rows)
            conn.execute(Party.__table__.insert(), party_rows)
        if engine.dialect.name == "postgresql":
            for table in ("kb_case", "case_event", "party"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    # Fresh statistics and (PostgreSQL) a visibility map, as autovacuum would leave
    # them, so index-only scans need no heap fetches.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    print(
        f"Genererade {cases} ärenden i {units} enheter på {time.perf_counter() - t0:.0f} s.",
        file=sys.stderr,
    )
    return org_id


def _reader(org_id: int) -> int:
    """A user of the organisation to read as (every statistics read is written to
    the access log, whose user must exist); made once if the data has none."""
    from kb_app.db import session_scope
    from kb_app.models import User

    with session_scope() as s:
        found = s.exec(
            select(User.id).where(User.organisation_id == org_id).order_by(User.id)
        ).first()
        if found is not None:
            return found
        user = User(
            organisation_id=org_id,
            email=f"statistik-bench-{org_id}@example.invalid",
            name="Statistikmätning",
            active=False,
        )
        s.add(user)
        s.flush()
        return user.id


def _time(fn, repeats: int) -> dict:
    samples = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]
    return {"median_ms": round(pystats.median(samples), 1), "p95_ms": round(p95, 1)}


def run(database_url: str, *, repeats: int = 15, cases: int = 200_000) -> dict:
    """Time every chart's data (and the patterns) for several filter choices."""
    from kb_app.db import read_scope
    from kb_app.domain import statistics as st
    from kb_app.domain.access import Actor
    from kb_app.models import Case, Unit
    from kb_app.services.statistics import patterns
    from kb_app.services.statistics import queries as svc

    now = datetime.now(UTC)
    engine = _engine(database_url)
    org_id = ensure_dataset(engine, cases=cases, now=now)
    svc.backfill_step_days()  # data bulk-loaded without the timeline hook
    with read_scope() as s:
        total = s.exec(select(func.count()).where(Case.organisation_id == org_id)).one()
        unit_ids = list(
            s.exec(select(Unit.id).where(Unit.organisation_id == org_id).order_by(Unit.id))
        )
    reader_id = _reader(org_id)
    organiser = Actor(user_id=reader_id, organisation_id=org_id, org_roles=frozenset({"organiser"}))
    principal = Actor(
        user_id=reader_id,
        organisation_id=org_id,
        unit_roles=frozenset({("principal", unit_ids[0]), ("principal", unit_ids[1])}),
    )
    today = svc.today_local(now)
    this_sy = st.school_year_of(today)
    scenarios = {
        "organiser, last full school year": (organiser, st.Filters(st.school_year(this_sy - 1))),
        "organiser, this school year": (organiser, st.Filters(st.school_year(this_sy))),
        "organiser, last full school year, grade 5": (
            organiser,
            st.Filters(st.school_year(this_sy - 1), grade="5"),
        ),
        "principal (2 units), last full school year": (
            principal,
            st.Filters(st.school_year(this_sy - 1)),
        ),
        "principal, one unit, last full school year": (
            principal,
            st.Filters(st.school_year(this_sy - 1), unit_id=unit_ids[0]),
        ),
    }
    results: dict = {
        "database": engine.dialect.name,
        "cases_in_organisation": int(total),
        "units": len(unit_ids),
        "repeats": repeats,
        "target_p95_ms": TARGET_MS,
        "scenarios": {},
    }
    worst = 0.0
    for name, (actor, filters) in scenarios.items():
        with read_scope() as s:
            scope = svc.resolve_scope(s, actor, filters)
            in_period = s.exec(
                select(func.count()).where(*svc._conds(scope))  # noqa: SLF001
            ).one()
        figures = {}
        for chart, fn in svc.CHARTS.items():

            def once(fn=fn, scope=scope):
                with read_scope() as s:
                    return fn(s, scope)

            figures[chart] = _time(once, repeats)
            worst = max(worst, figures[chart]["p95_ms"])
        figures["patterns (12 months)"] = _time(
            lambda actor=actor: patterns.find(actor, now=now), max(3, repeats // 3)
        )
        results["scenarios"][name] = {"cases_in_filter": int(in_period), "p95": figures}
    results["worst_chart_p95_ms"] = worst
    results["meets_target"] = worst <= TARGET_MS
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Statistikens svarstider (p95) på stor data.")
    p.add_argument("--database-url", required=True)
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--cases", type=int, default=200_000)
    args = p.parse_args(argv)
    res = run(args.database_url, repeats=args.repeats, cases=args.cases)
    print(json.dumps(res, indent=2, ensure_ascii=False))
    return 0 if res["meets_target"] else 1


if __name__ == "__main__":
    _ = date  # keep the import for type readers
    raise SystemExit(main())
