"""held_intervals: written with every booking, rewritten by every change that moves held time, and
on PostgreSQL the one exclusion constraint that makes a resource's overlapping time impossible
whatever writes it (docs/doctor-time-design.md, "Database guarantee")."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.core import clock
from api.models import Appointment, AppointmentStatus, AppointmentType, HeldInterval
from tests.api.booking.conftest import Clinic, book

Row = tuple[str, str, datetime, datetime]


def held(db: Session, appointment_id: str) -> list[Row]:
    """(kind, resource, start, end) of an appointment's held rows, in a stable order."""
    db.rollback()  # a fresh snapshot: the API committed in its own session
    rows = db.scalars(sa.select(HeldInterval).where(HeldInterval.appointment_id == appointment_id))
    return sorted((r.resource_kind, r.resource_id, r.start_time, r.end_time) for r in rows)


def _put(client: TestClient, clinic: Clinic, appt: dict[str, Any], **body: Any) -> Any:
    headers = {**clinic.headers(), "If-Match": f'"{appt["version"]}"'}
    return client.put(f"/api/booking/appointments/{appt['id']}", json=body, headers=headers)


def _is_postgres(db: Session) -> bool:
    return db.get_bind().dialect.name == "postgresql"


class TestWritten:
    def test_a_booking_holds_provider_and_chair_for_its_span(
        self, client: TestClient, clinic: Clinic, db: Session
    ) -> None:
        appt = book(client, clinic).json()
        provider, chair = clinic.providers[0].id, clinic.chairs[1].id
        span = (clinic.at(14), clinic.at(14, 30))
        assert held(db, appt["id"]) == sorted(
            [("chair", chair, *span), ("provider", provider, *span)]
        )

    def test_buffers_are_held_by_provider_and_chair_without_a_pattern(
        self, client: TestClient, clinic: Clinic, db: Session
    ) -> None:
        # The debond's 10-minute buffer after: today's model holds the provider for it too.
        appt = book(client, clinic, appointmentTypeId=clinic.debond.id, duration=60).json()
        span = (clinic.at(14), clinic.at(15, 10))
        assert held(db, appt["id"]) == sorted(
            [("chair", clinic.chairs[1].id, *span), ("provider", clinic.providers[0].id, *span)]
        )

    def test_a_scan_holds_its_room(self, client: TestClient, clinic: Clinic, db: Session) -> None:
        response = book(
            client,
            clinic,
            appointmentTypeId=clinic.scan.id,
            chairId=None,
            roomId=clinic.scanner.id,
            duration=20,
        )
        assert response.status_code == 201, response.text
        span = (clinic.at(14), clinic.at(14, 20))
        assert held(db, response.json()["id"]) == sorted(
            [("provider", clinic.providers[0].id, *span), ("room", clinic.scanner.id, *span)]
        )

    def test_a_type_that_needs_no_provider_holds_only_its_chair(
        self, client: TestClient, clinic: Clinic, db: Session
    ) -> None:
        photos = AppointmentType(
            clinic_id=clinic.world.clinic.id,
            name="Records Photos",
            code="PHOTO",
            default_duration=15,
            min_duration=10,
            max_duration=30,
            needs_provider=False,
        )
        db.add(photos)
        db.commit()
        body = {"appointmentTypeId": photos.id, "duration": 15, "providerId": None}
        response = book(client, clinic, **body)
        assert response.status_code == 201, response.text
        # The provider is recorded (the seed requires one) but holds no interval.
        assert held(db, response.json()["id"]) == [
            ("chair", clinic.chairs[1].id, clinic.at(14), clinic.at(14, 15))
        ]

    def test_an_override_holds_nothing(
        self, client: TestClient, clinic: Clinic, db: Session
    ) -> None:
        first = book(client, clinic)
        assert first.status_code == 201
        second = book(
            client,
            clinic,
            patientId=clinic.patients[1].id,
            override=True,
            overrideReason="emergency squeezed in",
        )
        assert second.status_code == 201, second.text
        # Deliberately double-booked rows stay out of the guarantee, as in migration 0002.
        assert held(db, second.json()["id"]) == []
        assert len(held(db, first.json()["id"])) == 2


class TestRewritten:
    def test_cancel_releases_every_row(
        self, client: TestClient, clinic: Clinic, db: Session
    ) -> None:
        appt = book(client, clinic).json()
        cancelled = client.delete(
            f"/api/booking/appointments/{appt['id']}",
            params={"reason": "patient ill"},
            headers=clinic.headers(),
        )
        assert cancelled.status_code == 200, cancelled.text
        assert held(db, appt["id"]) == []

    def test_no_show_releases_every_row(
        self, client: TestClient, clinic: Clinic, db: Session
    ) -> None:
        appt = book(client, clinic).json()
        response = _put(client, clinic, appt, status="NO_SHOW")
        assert response.status_code == 200, response.text
        assert held(db, appt["id"]) == []

    def test_a_status_that_still_holds_keeps_the_rows(
        self, client: TestClient, clinic: Clinic, db: Session
    ) -> None:
        appt = book(client, clinic).json()
        before = held(db, appt["id"])
        assert _put(client, clinic, appt, status="CONFIRMED").status_code == 200
        assert held(db, appt["id"]) == before

    def test_reschedule_moves_the_rows(
        self, client: TestClient, clinic: Clinic, db: Session
    ) -> None:
        appt = book(client, clinic).json()
        # Five minutes later: the new rows overlap the old ones, which must be gone first.
        moved = client.post(
            f"/api/booking/appointments/{appt['id']}/reschedule",
            json={"startTime": clinic.iso(14, 5), "chairId": clinic.chairs[0].id},
            headers=clinic.headers(),
        )
        assert moved.status_code == 200, moved.text
        span = (clinic.at(14, 5), clinic.at(14, 35))
        assert held(db, appt["id"]) == sorted(
            [("chair", clinic.chairs[0].id, *span), ("provider", clinic.providers[0].id, *span)]
        )

    def test_duration_change_resizes_the_rows(
        self, client: TestClient, clinic: Clinic, db: Session
    ) -> None:
        appt = book(client, clinic).json()
        response = _put(client, clinic, appt, duration=40)
        assert response.status_code == 200, response.text
        span = (clinic.at(14), clinic.at(14, 40))
        assert held(db, appt["id"]) == sorted(
            [("chair", clinic.chairs[1].id, *span), ("provider", clinic.providers[0].id, *span)]
        )

    def test_a_pattern_holds_the_provider_for_its_d_runs_only(
        self, client: TestClient, clinic: Clinic, db: Session
    ) -> None:
        appt = book(client, clinic).json()
        row = db.get(Appointment, appt["id"])
        assert row is not None
        row.time_pattern = "ADDAAD"  # 30 minutes: the doctor at 0:05-0:15 and 0:25-0:30
        db.commit()
        provider = clinic.providers[0].id
        assert held(db, appt["id"]) == sorted(
            [
                ("chair", clinic.chairs[1].id, clinic.at(14), clinic.at(14, 30)),
                ("provider", provider, clinic.at(14, 5), clinic.at(14, 15)),
                ("provider", provider, clinic.at(14, 25), clinic.at(14, 30)),
            ]
        )
        # Not holding the provider at all: the chair alone.
        row.holds_provider = False
        db.commit()
        assert held(db, appt["id"]) == [
            ("chair", clinic.chairs[1].id, clinic.at(14), clinic.at(14, 30))
        ]

    def test_a_lapsed_new_patient_booking_releases_its_rows_when_staff_book_over_it(
        self, client: TestClient, clinic: Clinic, db: Session
    ) -> None:
        from api.models import EmailConfirmation

        lapsed = book(client, clinic).json()
        db.add(
            EmailConfirmation(
                clinic_id=clinic.world.clinic.id,
                appointment_id=lapsed["id"],
                patient_id=clinic.patients[0].id,
                email="new@example.org",
                hold_until=clock.now() - timedelta(minutes=1),
                link_expires_at=clock.now() + timedelta(days=1),
            )
        )
        db.commit()
        # Its window passed unconfirmed: the engine sees the time as free, and the flush that
        # books it cancels the lapsed row and drops its held time before inserting the new one.
        taken = book(client, clinic, patientId=clinic.patients[1].id)
        assert taken.status_code == 201, taken.text
        assert held(db, lapsed["id"]) == []
        assert len(held(db, taken.json()["id"])) == 2


def _insert_raw(db: Session, appointment_id: str, kind: str, resource_id: str, span: Any) -> None:
    db.execute(
        sa.text(
            "INSERT INTO held_intervals (id, clinic_id, resource_kind, resource_id, "
            "appointment_id, start_time, end_time) VALUES (:id, :clinic, :kind, :resource, "
            ":appointment, :start, :end)"
        ),
        {
            "id": uuid.uuid4().hex,
            "clinic": db.get(Appointment, appointment_id).clinic_id,  # type: ignore[union-attr]
            "kind": kind,
            "resource": resource_id,
            "appointment": appointment_id,
            "start": span[0],
            "end": span[1],
        },
    )


class TestGuarantee:
    def test_a_raw_overlapping_provider_interval_is_refused_by_postgresql(
        self, client: TestClient, clinic: Clinic, db: Session
    ) -> None:
        if not _is_postgres(db):
            pytest.skip("SQLite has no exclusion constraints; BEGIN IMMEDIATE guards it instead")
        first = book(client, clinic).json()
        other = book(
            client,
            clinic,
            patientId=clinic.patients[1].id,
            providerId=clinic.providers[1].id,
            chairId=clinic.chairs[0].id,
        ).json()
        provider = clinic.providers[0].id
        db.rollback()
        # Touching is fine ('[)' ranges): 14:30 to 14:40 right after the first booking.
        _insert_raw(db, other["id"], "provider", provider, (clinic.at(14, 30), clinic.at(14, 40)))
        db.rollback()
        with pytest.raises(IntegrityError) as refused:
            _insert_raw(
                db, other["id"], "provider", provider, (clinic.at(14, 25), clinic.at(14, 35))
            )
        assert getattr(refused.value.orig, "sqlstate", None) == "23P01"
        db.rollback()
        assert len(held(db, first["id"])) == 2

    def test_one_doctor_in_two_chairs_at_once_only_where_the_d_runs_do_not_meet(
        self, client: TestClient, clinic: Clinic, db: Session
    ) -> None:
        if not _is_postgres(db):
            pytest.skip("SQLite has no exclusion constraints; BEGIN IMMEDIATE guards it instead")
        first = book(client, clinic).json()
        row = db.get(Appointment, first["id"])
        assert row is not None
        row.time_pattern = "DDAAAA"  # the doctor 14:00-14:10, then free
        db.commit()

        def second(pattern: str) -> Appointment:
            return Appointment(
                clinic_id=row.clinic_id,
                patient_id=clinic.patients[1].id,
                start_time=row.start_time,
                end_time=row.end_time,
                duration=30,
                occupied_start=row.occupied_start,
                occupied_end=row.occupied_end,
                appointment_type_id=clinic.adj.id,
                provider_id=row.provider_id,
                chair_id=clinic.chairs[0].id,
                status=AppointmentStatus.SCHEDULED,
                booked_by="test",
                time_pattern=pattern,
            )

        clash = second("ADAAAA")  # needs the doctor 14:05-14:10, already held
        db.add(clash)
        with pytest.raises(IntegrityError) as refused:
            db.flush()
        assert getattr(refused.value.orig, "sqlstate", None) == "23P01"
        db.rollback()
        fits = second("AADDAA")  # the doctor 14:10-14:20, in the other chair
        db.add(fits)
        db.commit()
        assert [r[2:] for r in held(db, fits.id) if r[0] == "provider"] == [
            (clinic.at(14, 10), clinic.at(14, 20))
        ]

    def test_a_refusal_by_the_constraint_names_the_holder_of_the_interval(
        self, client: TestClient, clinic: Clinic, db: Session
    ) -> None:
        if not _is_postgres(db):
            pytest.skip("SQLite has no exclusion constraints; BEGIN IMMEDIATE guards it instead")
        # The holder's own span is at 16:00, so the engine's check lets a 14:00 booking through;
        # only its held row at 14:00 (as a doctor run would be) makes the database refuse, and the
        # 409 must name it from held_intervals, not from spans.
        holder = book(client, clinic, patientId=clinic.patients[1].id, startTime=clinic.iso(16))
        assert holder.status_code == 201
        db.rollback()
        provider = clinic.providers[0].id
        _insert_raw(
            db, holder.json()["id"], "provider", provider, (clinic.at(14, 10), clinic.at(14, 15))
        )
        db.commit()
        refused = book(client, clinic)
        assert refused.status_code == 409, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        named = [c["appointmentId"] for c in refused.json()["conflicts"]]
        assert named == [holder.json()["id"]]
