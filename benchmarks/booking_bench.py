"""Booking API overhead, as ratios measured in one run.

1. Throughput: bookings/s through the real HTTP stack (uvicorn, 8 concurrent clients, every rule
   checked by the engine, audit row, exclusion constraints) against plain inserts of the same
   rows (8 threads, one transaction per row) on the same database.
2. Availability latency: a 14-day availability query through HTTP against the engine call alone
   on the same clinic state.

PostgreSQL when SLOTWISE_TEST_POSTGRES_URL (or BENCH_POSTGRES_URL) is set, else SQLite.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from api.auth.tokens import TokenClaims, issue_token
from api.booking.clinic_state import ClinicState
from api.config import Settings
from api.main import create_app
from api.migrate import upgrade
from api.models import (
    Appointment,
    AppointmentType,
    Chair,
    Clinic,
    Patient,
    Provider,
    ScheduleTemplate,
    User,
)
from solver import find_availability
from solver.problem import Visit, VisitPart
from tests.support.schedules import open_every_day
from tests.support.server import running_server

RESULTS = Path(__file__).parent / "results"
CLIENTS = 8
ZONE = ZoneInfo("Europe/London")


def _database() -> tuple[str, Callable[[], None], str]:
    pg = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("SLOTWISE_TEST_POSTGRES_URL")
    if not pg:
        path = Path(tempfile.mkdtemp()) / "bench.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        return url, lambda: None, "sqlite"
    name = f"slotwise_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(pg).set(database=name).render_as_string(hide_password=False)
    upgrade(url)

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return url, drop, "postgresql"


def _clinic(session: sa.orm.Session) -> dict[str, object]:
    clinic = Clinic(name="Bench", time_zone="Europe/London", min_lead_time_minutes=0)
    session.add(clinic)
    session.flush()
    providers = [Provider(clinic_id=clinic.id, name=f"P{i}") for i in range(CLIENTS)]
    chairs = [Chair(clinic_id=clinic.id, name=f"C{i}") for i in range(CLIENTS)]
    session.add_all([*providers, *chairs])
    session.flush()
    kind = AppointmentType(
        clinic_id=clinic.id,
        name="Adjustment",
        code="ADJ",
        default_duration=30,
        min_duration=20,
        max_duration=40,
    )
    template = ScheduleTemplate(clinic_id=clinic.id, name="Week", active=True)
    open_every_day(
        template, [*(("provider", p.id) for p in providers), *(("chair", c.id) for c in chairs)]
    )
    patients = [
        Patient(
            clinic_id=clinic.id, first_name="P", last_name=str(i), date_of_birth=date(2010, 1, 1)
        )
        for i in range(CLIENTS)
    ]
    user = User(
        clinic_id=clinic.id, email=f"bench-{uuid.uuid4().hex[:6]}@x.example", role="frontdesk"
    )
    session.add_all([kind, template, *patients, user])
    session.commit()
    return {
        "clinic": clinic,
        "providers": providers,
        "chairs": chairs,
        "type": kind,
        "patients": patients,
        "user": user,
    }


def _slots(day0: date, per_client: int) -> list[datetime]:
    """Back-to-back 30-minute starts, 08:00 to 18:00 clinic-local, day after day."""
    starts = []
    day = day0
    while len(starts) < per_client:
        for k in range(20):
            starts.append(datetime.combine(day, clock_time(8), ZONE) + timedelta(minutes=30 * k))
        day += timedelta(days=1)
    return [s.astimezone(UTC) for s in starts[:per_client]]


def _throughput(base_url: str, token: str, world: dict, starts: list[datetime]) -> float:
    def client(c: int) -> int:
        ok = 0
        with httpx.Client(
            base_url=base_url, timeout=60, headers={"Authorization": f"Bearer {token}"}
        ) as http:
            for start in starts:
                resp = http.post(
                    "/api/booking/appointments",
                    json={
                        "patientId": world["patients"][c].id,
                        "appointmentTypeId": world["type"].id,
                        "providerId": world["providers"][c].id,
                        "chairId": world["chairs"][c].id,
                        "startTime": start.isoformat(),
                        "duration": 30,
                    },
                )
                ok += resp.status_code == 201
        return ok

    t0 = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        booked = sum(pool.map(client, range(CLIENTS)))
    elapsed = time.perf_counter() - t0
    assert booked == CLIENTS * len(starts), f"only {booked} bookings succeeded"
    return booked / elapsed


def _plain_inserts(url: str, world: dict, starts: list[datetime]) -> float:
    engine = sa.create_engine(url, pool_size=CLIENTS)
    user_id = world["user"].id

    def writer(c: int) -> None:
        for start in starts:
            with sa.orm.Session(engine) as s:
                s.add(
                    Appointment(
                        clinic_id=world["clinic"].id,
                        patient_id=world["patients"][c].id,
                        start_time=start,
                        end_time=start + timedelta(minutes=30),
                        duration=30,
                        occupied_start=start,
                        occupied_end=start + timedelta(minutes=30),
                        appointment_type_id=world["type"].id,
                        provider_id=world["providers"][c].id,
                        chair_id=world["chairs"][c].id,
                        booked_by=user_id,
                    )
                )
                s.commit()

    t0 = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(writer, range(CLIENTS)))
    elapsed = time.perf_counter() - t0
    engine.dispose()
    return CLIENTS * len(starts) / elapsed


def _latency(fn: Callable[[], object], repeats: int) -> list[float]:
    fn()  # warm up
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    per_client = 10 if args.quick else 40
    repeats = 10 if args.quick else 40

    url, drop, backend = _database()
    try:
        settings = Settings(DATABASE_URL=url, SLOTWISE_JWT_SECRET=uuid.uuid4().hex)
        app = create_app(settings)
        with app.state.db.write() as session:
            world = _clinic(session)
        user = world["user"]
        token = issue_token(settings, TokenClaims(user.id, user.clinic_id, "frontdesk", None, None))
        day0 = (datetime.now(ZONE) + timedelta(days=2)).date()
        with running_server(app) as base_url:
            http_rate = _throughput(base_url, token, world, _slots(day0, per_client))
            insert_rate = _plain_inserts(url, world, _slots(day0 + timedelta(days=30), per_client))

            window = {
                "from": datetime.combine(day0, clock_time(0), ZONE).isoformat(),
                "to": datetime.combine(day0 + timedelta(days=14), clock_time(0), ZONE).isoformat(),
                "appointmentTypeId": world["type"].id,
            }
            with httpx.Client(
                base_url=base_url, timeout=60, headers={"Authorization": f"Bearer {token}"}
            ) as http:
                http_ms = {
                    (size, cached): _http_latency(http, window, size, cached, repeats)
                    for size in SIZES
                    for cached in (True, False)
                }
            with app.state.db.read() as session:
                clinic = session.get(Clinic, world["clinic"].id)
                start = datetime.fromisoformat(window["from"])
                state = ClinicState(session, clinic, start, start + timedelta(days=14))
                query = state.query(Visit((VisitPart(world["type"].id),)), datetime.now(UTC))
                # The same answer from the engine: its starts, assembled up to the same count.
                solver_ms = {
                    size: _latency(lambda n=n: find_availability(query).slots[:n], repeats)  # type: ignore[misc]
                    for size, n in SIZES.items()
                }
    finally:
        drop()

    median = statistics.median
    result: dict[str, object] = {
        "backend": backend,
        "clients": CLIENTS,
        "bookings": CLIENTS * per_client,
        "api_bookings_per_s": round(http_rate, 1),
        "plain_inserts_per_s": round(insert_rate, 1),
        "throughput_ratio": round(http_rate / insert_rate, 3),
    }
    for size in SIZES:
        engine = median(solver_ms[size])
        result[f"availability_{size}_engine_median_ms"] = round(engine, 2)
        for cached, label in ((True, "cached"), (False, "uncached")):
            http = median(http_ms[(size, cached)])
            result[f"availability_{size}_http_{label}_median_ms"] = round(http, 2)
            result[f"availability_{size}_http_{label}_over_engine"] = round(http / engine, 2)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "booking_bench.json"
    try:
        runs = json.loads(path.read_text())
        runs = runs if "backend" not in runs else {}  # the one-backend layout of earlier runs
    except (OSError, ValueError):
        runs = {}
    runs[backend] = result
    path.write_text(json.dumps(runs, indent=2) + "\n")
    table = "\n".join(_table(r) for _, r in sorted(runs.items()))
    (RESULTS / "booking_bench.md").write_text(table)
    print(table)


# The 14-day availability query two ways: the first page (what the engine-alone figure of
# earlier runs assembled) and every start up to the route's default limit.
SIZES = {"page": 10, "full": 5000}


def _http_latency(
    http: httpx.Client, window: dict[str, str], size: str, cached: bool, repeats: int
) -> list[float]:
    """Cached: the same question again (nothing changed), answered by the availability cache.
    Uncached: a new question each time (another `to` a minute later, past the last start, so
    the same starts), so the engine runs; busy time and configuration still come from the
    worker's caches, as for any question after the first since the last write."""
    limit = SIZES[size]
    shift = iter(range(1, 10_000))

    def ask() -> None:
        params = {**window, "limit": str(limit)}
        if not cached:
            to = datetime.fromisoformat(window["to"]) + timedelta(minutes=next(shift))
            params["to"] = to.isoformat()
        http.get("/api/booking/availability", params=params).raise_for_status()

    return _latency(ask, repeats)


def _table(r: dict) -> str:
    rows = [
        f"## Booking API ({r['backend']}, {r['clients']} concurrent clients, one run)",
        "",
        "| measure | value | goal |",
        "|---|---|---|",
        f"| bookings through HTTP | {r['api_bookings_per_s']} /s | |",
        f"| plain inserts of the same rows | {r['plain_inserts_per_s']} /s | |",
        f"| **bookings: HTTP / plain inserts** | **{r['throughput_ratio']}** | >= 0.3 |",
    ]
    for size, n in SIZES.items():
        rows += [
            f"| 14-day availability, {n} starts: engine alone (median) | "
            f"{r[f'availability_{size}_engine_median_ms']} ms | |",
        ]
        for label in ("uncached", "cached"):
            rows.append(
                f"| {n} starts via HTTP, {label}: median "
                f"{r[f'availability_{size}_http_{label}_median_ms']} ms, **/ engine** | "
                f"**{r[f'availability_{size}_http_{label}_over_engine']}x** | <= 3x |"
            )
    return "\n".join([*rows, ""])


if __name__ == "__main__":
    main()
