"""Rows the patient/plan/provider/room tests need but no API of theirs creates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from api.models import Appointment, AppointmentType, PlannedProcedure


def make_type(session: Session, clinic_id: str, code: str = "ADJ") -> AppointmentType:
    kind = AppointmentType(
        clinic_id=clinic_id,
        name=f"Type {code}",
        code=code,
        default_duration=30,
        min_duration=15,
        max_duration=60,
    )
    session.add(kind)
    session.commit()
    return kind


def make_appointment(
    session: Session,
    *,
    clinic_id: str,
    patient_id: str,
    provider_id: str,
    type_id: str,
    room_id: str | None = None,
    treatment_plan_id: str | None = None,
    procedure_ids: tuple[str, ...] = (),
) -> Appointment:
    start = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)
    end = start + timedelta(minutes=30)
    appointment = Appointment(
        clinic_id=clinic_id,
        patient_id=patient_id,
        provider_id=provider_id,
        appointment_type_id=type_id,
        room_id=room_id,
        treatment_plan_id=treatment_plan_id,
        start_time=start,
        end_time=end,
        duration=30,
        occupied_start=start,
        occupied_end=end,
        booked_by="test",
    )
    if procedure_ids:
        appointment.procedures = [session.get_one(PlannedProcedure, p) for p in procedure_ids]
    session.add(appointment)
    session.commit()
    return appointment
