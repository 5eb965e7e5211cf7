"""Copying an appointment: to a given time, or to the next best-fit time the engine finds."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from api.booking import checks
from api.booking.checks import Context
from api.booking.clinic_state import ClinicState
from api.booking.create import insert
from api.booking.provider_time import engine_provider
from api.booking.schemas import AppointmentCreate, DuplicateRequest, PartInput
from api.core import clock, metrics
from api.errors import Conflict
from api.models import Appointment, AppointmentType, Clinic, Patient
from solver import best_fit
from solver.problem import Preferences, Visit, VisitPart


class Pins(NamedTuple):
    """The resources a copy asks for: the request's, else the source's."""

    provider_id: str
    chair_id: str | None
    room_id: str | None
    assistant_id: str | None


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
        # Said before the search, which would otherwise look for a time for a wrong pin.
        checks.check_assistant_pin(ctx.session, clinic.id, kind, body.assistant_id, "assistantId")
        pins = Pins(provider_id, chair_id, room_id, body.assistant_id)
        found = _next_best_fit(ctx, clinic, kind, source, pins, time_limit)
        start, provider_id, chair_id, room_id, template_slot_id = found
    part = PartInput(
        appointment_type_id=kind.id,
        provider_id=provider_id,
        chair_id=chair_id,
        room_id=room_id,
        assistant_id=body.assistant_id,
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
        assistant_id=body.assistant_id,
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
    parts = checks.plan_parts(
        ctx.session, clinic, [part], "", usual_provider_id=patient.usual_provider_id
    )
    # A copy is the same appointment at another time: its own pattern too, not the type's,
    # and its assistant first while free (unless assistantId pins one).
    parts[0].time_pattern = source.time_pattern
    if parts[0].choose_assistant:
        parts[0].assistant_id = source.assistant_id
    overridden = checks.check_rules(ctx, clinic, parts, patient.id, body)
    rows = insert(
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
    pins: Pins,
    time_limit: float,
) -> tuple[datetime, str, str | None, str | None, str | None]:
    """The first best-fit slot: the same resources if they are free, else any suitable ones;
    a pinned assistant in every try."""
    provider_id = pins.provider_id
    now = clock.now()
    window_end = now + timedelta(days=min(clinic.max_horizon_days, 28))
    state = ClinicState(ctx.session, clinic, now, window_end, over_guest_holds=ctx.over_guest_holds)
    attempts = [
        (provider_id, pins.chair_id, pins.room_id),
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
                    provider_id=engine_provider(
                        kind, pinned_provider, source.time_pattern, source.duration
                    ),
                    chair_id=pinned_chair if kind.needs_chair else None,
                    room_id=pinned_room if kind.room_kind else None,
                    time_pattern=source.time_pattern,
                    assistant_id=pins.assistant_id if kind.needs_assistant else None,
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
        with metrics.engine_time("best_fit"):
            result = best_fit(query, k=1)
        cut_short = cut_short or not result.complete
        if result.suggestions:
            slot = result.suggestions[0].slot.parts[0]
            return (
                slot.start,
                # A type that needs no provider keeps the copied appointment's responsible one.
                slot.provider_id or provider_id,
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
