"""Creating appointments: one, or a visit whose parts are booked all or none.

The parts are planned and checked by the engine (`checks`), a plan's procedures are claimed
for them, and the rows are written with their audit (`persist`)."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from api.audit import service as audit
from api.booking import checks, persist
from api.booking.checks import Context
from api.booking.schemas import AppointmentCreate
from api.core import clock
from api.errors import InvalidInput
from api.models import (
    Appointment,
    AppointmentStatus,
    Clinic,
    Patient,
    PlannedProcedure,
    ProcedureStatus,
    TreatmentPlan,
)


def _fill_procedures(
    session: Session,
    plan: TreatmentPlan | None,
    part: checks.PlannedPart,
    taken: set[str],
    field: str,
) -> list[PlannedProcedure]:
    if plan is None:
        if part.procedure_ids:
            raise InvalidInput(field, "procedureIds need a treatmentPlanId they belong to.")
        return []
    by_id = {p.id: p for p in plan.procedures}
    if part.procedure_ids:
        unknown = [pid for pid in part.procedure_ids if pid not in by_id]
        if unknown:
            raise InvalidInput(
                field, f"Procedures {', '.join(unknown)} are not part of plan '{plan.name}'."
            )
        chosen = [by_id[pid] for pid in part.procedure_ids]
    else:
        # The plan's next pending procedure that this type performs.
        chosen = next(
            (
                [p]
                for p in plan.procedures
                if p.status == ProcedureStatus.PENDING
                and p.appointment_type_id == part.kind.id
                and p.id not in taken
            ),
            [],
        )
    for procedure in chosen:
        taken.add(procedure.id)
        procedure.status = ProcedureStatus.SCHEDULED
    return chosen


def create(ctx: Context, body: AppointmentCreate) -> list[Appointment]:
    session, principal = ctx.session, ctx.principal
    clinic = checks.caller_clinic(session, principal)
    patient = checks.require_in_clinic(
        session, Patient, body.patient_id, clinic.id, "patientId", "patient"
    )
    plan = checks.require_in_clinic(
        session,
        TreatmentPlan,
        body.treatment_plan_id,
        clinic.id,
        "treatmentPlanId",
        "treatment plan",
    )
    if plan is not None and plan.patient_id != patient.id:
        raise InvalidInput("treatmentPlanId", "That treatment plan belongs to another patient.")
    parts = checks.plan_parts(
        session,
        clinic,
        body.part_inputs(),
        "parts." if body.parts else "",
        usual_provider_id=patient.usual_provider_id,
    )
    overridden = checks.check_rules(ctx, clinic, parts, patient.id, body)
    return insert(ctx, clinic, patient, plan, parts, body, overridden, action="create")


def insert(
    ctx: Context,
    clinic: Clinic,
    patient: Patient,
    plan: TreatmentPlan | None,
    parts: list[checks.PlannedPart],
    body: AppointmentCreate,
    overridden: bool,
    *,
    action: str,
    extra_reason: str | None = None,
) -> list[Appointment]:
    visit_id = uuid.uuid4().hex if len(parts) > 1 else None
    taken: set[str] = set()
    rows = []
    for index, part in enumerate(parts):
        occupied_start, occupied_end = part.occupied
        procedures = _fill_procedures(
            ctx.session,
            plan,
            part,
            taken,
            f"parts.{index}.procedureIds" if len(parts) > 1 else "procedureIds",
        )
        row = Appointment(
            id=uuid.uuid4().hex,
            clinic_id=clinic.id,
            patient_id=patient.id,
            start_time=part.start,
            end_time=part.end,
            duration=part.minutes,
            occupied_start=occupied_start,
            occupied_end=occupied_end,
            appointment_type_id=part.kind.id,
            provider_id=part.provider_id,
            holds_provider=part.holds_provider,
            time_pattern=part.time_pattern,
            chair_id=part.chair_id,
            room_id=part.room_id,
            assistant_id=part.assistant_id,
            status=AppointmentStatus.SCHEDULED,
            treatment_plan_id=plan.id if plan else None,
            notes=body.notes,
            patient_notes=body.patient_notes,
            booked_by=ctx.principal.user_id,
            booked_at=clock.now(),
            source=body.source,
            template_slot_id=part.template_slot_id,
            visit_id=visit_id,
            conflict_override=overridden,
            override_reason=body.override_reason
            if (body.override or body.override_lead_time)
            else None,
        )
        row.procedures = procedures
        ctx.session.add(row)
        rows.append(row)
    persist.flush_or_conflict(ctx, clinic, rows)
    for row in rows:
        audit.record(
            ctx.session,
            ctx.principal,
            action=action,
            appointment=row,
            before=None,
            request_id=ctx.request_id,
            reason=extra_reason,
        )
        persist.audit_override(ctx, row, body)
    ctx.session.flush()
    return rows
