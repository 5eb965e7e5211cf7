"""Faults in the middle of a booking load: PostgreSQL restarted, and (separately) the pool's
connections killed with pg_terminate_backend. Requests in flight get 503 problem+json with
Retry-After, none gets a false 201, the service recovers without a restart, and after clients
retry their 503s with the same Idempotency-Key every acknowledged booking exists exactly once."""

from __future__ import annotations

import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from api.audit import chain
from tests.stress.invariants import acknowledged_missing, overlaps
from tests.stress.support import (
    PG_VERSION,
    POSTGRES_URL,
    RESULTS,
    StressClinic,
    StressRow,
    fresh_postgres,
    seed_clinic,
    served,
    stress_settings,
    wait_for_postgres,
)

pytestmark = [
    pytest.mark.stress,
    pytest.mark.skipif(
        not POSTGRES_URL, reason="set SLOTWISE_TEST_POSTGRES_URL (make stress does)"
    ),
]

THREADS = 8
MAX_REQUESTS = 600


@dataclass
class Sent:
    key: str
    body: dict[str, Any]
    status: int
    appointment_id: str | None
    retry_after: str | None
    content_type: str
    finished: float


def _body(c: StressClinic, k: int) -> dict[str, Any]:
    """The k-th booking of the load: its own provider/chair pair, time and patient."""
    day, rest = divmod(k, 40)
    pair, slot = divmod(rest, 20)
    return {
        "patientId": c.patients[k % len(c.patients)],
        "appointmentTypeId": c.adj,
        "providerId": c.providers[pair],
        "chairId": c.chairs[pair],
        "startTime": c.at(30 * slot, days=day),
        "duration": 30,
    }


def _post(http: httpx.Client, c: StressClinic, key: str, body: dict[str, Any]) -> httpx.Response:
    return http.post(
        "/api/booking/appointments", json=body, headers={**c.headers, "Idempotency-Key": key}
    )


def _load_with_fault(
    base_url: str, c: StressClinic, fault: Callable[[], None]
) -> tuple[list[Sent], float]:
    """THREADS clients booking back to back; `fault` runs after a second of load; the load goes
    on for a few seconds after the fault so recovery shows. Returns the requests and the time
    the fault ended."""
    counter = iter(range(MAX_REQUESTS))
    lock = threading.Lock()
    sent: list[Sent] = []
    stop = threading.Event()

    def client() -> None:
        with httpx.Client(base_url=base_url, timeout=60) as http:
            while not stop.is_set():
                with lock:
                    k = next(counter, None)
                if k is None:
                    return
                key, body = uuid.uuid4().hex, _body(c, k)
                r = _post(http, c, key, body)
                record = Sent(
                    key,
                    body,
                    r.status_code,
                    r.json().get("id") if r.status_code == 201 else None,
                    r.headers.get("retry-after"),
                    r.headers.get("content-type", ""),
                    time.monotonic(),
                )
                with lock:
                    sent.append(record)

    threads = [threading.Thread(target=client) for _ in range(THREADS)]
    for t in threads:
        t.start()
    try:
        time.sleep(1.0)
        fault()
        fault_over = time.monotonic()
        time.sleep(4.0)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=120)
    return sent, fault_over


def _settle(base_url: str, c: StressClinic, sent: list[Sent]) -> dict[str, str]:
    """Retry every 503 with its Idempotency-Key until answered: key → appointment id."""
    acknowledged = {s.key: s.appointment_id for s in sent if s.status == 201}
    with httpx.Client(base_url=base_url, timeout=60) as http:
        for s in sent:
            if s.status != 503:
                continue
            deadline = time.monotonic() + 60
            while True:
                r = _post(http, c, s.key, s.body)
                if r.status_code != 503 or time.monotonic() > deadline:
                    break
                time.sleep(float(r.headers.get("retry-after", "1")))
            assert r.status_code == 201, (r.status_code, r.text)
            acknowledged[s.key] = r.json()["id"]
    return {k: v for k, v in acknowledged.items() if v is not None}


def _check(name: str, url: str, base_url: str, c: StressClinic, fault: Callable[[], None]) -> None:
    began = time.monotonic()
    sent, fault_over = _load_with_fault(base_url, c, fault)
    codes = Counter(s.status for s in sent)
    acknowledged = _settle(base_url, c, sent)
    seconds = time.monotonic() - began
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = overlaps(conn)
        lost = acknowledged_missing(conn, list(acknowledged.values()))
        rows = conn.execute(sa.text("SELECT count(*) FROM appointments")).scalar()
        audit_rows = conn.execute(sa.text("SELECT count(*) FROM audit_log")).scalar()
    with sa.orm.Session(engine) as session:
        reports = chain.verify(session)
    engine.dispose()
    RESULTS.append(
        StressRow(
            scenario=name,
            database="PostgreSQL, 2 uvicorn workers",
            requests=len(sent),
            created=codes[201],
            rejected=codes[409] + codes[412],
            unavailable=codes[503],
            overlaps=sum(found.values()),
            lost=lost,
            server_errors=sum(n for s, n in codes.items() if s >= 500 and s != 503),
            seconds=seconds,
        )
    )
    assert set(codes) <= {201, 503}, codes
    assert codes[503] > 0, "the fault never reached a request: the test proved nothing"
    for s in sent:
        if s.status == 503:
            assert s.content_type == "application/problem+json"
            assert s.retry_after is not None and int(s.retry_after) > 0
    # Recovered without a restart: bookings succeed again after the fault.
    assert any(s.status == 201 and s.finished > fault_over for s in sent), codes
    # Every request was answered exactly once in the end, and every answer is in the database.
    assert len(acknowledged) == len(sent)
    assert lost == 0
    assert rows == len(sent)
    assert audit_rows == rows
    assert found == {"provider_id": 0, "chair_id": 0, "room_id": 0, "patient_id": 0}
    assert all(r.ok for r in reports)


def _pg_is_up() -> bool:
    return subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"], check=False).returncode == 0


def test_postgres_restart_during_booking_load(tmp_path: Path) -> None:
    if not PG_VERSION:
        pytest.skip("no local PostgreSQL cluster to restart (/etc/postgresql is missing)")
    cluster = ["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, "main"]

    def restart() -> None:
        subprocess.run([*cluster, "restart"], check=True, timeout=120)

    try:
        with fresh_postgres() as url:
            settings = stress_settings(url, tmp_path)
            clinic = seed_clinic(url, settings)
            with served(settings, workers=2) as base_url:
                _check("PostgreSQL restarted mid-load", url, base_url, clinic, restart)
    finally:
        # Whatever happened above, leave PostgreSQL running for everything after this test.
        if not _pg_is_up():
            subprocess.run([*cluster, "start"], check=False, timeout=120)
        wait_for_postgres()


def test_pool_connections_terminated_during_booking_load(tmp_path: Path) -> None:
    with fresh_postgres() as url:
        settings = stress_settings(url, tmp_path)
        clinic = seed_clinic(url, settings)
        name = make_url(url).database
        admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")

        def terminate() -> None:
            # Three rounds, so connections checked out between rounds are hit too.
            for _ in range(3):
                with admin.connect() as conn:
                    conn.execute(
                        sa.text(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = :db AND pid <> pg_backend_pid()"
                        ),
                        {"db": name},
                    )
                time.sleep(0.3)

        try:
            with served(settings, workers=2) as base_url:
                _check("pool connections terminated mid-load", url, base_url, clinic, terminate)
        finally:
            admin.dispose()
