"""Migration 0017 on a database that already has bookings: every existing type needs no
assistant and every appointment has none (so the clinic books as before), the held intervals
are untouched, and the downgrade keeps the appointments and what points at them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.orm import Session

from api.migrate import downgrade, upgrade
from api.models import Appointment, AppointmentStatus, AppointmentType, Chair
from tests.conftest import ClinicWorld

DAY = datetime(2031, 3, 4, 9, tzinfo=UTC)  # far ahead: no clock rule applies to rows written here


def _rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return sorted(tuple(r) for r in conn.execute(sa.text(sql)))
    finally:
        engine.dispose()


def _seed(db: Session, world: ClinicWorld) -> Appointment:
    cid = world.clinic.id
    chair = Chair(clinic_id=cid, name="Chair 1")
    kind = AppointmentType(
        clinic_id=cid, name="Adjustment", code="ADJ", default_duration=30, min_duration=30,
        max_duration=30,
    )  # fmt: skip
    db.add_all([chair, kind])
    db.flush()
    row = Appointment(
        clinic_id=cid, patient_id=world.patient.id, start_time=DAY,
        end_time=DAY + timedelta(minutes=30), duration=30, occupied_start=DAY,
        occupied_end=DAY + timedelta(minutes=30), appointment_type_id=kind.id,
        provider_id=world.provider.id, chair_id=chair.id, status=AppointmentStatus.SCHEDULED,
        booked_by="test",
    )  # fmt: skip
    db.add(row)
    db.commit()
    return row


HELD = "SELECT appointment_id, resource_kind, resource_id FROM held_intervals"


def test_existing_data_books_as_before_and_survives_the_round_trip(
    app: FastAPI, db: Session, world: ClinicWorld, database_url: str
) -> None:
    row = _seed(db, world)
    held = _rows(database_url, HELD)
    assert {r[1] for r in held} == {"chair", "provider"}
    db.close()
    app.state.db.dispose()

    downgrade(database_url, "0016")
    assert _rows(database_url, "SELECT id FROM appointments") == [(row.id,)]
    assert _rows(database_url, HELD) == held  # a SQLite rebuild must not cascade them away
    engine = sa.create_engine(database_url)
    try:
        columns = {c["name"] for c in sa.inspect(engine).get_columns("appointments")}
        assert "assistant_id" not in columns
        assert "assistants" not in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()

    upgrade(database_url)
    assert _rows(database_url, "SELECT needs_assistant FROM appointment_types") == [(False,)]
    assert _rows(database_url, "SELECT assistant_id FROM appointments") == [(None,)]
    assert _rows(database_url, HELD) == held


def test_held_intervals_take_assistants_and_guard_them_on_postgresql(
    db: Session, world: ClinicWorld, database_url: str
) -> None:
    row = _seed(db, world)
    insert = sa.text(
        "INSERT INTO held_intervals (id, clinic_id, resource_kind, resource_id, appointment_id, "
        "start_time, end_time) VALUES (:id, :clinic, :kind, :resource, :appointment, :start, :end)"
    )
    values = {
        "clinic": world.clinic.id, "resource": "a" * 32, "appointment": row.id,
        "start": DAY, "end": DAY + timedelta(minutes=30),
    }  # fmt: skip
    db.execute(insert, {**values, "id": "first", "kind": "assistant"})
    typo = {**values, "id": "typo", "kind": "asistant", "resource": "b" * 32}
    with pytest.raises(sa.exc.IntegrityError, match="resource_kind"), db.begin_nested():
        db.execute(insert, typo)
    if database_url.startswith("postgresql"):
        later = {"start": DAY + timedelta(minutes=20), "end": DAY + timedelta(minutes=50)}
        overlapping = {**values, **later, "id": "second", "kind": "assistant"}
        refused = pytest.raises(sa.exc.IntegrityError, match="ex_held_intervals_overlap")
        with refused, db.begin_nested():
            db.execute(insert, overlapping)
    db.rollback()
