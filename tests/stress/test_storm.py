"""Booking storms over HTTP: 200 concurrent requests for 20 times. Exactly one booking per time
wins, everyone else gets 409, the database holds no overlap on any provider, chair, room or
patient, and every acknowledged booking is there exactly once.

The doctor storm: 200 concurrent wire checks (pattern ADA) for one doctor's time in different
chairs. No two held intervals of one resource overlap (SQL self-join on held_intervals), every
request is stored or refused with 409, each refusal is a real clash with a stored booking, and
every stored booking's held rows are exactly what it holds.

The assistant storm: 200 concurrent assisted checks (no provider time) in ten chairs at 20
starts, all needing the clinic's one assistant. No two of the assistant's held intervals overlap
(SQL self-join on held_intervals), every request is stored or refused with 409, each start has
exactly one booking, and each refusal lost to the stored booking of its start."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from api.audit import chain
from api.main import create_app
from api.models import Appointment, HeldInterval
from api.models.held_interval import held_by
from solver.time_pattern import provider_held
from tests.stress.invariants import acknowledged_missing, held_overlaps, overlaps
from tests.stress.support import (
    CHECK_PATTERN,
    POSTGRES_URL,
    RESULTS,
    Outcome,
    StressClinic,
    StressRow,
    assistant_storm_bodies,
    doctor_storm_bodies,
    fire,
    fresh_postgres,
    seed_clinic,
    served,
    storm_bodies,
    stress_settings,
)
from tests.support.server import running_server

REQUESTS, SLOTS = 200, 20

pytestmark = pytest.mark.stress


def _fire(
    base_url: str, clinic: StressClinic, bodies: list[dict[str, Any]]
) -> tuple[list[Outcome], Counter[int], list[str], float]:
    """Send every body at once; the outcomes, their status counts, the ids created, seconds."""
    began = time.monotonic()
    outcomes = fire(base_url, clinic, bodies)
    seconds = time.monotonic() - began
    codes = Counter(o.status for o in outcomes)
    return outcomes, codes, [o.body["id"] for o in outcomes if o.status == 201], seconds


def _record(
    scenario: str, database: str, codes: Counter[int], overlaps: int, lost: int, seconds: float
) -> None:
    """One row of benchmarks/results/stress.md."""
    RESULTS.append(
        StressRow(
            scenario=scenario,
            database=database,
            requests=REQUESTS,
            created=codes[201],
            rejected=codes[409],
            unavailable=codes[503],
            overlaps=overlaps,
            lost=lost,
            server_errors=sum(n for s, n in codes.items() if s >= 500 and s != 503),
            seconds=seconds,
        )
    )


def _storm(base_url: str, url: str, clinic: StressClinic, database: str) -> None:
    bodies = storm_bodies(clinic, REQUESTS, SLOTS)
    outcomes, codes, created, seconds = _fire(base_url, clinic, bodies)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = overlaps(conn)
        held_found = held_overlaps(conn)
        lost = acknowledged_missing(conn, created)
        rows = conn.execute(sa.text("SELECT count(*) FROM appointments")).scalar()
        audit_rows = conn.execute(sa.text("SELECT count(*) FROM audit_log")).scalar()
    with sa.orm.Session(engine) as session:
        reports = chain.verify(session)
    engine.dispose()
    _record(
        f"storm: {REQUESTS} concurrent POSTs for {SLOTS} times",
        database,
        codes,
        sum(found.values()),
        lost,
        seconds,
    )
    assert codes == {201: SLOTS, 409: REQUESTS - SLOTS}, codes
    assert all(o.content_type == "application/problem+json" for o in outcomes if o.status == 409)
    assert found == {"provider_id": 0, "chair_id": 0, "room_id": 0, "patient_id": 0}
    assert held_found == 0
    assert lost == 0
    assert rows == SLOTS
    # One audit row per booking, and the chain survived the concurrent appends.
    assert audit_rows == SLOTS
    assert [(r.ok, r.rows) for r in reports] == [(True, SLOTS)]


def _doctor_storm(base_url: str, url: str, clinic: StressClinic, database: str) -> None:
    bodies = doctor_storm_bodies(clinic, REQUESTS, SLOTS)
    outcomes, codes, created, seconds = _fire(base_url, clinic, bodies)
    engine = sa.create_engine(url)
    with sa.orm.Session(engine) as session:
        conn = session.connection()
        found = overlaps(conn)
        held_found = held_overlaps(conn)
        lost = acknowledged_missing(conn, created)
        stored = list(session.scalars(sa.select(Appointment)))
        held = list(session.scalars(sa.select(HeldInterval)))
        audit_rows = conn.execute(sa.text("SELECT count(*) FROM audit_log")).scalar()
        reports = chain.verify(session)
    engine.dispose()
    _record(
        f"doctor storm: {REQUESTS} concurrent POSTs, one doctor, pattern "
        f"{CHECK_PATTERN}, {SLOTS} starts",
        database,
        codes,
        held_found + found["chair_id"] + found["patient_id"],
        lost,
        seconds,
    )
    assert set(codes) <= {201, 409}, codes
    assert codes[201] >= 1, codes
    assert all(o.content_type == "application/problem+json" for o in outcomes if o.status == 409)
    # Spans of one doctor may share minutes now; held provider time may not, nor chairs, nor
    # patients.
    assert held_found == 0
    assert (found["chair_id"], found["patient_id"]) == (0, 0)
    assert lost == 0 and len(stored) == codes[201] == audit_rows
    assert [(r.ok, r.rows) for r in reports] == [(True, codes[201])]
    # Every stored booking's rows are what it holds, written in its own transaction.
    rows_of: dict[str, list[tuple[str, str, datetime, datetime]]] = {}
    for h in held:
        rows_of.setdefault(h.appointment_id, []).append(
            (h.resource_kind, h.resource_id, h.start_time, h.end_time)
        )
    for appointment in stored:
        expected = [(k.kind.value, k.resource_id, k.start, k.end) for k in held_by(appointment)]
        assert sorted(rows_of.get(appointment.id, [])) == sorted(expected), appointment.id
    # One start's contenders share the doctor's minutes: at most one of them wins.
    starts = Counter(a.start_time for a in stored)
    assert max(starts.values()) == 1, starts
    # Every refusal is a real clash with a stored booking, under the model the booking path
    # stored (the type's pattern once appointments carry it, whole-span provider time before).
    pattern = CHECK_PATTERN if any(a.time_pattern for a in stored) else None
    winners = [(h.resource_id, h.start_time, h.end_time) for h in held]
    for body, outcome in zip(bodies, outcomes, strict=True):
        if outcome.status != 409:
            continue
        start = datetime.fromisoformat(body["startTime"])
        wanted = [(body["chairId"], start, start + timedelta(minutes=15))] + [
            (body["providerId"], start + timedelta(minutes=a), start + timedelta(minutes=b))
            for a, b in provider_held(pattern, 15, 0, 0)
        ]
        assert any(r == w[0] and s < w[2] and w[1] < e for r, s, e in winners for w in wanted), (
            f"refused without a clash: {body} {outcome.body}"
        )
    if pattern is not None:
        # No two starts share doctor minutes, chairs or patients: one booking per start wins.
        assert len(starts) == SLOTS, starts


def _assistant_storm(base_url: str, url: str, clinic: StressClinic, database: str) -> None:
    bodies = assistant_storm_bodies(clinic, REQUESTS, SLOTS)
    outcomes, codes, created, seconds = _fire(base_url, clinic, bodies)
    engine = sa.create_engine(url)
    with sa.orm.Session(engine) as session:
        conn = session.connection()
        found = overlaps(conn)
        assistant_found = held_overlaps(conn, "assistant")
        held_found = held_overlaps(conn)
        lost = acknowledged_missing(conn, created)
        stored = list(session.scalars(sa.select(Appointment)))
        held = list(session.scalars(sa.select(HeldInterval)))
        audit_rows = conn.execute(sa.text("SELECT count(*) FROM audit_log")).scalar()
        reports = chain.verify(session)
    engine.dispose()
    _record(
        f"assistant storm: {REQUESTS} concurrent POSTs, one assistant, {SLOTS} starts",
        database,
        codes,
        held_found + found["chair_id"] + found["patient_id"],
        lost,
        seconds,
    )
    assert set(codes) <= {201, 409}, codes
    assert all(o.content_type == "application/problem+json" for o in outcomes if o.status == 409)
    assert assistant_found == 0 and held_found == 0
    assert (found["chair_id"], found["patient_id"]) == (0, 0)
    assert lost == 0 and len(stored) == codes[201] == audit_rows
    assert [(r.ok, r.rows) for r in reports] == [(True, codes[201])]
    (assistant,) = clinic.assistants
    assert {a.assistant_id for a in stored} == {assistant}
    assert not any(h.resource_kind == "provider" for h in held)  # the type holds no doctor
    # Starts 15 minutes apart never share the assistant: exactly one booking per start wins.
    starts = Counter(a.start_time for a in stored)
    assert len(starts) == SLOTS and max(starts.values()) == 1, starts
    assert codes == {201: SLOTS, 409: REQUESTS - SLOTS}, codes
    # Every refusal lost the assistant to the stored booking of its start.
    winners = {h.start_time: h for h in held if h.resource_kind == "assistant"}
    for body, outcome in zip(bodies, outcomes, strict=True):
        if outcome.status == 409:
            winner = winners.get(datetime.fromisoformat(body["startTime"]))
            assert winner is not None and winner.resource_id == assistant, body


@pytest.mark.skipif(not POSTGRES_URL, reason="set SLOTWISE_TEST_POSTGRES_URL (make stress does)")
def test_assistant_storm_postgres_three_workers(tmp_path: Path) -> None:
    with fresh_postgres() as url:
        settings = stress_settings(url, tmp_path)
        clinic = seed_clinic(url, settings, chairs=REQUESTS // SLOTS, assistants=1)
        with served(settings, workers=3) as base_url:
            _assistant_storm(base_url, url, clinic, "PostgreSQL, 3 uvicorn workers")


def test_assistant_storm_sqlite_one_process_many_threads(tmp_path: Path) -> None:
    from api.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'assistant-storm.db'}"
    upgrade(url)
    settings = stress_settings(url, tmp_path)
    clinic = seed_clinic(url, settings, chairs=REQUESTS // SLOTS, assistants=1)
    app = create_app(settings)
    try:
        with running_server(app) as base_url:
            _assistant_storm(base_url, url, clinic, "SQLite, 1 process, threads")
    finally:
        app.state.db.dispose()


@pytest.mark.skipif(not POSTGRES_URL, reason="set SLOTWISE_TEST_POSTGRES_URL (make stress does)")
def test_doctor_storm_postgres_three_workers(tmp_path: Path) -> None:
    with fresh_postgres() as url:
        settings = stress_settings(url, tmp_path)
        clinic = seed_clinic(url, settings, chairs=3 * REQUESTS // SLOTS)
        with served(settings, workers=3) as base_url:
            _doctor_storm(base_url, url, clinic, "PostgreSQL, 3 uvicorn workers")


def test_doctor_storm_sqlite_one_process_many_threads(tmp_path: Path) -> None:
    from api.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'doctor-storm.db'}"
    upgrade(url)
    settings = stress_settings(url, tmp_path)
    clinic = seed_clinic(url, settings, chairs=3 * REQUESTS // SLOTS)
    app = create_app(settings)
    try:
        with running_server(app) as base_url:
            _doctor_storm(base_url, url, clinic, "SQLite, 1 process, threads")
    finally:
        app.state.db.dispose()


@pytest.mark.skipif(not POSTGRES_URL, reason="set SLOTWISE_TEST_POSTGRES_URL (make stress does)")
def test_storm_postgres_three_workers(tmp_path: Path) -> None:
    with fresh_postgres() as url:
        settings = stress_settings(url, tmp_path)
        clinic = seed_clinic(url, settings)
        with served(settings, workers=3) as base_url:
            _storm(base_url, url, clinic, "PostgreSQL, 3 uvicorn workers")


def test_storm_sqlite_one_process_many_threads(tmp_path: Path) -> None:
    from api.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'storm.db'}"
    upgrade(url)
    settings = stress_settings(url, tmp_path)
    clinic = seed_clinic(url, settings)
    app = create_app(settings)
    try:
        with running_server(app) as base_url:
            _storm(base_url, url, clinic, "SQLite, 1 process, threads")
    finally:
        app.state.db.dispose()
