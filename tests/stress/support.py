"""Shared by the stress tests: a clinic seeded straight into the database, a `slotwise serve`
subprocess with several workers, the load generators and the summary table that `make stress`
prints. The SQL invariant checks are in `tests/stress/invariants.py`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from api.auth.tokens import TokenClaims, issue_token
from api.config import Settings
from api.migrate import upgrade
from api.models import (
    AppointmentType,
    Assistant,
    Chair,
    Clinic,
    Patient,
    Provider,
    Room,
    ScheduleTemplate,
    User,
)
from tests.support.schedules import open_every_day
from tests.support.server import free_port

ZONE = ZoneInfo("Europe/London")
ROOT = Path(__file__).resolve().parents[2]
POSTGRES_URL = os.environ.get("SLOTWISE_TEST_POSTGRES_URL", "")
PG_VERSION = os.environ.get("SLOTWISE_PG_VERSION") or (
    sorted(os.listdir("/etc/postgresql"))[-1] if os.path.isdir("/etc/postgresql") else ""
)


# --------------------------------------------------------------------------- the summary table


@dataclass
class StressRow:
    scenario: str
    database: str
    requests: int
    created: int
    rejected: int
    unavailable: int
    overlaps: int
    lost: int
    server_errors: int
    seconds: float


RESULTS: list[StressRow] = []
HEADER = (
    "| scenario | database | requests | created (201) | rejected (409/412) | 503 + Retry-After "
    "| overlaps found | lost | 5xx other than 503 | seconds |"
)


def summary_table(rows: list[StressRow]) -> str:
    lines = [HEADER, "|" + "---|" * 10]
    for r in rows:
        lines.append(
            f"| {r.scenario} | {r.database} | {r.requests} | {r.created} | {r.rejected} "
            f"| {r.unavailable} | {r.overlaps} | {r.lost} | {r.server_errors} | {r.seconds:.1f} |"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- databases


@contextmanager
def fresh_postgres() -> Iterator[str]:
    """A new, migrated PostgreSQL database, dropped afterwards."""
    # NullPool: no connection outlives a PostgreSQL restart in between.
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    name = f"slotwise_stress_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        wait_for_postgres()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def wait_for_postgres(timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            engine = sa.create_engine(POSTGRES_URL, poolclass=sa.pool.NullPool)
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            engine.dispose()
            return
        except sa.exc.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


# --------------------------------------------------------------------------- the clinic


@dataclass
class StressClinic:
    clinic_id: str
    day: date
    providers: list[str]
    chairs: list[str]
    room: str
    adj: str
    scan: str
    check: str  # 15 minutes, pattern ADA: the doctor for the middle 5 minutes only
    patients: list[str]
    token: str
    settings: Settings
    # With ``seed_clinic(assistants=N)``: the assistants, and a 15-minute type that needs one
    # of them and no provider time (``None`` without assistants).
    assistants: list[str] = field(default_factory=list)
    assisted: str | None = None

    def at(self, minutes_after_eight: int, days: int = 0) -> str:
        local = datetime.combine(self.day + timedelta(days=days), clock_time(8), ZONE)
        instant = (local + timedelta(minutes=minutes_after_eight)).astimezone(UTC)
        return instant.isoformat().replace("+00:00", "Z")

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


CHECK_PATTERN = "ADA"


def seed_clinic(
    url: str, settings: Settings, patients: int = 220, chairs: int = 2, assistants: int = 0
) -> StressClinic:
    """Open 08:00-18:00 every day, two providers, `chairs` chairs, a scanner, many patients, and
    `assistants` assistants (none: a clinic that books as before assistants)."""
    engine = sa.create_engine(url)
    with Session(engine) as s:
        clinic = Clinic(name="Stress Clinic", time_zone="Europe/London", min_lead_time_minutes=0)
        s.add(clinic)
        s.flush()
        cid = clinic.id
        providers = [Provider(clinic_id=cid, name=f"Dr {i}") for i in range(2)]
        chair_rows = [Chair(clinic_id=cid, name=f"Chair {i}") for i in range(chairs)]
        room = Room(clinic_id=cid, name="Scanner", kind="scanner")
        people = [
            Patient(
                clinic_id=cid,
                first_name=f"P{i}",
                last_name="Stress",
                date_of_birth=date(2010, 1, 1) + timedelta(days=i),
            )
            for i in range(patients)
        ]
        s.add_all([*providers, *chair_rows, room, *people])
        s.flush()
        adj = AppointmentType(
            clinic_id=cid,
            name="Adjustment",
            code="ADJ",
            default_duration=30,
            min_duration=20,
            max_duration=40,
        )
        scan = AppointmentType(
            clinic_id=cid,
            name="Scan",
            code="SCAN",
            default_duration=30,
            min_duration=15,
            max_duration=30,
            needs_chair=False,
            room_kind="scanner",
        )
        check = AppointmentType(
            clinic_id=cid,
            name="Wire check",
            code="CHK",
            default_duration=15,
            min_duration=15,
            max_duration=15,
            time_pattern=CHECK_PATTERN,
        )
        s.add_all([adj, scan, check])
        helpers = [Assistant(clinic_id=cid, name=f"Assistant {i}") for i in range(assistants)]
        assisted = AppointmentType(
            clinic_id=cid, name="Assisted check", code="ACHK", default_duration=15,
            min_duration=15, max_duration=15, needs_provider=False, needs_assistant=True,
        )  # fmt: skip
        if helpers:
            s.add_all([*helpers, assisted])
            s.flush()
        template = ScheduleTemplate(clinic_id=cid, name="Week", active=True)
        open_every_day(
            template,
            [
                *(("provider", p.id) for p in providers),
                *(("chair", c.id) for c in chair_rows),
                ("room", room.id),
                *(("assistant", a.id) for a in helpers),
            ],
        )
        s.add(template)
        user = User(clinic_id=cid, email="desk@stress.example", password_hash="x", role="frontdesk")
        s.add(user)
        s.commit()
        result = StressClinic(
            clinic_id=cid,
            day=(datetime.now(ZONE) + timedelta(days=3)).date(),
            providers=[p.id for p in providers],
            chairs=[c.id for c in chair_rows],
            room=room.id,
            adj=adj.id,
            scan=scan.id,
            check=check.id,
            patients=[p.id for p in people],
            token=issue_token(settings, TokenClaims(user.id, cid, "frontdesk", None, None)),
            settings=settings,
            assistants=[a.id for a in helpers],
            assisted=assisted.id if helpers else None,
        )
    engine.dispose()
    return result


def stress_settings(url: str, tmp: Path) -> Settings:
    return Settings(
        DATABASE_URL=url,
        SLOTWISE_JWT_SECRET="stress-" + uuid.uuid4().hex,
        SLOTWISE_SECRET_FILE=tmp / "secret",
    )


# --------------------------------------------------------------------------- the server


@contextmanager
def served(settings: Settings, workers: int) -> Iterator[str]:
    """`slotwise serve --workers N` as a subprocess on a free port; stopped (its whole process
    group: the uvicorn supervisor and its workers) at the end."""
    port = free_port()
    log_path = settings.secret_file.parent / f"serve-{port}.log"
    log = log_path.open("wb")
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "SLOTWISE_JWT_SECRET": settings.jwt_secret,
        "SLOTWISE_SECRET_FILE": str(settings.secret_file),
        # 3 workers * 12 connections stays well inside PostgreSQL's default 100.
        "SLOTWISE_DB_POOL_SIZE": "8",
        "SLOTWISE_DB_MAX_OVERFLOW": "4",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--workers", str(workers), "--port", str(port)],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        # A file, not a pipe: nobody reads a pipe during the run, and a worker blocked on a full
        # pipe while logging a storm of warnings would look exactly like a hung service.
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                err = log_path.read_text(errors="replace")
                raise RuntimeError(f"slotwise serve exited with {proc.returncode}: {err[-2000:]}")
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("slotwise serve did not answer /healthz within 60 s")
            time.sleep(0.2)
        # Every worker must be up, not only the first: warm each with a few requests.
        for _ in range(workers * 4):
            httpx.get(base + "/healthz", timeout=5)
        yield base
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        log.close()


# --------------------------------------------------------------------------- load


@dataclass
class Outcome:
    status: int
    body: dict[str, Any] = field(default_factory=dict)
    retry_after: str | None = None
    content_type: str = ""
    key: str = ""


def storm_bodies(c: StressClinic, requests: int, slots: int) -> list[dict[str, Any]]:
    """`requests` bookings for `slots` 30-minute times, `requests/slots` contenders per time.

    Contenders for one time vary provider, chair and room but share the patient, and mix an
    adjustment (provider + chair) with a scan (provider + scanner room), so pairs collide on
    different resources: only the database's rules can let exactly one of them win.
    """
    bodies = []
    for i in range(requests):
        slot, j = i % slots, i // slots
        body: dict[str, Any] = {
            "patientId": c.patients[slot],
            "providerId": c.providers[j % 2],
            "startTime": c.at(30 * slot),
            "duration": 30,
            "notes": f"storm {i}",
        }
        if j % 3 == 2:
            body.update(appointmentTypeId=c.scan, roomId=c.room)
        else:
            body.update(appointmentTypeId=c.adj, chairId=c.chairs[(j // 2) % 2])
        bodies.append(body)
    return bodies


def doctor_storm_bodies(c: StressClinic, requests: int, groups: int) -> list[dict[str, Any]]:
    """`requests` wire checks for one doctor, `requests/groups` contenders per start time.

    Groups start 5 minutes apart, so their doctor minutes (the pattern's middle 5) never meet;
    the contenders of one group share the start, hence the doctor's minutes, but each has its own
    patient and chair (chairs cycle over three groups, the ones a 15-minute chair span can
    reach): only the doctor's time can make them lose.
    """
    contenders = requests // groups
    assert len(c.chairs) >= 3 * contenders and len(c.patients) >= requests
    return [
        {
            "patientId": c.patients[i],
            "providerId": c.providers[0],
            "appointmentTypeId": c.check,
            "chairId": c.chairs[(i % groups) % 3 * contenders + i // groups],
            "startTime": c.at(5 * (i % groups)),
            "duration": 15,
            "notes": f"doctor storm {i}",
        }
        for i in range(requests)
    ]


def assistant_storm_bodies(c: StressClinic, requests: int, groups: int) -> list[dict[str, Any]]:
    """`requests` assisted checks for the clinic's one assistant, `requests/groups` contenders
    per start time.

    Groups start 15 minutes apart, the checks' whole span, so they never meet; the contenders of
    one group share the start but each has its own chair and patient, and the type holds no
    provider: only the assistant can make them lose.
    """
    contenders = requests // groups
    assert c.assisted is not None and len(c.assistants) == 1
    assert len(c.chairs) >= contenders and len(c.patients) >= requests
    return [
        {
            "patientId": c.patients[i],
            "providerId": c.providers[i % 2],  # responsible only: the type holds none
            "appointmentTypeId": c.assisted,
            "chairId": c.chairs[i // groups],
            "startTime": c.at(15 * (i % groups)),
            "duration": 15,
            "notes": f"assistant storm {i}",
        }
        for i in range(requests)
    ]


def fire(base_url: str, c: StressClinic, bodies: list[dict[str, Any]]) -> list[Outcome]:
    """All bodies at once: one thread each, released together by a barrier."""
    barrier = threading.Barrier(len(bodies))

    def one(body: dict[str, Any]) -> Outcome:
        with httpx.Client(base_url=base_url, timeout=120) as http:
            barrier.wait()
            r = http.post("/api/booking/appointments", json=body, headers=c.headers)
        return Outcome(
            r.status_code,
            r.json() if r.content else {},
            r.headers.get("retry-after"),
            r.headers.get("content-type", ""),
        )

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(one, bodies))
