"""Changing an appointment in place: resources, duration, notes and its status.

A status moves only along `STATUS_TRANSITIONS`; a change of resource or duration is a move
(`reschedule.apply_move`) at the same start time, checked by the engine again."""

from __future__ import annotations

from api.audit import service as audit
from api.booking import checks, persist
from api.booking.checks import Context, check_version
from api.booking.reschedule import apply_move
from api.booking.schemas import AppointmentUpdate
from api.errors import Conflict, InvalidInput
from api.models import Appointment, AppointmentStatus, ProcedureStatus

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
        k: v
        for k, v in changes.items()
        if k in ("provider_id", "chair_id", "room_id", "duration", "time_pattern", "assistant_id")
    }
    if moving:
        if appointment.status not in checks.MOVABLE:
            raise Conflict(
                f"A {appointment.status.value.lower().replace('_', ' ')} appointment can no "
                "longer be moved or resized."
            )
        if "provider_id" in moving and moving["provider_id"] is None:
            raise InvalidInput("providerId", "An appointment needs a provider.")
        apply_move(
            ctx,
            clinic,
            appointment,
            body,
            start=appointment.start_time,
            minutes=moving.get("duration"),
            provider_id=moving.get("provider_id"),
            chair_id=moving.get("chair_id", appointment.chair_id),
            room_id=moving.get("room_id", appointment.room_id),
            set_pattern="time_pattern" in moving,
            time_pattern=moving.get("time_pattern"),
            assistant_id=moving.get("assistant_id"),
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
