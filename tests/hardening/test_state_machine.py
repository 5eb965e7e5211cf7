"""A hypothesis state machine drives book / reschedule / duplicate / cancel / adjust-duration
through the API; after every step: no overlap on any provider, chair, room or patient, every
active appointment's duration within its type's bounds, every appointment's held_intervals rows
exactly what it holds, and one audit row per mutation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api.models import Appointment, HeldInterval
from api.models.held_interval import held_by
from tests.api.booking.conftest import Clinic
from tests.stress.invariants import held_overlaps, overlaps

OK_OR_REFUSED = {409, 412, 422}


def test_booking_state_machine_keeps_every_invariant(
    client: TestClient, clinic: Clinic, db: Session
) -> None:
    db.rollback()
    baseline = db.execute(text("SELECT count(*) FROM audit_log")).scalar() or 0
    headers = clinic.headers()
    times = st.tuples(st.integers(8, 17), st.sampled_from([0, 15, 30, 45]), st.integers(0, 1))

    class Booking(RuleBasedStateMachine):
        appointments = Bundle("appointments")
        total_mutations = 0

        def __init__(self) -> None:
            super().__init__()
            self.versions: dict[str, int] = {}
            # Carried across examples: the database is the test's, not the example's.
            self.mutations = Booking.total_mutations

        def _mutated(self) -> None:
            self.mutations += 1
            Booking.total_mutations = self.mutations

        @rule(
            target=appointments,
            when=times,
            provider=st.integers(0, 1),
            chair=st.integers(0, 1),
            patient=st.integers(0, 3),
            duration=st.integers(15, 45),
        )
        def book(
            self, when: tuple[int, int, int], provider: int, chair: int, patient: int, duration: int
        ) -> Any:
            hour, minute, day = when
            r = client.post(
                "/api/booking/appointments",
                json=clinic.booking(
                    startTime=clinic.iso(hour, minute, days=day),
                    providerId=clinic.providers[provider].id,
                    chairId=clinic.chairs[chair].id,
                    patientId=clinic.patients[patient].id,
                    duration=duration,
                ),
                headers=headers,
            )
            assert r.status_code in {201} | OK_OR_REFUSED, r.text
            if r.status_code != 201:
                return None
            self._mutated()
            self.versions[r.json()["id"]] = r.json()["version"]
            return r.json()["id"]

        def _if_match(self, appt: str) -> dict[str, str]:
            return {**headers, "If-Match": f'"{self.versions[appt]}"'}

        @rule(appt=appointments, when=times)
        def reschedule(self, appt: str | None, when: tuple[int, int, int]) -> None:
            if appt is None or appt not in self.versions:
                return
            hour, minute, day = when
            r = client.post(
                f"/api/booking/appointments/{appt}/reschedule",
                json={"startTime": clinic.iso(hour, minute, days=day)},
                headers=self._if_match(appt),
            )
            assert r.status_code in {200} | OK_OR_REFUSED, r.text
            if r.status_code == 200:
                self._mutated()
                self.versions[appt] = r.json()["version"]

        @rule(target=appointments, appt=appointments, when=times)
        def duplicate(self, appt: str | None, when: tuple[int, int, int]) -> Any:
            if appt is None or appt not in self.versions:
                return None
            hour, minute, day = when
            r = client.post(
                f"/api/booking/appointments/{appt}/duplicate",
                json={"startTime": clinic.iso(hour, minute, days=day)},
                headers=headers,
            )
            assert r.status_code in {201} | OK_OR_REFUSED, r.text
            if r.status_code != 201:
                return None
            self._mutated()
            self.versions[r.json()["id"]] = r.json()["version"]
            return r.json()["id"]

        @rule(appt=appointments, duration=st.integers(10, 50))
        def adjust_duration(self, appt: str | None, duration: int) -> None:
            if appt is None or appt not in self.versions:
                return
            r = client.put(
                f"/api/booking/appointments/{appt}",
                json={"duration": duration},
                headers=self._if_match(appt),
            )
            assert r.status_code in {200} | OK_OR_REFUSED, r.text
            if r.status_code == 200:
                self._mutated()
                self.versions[appt] = r.json()["version"]

        @rule(appt=consumes(appointments))
        def cancel(self, appt: str | None) -> None:
            if appt is None or appt not in self.versions:
                return
            r = client.delete(
                f"/api/booking/appointments/{appt}",
                params={"reason": "state machine"},
                headers=self._if_match(appt),
            )
            assert r.status_code in {200} | OK_OR_REFUSED, r.text
            if r.status_code == 200:
                self._mutated()
                del self.versions[appt]

        @invariant()
        def no_overlaps(self) -> None:
            db.rollback()
            found = overlaps(db.connection())
            assert found == {"provider_id": 0, "chair_id": 0, "room_id": 0, "patient_id": 0}

        @invariant()
        def held_rows_are_what_each_appointment_holds(self) -> None:
            # After any sequence of mutations: no resource held twice at once, and every
            # appointment's held_intervals rows are exactly what it holds now (none once cancelled).
            db.rollback()
            assert held_overlaps(db.connection()) == 0
            rows: dict[str, list[tuple[str, str, datetime, datetime]]] = {}
            for h in db.scalars(select(HeldInterval)):
                rows.setdefault(h.appointment_id, []).append(
                    (h.resource_kind, h.resource_id, h.start_time, h.end_time)
                )
            for appointment in db.scalars(select(Appointment)):
                expected = [
                    (k.kind.value, k.resource_id, k.start, k.end) for k in held_by(appointment)
                ]
                assert sorted(rows.pop(appointment.id, [])) == sorted(expected), appointment.id
            assert rows == {}

        @invariant()
        def durations_within_type_bounds(self) -> None:
            bad = db.execute(
                text(
                    "SELECT a.id, a.duration, t.min_duration, t.max_duration FROM appointments a "
                    "JOIN appointment_types t ON t.id = a.appointment_type_id "
                    "WHERE a.deleted_at IS NULL AND NOT a.conflict_override AND "
                    "(a.duration < t.min_duration OR a.duration > t.max_duration "
                    " OR a.end_time <> a.start_time + a.duration * interval '1 minute')"
                    if db.get_bind().dialect.name == "postgresql"
                    else "SELECT a.id, a.duration, t.min_duration, t.max_duration "
                    "FROM appointments a JOIN appointment_types t "
                    "ON t.id = a.appointment_type_id WHERE a.deleted_at IS NULL "
                    "AND NOT a.conflict_override "
                    "AND (a.duration < t.min_duration OR a.duration > t.max_duration)"
                )
            ).all()
            assert bad == []

        @invariant()
        def one_audit_row_per_mutation(self) -> None:
            rows = db.execute(text("SELECT count(*) FROM audit_log")).scalar()
            assert rows == baseline + self.mutations

    run_state_machine_as_test(
        Booking,
        settings=settings(
            max_examples=20,
            stateful_step_count=12,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        ),
    )
    assert Booking.total_mutations > 10
