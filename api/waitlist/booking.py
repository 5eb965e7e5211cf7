"""Booking a waitlist entry: its later booking cancelled and the earlier one made, one transaction.

Both through the staff booking operations (`booking.cancel`, `booking.create`'s planning, rules
and insert), so every rule, conflict and audit row is the booking API's own; a refusal raises
and the request's unit of work rolls back the cancellation with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.booking import checks
from api.booking.cancel import cancel
from api.booking.create import insert
from api.booking.schemas import AppointmentCreate, Override, PartInput
from api.core import clock
from api.errors import Conflict, InvalidInput
from api.models import (
    Appointment,
    AppointmentSource,
    Patient,
    TreatmentPlan,
    WaitlistEntry,
    WaitlistStatus,
)
from api.portal.holds import held_assistant
from api.waitlist import audit, entries, repository
from api.waitlist.schemas import BookPart

MOVED_REASON = "Moved earlier from the waitlist"


@dataclass(frozen=True)
class Booked:
    appointments: list[Appointment]
    cancelled_ids: list[str]


def _part_inputs(entry: WaitlistEntry, slot: list[BookPart]) -> list[PartInput]:
    if len(slot) != len(entry.parts):
        raise InvalidInput(
            "parts",
            f"This entry waits for a visit of {len(entry.parts)} part(s); send one per part.",
        )
    out = []
    for i, (wanted, part) in enumerate(zip(entry.parts, slot, strict=True)):
        where = f"parts.{i}." if len(slot) > 1 else ""
        if part.appointment_type_id not in (None, wanted["appointmentTypeId"]):
            raise InvalidInput(
                f"{where}appointmentTypeId", "The type is the entry's; leave it out or send it."
            )
        if part.duration not in (None, wanted["duration"]):
            raise InvalidInput(
                f"{where}duration",
                f"The entry waits for {wanted['duration']} minutes; change the entry first.",
            )
        out.append(
            PartInput(
                appointment_type_id=wanted["appointmentTypeId"],
                duration=wanted["duration"],
                start_time=part.start_time,
                provider_id=part.provider_id,
                chair_id=part.chair_id,
                room_id=part.room_id,
            )
        )
    return out


def book_entry(
    ctx: checks.Context,
    entry: WaitlistEntry,
    slot: list[BookPart],
    override: Override,
    *,
    notes: str | None = None,
) -> Booked:
    """Book the entry at ``slot``. The caller has settled the entry and closed its offer."""
    session = ctx.session
    clinic = checks.caller_clinic(session, ctx.principal)
    now = clock.now()
    if entry.status not in repository.ON_THE_LIST:
        raise Conflict(f"This waitlist entry is {entry.status.value}; it cannot be booked.")
    patient = session.get(Patient, entry.patient_id)
    assert patient is not None
    inputs = _part_inputs(entry, slot)
    if ctx.hold_owner is not None:
        # Accepting an offer books the assistants its holds kept for these times, even if
        # another became free since (staff booking an entry directly release the holds first).
        inputs = [
            p.model_copy(
                update={
                    "assistant_id": held_assistant(
                        session, clinic.id, ctx.hold_owner, p.appointment_type_id, p.start_time
                    )
                }
            )
            for p in inputs
        ]
    replaced = repository.appointments_by_id(session, [entry.replaces_appointment_id or ""])
    old = replaced.get(entry.replaces_appointment_id or "")
    plan_id = old.treatment_plan_id if old is not None else None
    before = audit.entry_snapshot(entry)
    # The later booking goes first: its procedures return to pending, so the new booking claims
    # them, and its time is no longer the patient's busy time.
    cancelled: list[str] = []
    if old is not None and entries.replaced_is_upcoming(old, now):
        for appt in repository.visit_of(session, old):
            cancel(ctx, appt, MOVED_REASON, None, waive_fee=True)
            cancelled.append(appt.id)
    body = AppointmentCreate(
        patient_id=patient.id,
        parts=inputs,
        treatment_plan_id=plan_id,
        notes=notes,
        source=AppointmentSource.WAITLIST,
        override=override.override,
        override_reason=override.override_reason,
        override_lead_time=override.override_lead_time,
    )
    plan = session.get(TreatmentPlan, plan_id) if plan_id else None
    parts = checks.plan_parts(
        session,
        clinic,
        inputs,
        "parts." if len(inputs) > 1 else "",
        usual_provider_id=patient.usual_provider_id,
    )
    overridden = checks.check_rules(ctx, clinic, parts, patient.id, body)
    rows = insert(
        ctx,
        clinic,
        patient,
        plan,
        parts,
        body,
        overridden,
        action="create",
        extra_reason=f"waitlist entry {entry.id}",
    )
    entry.status = WaitlistStatus.BOOKED
    entry.booked_appointment_id = rows[0].id
    session.flush()
    audit.entry_event(
        session,
        entry,
        "waitlist.book",
        ctx.principal.user_id,
        ctx.request_id,
        before,
        reason=f"booked {', '.join(r.id for r in rows)}"
        + (f"; cancelled {', '.join(cancelled)}" if cancelled else ""),
    )
    return Booked(rows, cancelled)
