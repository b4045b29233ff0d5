"""The made-up data: the benchmark organisation (small) and the demo, both from
the shared case generator (kb_app/devdata/cases.py)."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
from sqlmodel import select

from kb_app import db
from kb_app.devdata import bench
from kb_app.domain import deadlines
from kb_app.domain.fmt import TZ
from kb_app.domain.process import STEP_ORDER, Step
from kb_app.domain.statistics import STEP_DAY_COLUMNS, working_days
from kb_app.models import Case, CaseEvent, ChangeCounter, Party, Unit
from kb_app.services.case.audit import verify_all


def _cases_and_events() -> list[tuple[Case, list[CaseEvent]]]:
    with db.read_scope() as s:
        events: dict[int, list[CaseEvent]] = defaultdict(list)
        for ev in s.exec(select(CaseEvent).order_by(CaseEvent.case_id, CaseEvent.seq)):
            events[ev.case_id].append(ev)
        return [(c, events[c.id]) for c in s.exec(select(Case).order_by(Case.id))]


def _check_cases(now) -> None:
    """What every generated case keeps to: a verifying chain, times in order and
    never after ``now``, the incident on a school day, the step days of its timeline."""
    assert verify_all().broken is None
    for case, evs in _cases_and_events():
        assert evs[0].kind == "reported" and evs[0].at == case.reported_at
        assert all(a.at <= b.at for a, b in zip(evs, evs[1:], strict=False))
        assert evs[-1].at <= now
        assert deadlines.is_working_day(case.occurred_on)
        assert case.occurred_on <= case.reported_at.astimezone(TZ).date()
        assert (case.closed_at is not None) == (case.step == Step.CLOSED)
        assert case.step != Step.CLOSED or case.due_at is None
        first = {}
        for ev in evs:
            first.setdefault(ev.kind, ev.at)
        assert case.step in first
        for kind, (column, prev) in STEP_DAY_COLUMNS.items():
            expected = working_days(first[prev], first[kind]) if kind in first else None
            assert getattr(case, column) == expected, (case.reference, column)
        for ev in evs:
            payload = json.loads(ev.payload or "{}")
            # The texts agree with themselves: no "bekräftas" beside "ej konstaterad".
            if ev.kind == "investigated" and payload["conclusion"] == "not_confirmed":
                assert "bekräftas" not in payload["findings"], case.reference
                assert "erkänt" not in payload["findings"], case.reference
        delegated = [e for e in evs if e.kind == "delegated"]
        started = [e for e in evs if e.kind == "investigation_started"]
        if delegated and started:
            # Delegating is not starting: the investigator starts, at or after it.
            inv = json.loads(delegated[0].payload)["investigator_user_id"]
            assert started[0].actor_user_id == inv and started[0].at >= delegated[0].at


@pytest.fixture
def bench_url(tmp_path):
    url = f"sqlite:///{tmp_path}/bench.db"
    yield url
    db.set_engine(None)


def test_a_small_benchmark_organisation_is_consistent(bench_url, now):
    report = bench.seed_bench(bench_url, cases=400, units=6, years=2, now=now, password_hash="x")
    assert (report.cases, report.units) == (400, 6)
    db.set_engine(db.make_engine(bench_url))
    _check_cases(now)
    with db.read_scope() as s:
        numbers = defaultdict(list)
        for year, number in s.exec(select(Case.year, Case.number)):
            numbers[year].append(number)
        assert all(sorted(n) == list(range(1, len(n) + 1)) for n in numbers.values())
        unit_id = s.exec(select(Unit.id).order_by(Unit.id)).first()
        counter = s.exec(select(ChangeCounter.value)).one()

    case_id, reference = bench.insert_report(unit_id, now=now, class_name="1A", grade="1")
    year = now.astimezone(TZ).year
    assert reference.endswith(f"{len(numbers[year]) + 1:04d}")
    with db.read_scope() as s:
        case = s.get(Case, case_id)
        assert (case.step, case.reported_at, case.class_name) == (Step.REPORTED, now, "1A")
        assert s.exec(select(ChangeCounter.value)).one() == counter + 1
        subjected = s.exec(
            select(Party).where(Party.case_id == case_id, Party.role == "subjected")
        ).one()
        assert subjected.class_name == "1A"
    assert verify_all().broken is None


def test_the_same_seed_gives_the_same_benchmark(tmp_path, now):
    def cases(name: str) -> list[tuple]:
        url = f"sqlite:///{tmp_path}/{name}.db"
        bench.seed_bench(url, cases=150, units=5, years=1, now=now, password_hash="x")
        engine = db.make_engine(url)
        with engine.connect() as conn:
            rows = list(
                conn.execute(
                    select(Case.reference, Case.step, Case.description, Case.updated_at).order_by(
                        Case.id
                    )
                )
            )
        engine.dispose()
        return rows

    assert cases("a") == cases("b")


def test_the_demo_cases_are_consistent(demo, now):
    assert demo is not None
    _check_cases(now)
    steps = {case.step for case, _ in _cases_and_events()}
    # Every step but "Nya åtgärder behövs" (the demo's follow-ups all found the acts stopped).
    skipped = {Step.ORGANISER_NOTIFIED, Step.NEW_MEASURES_NEEDED}
    assert steps == {str(s) for s in STEP_ORDER if s not in skipped}
