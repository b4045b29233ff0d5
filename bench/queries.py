"""Part 1: the overview's queries beside the bare SQL that returns the same rows.

"Service" is what the overview runs for a page (``services.overview``: prepared
query shapes on the connection's DB-API cursor), measured twice: the rows alone,
and the rows formatted for the page. "Bare SQL" is the plain single statement of
the same page (``naive_statement``: the database filters, orders and pages) sent
through a DB-API cursor of its own and fetched, nothing else. Both return the
same rows; the benchmark checks that for every scenario.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import func
from sqlmodel import select

from kb_app import db
from kb_app.domain.access import Actor
from kb_app.domain.fmt import TZ
from kb_app.domain.overview import OverviewFilter, SortKey, from_query, to_query
from kb_app.models import Case, Unit, User
from kb_app.services.admin import auth
from kb_app.services.overview import query as overview


@dataclass
class Timing:
    runs: int
    p50: float  # milliseconds
    p95: float

    def as_dict(self) -> dict:
        return {"runs": self.runs, "p50_ms": round(self.p50, 3), "p95_ms": round(self.p95, 3)}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def timed(fn, runs: int, *, budget_s: float | None = None, warmup: int = 5) -> Timing:
    for _ in range(warmup):
        fn()
    samples: list[float] = []
    started = time.perf_counter()
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
        if budget_s is not None and time.perf_counter() - started > budget_s and len(samples) >= 5:
            break
    return Timing(len(samples), statistics.median(samples), percentile(samples, 0.95))


def _actor(email: str) -> Actor:
    with db.read_scope() as s:
        user = s.exec(select(User).where(User.email == email)).one()
        return auth.load_actor(s, user)


def scenarios(actor: Actor, now: datetime) -> list[tuple[str, OverviewFilter]]:
    """Every filter, every sort (both directions), late only and deep pages."""
    with db.read_scope() as s:
        unit_id = s.exec(
            select(Case.unit_id).where(Case.organisation_id == actor.organisation_id).limit(1)
        ).one()
        unit_name = s.get(Unit, unit_id).name
        reference = s.exec(
            select(Case.reference).where(Case.organisation_id == actor.organisation_id).limit(1)
        ).one()
    last_quarter = (now - timedelta(days=90)).astimezone(TZ).date()
    filters = [
        ("Första sidan, ofiltrerad", {}),
        ("Filter steg (mottagen)", {"steg": "received"}),
        ("Filter pågående", {"steg": "open"}),
        (f"Filter enhet ({unit_name})", {"enhet": str(unit_id)}),
        ("Filter årskurs 4", {"arskurs": "4"}),
        ("Filter klass 4A", {"klass": "4A"}),
        ("Filter slag verbal", {"slag": "verbal"}),
        ("Filter grund religion", {"grund": "religion"}),
        ("Filter någon grund", {"grund": "any"}),
        ("Endast försenade", {"forsenade": "1"}),
        ("Filter personal inblandad", {"personal": "1"}),
        ("Filter datum (senaste 90 dagar)", {"fran": last_quarter.isoformat()}),
        ("Sök ärendenummer", {"sok": reference}),
        ("Sök nummer (alla år)", {"sok": "42"}),
    ]
    out = [(name, from_query(q)) for name, q in filters]
    for key in SortKey:
        for desc in (False, True):
            arrow = "↓" if desc else "↑"
            out.append((f"Sortera {key.value} {arrow}", OverviewFilter(sort=key, desc=desc)))
    out.append(("Djup sida (200), datum", OverviewFilter().on_page(200)))
    out.append(
        ("Djup sida (200), enhet", OverviewFilter(sort=SortKey.UNIT, desc=False).on_page(200))
    )
    out.append(
        (
            "Djup sida (40), ansvarig",
            OverviewFilter(sort=SortKey.RESPONSIBLE, desc=False).on_page(40),
        )
    )
    return out


class BareSQL:
    """The naive statement compiled once and run on a raw DB-API connection."""

    def __init__(self, engine):
        self.engine = engine
        self.raw = engine.raw_connection()

    def prepare(self, stmt):
        dialect = self.engine.dialect
        compiled = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        params = compiled.construct_params()
        processed = {}
        for name, value in params.items():
            proc = (
                compiled.binds[name].type._cached_bind_processor(dialect)
                if name in compiled.binds
                else None
            )
            processed[name] = proc(value) if proc else value
        sql = str(compiled)
        if compiled.positiontup is not None:
            args = [processed[n] for n in compiled.positiontup]
        else:
            args = processed
        return sql, args

    def run(self, sql, args) -> list:
        cur = self.raw.cursor()
        try:
            cur.execute(sql, args)
            return cur.fetchall()
        finally:
            cur.close()

    def close(self):
        self.raw.close()


def run(runs: int, email: str, log) -> dict:
    """Time every scenario; returns the results for the report."""
    engine = db.get_engine()
    actor = _actor(email)
    now = datetime.now(tz=TZ)
    bare = BareSQL(engine)
    results = []
    for name, f in scenarios(actor, now):
        where, values = overview.where_of(actor, f, now)
        with overview.read_connection() as conn:
            total = overview.count_capped(overview.Reader(conn), where, values)
            stmt = overview.naive_statement(actor, f, conn, now)

        def service_rows(f=f, total=total):
            w, v = overview.where_of(actor, f, now)
            with overview.read_connection() as conn:
                return overview.page_rows(overview.Reader(conn), actor, f, w, v, total, now)[0]

        def service_page(f=f, total=total):
            return overview.fetch_page(actor, f, now=now, total=total)

        sql, args = bare.prepare(stmt)
        same = [r[0] for r in service_rows()] == [r[0] for r in bare.run(sql, args)]
        t_rows = timed(service_rows, runs)
        t_page = timed(service_page, runs)
        # The plain SQL of a sort the database must do in full is slow: time-box it.
        t_bare = timed(lambda sql=sql, args=args: bare.run(sql, args), runs, budget_s=8.0)
        row = {
            "scenario": name,
            "query": query_string(f),
            "matches": total if total <= overview.COUNT_CAP else f">{overview.COUNT_CAP}",
            "service_rows": t_rows.as_dict(),
            "service_page": t_page.as_dict(),
            "bare_sql": t_bare.as_dict(),
            "ratio_p50": round(t_rows.p50 / t_bare.p50, 2),
            "same_rows": same,
        }
        results.append(row)
        log(
            f"  {name:<34} {t_rows.p50:7.2f} / {t_rows.p95:7.2f} ms   "
            f"bare {t_bare.p50:8.2f} / {t_bare.p95:8.2f} ms   ×{row['ratio_p50']:<6} "
            f"{'samma rader' if same else 'OLIKA RADER'}"
        )
    # The count of matches (when a filter changes) and the cards' counts.
    counts = []
    for name, f in [
        ("Antal, ofiltrerad (tak 10 000)", OverviewFilter()),
        ("Antal, grund religion", from_query({"grund": "religion"})),
        ("Antal, försenade", from_query({"forsenade": "1"})),
    ]:
        where, values = overview.where_of(actor, f, now)

        def service_count(where=where, values=values):
            with overview.read_connection() as conn:
                return overview.count_capped(overview.Reader(conn), where, values)

        inner = (
            select(Case.id)
            .where(*overview.conditions(where))
            .limit(overview.COUNT_CAP + 1)
            .subquery()
        )
        sql, args = bare.prepare(select(func.count()).select_from(inner).params(**values))
        t_s = timed(service_count, runs)
        t_b = timed(lambda sql=sql, args=args: bare.run(sql, args), runs)
        counts.append(
            {
                "scenario": name,
                "service": t_s.as_dict(),
                "bare_sql": t_b.as_dict(),
                "ratio_p50": round(t_s.p50 / t_b.p50, 2),
            }
        )
        log(
            f"  {name:<34} {t_s.p50:7.2f} / {t_s.p95:7.2f} ms   bare {t_b.p50:8.2f} / {t_b.p95:8.2f} ms   ×{counts[-1]['ratio_p50']}"
        )
    t_cards = timed(lambda: overview.step_counts(actor, now=now), runs)
    log(f"  {'Kort: antal per steg + försenade':<34} {t_cards.p50:7.2f} / {t_cards.p95:7.2f} ms")
    bare.close()
    return {"pages": results, "counts": counts, "cards": t_cards.as_dict()}


def query_string(f: OverviewFilter) -> str:
    return urlencode(to_query(f))
