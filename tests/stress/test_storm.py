"""Booking storms over HTTP: 200 concurrent requests for 20 times. Exactly one booking per time
wins, everyone else gets 409, the database holds no overlap on any provider, chair, room or
patient, and every acknowledged booking is there exactly once."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from api.audit import chain
from api.main import create_app
from tests.stress.support import (
    POSTGRES_URL,
    RESULTS,
    StressClinic,
    StressRow,
    acknowledged_missing,
    fire,
    fresh_postgres,
    overlaps,
    seed_clinic,
    served,
    storm_bodies,
    stress_settings,
)
from tests.support.server import running_server

REQUESTS, SLOTS = 200, 20

pytestmark = pytest.mark.stress


def _storm(base_url: str, url: str, clinic: StressClinic, database: str) -> None:
    bodies = storm_bodies(clinic, REQUESTS, SLOTS)
    began = time.monotonic()
    outcomes = fire(base_url, clinic, bodies)
    seconds = time.monotonic() - began
    codes = Counter(o.status for o in outcomes)
    created = [o.body["id"] for o in outcomes if o.status == 201]
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = overlaps(conn)
        lost = acknowledged_missing(conn, created)
        rows = conn.execute(sa.text("SELECT count(*) FROM appointments")).scalar()
        audit_rows = conn.execute(sa.text("SELECT count(*) FROM audit_log")).scalar()
    with sa.orm.Session(engine) as session:
        reports = chain.verify(session)
    engine.dispose()
    RESULTS.append(
        StressRow(
            scenario=f"storm: {REQUESTS} concurrent POSTs for {SLOTS} times",
            database=database,
            requests=REQUESTS,
            created=codes[201],
            rejected=codes[409],
            unavailable=codes[503],
            overlaps=sum(found.values()),
            lost=lost,
            server_errors=sum(n for s, n in codes.items() if s >= 500 and s != 503),
            seconds=seconds,
        )
    )
    assert codes == {201: SLOTS, 409: REQUESTS - SLOTS}, codes
    assert all(o.content_type == "application/problem+json" for o in outcomes if o.status == 409)
    assert found == {"provider_id": 0, "chair_id": 0, "room_id": 0, "patient_id": 0}
    assert lost == 0
    assert rows == SLOTS
    # One audit row per booking, and the chain survived the concurrent appends.
    assert audit_rows == SLOTS
    assert [(r.ok, r.rows) for r in reports] == [(True, SLOTS)]


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
