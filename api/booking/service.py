"""Booking rules: create, change, reschedule, duplicate and cancel appointments.

Each operation loads the clinic's state, asks the engine whether the booking is allowed,
writes the change and its audit row, and relies on the database to refuse a double booking
that raced past the check (exclusion constraints on PostgreSQL, BEGIN IMMEDIATE on SQLite).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.audit import service as audit
from api.auth.deps import Principal
from api.auth.permissions import Role
from api.booking import checks, persist
from api.booking.checks import Context
from api.booking.clinic_state import ClinicState
from api.booking.schemas import (
    AppointmentCreate,
    AppointmentRead,
    AppointmentUpdate,
    DuplicateRequest,
    Money,
    Override,
    PartInput,
    RescheduleRequest,
)
from api.core import clock
from api.errors import Conflict, Forbidden, InvalidInput, NotFound, PreconditionFailed
from api.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    Chair,
    Clinic,
    Patient,
    PlannedProcedure,
    ProcedureStatus,
    Provider,
    Room,
    TreatmentPlan,
)
from solver import best_fit
from solver.problem import Preferences, Visit, VisitPart

STATUS_TRANSITIONS: dict[AppointmentStatus, frozenset[AppointmentStatus]] = {
    AppointmentStatus.SCHEDULED: frozenset(
        {AppointmentStatus.CONFIRMED, AppointmentStatus.CHECKED_IN, AppointmentStatus.NO_SHOW}
    ),
    AppointmentStatus.CONFIRMED: frozenset(
        {AppointmentStatus.SCHEDULED, AppointmentStatus.CHECKED_IN, AppointmentStatus.NO_SHOW}
    ),
    AppointmentStatus.CHECKED_IN: frozenset(
        {AppointmentStatus.IN_PROGRESS, AppointmentStatus.CONFIRMED}
    ),
    AppointmentStatus.IN_PROGRESS: frozenset({AppointmentStatus.COMPLETED}),
    AppointmentStatus.COMPLETED: frozenset(),
    AppointmentStatus.NO_SHOW: frozenset(),
    AppointmentStatus.CANCELLED: frozenset(),
}


# --------------------------------------------------------------------------- reading


def to_read(appointment: Appointment) -> AppointmentRead:
    fee = None
    if appointment.cancellation_fee_amount is not None:
        fee = Money(
            amount=appointment.cancellation_fee_amount,
            currency=appointment.cancellation_fee_currency or "",
        )
    return AppointmentRead.model_validate(
        {
            **{
                name: getattr(appointment, name)
                for name in AppointmentRead.model_fields
                if name not in ("procedure_ids", "cancellation_fee")
            },
            "procedure_ids": [p.id for p in appointment.procedures],
            "cancellation_fee": fee,
        }
    )


def get_appointment(session: Session, principal: Principal, appointment_id: str) -> Appointment:
    appointment = session.get(Appointment, appointment_id)
    if appointment is None or appointment.clinic_id != principal.clinic_id:
        raise NotFound(f"No appointment with id '{appointment_id}' in your clinic.")
    return appointment


def get_for_update(session: Session, principal: Principal, appointment_id: str) -> Appointment:
    appointment = get_appointment(session, principal, appointment_id)
    if principal.role == Role.PROVIDER and appointment.provider_id != principal.provider_id:
        raise Forbidden("Providers may change only their own appointments.")
    return appointment


def check_version(appointment: Appointment, if_match: str | None, *, required: bool) -> None:
    if if_match is None:
        if required:
            from api.errors import PreconditionRequired

            raise PreconditionRequired(
                "Send If-Match with the appointment's ETag (its version) so a change made by "
                "someone else meanwhile is not overwritten."
            )
        return
    wanted = if_match.strip().removeprefix("W/").strip('"')
    if wanted != str(appointment.version):
        raise PreconditionFailed(
            f"The appointment is now at version {appointment.version}, not {wanted}; "
            "reload it and apply your change again.",
            currentVersion=appointment.version,
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


# --------------------------------------------------------------------------- mutations


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
    parts = checks.plan_parts(session, clinic, body.part_inputs(), "parts." if body.parts else "")
    overridden = checks.check_rules(ctx, clinic, parts, patient.id, body)
    return _insert(ctx, clinic, patient, plan, parts, body, overridden, action="create")


def _insert(
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
            chair_id=part.chair_id,
            room_id=part.room_id,
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


def update(
    ctx: Context, appointment: Appointment, body: AppointmentUpdate, if_match: str | None
) -> Appointment:
    check_version(appointment, if_match, required=True)
    before = audit.snapshot(appointment)
    changes = body.model_dump(
        by_alias=False,
        exclude_unset=True,
        exclude={"override", "override_reason", "override_lead_time"},
    )
    new_status = changes.pop("status", None)
    clinic = checks.caller_clinic(ctx.session, ctx.principal)

    moving = {
        k: v for k, v in changes.items() if k in ("provider_id", "chair_id", "room_id", "duration")
    }
    if moving:
        if appointment.status not in checks.MOVABLE:
            raise Conflict(
                f"A {appointment.status.value.lower().replace('_', ' ')} appointment can no "
                "longer be moved or resized."
            )
        if "provider_id" in moving and moving["provider_id"] is None:
            raise InvalidInput("providerId", "An appointment needs a provider.")
        _apply_move(
            ctx,
            clinic,
            appointment,
            body,
            start=appointment.start_time,
            minutes=moving.get("duration"),
            provider_id=moving.get("provider_id"),
            chair_id=moving.get("chair_id", appointment.chair_id),
            room_id=moving.get("room_id", appointment.room_id),
        )
    for name in ("notes", "patient_notes"):
        if name in changes:
            setattr(appointment, name, changes[name])
    if new_status is not None and new_status != appointment.status:
        _change_status(appointment, AppointmentStatus(new_status))
    persist.save_and_audit(ctx, clinic, appointment, "update", before, body)
    return appointment


def _change_status(appointment: Appointment, new_status: AppointmentStatus) -> None:
    if new_status == AppointmentStatus.CANCELLED:
        raise InvalidInput("status", "Cancel with DELETE, giving a reason (and any late fee).")
    if new_status not in STATUS_TRANSITIONS[appointment.status]:
        allowed = ", ".join(sorted(s.value for s in STATUS_TRANSITIONS[appointment.status]))
        raise InvalidInput(
            "status",
            f"{appointment.status.value} cannot change to {new_status.value}"
            + (f"; it can change to {allowed}." if allowed else "; it is final."),
        )
    appointment.status = new_status
    if new_status == AppointmentStatus.COMPLETED:
        for procedure in appointment.procedures:
            procedure.status = ProcedureStatus.DONE
    if new_status == AppointmentStatus.NO_SHOW:
        for procedure in appointment.procedures:
            procedure.status = ProcedureStatus.PENDING


def _apply_move(
    ctx: Context,
    clinic: Clinic,
    appointment: Appointment,
    override: Override,
    *,
    start: datetime,
    minutes: int | None,
    provider_id: str | None,
    chair_id: str | None,
    room_id: str | None,
) -> None:
    kind = ctx.session.get(AppointmentType, appointment.appointment_type_id)
    assert kind is not None
    minutes = minutes if minutes is not None else appointment.duration
    checks.check_duration(kind, minutes, "duration")
    provider_id = provider_id or appointment.provider_id
    checks.require_in_clinic(
        ctx.session, Provider, provider_id, clinic.id, "providerId", "provider"
    )
    checks.require_in_clinic(ctx.session, Chair, chair_id, clinic.id, "chairId", "chair")
    checks.require_in_clinic(ctx.session, Room, room_id, clinic.id, "roomId", "room")
    part = checks.PlannedPart(
        kind=kind,
        start=start,
        minutes=minutes,
        provider_id=provider_id,
        chair_id=chair_id,
        room_id=room_id,
        template_slot_id=None,
        procedure_ids=[],
    )
    overridden = checks.check_rules(
        ctx, clinic, [part], appointment.patient_id, override, exclude=[appointment.id]
    )
    # A move keeps the template slot only while it still lies inside it; the engine says.
    state_slot = checks.template_slot_filled(ctx, clinic, part, appointment)
    appointment.start_time, appointment.end_time = part.start, part.end
    appointment.duration = minutes
    appointment.occupied_start, appointment.occupied_end = part.occupied
    appointment.provider_id, appointment.chair_id, appointment.room_id = (
        provider_id,
        chair_id,
        room_id,
    )
    appointment.template_slot_id = state_slot
    appointment.conflict_override = overridden
    if override.override or override.override_lead_time:
        appointment.override_reason = override.override_reason


def reschedule(
    ctx: Context, appointment: Appointment, body: RescheduleRequest, if_match: str | None
) -> Appointment:
    check_version(appointment, if_match, required=False)
    if appointment.status not in checks.MOVABLE or appointment.deleted_at is not None:
        raise Conflict(
            f"A {appointment.status.value.lower().replace('_', ' ')} appointment cannot be "
            "rescheduled."
        )
    before = audit.snapshot(appointment)
    clinic = checks.caller_clinic(ctx.session, ctx.principal)
    _apply_move(
        ctx,
        clinic,
        appointment,
        body,
        start=body.start_time,
        minutes=body.duration,
        provider_id=body.provider_id,
        chair_id=body.chair_id if "chair_id" in body.model_fields_set else appointment.chair_id,
        room_id=body.room_id if "room_id" in body.model_fields_set else appointment.room_id,
    )
    persist.save_and_audit(ctx, clinic, appointment, "reschedule", before, body)
    return appointment


def late_cancel_fee(clinic: Clinic, appointment: Appointment, now: datetime) -> Money | None:
    window = timedelta(hours=clinic.late_cancel_window_hours)
    if clinic.late_cancel_fee_amount <= Decimal("0") or appointment.start_time - now >= window:
        return None
    return Money(amount=clinic.late_cancel_fee_amount, currency=clinic.late_cancel_fee_currency)


def cancel(
    ctx: Context,
    appointment: Appointment,
    reason: str,
    if_match: str | None,
    *,
    waive_fee: bool = False,
) -> Appointment:
    check_version(appointment, if_match, required=False)
    if appointment.status == AppointmentStatus.CANCELLED or appointment.deleted_at is not None:
        raise Conflict("This appointment is already cancelled.")
    if appointment.status not in checks.MOVABLE | {AppointmentStatus.CHECKED_IN}:
        raise Conflict(
            f"A {appointment.status.value.lower().replace('_', ' ')} appointment cannot be "
            "cancelled."
        )
    before = audit.snapshot(appointment)
    clinic = checks.caller_clinic(ctx.session, ctx.principal)
    now = clock.now()
    fee = None if waive_fee else late_cancel_fee(clinic, appointment, now)
    appointment.status = AppointmentStatus.CANCELLED
    appointment.deleted_at = now
    appointment.cancellation_reason = reason
    if fee is not None:
        appointment.cancellation_fee_amount = fee.amount
        appointment.cancellation_fee_currency = fee.currency
    for procedure in appointment.procedures:
        if procedure.status == ProcedureStatus.SCHEDULED:
            procedure.status = ProcedureStatus.PENDING
    persist.save(ctx, clinic, appointment)
    audit.record(
        ctx.session,
        ctx.principal,
        action="cancel",
        appointment=appointment,
        before=before,
        request_id=ctx.request_id,
        reason=reason,
    )
    return appointment


def duplicate(
    ctx: Context, source: Appointment, body: DuplicateRequest, time_limit: float
) -> Appointment:
    clinic = checks.caller_clinic(ctx.session, ctx.principal)
    kind = ctx.session.get(AppointmentType, source.appointment_type_id)
    patient = ctx.session.get(Patient, source.patient_id)
    assert kind is not None and patient is not None
    provider_id = body.provider_id or source.provider_id
    chair_id = body.chair_id if "chair_id" in body.model_fields_set else source.chair_id
    room_id = body.room_id if "room_id" in body.model_fields_set else source.room_id
    start = body.start_time
    template_slot_id = None
    if start is None:
        found = _next_best_fit(
            ctx, clinic, kind, source, provider_id, chair_id, room_id, time_limit
        )
        start, provider_id, chair_id, room_id, template_slot_id = found
    part = PartInput(
        appointment_type_id=kind.id,
        provider_id=provider_id,
        chair_id=chair_id,
        room_id=room_id,
        start_time=start,
        duration=source.duration,
        template_slot_id=template_slot_id,
    )
    create_body = AppointmentCreate(
        patient_id=patient.id,
        appointment_type_id=kind.id,
        provider_id=provider_id,
        chair_id=chair_id,
        room_id=room_id,
        start_time=start,
        duration=source.duration,
        template_slot_id=template_slot_id,
        notes=body.notes if body.notes is not None else source.notes,
        patient_notes=source.patient_notes,
        source=source.source,
        override=body.override,
        override_reason=body.override_reason,
        override_lead_time=body.override_lead_time,
    )
    parts = checks.plan_parts(ctx.session, clinic, [part], "")
    overridden = checks.check_rules(ctx, clinic, parts, patient.id, body)
    rows = _insert(
        ctx,
        clinic,
        patient,
        None,
        parts,
        create_body,
        overridden,
        action="duplicate",
        extra_reason=f"copy of {source.id}",
    )
    return rows[0]


def _next_best_fit(
    ctx: Context,
    clinic: Clinic,
    kind: AppointmentType,
    source: Appointment,
    provider_id: str,
    chair_id: str | None,
    room_id: str | None,
    time_limit: float,
) -> tuple[datetime, str, str | None, str | None, str | None]:
    """The first best-fit slot: the same resources if they are free, else any suitable ones."""
    now = clock.now()
    window_end = now + timedelta(days=min(clinic.max_horizon_days, 28))
    state = ClinicState(ctx.session, clinic, now, window_end)
    attempts = [
        (provider_id, chair_id, room_id),
        (provider_id, None, None),
        (None, None, None),
    ]
    cut_short = False
    for pinned_provider, pinned_chair, pinned_room in attempts:
        visit = Visit(
            parts=(
                VisitPart(
                    type_id=kind.id,
                    duration_minutes=source.duration,
                    provider_id=pinned_provider,
                    chair_id=pinned_chair if kind.needs_chair else None,
                    room_id=pinned_room if kind.room_kind else None,
                ),
            )
        )
        query = state.query(
            visit,
            now,
            patient_id=source.patient_id,
            preferences=Preferences(usual_provider_id=provider_id),
            time_limit_seconds=time_limit,
        )
        result = best_fit(query, k=1)
        cut_short = cut_short or not result.complete
        if result.suggestions:
            slot = result.suggestions[0].slot.parts[0]
            assert slot.provider_id is not None
            return (
                slot.start,
                slot.provider_id,
                slot.chair_id,
                slot.room_id,
                (slot.template_slot_id),
            )
    if cut_short:
        # The search was cut short by its time limit: "no free time" would be a guess.
        from api.errors import Unavailable

        raise Unavailable(
            "Finding the next free time took too long; nothing was booked. Retry, or give a "
            "startTime."
        )
    raise Conflict(
        f"No free time for a {kind.name} of {source.duration} minutes in the next "
        f"{(window_end - now).days} days; give a startTime to book over a conflict."
    )


def appointments_of_visit(session: Session, appointment: Appointment) -> list[str]:
    if appointment.visit_id is None:
        return []
    return list(
        session.scalars(
            select(Appointment.id)
            .where(Appointment.visit_id == appointment.visit_id)
            .order_by(Appointment.start_time)
        )
    )
