"""How the overview's rate scales with several workers on PostgreSQL and Redis
(``python -m bench.workers``; not part of ``make bench``, which runs one worker).

The front end is built once into a folder of its own; each worker is then one
process of the production back end (``scripts/serve_built.py``, what the
container runs, with ``GRANIAN_WORKERS=1``) on a port of its own, all on one PostgreSQL database and one Redis, as behind a load
balancer: the clients are dealt to the workers in turn. The same 100 clients run
the closed loop of ``bench.clients`` with 1 worker and then with ``--workers``,
overview views and the trivial event, and the server's CPU time per view.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.server import REPO, Server


class Worker(Server):
    """One production back end serving a front end built beforehand."""

    def __init__(self, database_url: str, redis_url: str, web: Path):
        super().__init__(database_url)
        self.env["KB_REDIS_URL"] = redis_url
        self.env["REFLEX_WEB_WORKDIR"] = str(web)
        # One process per worker (with Redis, Reflex would start 2 × cores + 1).
        self.env["GRANIAN_WORKERS"] = "1"
        self.web = web

    def command(self) -> list[str]:
        return [sys.executable, "scripts/serve_built.py"]


def build_front_end(env: dict, into: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "reflex", "export", "--frontend-only", "--no-zip"],
        cwd=REPO,
        env={**env, "REFLEX_WEB_WORKDIR": str(into)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    if r.returncode != 0:
        raise RuntimeError(r.stdout[-3000:] + r.stderr[-3000:])


async def closed_loops(workers: list[Worker], clients: int, seconds: float) -> dict:
    from bench import clients as cl
    from kb_app.devdata import bench as seed_bench

    email, password = seed_bench.ORGANISER_EMAIL, seed_bench.BENCH_PASSWORD
    everyone = []
    for i, w in enumerate(workers):
        share = clients // len(workers) + (1 if i < clients % len(workers) else 0)
        everyone += await cl.make_clients(w.base_url, email, password, share)
    await cl.single(everyone[0], len(cl.ACTIONS))  # every query shape once
    cpu0 = sum(w.cpu_seconds() for w in workers)
    views = await cl.closed_loop(everyone, seconds, trivial=False)
    cpu1 = sum(w.cpu_seconds() for w in workers)
    trivial = await cl.closed_loop(everyone, seconds, trivial=True)
    for c in everyone:
        await c.close()
    n = views["events_per_s"] * views["seconds"]
    return {
        "workers": len(workers),
        "clients": len(everyone),
        "views_per_s": round(views["events_per_s"], 1),
        "trivial_per_s": round(trivial["events_per_s"], 1),
        "server_cpu_ms_per_view": round((cpu1 - cpu0) * 1000 / n, 3) if n else None,
        "log_errors": sum(w.log_errors() for w in workers),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.workers", description=__doc__.split("\n")[0])
    p.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    p.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/4")
    )
    p.add_argument("--workers", type=int, default=3)
    p.add_argument("--clients", type=int, default=100)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--cases", type=int, default=200_000)
    p.add_argument("--units", type=int, default=500)
    args = p.parse_args(argv)
    if not args.database_url.startswith("postgresql"):
        p.error("--database-url (BENCH_DATABASE_URL) ska vara en PostgreSQL-databas")
    import redis

    from bench.__main__ import ensure_seeded, log

    os.environ["KB_DATABASE_URL"] = args.database_url
    args.reseed = False
    cases = ensure_seeded(args)
    redis.Redis.from_url(args.redis_url).flushdb()
    tmp = Path(tempfile.mkdtemp(prefix="kb-bench-workers-"))
    log(f"==> {args.workers} arbetsprocesser på PostgreSQL och Redis, {cases} ärenden")
    started = time.monotonic()
    probe = Worker(args.database_url, args.redis_url, tmp / "web")
    build_front_end(probe.env, tmp / "web")
    log(f"  webbgränssnittet byggt ({time.monotonic() - started:.0f} s)")
    results = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cases": cases,
        "cpus": os.cpu_count(),
        "runs": [],
    }
    for n in (1, args.workers):
        workers = []
        try:
            for i in range(n):
                web = tmp / f"web-{n}-{i}"
                shutil.copytree(tmp / "web", web, ignore=shutil.ignore_patterns("node_modules"))
                w = Worker(args.database_url, args.redis_url, web)
                w.start()
                workers.append(w)
            run = asyncio.run(closed_loops(workers, args.clients, args.seconds))
        finally:
            for w in workers:
                w.stop()
        results["runs"].append(run)
        log(
            f"  {n} arbetsprocess(er), {run['clients']} klienter i sluten slinga: "
            f"{run['views_per_s']} vyer/s, trivial {run['trivial_per_s']}/s, "
            f"serverns CPU-tid per vy {run['server_cpu_ms_per_view']} ms, fel i loggen {run['log_errors']}"
        )
    one, many = results["runs"]
    results["scaling"] = round(many["views_per_s"] / one["views_per_s"], 2)
    log(f"  skalning med {args.workers}: ×{results['scaling']}")
    out = REPO / "bench" / "results" / f"{datetime.now().date().isoformat()}-workers.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    log(f"Resultat: {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
