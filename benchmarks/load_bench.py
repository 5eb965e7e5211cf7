"""The load test: locust, headless, against `slotwise serve --workers 2` on PostgreSQL + Redis.

A fresh PostgreSQL database (created here, dropped at the end) gets the migrations and the demo
clinic; two workers serve it on 127.0.0.1 with SLOTWISE_REDIS_URL set and metrics on a private
port. Locust (benchmarks/locustfile.py) sends a mixed workload at a fixed arrival rate: staff
availability, best-fit suggestions, bookings, lists of a day's appointments and of patients,
and portal availability. The run is bounded by time and by request count. Written to
benchmarks/results/load.json and load.md: throughput and p50/p95/p99 per operation, failures
(which must be 0), and from the server's own /metrics the 409s by type, 5xx and the share of
request time spent in the engine and in the database.

PostgreSQL from BENCH_POSTGRES_URL or SLOTWISE_TEST_POSTGRES_URL (default the local
postgresql+psycopg://postgres@127.0.0.1:5432/test); Redis from BENCH_REDIS_URL (default
redis://127.0.0.1:6379/0).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import redis
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from sqlalchemy.engine import make_url

from api.auth.tokens import TokenClaims, issue_token
from api.config import Settings
from api.db import Database
from api.demo import load_demo
from api.migrate import upgrade
from api.models import AppointmentType, Clinic, Patient, User
from tests.stress.support import served
from tests.support.server import free_port

RESULTS = Path(__file__).parent / "results"
LOCUSTFILE = Path(__file__).parent / "locustfile.py"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
USERS = 10
WORKERS = 2


@contextmanager
def fresh_database() -> Iterator[str]:
    base = (
        os.environ.get("BENCH_POSTGRES_URL")
        or os.environ.get("SLOTWISE_TEST_POSTGRES_URL")
        or DEFAULT_POSTGRES
    )
    name = f"slotwise_load_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """Sets variables for the server `served` starts (it passes os.environ on)."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def make_fixture(url: str, settings: Settings) -> dict[str, Any]:
    upgrade(url)
    db = Database(url)
    try:
        with db.write() as session:
            load_demo(session)
            session.commit()
        with db.read() as session:
            clinic = session.scalars(select(Clinic)).one()
            types = {t.code: t.id for t in session.scalars(select(AppointmentType))}
            staff = session.scalars(select(User).where(User.role == "frontdesk")).one()
            patient_user = session.scalars(select(User).where(User.role == "patient")).one()
            patients = [
                p.id
                for p in session.scalars(select(Patient).order_by(Patient.id).limit(150))
                if p.id != patient_user.patient_id
            ]
            return {
                "staff_token": issue_token(
                    settings, TokenClaims(staff.id, clinic.id, "frontdesk", None, None)
                ),
                "patient_token": issue_token(
                    settings,
                    TokenClaims(
                        patient_user.id, clinic.id, "patient", patient_user.patient_id, None
                    ),
                ),
                "adjustment_type_id": types["ADJ"],
                "bookable_type_ids": [types["ADJ"], types["REP"]],
                "patient_ids": patients,
            }
    finally:
        db.dispose()


def run_locust(
    base: str, fixture: Path, out: Path, *, seconds: int, max_requests: int, rate: float
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SLOTWISE_LOAD_FIXTURE": str(fixture),
        "SLOTWISE_LOAD_MAX_REQUESTS": str(max_requests),
        "SLOTWISE_LOAD_RATE_PER_USER": str(rate / USERS),
    }
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        base,
        "--users",
        str(USERS),
        "--spawn-rate",
        str(USERS),
        "--run-time",
        f"{seconds}s",
        "--stop-timeout",
        "10",
        "--csv",
        str(out / "load"),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    # Locust exits 1 when any request failed; the table says which, so read it either way.
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 120)


def read_stats(out: Path) -> list[dict[str, str]]:
    with (out / "load_stats.csv").open() as fh:
        return list(csv.DictReader(fh))


def read_failures(out: Path) -> list[dict[str, str]]:
    path = out / "load_failures.csv"
    if not path.exists():
        return []
    with path.open() as fh:
        return list(csv.DictReader(fh))


def server_metrics(port: int) -> dict[str, Any]:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    sums: dict[str, float] = {}
    conflicts: dict[str, float] = {}
    server_errors = 0.0
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name.endswith("_sum"):
                sums[s.name] = sums.get(s.name, 0.0) + s.value
            if s.name == "slotwise_conflicts_total":
                conflicts[s.labels["code"]] = s.value
            if s.name == "slotwise_http_requests_total" and s.labels["status"].startswith("5"):
                server_errors += s.value
    request_seconds = sums.get("slotwise_http_request_duration_seconds_sum", 0.0)
    return {
        "request_seconds": request_seconds,
        "engine_seconds": sums.get("slotwise_engine_duration_seconds_sum", 0.0),
        "database_seconds": sums.get("slotwise_db_query_duration_seconds_sum", 0.0),
        "conflicts": conflicts,
        "server_errors": server_errors,
    }


def _ms(row: dict[str, str], column: str) -> float:
    value = row.get(column, "")
    return float(value) if value not in ("", "N/A") else 0.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short run (about 20 s of load)")
    parser.add_argument("--seconds", type=int, default=None, help="load duration")
    parser.add_argument("--rate", type=float, default=10.0, help="task arrivals per second")
    parser.add_argument("--max-requests", type=int, default=None)
    args = parser.parse_args(argv)
    seconds = args.seconds or (20 if args.quick else 45)
    max_requests = args.max_requests or int(seconds * args.rate * 1.5) + 50

    redis_url = os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        raise SystemExit(f"load_bench needs Redis at {redis_url} ({exc})") from exc

    tmp = Path(tempfile.mkdtemp(prefix="slotwise-load-"))
    metrics_port = free_port()
    with fresh_database() as url:
        settings = Settings(
            DATABASE_URL=url,
            SLOTWISE_JWT_SECRET="load-" + uuid.uuid4().hex,
            SLOTWISE_SECRET_FILE=tmp / "secret",
        )
        fixture = tmp / "fixture.json"
        fixture.write_text(json.dumps(make_fixture(url, settings)))
        server_env = environment(
            SLOTWISE_REDIS_URL=redis_url,
            # Every simulated user is its own network, named by the proxy on 127.0.0.1.
            SLOTWISE_TRUSTED_PROXIES="127.0.0.1",
            SLOTWISE_METRICS=f"port:{metrics_port}",
            SLOTWISE_LOG_FORMAT="json",
        )
        with server_env, served(settings, workers=WORKERS) as base:
            load_before = os.getloadavg()[0]
            started = time.perf_counter()
            done = run_locust(
                base, fixture, tmp, seconds=seconds, max_requests=max_requests, rate=args.rate
            )
            wall = time.perf_counter() - started
            load_after = os.getloadavg()[0]
            server = server_metrics(metrics_port)
    if not (tmp / "load_stats.csv").exists():
        raise SystemExit(f"locust wrote no statistics:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    stats = read_stats(tmp)
    failures = read_failures(tmp)
    conflict_file = tmp / "conflicts.jsonl"
    conflict_answers = (
        [json.loads(line) for line in conflict_file.read_text().splitlines()]
        if conflict_file.exists()
        else []
    )
    shutil.rmtree(tmp, ignore_errors=True)

    operations = []
    total: dict[str, str] = {}
    for row in stats:
        if row["Name"] == "Aggregated":
            total = row
            continue
        operations.append(
            {
                "operation": row["Name"],
                "method": row["Type"],
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "per_second": float(row["Requests/s"]),
                "p50_ms": _ms(row, "50%"),
                "p95_ms": _ms(row, "95%"),
                "p99_ms": _ms(row, "99%"),
            }
        )
    requests = int(total.get("Request Count", 0))
    failed = int(total.get("Failure Count", 0))
    report = {
        "workers": WORKERS,
        "users": USERS,
        "arrival_rate_per_second": args.rate,
        "seconds_bound": seconds,
        "request_bound": max_requests,
        "wall_seconds": wall,
        "load_average_before": load_before,
        "load_average_after": load_after,
        "requests": requests,
        "failures": failed,
        "throughput_per_second": float(total.get("Requests/s", 0) or 0),
        "p50_ms": _ms(total, "50%"),
        "p95_ms": _ms(total, "95%"),
        "p99_ms": _ms(total, "99%"),
        "operations": operations,
        "failure_samples": failures[:10],
        "booking_conflicts": conflict_answers,
        "server": server,
        "met": failed == 0 and server["server_errors"] == 0 and requests > 0,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "load.json").write_text(json.dumps(report, indent=2))

    share = server["request_seconds"] or 1.0
    conflicts = ", ".join(f"{n:g} {code}" for code, n in sorted(server["conflicts"].items()))
    lines = [
        f"## Load test: mixed workload, {WORKERS} workers, PostgreSQL + Redis (locust, headless)",
        "",
        f"Demo clinic in a fresh database; {USERS} users at {args.rate:g} task arrivals/s in "
        f"all (`constant_throughput`), bounded by {seconds} s and {max_requests} requests, "
        f"127.0.0.1 only; load average {load_before:.1f} before / {load_after:.1f} after "
        "(locust shares the two cores with the server).",
        "",
        "| operation | requests | per s | p50 ms | p95 ms | p99 ms | failures |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for op in operations:
        lines.append(
            f"| {op['method']} {op['operation']} | {op['requests']} | {op['per_second']:.2f} "
            f"| {op['p50_ms']:.0f} | {op['p95_ms']:.0f} | {op['p99_ms']:.0f} | {op['failures']} |"
        )
    met = "yes" if report["met"] else "NO"
    lines += [
        f"| **all** | {requests} | {report['throughput_per_second']:.2f} | "
        f"{report['p50_ms']:.0f} | {report['p95_ms']:.0f} | {report['p99_ms']:.0f} | {failed} |",
        "",
        "| target | measured | required | met |",
        "|---|---:|---:|:---:|",
        f"| failed requests (locust) and 5xx (server) | {failed} and {server['server_errors']:g} "
        f"| 0 | {met} |",
        "",
        f"From the server's /metrics over the run: the engine took "
        f"{100 * server['engine_seconds'] / share:.0f}% of request time and SQL "
        f"{100 * server['database_seconds'] / share:.0f}%; 409s: "
        + (
            f"{conflicts} (a time another user booked between search and booking, refused as "
            "it must be)."
            if conflicts
            else "none."
        ),
        "",
    ]
    (RESULTS / "load.md").write_text("\n".join(lines))
    print("\n".join(lines))
    if failures:
        print("failures:", json.dumps(failures[:5], indent=2))


if __name__ == "__main__":
    main()
