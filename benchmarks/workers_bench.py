"""Availability throughput of `slotwise serve --workers 1` against `--workers 2`, in one run.

Both servers run at once on the demo clinic (one database), each as the real serve command on
127.0.0.1. Rounds alternate between them, so the machine's other load falls on both alike; each
round is a fixed time in which a fixed number of clients send 14-day staff availability queries
back to back, each on a fresh connection so that whichever worker is free accepts it. Every
query asks for a window starting a different minute: no whole answer can come from a cache,
and what is measured is the request path with the engine (the per-worker caches of
configuration and busy time still work, as in production).

Writes benchmarks/results/workers.json and workers.md. Target: two workers serve >= 1.7x the
queries one does on a two-core machine (issue 14, item 4). PostgreSQL when
SLOTWISE_TEST_POSTGRES_URL (or BENCH_POSTGRES_URL) is set, else SQLite.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import statistics
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psutil
from sqlalchemy import select
from sqlalchemy.engine import make_url

from api.auth.tokens import TokenClaims, issue_token
from api.config import Settings
from api.db import Database
from api.demo import load_demo
from api.models import AppointmentType, Clinic, User
from benchmarks.booking_bench import _database
from tests.stress.support import served

RESULTS = Path(__file__).parent / "results"
TARGET = 1.7
DAYS = 14


def _load_average() -> float:
    return os.getloadavg()[0]


def _server_processes(base: str) -> list[psutil.Process]:
    """The serve process listening on `base`'s port, and its workers."""
    port = base.rsplit(":", 1)[1]
    for proc in psutil.process_iter(["cmdline"]):
        cmd = proc.info["cmdline"] or []
        if "serve" in cmd and "--port" in cmd and cmd[cmd.index("--port") + 1] == port:
            return [proc, *proc.children(recursive=True)]
    raise RuntimeError(f"no slotwise serve process for {base}")


def _cpu_seconds(procs: list[psutil.Process]) -> float:
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def _database_cpu(database: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving `database` (none for SQLite, whose work
    is inside the server's processes)."""
    out: dict[int, float] = {}
    if not database:
        return out
    for proc in psutil.process_iter(["cmdline"]):
        cmd = " ".join(proc.info["cmdline"] or [])
        if cmd.startswith("postgres:") and f" {database} " in f"{cmd} ":
            try:
                times = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            out[proc.pid] = times.user + times.system
    return out


class Load:
    """`clients` threads sending availability queries to `base` for `seconds`."""

    def __init__(self, base: str, token: str, type_id: str, clients: int, database: str) -> None:
        self.base, self.type_id, self.clients = base, type_id, clients
        self.database = database
        self.server = _server_processes(base)
        self.headers = {"Authorization": f"Bearer {token}"}
        self._offsets = itertools.count()
        self._lock = threading.Lock()

    def _params(self) -> dict[str, str]:
        with self._lock:
            minute = next(self._offsets)
        start = datetime.now(UTC) + timedelta(minutes=minute % (60 * 24 * 20))
        end = start + timedelta(days=DAYS)
        return {"appointmentTypeId": self.type_id, "from": start.isoformat(), "to": end.isoformat()}

    def run(self, seconds: float) -> dict[str, float]:
        latencies: list[float] = []
        errors = 0
        done = threading.Event()

        def client() -> None:
            nonlocal errors
            # No keep-alive: each query is a new connection that any idle worker may accept.
            limits = httpx.Limits(max_keepalive_connections=0)
            with httpx.Client(base_url=self.base, timeout=60, limits=limits) as http:
                while not done.is_set():
                    t0 = time.perf_counter()
                    resp = http.get(
                        "/api/booking/availability", params=self._params(), headers=self.headers
                    )
                    elapsed = time.perf_counter() - t0
                    if done.is_set():
                        return  # finished after the round closed: not counted
                    with self._lock:
                        if resp.status_code == 200:
                            latencies.append(elapsed)
                        else:
                            errors += 1

        threads = [threading.Thread(target=client) for _ in range(self.clients)]
        cpu_before = _cpu_seconds(self.server)
        me = psutil.Process()
        client_before = sum(me.cpu_times()[:2])
        db_before = _database_cpu(self.database)
        started = time.perf_counter()
        for t in threads:
            t.start()
        time.sleep(seconds)
        done.set()
        wall = time.perf_counter() - started
        cpu = _cpu_seconds(self.server) - cpu_before
        client_cpu = sum(me.cpu_times()[:2]) - client_before
        db_after = _database_cpu(self.database)
        db_cpu = sum(cpu - db_before.get(pid, 0.0) for pid, cpu in db_after.items())
        for t in threads:
            t.join(timeout=120)
        ordered = sorted(latencies)
        return {
            "queries": len(ordered),
            "errors": errors,
            "seconds": wall,
            "per_second": len(ordered) / wall,
            "median_ms": statistics.median(ordered) * 1000 if ordered else 0.0,
            "p95_ms": ordered[int(len(ordered) * 0.95) - 1] * 1000 if ordered else 0.0,
            # How much of the machine the server got: what bounds the ratio on a shared host.
            "server_cores": cpu / wall,
            "server_cpu_ms_per_query": cpu * 1000 / len(ordered) if ordered else 0.0,
            "client_cores": client_cpu / wall,
            "database_cores": db_cpu / wall,
        }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short rounds (well under 1 min)")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=None, help="length of one round")
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args(argv)
    rounds = args.rounds or (2 if args.quick else 5)
    seconds = args.seconds or (3.0 if args.quick else 8.0)

    url, drop, backend = _database()
    tmp = Path(tempfile.mkdtemp(prefix="slotwise-workers-"))
    try:
        settings = Settings(
            DATABASE_URL=url,
            SLOTWISE_JWT_SECRET="bench-" + uuid.uuid4().hex,
            SLOTWISE_SECRET_FILE=tmp / "secret",
        )
        db = Database(url)
        try:
            with db.write() as session:
                load_demo(session)
                session.commit()
            with db.read() as session:
                clinic = session.scalars(select(Clinic)).one()
                adj = session.scalars(
                    select(AppointmentType).where(AppointmentType.code == "ADJ")
                ).one()
                staff = session.scalars(select(User).where(User.role == "frontdesk")).one()
                token = issue_token(
                    settings, TokenClaims(staff.id, clinic.id, "frontdesk", None, None)
                )
                type_id = adj.id
        finally:
            db.dispose()

        load_before = _load_average()
        samples: dict[int, list[dict[str, float]]] = {1: [], 2: []}
        with ExitStack() as servers:
            bases = {n: servers.enter_context(served(settings, workers=n)) for n in (1, 2)}
            db_name = make_url(url).database if backend == "postgresql" else ""
            loads = {n: Load(bases[n], token, type_id, args.clients, db_name or "") for n in (1, 2)}
            for n in (1, 2):
                loads[n].run(min(seconds, 2.0))  # warm every worker's caches; not measured
            for _ in range(rounds):
                for n in (1, 2):
                    samples[n].append(loads[n].run(seconds))
        load_after = _load_average()
    finally:
        drop()
        shutil.rmtree(tmp, ignore_errors=True)

    throughput = {n: statistics.median(r["per_second"] for r in samples[n]) for n in (1, 2)}
    latency = {n: statistics.median(r["median_ms"] for r in samples[n]) for n in (1, 2)}
    cores = {n: statistics.median(r["server_cores"] for r in samples[n]) for n in (1, 2)}
    client = {n: statistics.median(r["client_cores"] for r in samples[n]) for n in (1, 2)}
    database = {n: statistics.median(r["database_cores"] for r in samples[n]) for n in (1, 2)}
    cpu_ms = {
        n: statistics.median(r["server_cpu_ms_per_query"] for r in samples[n]) for n in (1, 2)
    }
    errors = sum(int(r["errors"]) for rs in samples.values() for r in rs)
    per_round = [
        b["per_second"] / a["per_second"] for a, b in zip(samples[1], samples[2], strict=True)
    ]
    ratio = throughput[2] / throughput[1]
    report = {
        "backend": backend,
        "cpus": os.cpu_count(),
        "clients": args.clients,
        "rounds": rounds,
        "round_seconds": seconds,
        "window_days": DAYS,
        "load_average_before": load_before,
        "load_average_after": load_after,
        "samples": {str(n): samples[n] for n in (1, 2)},
        "queries_per_second": {str(n): throughput[n] for n in (1, 2)},
        "median_latency_ms": {str(n): latency[n] for n in (1, 2)},
        "server_cores_used": {str(n): cores[n] for n in (1, 2)},
        "server_cpu_ms_per_query": {str(n): cpu_ms[n] for n in (1, 2)},
        "client_cores_used": {str(n): client[n] for n in (1, 2)},
        "database_cores_used": {str(n): database[n] for n in (1, 2)},
        "ratio_2_over_1": ratio,
        "ratio_per_round": per_round,
        "errors": errors,
        "target": TARGET,
        "met": ratio >= TARGET and errors == 0,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "workers.json").write_text(json.dumps(report, indent=2))
    lines = [
        f"## Workers: 14-day availability throughput, 1 vs 2 workers ({backend}, demo clinic)",
        "",
        f"`slotwise serve --workers N` on 127.0.0.1, {args.clients} clients, a fresh connection "
        f"per query, {rounds} alternating rounds of {seconds:g} s; {os.cpu_count()} CPUs, load "
        f"average {load_before:.1f} before / {load_after:.1f} after (the clients share the "
        "machine).",
        "",
        "| workers | queries/s (median of rounds) | median latency ms | server cores used "
        "| server CPU ms per query | database cores used | errors |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in (1, 2):
        errs = sum(int(r["errors"]) for r in samples[n])
        lines.append(
            f"| {n} | {throughput[n]:.1f} | {latency[n]:.1f} | {cores[n]:.2f} "
            f"| {cpu_ms[n]:.1f} | {database[n]:.2f} | {errs} |"
        )
    met = "yes" if report["met"] else "NO"
    rounds_text = ", ".join(f"{r:.2f}" for r in per_round)
    lines += [
        "",
        "| target | measured | required | met |",
        "|---|---:|---:|:---:|",
        f"| throughput, 2 workers / 1 worker | {ratio:.2f}x (rounds: {rounds_text}) "
        f"| >= {TARGET}x | {met} |",
        "",
        f"Two workers used {cores[2]:.2f} cores against one worker's {cores[1]:.2f} "
        f"({cores[2] / cores[1]:.2f}x), at {cpu_ms[2]:.1f} vs {cpu_ms[1]:.1f} CPU ms per query: "
        "throughput follows the cores the server gets, which on a shared machine is what the "
        f"database ({database[2]:.2f} cores in the two-worker rounds), the clients "
        f"({client[2]:.2f}) and everything else running leave it.",
        "",
    ]
    (RESULTS / "workers.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
