"""The database's provider guarantee (migrations 0002, 0013 and 0014's held intervals): on
PostgreSQL two active appointments that both hold one provider cannot overlap, while one that
records the provider without holding them (holds_provider false) never blocks that provider."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.models import Appointment
from tests.api.booking.conftest import Clinic


def _row(clinic: Clinic, index: int, *, holds_provider: bool | None) -> Appointment:
    # Another patient and chair each time: only the provider is shared.
    start = clinic.at(11)
    end = start + timedelta(minutes=30)
    row = Appointment(
        clinic_id=clinic.world.clinic.id,
        patient_id=clinic.patients[index].id,
        start_time=start,
        end_time=end,
        duration=30,
        occupied_start=start,
        occupied_end=end,
        appointment_type_id=clinic.adj.id,
        provider_id=clinic.providers[0].id,
        chair_id=clinic.chairs[index].id,
        booked_by="test",
    )
    if holds_provider is not None:
        row.holds_provider = holds_provider
    return row


def test_rows_default_to_holding_their_provider(db: Session, clinic: Clinic) -> None:
    row = _row(clinic, 0, holds_provider=None)
    db.add(row)
    db.commit()
    db.refresh(row)
    assert row.holds_provider is True and row.time_pattern is None


def test_an_appointment_not_holding_the_provider_never_blocks_them(
    db: Session, clinic: Clinic
) -> None:
    db.add(_row(clinic, 0, holds_provider=True))
    db.commit()
    db.add(_row(clinic, 1, holds_provider=False))
    db.commit()  # no IntegrityError: the second only records the provider


def test_two_holding_the_provider_cannot_overlap_on_postgresql(
    db: Session, clinic: Clinic, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no exclusion constraints; BEGIN IMMEDIATE serialises writers")
    db.add(_row(clinic, 0, holds_provider=True))
    db.commit()
    db.add(_row(clinic, 1, holds_provider=True))
    with pytest.raises(IntegrityError, match="ex_held_intervals_overlap"):
        db.commit()
    db.rollback()
