"""Cancelling an appointment, with the clinic's late-cancel fee inside its window."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from api.audit import service as audit
from api.booking import checks, persist
from api.booking.checks import Context, check_version
from api.booking.schemas import Money
from api.core import clock
from api.errors import Conflict
from api.models import Appointment, AppointmentStatus, Clinic, ProcedureStatus


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
