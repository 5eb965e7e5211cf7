"""Moving an appointment to another time or resources; every rule is checked again."""

from __future__ import annotations

from datetime import datetime

from api.audit import service as audit
from api.auth.permissions import Role
from api.booking import checks, persist
from api.booking.checks import Context, check_version
from api.booking.provider_time import fitted_pattern, own_pattern
from api.booking.schemas import Override, RescheduleRequest
from api.errors import Conflict, Forbidden
from api.models import Appointment, AppointmentType, Chair, Clinic, Provider, Room


def apply_move(
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
    set_pattern: bool = False,
    time_pattern: str | None = None,
    assistant_id: str | None = None,
) -> None:
    """``set_pattern``: staff set this appointment's own ``time_pattern`` (None: the provider for
    all of it); otherwise its pattern is kept, fitted to a new duration. ``assistant_id`` pins
    the assistant; None keeps the current one while it is free, else booking chooses another
    (api/booking/assistants.py)."""
    kind = ctx.session.get(AppointmentType, appointment.appointment_type_id)
    assert kind is not None
    minutes = minutes if minutes is not None else appointment.duration
    checks.check_duration(kind, minutes, "duration")
    if set_pattern:
        pattern = None if time_pattern is None else own_pattern(time_pattern, minutes)
    else:
        pattern = fitted_pattern(appointment.time_pattern, minutes, "duration")
    provider_id = provider_id or appointment.provider_id
    checks.require_in_clinic(
        ctx.session, Provider, provider_id, clinic.id, "providerId", "provider"
    )
    # A provider's modify permission covers their own appointments, before the change and
    # after it: handing one to a colleague puts it in someone else's diary, which is the front
    # desk's call (frontdesk and admin hold modify_appointment for every appointment).
    if ctx.principal.role == Role.PROVIDER and provider_id != ctx.principal.provider_id:
        raise Forbidden(
            "Providers may not hand their appointments to another provider; ask the front desk."
        )
    checks.require_in_clinic(ctx.session, Chair, chair_id, clinic.id, "chairId", "chair")
    checks.require_in_clinic(ctx.session, Room, room_id, clinic.id, "roomId", "room")
    checks.check_assistant_pin(ctx.session, clinic.id, kind, assistant_id, "assistantId")
    choose = kind.needs_assistant and assistant_id is None
    part = checks.PlannedPart(
        kind=kind,
        start=start,
        minutes=minutes,
        provider_id=provider_id,
        chair_id=chair_id,
        room_id=room_id,
        template_slot_id=None,
        procedure_ids=[],
        time_pattern=pattern,
        assistant_id=appointment.assistant_id if choose else assistant_id,
        choose_assistant=choose,
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
    appointment.assistant_id = part.assistant_id
    # Re-derived on every move: the type may have stopped (or started) needing its provider.
    appointment.holds_provider = part.holds_provider
    appointment.time_pattern = pattern
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
    apply_move(
        ctx,
        clinic,
        appointment,
        body,
        start=body.start_time,
        minutes=body.duration,
        provider_id=body.provider_id,
        chair_id=body.chair_id if "chair_id" in body.model_fields_set else appointment.chair_id,
        room_id=body.room_id if "room_id" in body.model_fields_set else appointment.room_id,
        assistant_id=body.assistant_id,
    )
    persist.save_and_audit(ctx, clinic, appointment, "reschedule", before, body)
    return appointment
