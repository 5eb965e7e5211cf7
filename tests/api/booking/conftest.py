"""A configured clinic for booking tests: open 08:00 to 18:00 every day, so tests never depend on
which weekday they run; an adjustments-only template slot on chair 1 on the test day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.models import (
    AppointmentType,
    Chair,
    Patient,
    PlannedProcedure,
    Provider,
    Room,
    ScheduleTemplate,
    TemplateSlot,
    TreatmentPlan,
)
from tests.conftest import ClinicWorld
from tests.support.schedules import open_every_day

ZONE = ZoneInfo("Europe/London")


@dataclass
class Clinic:
    world: ClinicWorld
    day: date
    providers: list[Provider]
    chairs: list[Chair]
    scanner: Room
    adj: AppointmentType
    scan: AppointmentType
    debond: AppointmentType
    patients: list[Patient]
    plan: TreatmentPlan
    adj_slot: TemplateSlot

    def at(self, hour: int, minute: int = 0, days: int = 0) -> datetime:
        """A clinic-local time on the test day, as an aware UTC instant."""
        local = datetime.combine(self.day + timedelta(days=days), time(hour, minute), ZONE)
        return local.astimezone(UTC)

    def iso(self, hour: int, minute: int = 0, days: int = 0) -> str:
        return self.at(hour, minute, days).isoformat().replace("+00:00", "Z")

    def booking(self, **overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "patientId": self.patients[0].id,
            "appointmentTypeId": self.adj.id,
            "providerId": self.providers[0].id,
            "chairId": self.chairs[1].id,
            "startTime": self.iso(14),
            "duration": 30,
        }
        body.update(overrides)
        return body

    def headers(self, role: str = "frontdesk") -> dict[str, str]:
        return self.world.headers(role)


def book(client: TestClient, clinic: Clinic, role: str = "frontdesk", **overrides: Any):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/booking/appointments", json=clinic.booking(**overrides), headers=clinic.headers(role)
    )


@pytest.fixture
def clinic(db: Session, world: ClinicWorld) -> Clinic:
    cid = world.clinic.id
    world.clinic.late_cancel_fee_amount = Decimal("25.00")
    world.clinic.late_cancel_window_hours = 24
    # Three days ahead keeps every test time past the two-hour lead time.
    day = (datetime.now(ZONE) + timedelta(days=3)).date()
    providers = [world.provider, Provider(clinic_id=cid, name="Dr Second")]
    chairs = [Chair(clinic_id=cid, name="Chair 1"), Chair(clinic_id=cid, name="Chair 2")]
    scanner = Room(clinic_id=cid, name="Scanner", kind="scanner")
    db.add_all([*providers, *chairs, scanner])
    db.flush()
    adj = AppointmentType(
        clinic_id=cid,
        name="Adjustment",
        code="ADJ",
        default_duration=30,
        min_duration=20,
        max_duration=40,
        online_bookable=True,
    )
    scan = AppointmentType(
        clinic_id=cid,
        name="Intraoral Scan",
        code="SCAN",
        default_duration=20,
        min_duration=15,
        max_duration=30,
        needs_chair=False,
        room_kind="scanner",
    )
    debond = AppointmentType(
        clinic_id=cid,
        name="Debond",
        code="DEB",
        default_duration=60,
        min_duration=45,
        max_duration=90,
        buffer_after=10,
    )
    db.add_all([adj, scan, debond])
    db.flush()
    template = ScheduleTemplate(clinic_id=cid, name="Week", active=True)
    open_every_day(
        template,
        [
            *(("provider", p.id) for p in providers),
            *(("chair", c.id) for c in chairs),
            ("room", scanner.id),
        ],
    )
    adj_slot = TemplateSlot(
        name="Adjustments AM",
        weekday=day.weekday(),
        start_time=time(8),
        end_time=time(10),
        chair_id=chairs[0].id,
        appointment_type_ids=[adj.id],
    )
    template.template_slots.append(adj_slot)
    db.add(template)
    patients = [world.patient] + [
        Patient(
            clinic_id=cid,
            first_name=f"P{i}",
            last_name="Test",
            date_of_birth=date(2011, 1, i + 1),
            usual_provider_id=providers[1].id,
        )
        for i in range(3)
    ]
    db.add_all(patients[1:])
    db.flush()
    plan = TreatmentPlan(clinic_id=cid, patient_id=patients[0].id, name="Braces")
    plan.procedures = [
        PlannedProcedure(sequence=0, name="Scan", code="SCAN", appointment_type_id=scan.id),
        PlannedProcedure(sequence=1, name="Adjustment 1", code="ADJ", appointment_type_id=adj.id),
        PlannedProcedure(sequence=2, name="Adjustment 2", code="ADJ", appointment_type_id=adj.id),
    ]
    db.add(plan)
    db.commit()
    return Clinic(
        world, day, providers, chairs, scanner, adj, scan, debond, patients, plan, adj_slot
    )
