"""Migration 0020 on a database with slot holds: existing holds keep no assistant and survive the
round trip, and on SQLite the table keeps the triggers that bump the clinic's busy_version (a
rebuild would drop them, and availability would serve stale busy time)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.orm import Session

from api.migrate import downgrade, upgrade
from api.models import AppointmentType, SlotHold
from tests.conftest import ClinicWorld

DAY = datetime(2031, 3, 4, 9, tzinfo=UTC)


def _run(url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(sa.text(sql), params)
            return [tuple(r) for r in result] if result.returns_rows else []
    finally:
        engine.dispose()


def test_holds_survive_the_round_trip_and_still_bump_busy_version(
    app: FastAPI, db: Session, world: ClinicWorld, database_url: str
) -> None:
    cid = world.clinic.id
    kind = AppointmentType(
        clinic_id=cid, name="Adjustment", code="ADJ", default_duration=30, min_duration=30,
        max_duration=30,
    )  # fmt: skip
    db.add(kind)
    db.flush()
    hold = SlotHold(
        clinic_id=cid, owner="patient:x", appointment_type_id=kind.id, start_time=DAY,
        end_time=DAY + timedelta(minutes=30), occupied_start=DAY,
        occupied_end=DAY + timedelta(minutes=30), provider_id=world.provider.id,
        expires_at=DAY, held_since=DAY,
    )  # fmt: skip
    db.add(hold)
    db.commit()
    hold_id = hold.id
    db.close()
    app.state.db.dispose()

    downgrade(database_url, "0019")
    assert _run(database_url, "SELECT id FROM slot_holds") == [(hold_id,)]
    upgrade(database_url)
    assert _run(database_url, "SELECT id, assistant_id FROM slot_holds") == [(hold_id, None)]

    version = "SELECT busy_version FROM clinics WHERE id = :cid"
    before = _run(database_url, version, cid=cid)
    _run(database_url, "DELETE FROM slot_holds WHERE id = :id", id=hold_id)
    assert _run(database_url, version, cid=cid) != before
