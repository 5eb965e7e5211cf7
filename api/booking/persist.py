"""Writing bookings: flush, and turn what the database refuses into an answer the caller reads.

The engine check runs first (`checks.check_rules`); a double booking that raced past it is
refused by the database (on PostgreSQL the exclusion constraints on `held_intervals`, whose rows
the flush writes with the appointment, and on the patient; BEGIN IMMEDIATE on SQLite) and
answered here as a 409 naming the bookings that won, and a concurrent edit as a 412.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from api.audit import service as audit
from api.booking import rules
from api.booking.checks import Context
from api.booking.repository import overlapping, release_guest_holds_under
from api.booking.schemas import ConflictItem, Override
from api.errors import PreconditionFailed
from api.models import Appointment, Clinic
from api.models.held_interval import Held, held_by


@dataclass(frozen=True)
class _Claim:
    """What a refused row asked for, kept to look up the winner after the rollback."""

    index: int
    row_id: str
    held: tuple[Held, ...]
    attended: tuple[datetime, datetime]
    patient_id: str


def flush_or_conflict(ctx: Context, clinic: Clinic, rows: list[Appointment]) -> None:
    """Flush; a double booking that raced past the check is refused by the database → 409."""
    claims = [
        _Claim(i, r.id, tuple(held_by(r)), (r.start_time, r.end_time), r.patient_id)
        for i, r in enumerate(rows)
    ]
    if ctx.over_guest_holds:
        release_guest_holds_under(ctx.session, rows)
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
            claim.held,
            claim.attended,
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


def save(ctx: Context, clinic: Clinic, appointment: Appointment) -> None:

    try:
        flush_or_conflict(ctx, clinic, [appointment])
    except StaleDataError as exc:
        raise PreconditionFailed(
            "Someone else changed this appointment at the same moment; reload it and retry."
        ) from exc


def save_and_audit(
    ctx: Context,
    clinic: Clinic,
    appointment: Appointment,
    action: str,
    before: dict[str, Any],
    override: Override,
) -> None:
    save(ctx, clinic, appointment)
    audit.record(
        ctx.session,
        ctx.principal,
        action=action,
        appointment=appointment,
        before=before,
        request_id=ctx.request_id,
    )
    audit_override(ctx, appointment, override)


def audit_override(ctx: Context, row: Appointment, override: Override) -> None:
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
