"""Migration 0014 on a database that already has appointments: upgrading from 0012 (PostgreSQL)
or 0013 (SQLite), with patterns and holds_provider stored under 0013, backfills exactly the held
intervals the application writes for the same rows; then the one exclusion constraint guards
them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.orm import Session

from api.migrate import downgrade, upgrade
from api.models import Appointment, AppointmentStatus, AppointmentType, Chair, Patient, Room
from tests.conftest import ClinicWorld

DAY = datetime(2031, 3, 4, 9, tzinfo=UTC)  # far ahead: no clock rule applies to rows written here


def _held(url: str) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT appointment_id, resource_kind, resource_id, start_time, end_time "
                    "FROM held_intervals"
                )
            ).all()
    finally:
        engine.dispose()
    # SQLite hands back strings, PostgreSQL aware datetimes: compare as UTC instants.
    return sorted(tuple(_instant(v) for v in row) for row in rows)


def _instant(value: Any) -> Any:
    if isinstance(value, str) and value[:4].isdigit() and "-" in value:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return value


def _seed(db: Session, world: ClinicWorld) -> dict[str, Appointment]:
    cid = world.clinic.id
    chairs = [Chair(clinic_id=cid, name=f"Chair {i}") for i in range(2)]
    room = Room(clinic_id=cid, name="Scanner", kind="scanner")
    other = Patient(
        clinic_id=cid, first_name="Ola", last_name="Other", date_of_birth=DAY.date().replace(2012)
    )
    kind = AppointmentType(
        clinic_id=cid,
        name="Adjustment",
        code="ADJ",
        default_duration=30,
        min_duration=20,
        max_duration=40,
        buffer_after=10,
    )
    db.add_all([*chairs, room, other, kind])
    db.flush()

    def appt(hour: int, **fields: Any) -> Appointment:
        start = DAY + timedelta(hours=hour)
        row = Appointment(
            clinic_id=cid,
            patient_id=world.patient.id,
            start_time=start,
            end_time=start + timedelta(minutes=30),
            duration=30,
            occupied_start=start,
            occupied_end=start + timedelta(minutes=40),  # the type's 10-minute buffer after
            appointment_type_id=kind.id,
            provider_id=world.provider.id,
            chair_id=chairs[0].id,
            status=AppointmentStatus.SCHEDULED,
            booked_by="test",
        )
        for name, value in fields.items():
            setattr(row, name, value)
        return row

    rows = {
        "plain": appt(0),
        "room": appt(1, chair_id=None, room_id=room.id),
        "cancelled": appt(2, status=AppointmentStatus.CANCELLED, deleted_at=DAY),
        "no_show": appt(3, status=AppointmentStatus.NO_SHOW),
        "override": appt(4, conflict_override=True, patient_id=other.id),
        "patterned": appt(5, chair_id=chairs[1].id, time_pattern="AADDAA"),
        "not_held": appt(6, holds_provider=False),
    }
    db.add_all(rows.values())
    db.commit()
    return rows


def test_upgrade_backfills_what_the_application_writes(
    app: FastAPI, db: Session, world: ClinicWorld, database_url: str
) -> None:
    rows = _seed(db, world)
    ids = {name: row.id for name, row in rows.items()}
    written = _held(database_url)
    by_appointment = {name: [r for r in written if r[0] == ids[name]] for name in ids}
    # What the application wrote, spelled out, so the comparison below compares with truth.
    assert [r[1:] for r in by_appointment["patterned"]] == sorted(
        [
            ("chair", rows["patterned"].chair_id, DAY + timedelta(hours=5), _at(5, 40)),
            ("provider", world.provider.id, _at(5, 10), _at(5, 20)),
        ]
    )
    assert {r[1] for r in by_appointment["plain"]} == {"chair", "provider"}
    assert all(r[3:] == (_at(0), _at(0, 40)) for r in by_appointment["plain"])
    assert {r[1] for r in by_appointment["room"]} == {"room", "provider"}
    assert [r[1] for r in by_appointment["not_held"]] == ["chair"]
    for name in ("cancelled", "no_show", "override"):
        assert by_appointment[name] == []

    db.close()
    app.state.db.dispose()
    # Back to the schema before doctor time, the rows still there. On SQLite 0013's own downgrade
    # cannot rebuild appointment_types under rows that point at it (a foreign key), so there the
    # upgrade starts from 0013, the revision 0014 follows.
    if database_url.startswith("postgresql"):
        downgrade(database_url, "0012")
        upgrade(database_url, "0013")
    else:
        downgrade(database_url, "0013")
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:  # what a clinic may have stored while 0013 was the head
        conn.execute(
            sa.text("UPDATE appointments SET time_pattern = 'AADDAA' WHERE id = :id"),
            {"id": ids["patterned"]},
        )
        conn.execute(
            sa.text("UPDATE appointments SET holds_provider = false WHERE id = :id"),
            {"id": ids["not_held"]},
        )
    engine.dispose()
    upgrade(database_url)
    assert _held(database_url) == written


def _at(hour: int, minute: int = 0) -> datetime:
    return DAY + timedelta(hours=hour, minutes=minute)


def test_the_backfilled_rows_are_guarded_on_postgresql(
    app: FastAPI, db: Session, world: ClinicWorld, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no exclusion constraints; BEGIN IMMEDIATE serialises writers")
    rows = _seed(db, world)
    db.close()
    app.state.db.dispose()
    downgrade(database_url, "0013")
    upgrade(database_url)
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            names = set(
                conn.scalars(sa.text("SELECT conname FROM pg_constraint WHERE contype = 'x'"))
            )
            assert names == {"ex_held_intervals_overlap", "ex_appointments_patient_overlap"}
            # The patterned appointment's doctor run 10:10-10:20 (09:00 UTC + 5 h) is taken.
            with pytest.raises(sa.exc.IntegrityError, match="ex_held_intervals_overlap"):
                conn.execute(
                    sa.text(
                        "INSERT INTO held_intervals (id, clinic_id, resource_kind, resource_id, "
                        "appointment_id, start_time, end_time) VALUES ('x', :clinic, 'provider', "
                        ":provider, :appointment, :start, :end)"
                    ),
                    {
                        "clinic": world.clinic.id,
                        "provider": world.provider.id,
                        "appointment": rows["not_held"].id,
                        "start": _at(5, 15),
                        "end": _at(5, 25),
                    },
                )
    finally:
        engine.dispose()
