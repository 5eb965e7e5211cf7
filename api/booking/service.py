"""Booking rules: create, change, reschedule, duplicate and cancel appointments.

Each operation loads the clinic's state, asks the engine whether the booking is allowed,
writes the change and its audit row, and relies on the database to refuse a double booking
that raced past the check (exclusion constraints on PostgreSQL, BEGIN IMMEDIATE on SQLite).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.audit import service as audit
from api.auth.deps import Principal
from api.auth.permissions import Permission, Role
from api.booking import rules
from api.booking.clinic_state import ClinicState, overlapping, template_slot_spec
from api.booking.schemas import (
    AppointmentCreate,
    AppointmentRead,
    AppointmentUpdate,
    ConflictItem,
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
    TemplateSlot,
    TreatmentPlan,
)
from solver import InvalidQuery, best_fit, template_slot_fit, validate
from solver.problem import Preferences, Visit, VisitPart
from solver.result import PartAssignment

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
# Time, resources and duration can change only before the patient is in the chair.
MOVABLE = frozenset({AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED})
# The window either side of a booking that the engine loads busy time for.
STATE_MARGIN = timedelta(days=1)
# Staff visits with explicit times: parts must follow each other within a day.
VISIT_MAX_GAP_MINUTES = 24 * 60


@dataclass
class Context:
    session: Session
    principal: Principal
    request_id: str | None
    # The patient-portal hold owner booking: their own slot hold is not busy time for them.
    hold_owner: str | None = None


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


# --------------------------------------------------------------------------- helpers


def _clinic(session: Session, principal: Principal) -> Clinic:
    clinic = session.get(Clinic, principal.clinic_id)
    if clinic is None:
        raise NotFound("Your clinic no longer exists.")
    return clinic


def _require_in_clinic(
    session: Session, model: type[Any], obj_id: str | None, clinic_id: str, field: str, what: str
) -> Any:
    if obj_id is None:
        return None
    obj = session.get(model, obj_id)
    if obj is None or obj.clinic_id != clinic_id:
        raise InvalidInput(field, f"No {what} with id '{obj_id}' in your clinic.")
    if not getattr(obj, "active", True):
        raise InvalidInput(field, f"The {what} '{getattr(obj, 'name', obj_id)}' is inactive.")
    return obj


def _check_duration(kind: AppointmentType, minutes: int, field: str) -> None:
    if minutes < kind.min_duration:
        raise InvalidInput(
            field,
            f"{minutes} minutes is below the {kind.name} minimum of {kind.min_duration} minutes.",
            bound="minDuration",
            limit=kind.min_duration,
        )
    if minutes > kind.max_duration:
        raise InvalidInput(
            field,
            f"{minutes} minutes is above the {kind.name} maximum of {kind.max_duration} minutes.",
            bound="maxDuration",
            limit=kind.max_duration,
        )


def _resource_kinds(state: ClinicState) -> dict[str, str]:
    kinds = {p.id: "provider" for p in state.providers}
    kinds.update({c.id: "chair" for c in state.chairs})
    kinds.update({r.id: "room" for r in state.rooms})
    return kinds


def _may(principal: Principal, override: Override) -> tuple[bool, bool]:
    allowed = principal.can(Permission.OVERRIDE_CONFLICTS)
    if (override.override or override.override_lead_time) and not allowed:
        raise Forbidden(
            "Overriding needs the permission 'booking:override_conflicts', which your role "
            f"({principal.role}) does not have."
        )
    return override.override and allowed, override.override_lead_time and allowed


@dataclass
class PlannedPart:
    kind: AppointmentType
    start: datetime
    minutes: int
    provider_id: str
    chair_id: str | None
    room_id: str | None
    template_slot_id: str | None
    procedure_ids: list[str]

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)

    @property
    def occupied(self) -> tuple[datetime, datetime]:
        return (
            self.start - timedelta(minutes=self.kind.buffer_before),
            self.end + timedelta(minutes=self.kind.buffer_after),
        )

    def assignment(self) -> PartAssignment:
        return PartAssignment(
            type_id=self.kind.id,
            start=self.start,
            end=self.end,
            provider_id=self.provider_id,
            chair_id=self.chair_id,
            room_id=self.room_id,
            template_slot_id=self.template_slot_id,
        )


def _plan_parts(
    session: Session, clinic: Clinic, parts: list[PartInput], prefix: str
) -> list[PlannedPart]:
    planned = []
    for index, part in enumerate(parts):
        where = f"{prefix}{index}." if prefix else ""
        kind = _require_in_clinic(
            session,
            AppointmentType,
            part.appointment_type_id,
            clinic.id,
            f"{where}appointmentTypeId",
            "appointment type",
        )
        minutes = part.duration if part.duration is not None else kind.default_duration
        _check_duration(kind, minutes, f"{where}duration")
        _require_in_clinic(
            session, Provider, part.provider_id, clinic.id, f"{where}providerId", "provider"
        )
        _require_in_clinic(session, Chair, part.chair_id, clinic.id, f"{where}chairId", "chair")
        _require_in_clinic(session, Room, part.room_id, clinic.id, f"{where}roomId", "room")
        planned.append(
            PlannedPart(
                kind=kind,
                start=part.start_time,
                minutes=minutes,
                provider_id=part.provider_id,
                chair_id=part.chair_id,
                room_id=part.room_id,
                template_slot_id=part.template_slot_id,
                procedure_ids=list(part.procedure_ids),
            )
        )
    return planned


def _visit_for(parts: list[PlannedPart]) -> Visit:
    return Visit(
        parts=tuple(
            VisitPart(
                type_id=p.kind.id,
                duration_minutes=p.minutes,
                provider_id=p.provider_id,
                chair_id=p.chair_id,
                room_id=p.room_id,
                template_slot_id=p.template_slot_id,
                min_gap_minutes=0,
                max_gap_minutes=VISIT_MAX_GAP_MINUTES,
            )
            for p in parts
        )
    )


def _state_for(
    session: Session,
    clinic: Clinic,
    parts: list[PlannedPart],
    *,
    exclude: list[str],
    lead_time_override: bool,
    hold_owner: str | None = None,
) -> ClinicState:
    start = min(p.occupied[0] for p in parts) - STATE_MARGIN
    end = max(p.occupied[1] for p in parts) + STATE_MARGIN
    return ClinicState(
        session,
        clinic,
        start,
        end,
        exclude_appointment_ids=exclude,
        lead_time_override=lead_time_override,
        hold_owner=hold_owner,
    )


def _check_rules(
    ctx: Context,
    clinic: Clinic,
    parts: list[PlannedPart],
    patient_id: str,
    override: Override,
    *,
    exclude: list[str] = (),  # type: ignore[assignment]
) -> bool:
    """Every booking rule, by the engine; returns True when the caller books over a conflict."""
    may_conflict, may_lead = _may(ctx.principal, override)
    state = _state_for(
        ctx.session,
        clinic,
        parts,
        exclude=list(exclude),
        lead_time_override=may_lead,
        hold_owner=ctx.hold_owner,
    )
    query = state.query(_visit_for(parts), clock.now(), patient_id=patient_id)
    try:
        violations = validate(query, [p.assignment() for p in parts])
    except InvalidQuery as exc:
        raise rules.invalid_input(exc, "parts." if len(parts) > 1 else None) from exc
    return rules.raise_for(
        violations,
        _resource_kinds(state),
        may_override_conflicts=may_conflict,
        may_override_lead_time=may_lead,
    )


@dataclass(frozen=True)
class _Claim:
    """What a refused row asked for, kept to look up the winner after the rollback."""

    index: int
    row_id: str
    occupied: tuple[datetime, datetime]
    attended: tuple[datetime, datetime]
    provider_id: str
    chair_id: str | None
    room_id: str | None
    patient_id: str


def _flush_or_conflict(ctx: Context, clinic: Clinic, rows: list[Appointment]) -> None:
    """Flush; a double booking that raced past the check is refused by the database → 409."""
    claims = [
        _Claim(
            i,
            r.id,
            (r.occupied_start, r.occupied_end),
            (r.start_time, r.end_time),
            r.provider_id,
            r.chair_id,
            r.room_id,
            r.patient_id,
        )
        for i, r in enumerate(rows)
    ]
    try:
        ctx.session.flush()
    except IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) != "23P01":  # exclusion_violation
            raise
        # The request fails anyway; roll back now so the winners can be read and named.
        ctx.session.rollback()
        raise rules.BookingConflict(
            "Someone else booked this time a moment ago.",
            conflicts=rules.dump(_racing_conflicts(ctx, clinic, claims)),
        ) from exc


def _racing_conflicts(ctx: Context, clinic: Clinic, claims: list[_Claim]) -> list[ConflictItem]:
    items: list[ConflictItem] = []
    for claim in claims:
        for other in overlapping(
            ctx.session,
            clinic.id,
            claim.occupied,
            claim.attended,
            provider_id=claim.provider_id,
            chair_id=claim.chair_id,
            room_id=claim.room_id,
            patient_id=claim.patient_id,
            exclude=[c.row_id for c in claims],
        ):
            items.append(
                ConflictItem(
                    code="resource_busy",
                    part_index=claim.index,
                    appointment_id=other.id,
                    message=(
                        f"Booked meanwhile by someone else: appointment {other.id} "
                        f"{other.start_time:%Y-%m-%d %H:%M} to {other.end_time:%H:%M} UTC."
                    ),
                )
            )
    return items


def _fill_procedures(
    session: Session, plan: TreatmentPlan | None, part: PlannedPart, taken: set[str], field: str
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
    clinic = _clinic(session, principal)
    patient = _require_in_clinic(
        session, Patient, body.patient_id, clinic.id, "patientId", "patient"
    )
    plan = _require_in_clinic(
        session,
        TreatmentPlan,
        body.treatment_plan_id,
        clinic.id,
        "treatmentPlanId",
        "treatment plan",
    )
    if plan is not None and plan.patient_id != patient.id:
        raise InvalidInput("treatmentPlanId", "That treatment plan belongs to another patient.")
    parts = _plan_parts(session, clinic, body.part_inputs(), "parts." if body.parts else "")
    overridden = _check_rules(ctx, clinic, parts, patient.id, body)
    return _insert(ctx, clinic, patient, plan, parts, body, overridden, action="create")


def _insert(
    ctx: Context,
    clinic: Clinic,
    patient: Patient,
    plan: TreatmentPlan | None,
    parts: list[PlannedPart],
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
    _flush_or_conflict(ctx, clinic, rows)
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
        _audit_override(ctx, row, body)
    ctx.session.flush()
    return rows


def _audit_override(ctx: Context, row: Appointment, override: Override) -> None:
    if override.override or override.override_lead_time:
        audit.record(
            ctx.session,
            ctx.principal,
            action="override",
            appointment=row,
            before=None,
            request_id=ctx.request_id,
            reason=override.override_reason,
        )


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
    clinic = _clinic(ctx.session, ctx.principal)

    moving = {
        k: v for k, v in changes.items() if k in ("provider_id", "chair_id", "room_id", "duration")
    }
    if moving:
        if appointment.status not in MOVABLE:
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
    _save_and_audit(ctx, clinic, appointment, "update", before, body)
    return appointment


def _save_and_audit(
    ctx: Context,
    clinic: Clinic,
    appointment: Appointment,
    action: str,
    before: dict[str, Any],
    override: Override,
) -> None:
    _save(ctx, clinic, appointment)
    audit.record(
        ctx.session,
        ctx.principal,
        action=action,
        appointment=appointment,
        before=before,
        request_id=ctx.request_id,
    )
    _audit_override(ctx, appointment, override)


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
    _check_duration(kind, minutes, "duration")
    provider_id = provider_id or appointment.provider_id
    _require_in_clinic(ctx.session, Provider, provider_id, clinic.id, "providerId", "provider")
    _require_in_clinic(ctx.session, Chair, chair_id, clinic.id, "chairId", "chair")
    _require_in_clinic(ctx.session, Room, room_id, clinic.id, "roomId", "room")
    part = PlannedPart(
        kind=kind,
        start=start,
        minutes=minutes,
        provider_id=provider_id,
        chair_id=chair_id,
        room_id=room_id,
        template_slot_id=None,
        procedure_ids=[],
    )
    overridden = _check_rules(
        ctx, clinic, [part], appointment.patient_id, override, exclude=[appointment.id]
    )
    # A move keeps the template slot only while it still lies inside it; the engine says.
    state_slot = _template_slot_filled(ctx, clinic, part, appointment)
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


def _template_slot_filled(
    ctx: Context, clinic: Clinic, part: PlannedPart, appointment: Appointment
) -> str | None:
    """A moved appointment keeps its template slot only while it still fills it."""
    slot = (
        ctx.session.get(TemplateSlot, appointment.template_slot_id)
        if appointment.template_slot_id
        else None
    )
    if slot is None:
        return None
    claim = replace(part.assignment(), template_slot_id=slot.id)
    return template_slot_fit(clinic.time_zone, (template_slot_spec(slot),), claim).fills


def _save(ctx: Context, clinic: Clinic, appointment: Appointment) -> None:
    from sqlalchemy.orm.exc import StaleDataError

    try:
        _flush_or_conflict(ctx, clinic, [appointment])
    except StaleDataError as exc:
        raise PreconditionFailed(
            "Someone else changed this appointment at the same moment; reload it and retry."
        ) from exc


def reschedule(
    ctx: Context, appointment: Appointment, body: RescheduleRequest, if_match: str | None
) -> Appointment:
    check_version(appointment, if_match, required=False)
    if appointment.status not in MOVABLE or appointment.deleted_at is not None:
        raise Conflict(
            f"A {appointment.status.value.lower().replace('_', ' ')} appointment cannot be "
            "rescheduled."
        )
    before = audit.snapshot(appointment)
    clinic = _clinic(ctx.session, ctx.principal)
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
    _save_and_audit(ctx, clinic, appointment, "reschedule", before, body)
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
    if appointment.status not in MOVABLE | {AppointmentStatus.CHECKED_IN}:
        raise Conflict(
            f"A {appointment.status.value.lower().replace('_', ' ')} appointment cannot be "
            "cancelled."
        )
    before = audit.snapshot(appointment)
    clinic = _clinic(ctx.session, ctx.principal)
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
    _save(ctx, clinic, appointment)
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
    clinic = _clinic(ctx.session, ctx.principal)
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
    parts = _plan_parts(ctx.session, clinic, [part], "")
    overridden = _check_rules(ctx, clinic, parts, patient.id, body)
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
