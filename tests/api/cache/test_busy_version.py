"""The clinic's busy_version moves with every write to busy time, however it is written, and the
per-worker busy-time cache keyed by it never offers a time that was just taken.

Written by database triggers (migration 0018), so a bulk UPDATE or a script's raw SQL moves it
as surely as a booking through the API; a configuration write leaves it alone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from api.booking.busy_cache import versions
from api.core import cache_stats
from api.models import Appointment, AppointmentStatus, Chair, SlotHold
from api.models import Clinic as ClinicRow
from tests.api.booking.conftest import Clinic, book


def _version(db: Session, clinic: Clinic) -> str:
    db.rollback()  # a fresh snapshot: see what other connections committed
    return str(
        db.scalar(select(ClinicRow.busy_version).where(ClinicRow.id == clinic.world.clinic.id))
    )


def _moves(db: Session, clinic: Clinic, write: Callable[[], None]) -> bool:
    before = _version(db, clinic)
    write()
    return _version(db, clinic) != before


def _starts(client: TestClient, clinic: Clinic, limit: int = 5000) -> set[str]:
    resp = client.get(
        "/api/booking/availability",
        params={
            "limit": limit,
            "appointmentTypeId": clinic.adj.id,
            "providerId": clinic.providers[0].id,
            "chairId": clinic.chairs[1].id,
            "from": clinic.iso(8),
            "to": clinic.iso(18),
        },
        headers=clinic.headers(),
    )
    assert resp.status_code == 200, resp.text
    return {s["startTime"].replace("+00:00", "Z") for s in resp.json()["slots"]}


def test_every_kind_of_busy_time_write_moves_the_version(
    client: TestClient, clinic: Clinic, db: Session
) -> None:
    booked: list[str] = []

    def book_one() -> None:
        resp = book(client, clinic)
        assert resp.status_code == 201, resp.text
        booked.append(resp.json()["id"])

    def bulk_update() -> None:
        db.execute(
            update(Appointment)
            .where(Appointment.id == booked[0])
            .values(status=AppointmentStatus.CANCELLED)
        )
        db.commit()

    def raw_delete() -> None:
        db.execute(text("DELETE FROM held_intervals WHERE appointment_id = :i"), {"i": booked[0]})
        db.execute(text("DELETE FROM appointments WHERE id = :i"), {"i": booked[0]})
        db.commit()

    def hold() -> None:
        start = clinic.at(15)
        db.add(
            SlotHold(
                clinic_id=clinic.world.clinic.id,
                owner="guest:someone",
                appointment_type_id=clinic.adj.id,
                start_time=start,
                end_time=start + timedelta(minutes=30),
                occupied_start=start,
                occupied_end=start + timedelta(minutes=30),
                provider_id=clinic.providers[0].id,
                chair_id=clinic.chairs[1].id,
                expires_at=start,
            )
        )
        db.commit()

    def release_hold() -> None:
        db.execute(text("DELETE FROM slot_holds"))
        db.commit()

    assert _moves(db, clinic, book_one)
    assert _moves(db, clinic, bulk_update)
    assert _moves(db, clinic, raw_delete)
    assert _moves(db, clinic, hold)
    assert _moves(db, clinic, release_hold)

    def rename_chair() -> None:
        db.execute(update(Chair).where(Chair.id == clinic.chairs[0].id).values(name="Renamed"))
        db.commit()

    assert not _moves(db, clinic, rename_chair)


def test_a_rolled_back_write_leaves_the_version_as_it_was(clinic: Clinic, db: Session) -> None:
    before = _version(db, clinic)
    db.execute(
        text("UPDATE appointments SET notes = 'x' WHERE clinic_id = :c"),
        {"c": clinic.world.clinic.id},
    )
    hold_start = clinic.at(9)
    db.add(
        SlotHold(
            clinic_id=clinic.world.clinic.id,
            owner="guest:rolled-back",
            appointment_type_id=clinic.adj.id,
            start_time=hold_start,
            end_time=hold_start + timedelta(minutes=30),
            occupied_start=hold_start,
            occupied_end=hold_start + timedelta(minutes=30),
            provider_id=clinic.providers[0].id,
            chair_id=clinic.chairs[1].id,
            expires_at=hold_start,
        )
    )
    db.flush()
    # This transaction's busy key is its own (SQLite: the trigger's new version; PostgreSQL,
    # which replaces the column at commit: the version with this transaction's id).
    assert versions(db, clinic.world.clinic.id).busy != before
    db.rollback()
    assert _version(db, clinic) == before


def test_repeated_availability_reads_busy_time_once_and_never_offers_a_taken_time(
    client: TestClient, clinic: Clinic, db: Session
) -> None:
    first = _starts(client, clinic)
    assert clinic.iso(14) in first
    hits = cache_stats.snapshot().get("busy_time", {}).get("hit", 0)
    # Another question (not in the availability cache) over the same days: busy time not re-read.
    assert _starts(client, clinic, limit=4999) == first
    assert cache_stats.snapshot()["busy_time"]["hit"] > hits

    resp = book(client, clinic)
    assert resp.status_code == 201, resp.text
    after_booking = _starts(client, clinic)
    assert clinic.iso(14) not in after_booking
    assert clinic.iso(13, 45) not in after_booking  # its 30 minutes would overlap 14:00

    # A script cancels it behind the application's back: the time is offered again at once.
    db.execute(
        text("UPDATE appointments SET status = 'CANCELLED' WHERE id = :i"), {"i": resp.json()["id"]}
    )
    db.commit()
    assert _starts(client, clinic) == first
