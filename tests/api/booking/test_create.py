from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.config import Settings
from api.main import create_app
from api.models import Appointment, AuditEntry, IdempotencyRecord
from tests.api.booking.conftest import Clinic, book


def _count(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Appointment)) or 0


class TestCreateOne:
    def test_books_with_end_time_from_duration(self, client: TestClient, clinic: Clinic) -> None:
        resp = book(client, clinic)
        assert resp.status_code == 201, resp.text
        appt = resp.json()
        assert appt["startTime"] == clinic.iso(14)
        assert appt["endTime"] == clinic.iso(14, 30)
        assert appt["duration"] == 30
        assert appt["status"] == "SCHEDULED" and appt["source"] == "STAFF"
        assert appt["bookedBy"] == clinic.world.users["frontdesk"].id
        assert resp.headers["etag"] == '"1"'
        assert resp.headers["location"].endswith(appt["id"])
        detail = client.get(resp.headers["location"], headers=clinic.headers()).json()
        assert detail["appointmentType"]["name"] == "Adjustment"
        assert detail["chair"]["name"] == "Chair 2"

    def test_default_duration_is_the_types(self, client: TestClient, clinic: Clinic) -> None:
        body = clinic.booking()
        del body["duration"]
        resp = client.post("/api/booking/appointments", json=body, headers=clinic.headers())
        assert resp.json()["duration"] == 30

    def test_end_time_instead_of_duration(self, client: TestClient, clinic: Clinic) -> None:
        resp = book(client, clinic, duration=None, endTime=clinic.iso(14, 25))
        assert resp.status_code == 201 and resp.json()["duration"] == 25

    def test_every_create_is_audited(self, client: TestClient, clinic: Clinic, db: Session) -> None:
        appt = book(client, clinic).json()
        trail = client.get(
            f"/api/booking/appointments/{appt['id']}/audit", headers=clinic.headers()
        ).json()
        assert [e["action"] for e in trail] == ["create"]
        assert trail[0]["actorId"] == clinic.world.users["frontdesk"].id
        assert trail[0]["after"]["start_time"].startswith(clinic.at(14).isoformat()[:16])


class TestRequiredAndBounds:
    def test_duration_above_the_types_maximum(self, client: TestClient, clinic: Clinic) -> None:
        resp = book(client, clinic, duration=45)
        assert resp.status_code == 422
        body = resp.json()
        assert body["errors"][0]["field"] == "duration"
        assert "maximum of 40" in body["detail"] and body["bound"] == "maxDuration"

    def test_duration_below_the_types_minimum(self, client: TestClient, clinic: Clinic) -> None:
        resp = book(client, clinic, duration=10)
        assert resp.status_code == 422 and resp.json()["bound"] == "minDuration"

    def test_missing_provider(self, client: TestClient, clinic: Clinic) -> None:
        resp = book(client, clinic, providerId=None)
        assert resp.status_code == 422 and "providerId" in resp.json()["detail"]

    def test_naive_start_time(self, client: TestClient, clinic: Clinic) -> None:
        resp = book(client, clinic, startTime=clinic.iso(14).replace("Z", ""))
        assert resp.status_code == 422
        assert resp.json()["errors"][0]["field"] == "startTime"

    def test_end_time_must_match_duration(self, client: TestClient, clinic: Clinic) -> None:
        resp = book(client, clinic, endTime=clinic.iso(15))
        assert resp.status_code == 422

    def test_other_clinics_patient_is_unknown(
        self, client: TestClient, clinic: Clinic, other_world
    ) -> None:  # type: ignore[no-untyped-def]
        resp = book(client, clinic, patientId=other_world.patient.id)
        assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "patientId"

    def test_start_off_the_clinic_grid(self, client: TestClient, clinic: Clinic) -> None:
        resp = book(client, clinic, startTime=clinic.iso(14, 2))
        assert resp.status_code == 422

    def test_type_needing_a_chair_without_one(self, client: TestClient, clinic: Clinic) -> None:
        resp = book(client, clinic, chairId=None)
        assert resp.status_code == 422

    def test_inside_lead_time(self, client: TestClient, clinic: Clinic) -> None:
        from datetime import UTC, datetime, timedelta

        soon = (datetime.now(UTC) + timedelta(minutes=30)).replace(second=0, microsecond=0)
        soon = soon.replace(minute=soon.minute - soon.minute % 5)
        resp = book(client, clinic, startTime=soon.isoformat())
        assert resp.status_code == 422
        assert any(v["code"] == "before_lead_time" for v in resp.json()["violations"])


class TestDoubleBooking:
    def test_same_provider_same_time_is_409_naming_the_appointment(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        first = book(client, clinic).json()
        resp = book(
            client,
            clinic,
            patientId=clinic.patients[1].id,
            chairId=clinic.chairs[0].id,
            startTime=clinic.iso(14, 15),
        )
        assert resp.status_code == 409
        conflicts = resp.json()["conflicts"]
        assert {"provider"} == {c["resource"] for c in conflicts}
        assert conflicts[0]["appointmentId"] == first["id"]

    def test_same_chair(self, client: TestClient, clinic: Clinic) -> None:
        book(client, clinic)
        resp = book(
            client, clinic, patientId=clinic.patients[1].id, providerId=clinic.providers[1].id
        )
        assert resp.status_code == 409
        assert [c["resource"] for c in resp.json()["conflicts"]] == ["chair"]

    def test_same_patient_elsewhere(self, client: TestClient, clinic: Clinic) -> None:
        book(client, clinic)
        resp = book(
            client,
            clinic,
            providerId=clinic.providers[1].id,
            chairId=clinic.chairs[0].id,
            startTime=clinic.iso(14, 10),
        )
        assert resp.status_code == 409
        assert [c["code"] for c in resp.json()["conflicts"]] == ["patient_busy"]

    def test_buffer_after_keeps_the_chair(self, client: TestClient, clinic: Clinic) -> None:
        assert (
            book(client, clinic, appointmentTypeId=clinic.debond.id, duration=60).status_code == 201
        )
        # The debond ends 15:00 but holds chair and provider until 15:10 for cleaning.
        resp = book(client, clinic, patientId=clinic.patients[1].id, startTime=clinic.iso(15, 5))
        assert resp.status_code == 409
        ok = book(client, clinic, patientId=clinic.patients[1].id, startTime=clinic.iso(15, 10))
        assert ok.status_code == 201

    def test_back_to_back_is_not_a_conflict(self, client: TestClient, clinic: Clinic) -> None:
        book(client, clinic)
        resp = book(client, clinic, patientId=clinic.patients[1].id, startTime=clinic.iso(14, 30))
        assert resp.status_code == 201

    def test_override_with_permission_and_reason_is_audited(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        book(client, clinic)
        resp = book(
            client,
            clinic,
            patientId=clinic.patients[1].id,
            chairId=clinic.chairs[0].id,
            override=True,
            overrideReason="Emergency: broken wire",
        )
        assert resp.status_code == 201, resp.text
        appt = resp.json()
        assert appt["conflictOverride"] is True
        assert appt["overrideReason"] == "Emergency: broken wire"
        trail = client.get(
            f"/api/booking/appointments/{appt['id']}/audit", headers=clinic.headers()
        ).json()
        assert [e["action"] for e in trail] == ["create", "override"]
        assert trail[1]["reason"] == "Emergency: broken wire"

    def test_override_needs_a_reason(self, client: TestClient, clinic: Clinic) -> None:
        resp = book(client, clinic, override=True)
        assert resp.status_code == 422

    def test_outside_working_hours_is_a_conflict(self, client: TestClient, clinic: Clinic) -> None:
        resp = book(client, clinic, startTime=clinic.iso(17, 45))
        assert resp.status_code == 409
        assert {c["code"] for c in resp.json()["conflicts"]} == {"outside_hours"}


class TestTemplateSlots:
    def test_other_type_cannot_take_a_reserved_slot(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        resp = book(
            client,
            clinic,
            appointmentTypeId=clinic.debond.id,
            duration=60,
            chairId=clinic.chairs[0].id,
            startTime=clinic.iso(8, 30),
        )
        assert resp.status_code == 409
        assert resp.json()["conflicts"][0]["code"] == "template_reserved"

    def test_book_into_the_template_slot(self, client: TestClient, clinic: Clinic) -> None:
        resp = book(
            client,
            clinic,
            chairId=clinic.chairs[0].id,
            startTime=clinic.iso(8, 30),
            templateSlotId=clinic.adj_slot.id,
        )
        assert resp.status_code == 201, resp.text
        assert resp.json()["templateSlotId"] == clinic.adj_slot.id


class TestVisit:
    def _visit(self, clinic: Clinic, adj_chair: int = 1) -> dict:  # type: ignore[type-arg]
        return {
            "patientId": clinic.patients[0].id,
            "parts": [
                {
                    "appointmentTypeId": clinic.scan.id,
                    "providerId": clinic.providers[0].id,
                    "roomId": clinic.scanner.id,
                    "startTime": clinic.iso(11),
                    "duration": 20,
                },
                {
                    "appointmentTypeId": clinic.adj.id,
                    "providerId": clinic.providers[0].id,
                    "chairId": clinic.chairs[adj_chair].id,
                    "startTime": clinic.iso(11, 20),
                },
            ],
        }

    def test_scan_and_adjustment_are_booked_together(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        resp = client.post(
            "/api/booking/appointments", json=self._visit(clinic), headers=clinic.headers()
        )
        assert resp.status_code == 201, resp.text
        body = resp.json()
        assert len(body["appointments"]) == 2
        assert {a["visitId"] for a in body["appointments"]} == {body["visitId"]}
        listed = client.get(
            "/api/booking/appointments",
            params={"visitId": body["visitId"]},
            headers=clinic.headers(),
        ).json()
        assert listed["total"] == 2

    def test_a_conflicting_part_books_nothing(
        self, client: TestClient, clinic: Clinic, db: Session
    ) -> None:
        book(
            client,
            clinic,
            patientId=clinic.patients[1].id,
            providerId=clinic.providers[1].id,
            startTime=clinic.iso(11, 20),
        )
        before = _count(db)
        resp = client.post(
            "/api/booking/appointments", json=self._visit(clinic), headers=clinic.headers()
        )
        assert resp.status_code == 409
        assert resp.json()["conflicts"][0]["partIndex"] == 1
        assert _count(db) == before

    def test_parts_and_top_level_fields_are_exclusive(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        body = self._visit(clinic) | {"startTime": clinic.iso(9)}
        resp = client.post("/api/booking/appointments", json=body, headers=clinic.headers())
        assert resp.status_code == 422


class TestTreatmentPlan:
    def test_plan_link_fills_the_next_pending_procedure(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        resp = book(client, clinic, treatmentPlanId=clinic.plan.id)
        assert resp.status_code == 201, resp.text
        first_adjustment = clinic.plan.procedures[1].id
        assert resp.json()["procedureIds"] == [first_adjustment]
        second = book(client, clinic, treatmentPlanId=clinic.plan.id, startTime=clinic.iso(15))
        assert second.json()["procedureIds"] == [clinic.plan.procedures[2].id]

    def test_procedure_from_another_plan_is_rejected(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        resp = book(client, clinic, treatmentPlanId=clinic.plan.id, procedureIds=["nope"])
        assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "procedureIds"

    def test_plan_of_another_patient_is_rejected(self, client: TestClient, clinic: Clinic) -> None:
        resp = book(client, clinic, patientId=clinic.patients[1].id, treatmentPlanId=clinic.plan.id)
        assert resp.status_code == 422


class TestIdempotency:
    def test_retry_returns_the_first_response_and_books_once(
        self, client: TestClient, clinic: Clinic, db: Session
    ) -> None:
        headers = clinic.headers() | {"Idempotency-Key": "abc-123"}
        first = client.post("/api/booking/appointments", json=clinic.booking(), headers=headers)
        again = client.post("/api/booking/appointments", json=clinic.booking(), headers=headers)
        assert first.status_code == again.status_code == 201
        assert first.json() == again.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert _count(db) == 1

    def test_same_key_different_body_is_422(self, client: TestClient, clinic: Clinic) -> None:
        headers = clinic.headers() | {"Idempotency-Key": "abc-123"}
        client.post("/api/booking/appointments", json=clinic.booking(), headers=headers)
        other = client.post(
            "/api/booking/appointments", json=clinic.booking(duration=25), headers=headers
        )
        assert other.status_code == 422
        assert other.json()["errors"][0]["field"] == "Idempotency-Key"

    def test_failed_request_can_be_retried_with_the_same_key(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        headers = clinic.headers() | {"Idempotency-Key": "k1"}
        bad = client.post(
            "/api/booking/appointments", json=clinic.booking(duration=99), headers=headers
        )
        assert bad.status_code == 422
        # Same key, same body: the failure was not stored, so it fails the same way again.
        again = client.post(
            "/api/booking/appointments", json=clinic.booking(duration=99), headers=headers
        )
        assert again.status_code == 422


class TestIdempotencyExpiry:
    """A stored response is a booking with its notes (health data): kept a day, then gone."""

    KEY = {"Idempotency-Key": "retry-me"}

    def _stored(self, db: Session) -> list[str]:
        db.rollback()
        return list(db.scalars(select(IdempotencyRecord.key)))

    def test_a_retry_within_a_day_is_replayed_and_after_it_is_a_new_request(
        self, client: TestClient, clinic: Clinic, db: Session, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        booked_at = datetime.now(UTC)
        monkeypatch.setattr("api.core.clock.now", lambda: booked_at)
        headers = clinic.headers() | self.KEY
        body = clinic.booking(notes="allergic to latex")
        first = client.post("/api/booking/appointments", json=body, headers=headers)
        assert first.status_code == 201, first.text

        monkeypatch.setattr("api.core.clock.now", lambda: booked_at + timedelta(hours=23))
        again = client.post("/api/booking/appointments", json=body, headers=headers)
        assert again.headers.get("idempotent-replayed") == "true"
        assert again.json() == first.json()

        # A day on, the key is used again: the old response (and its notes) is not replayed;
        # the request is a new booking, which finds the time already taken.
        later = booked_at + timedelta(hours=24, seconds=1)
        monkeypatch.setattr("api.core.clock.now", lambda: later)
        fresh = client.post("/api/booking/appointments", json=body, headers=headers)
        assert "idempotent-replayed" not in fresh.headers
        assert fresh.status_code == 409, fresh.text
        assert "allergic" not in fresh.text
        assert _count(db) == 1

    def test_the_sweep_deletes_responses_older_than_a_day(
        self, client: TestClient, clinic: Clinic, db: Session, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        booked_at = datetime.now(UTC)
        monkeypatch.setattr("api.core.clock.now", lambda: booked_at)
        headers = clinic.headers() | self.KEY
        assert (
            client.post(
                "/api/booking/appointments", json=clinic.booking(), headers=headers
            ).status_code
            == 201
        )
        sweeper = client.app.state.idempotency_sweeper  # type: ignore[attr-defined]
        monkeypatch.setattr("api.core.clock.now", lambda: booked_at + timedelta(hours=23))
        assert sweeper.sweep_now() == 0 and self._stored(db) == ["retry-me"]
        monkeypatch.setattr("api.core.clock.now", lambda: booked_at + timedelta(hours=24))
        assert sweeper.sweep_now() == 1 and self._stored(db) == []

    def test_the_sweeper_runs_only_while_the_app_is_served(self, settings: Settings) -> None:
        """A thread per app that outlived its app would sweep a database another test (or,
        with test databases reused, another test's rows) is using."""
        app = create_app(settings)
        sweeper = app.state.idempotency_sweeper
        TestClient(app).get("/healthz")  # a client without ``with`` runs no lifespan
        assert not sweeper.running
        with TestClient(app):
            assert sweeper.running
        assert not sweeper.running


class TestPermissions:
    def test_provider_and_patient_cannot_book(self, client: TestClient, clinic: Clinic) -> None:
        assert book(client, clinic, role="provider").status_code == 403
        assert book(client, clinic, role="patient").status_code == 403

    def test_override_needs_the_override_permission(
        self, client: TestClient, clinic: Clinic, db: Session
    ) -> None:
        from api.models import User

        user = db.get(User, clinic.world.users["frontdesk"].id)
        assert user is not None
        user.role = "provider"  # no booking:create_appointment, and no override
        db.commit()
        resp = book(client, clinic, override=True, overrideReason="x")
        assert resp.status_code == 403


def test_nothing_is_half_written_on_error(client: TestClient, clinic: Clinic, db: Session) -> None:
    book(client, clinic, duration=99)
    assert _count(db) == 0
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == 0
