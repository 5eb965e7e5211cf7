"""Who an appointment's provider is, and whether it holds them (issue 13, doctor time).

The seed records a provider on every appointment, but not every appointment needs one: a type
with ``needsProvider: false`` (a scan an assistant takes) or with a time pattern without ``D``
records its *responsible* provider without holding them. Such appointments are offered by
availability without a provider (the engine needs none), so booking picks the one to record
when the client sends none: the patient's usual provider, else the type's first qualified
provider, else the clinic's first; the portal lists the same one with each of its free times.
Whether a pattern holds the provider is ``solver.time_pattern.provider_held``'s rule.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from api.booking.clinic_config import clinic_config
from api.errors import InvalidInput
from api.models import Appointment, AppointmentType
from solver.errors import InvalidQuery
from solver.time_pattern import (
    PROVIDER,
    STEP_MINUTES,
    check_pattern,
    fit_to_duration,
    provider_held,
    provider_runs,
)


def holds_provider(kind: AppointmentType, pattern: str | None, minutes: int) -> bool:
    """Whether an appointment of this type, pattern and duration holds its provider at all."""
    return kind.needs_provider and bool(
        provider_held(pattern, minutes, kind.buffer_before, kind.buffer_after)
    )


def type_holds_provider(kind: AppointmentType) -> bool:
    """Whether appointments of this type hold their provider: it needs one and its pattern (if
    any) has provider time. A duration change never adds or cuts ``D`` steps, so this holds for
    every duration the type allows."""
    return kind.needs_provider and (kind.time_pattern is None or PROVIDER in kind.time_pattern)


def engine_provider(
    kind: AppointmentType, provider_id: str | None, pattern: str | None, minutes: int
) -> str | None:
    """The provider to pin in the engine's visit: none for a part that holds none (the engine
    refuses a pinned provider there; the recorded one is not its concern)."""
    return provider_id if holds_provider(kind, pattern, minutes) else None


def responsible_provider(
    session: Session,
    clinic_id: str,
    kind: AppointmentType,
    usual_provider_id: str | None,
    field: str = "providerId",
) -> str:
    """The provider recorded on an appointment of ``kind`` when the client names none.

    Only for types that hold no provider: one that does must be pinned by the client or chosen
    by the engine, never picked here behind the engine's back.
    """
    if type_holds_provider(kind):
        raise InvalidInput(
            field, f"required: providerId ({kind.name} appointments need a provider)"
        )
    active = {row.id: row.name for row in clinic_config(session, clinic_id).providers}
    qualified = [p.id for p in kind.providers if p.id in active]
    allowed = qualified or list(active)
    if usual_provider_id in allowed:
        return str(usual_provider_id)
    if not allowed:
        raise InvalidInput(
            field,
            f"A {kind.name} records a responsible provider, and the clinic has no active "
            "provider to record; add one, or send providerId.",
        )
    # Stable whatever order the rows come in: the same request records the same provider.
    return min(allowed, key=lambda pid: (active[pid], pid))


def provider_busy(
    start: datetime,
    occupied: tuple[datetime, datetime],
    minutes: int,
    pattern: str | None,
    holds: bool,
) -> list[tuple[datetime, datetime]]:
    """When a booked appointment (or a slot hold) keeps its provider busy.

    Not at all when it does not hold them; without a pattern its occupied span as stored (the
    buffers it was booked with, today's model, unchanged); with one only its ``D`` runs.
    """
    if not holds:
        return []
    if pattern is None:
        return [occupied]
    return [
        (start + timedelta(minutes=begin), start + timedelta(minutes=end))
        for begin, end in provider_runs(pattern, minutes)
    ]


def fitted_pattern(pattern: str | None, minutes: int, field: str) -> str | None:
    """A type's (or an appointment's) pattern for ``minutes``: assistant time added or removed
    at the end; a duration that would cut provider time is a 422 naming ``field``."""
    if pattern is None:
        return None
    try:
        return fit_to_duration(pattern, minutes, field)
    except InvalidQuery as exc:
        raise InvalidInput(field, f"{field}: {exc.message}") from exc


def own_pattern(pattern: str, minutes: int, field: str = "timePattern") -> str:
    """A pattern staff set on one appointment: D and A only, one step per 5 of its minutes."""
    try:
        # Characters first (against the pattern's own length), then the length for this
        # appointment's duration, which need not be the type's default.
        check_pattern(pattern, len(pattern) * STEP_MINUTES, field)
    except InvalidQuery as exc:
        raise InvalidInput(field, str(exc)) from exc
    steps = -(-minutes // STEP_MINUTES)
    if len(pattern) != steps:
        raise InvalidInput(
            field,
            f"{field}: has {len(pattern)} steps but this appointment's {minutes} minutes need "
            f"{steps} (one per {STEP_MINUTES} minutes)",
        )
    return pattern


def provider_time(appointment: Appointment) -> list[tuple[datetime, datetime]]:
    """When a stored appointment needs its provider, without buffers, as the engine's
    ``PartAssignment.provider_time`` says it: the ``D`` runs, the whole appointment without a
    pattern, nothing when it does not hold them."""
    if not appointment.holds_provider:
        return []
    start = appointment.start_time
    return [
        (start + timedelta(minutes=begin), start + timedelta(minutes=end))
        for begin, end in provider_runs(appointment.time_pattern, appointment.duration)
    ]


def hold_pattern(kind: AppointmentType, minutes: int) -> str | None:
    """The pattern a slot hold of ``kind`` stands for. A type whose pattern changed since the
    hold so that it no longer fits is held for the whole span: never less than it might need."""
    if kind.time_pattern is None:
        return None
    try:
        return fit_to_duration(kind.time_pattern, minutes)
    except InvalidQuery:
        return None
