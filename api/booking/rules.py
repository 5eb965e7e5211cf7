"""How the engine's rule violations map onto HTTP: which are conflicts, which are overridable."""

from __future__ import annotations

import re
from collections.abc import Sequence

from api.booking.clinic_state import HOLD_REF
from api.booking.schemas import ConflictItem
from api.errors import Conflict, DomainError, InvalidInput
from solver import InvalidQuery
from solver.result import Violation

# Another booking or the schedule already claims this time: 409, and staff holding
# booking:override_conflicts may book over it with a reason.
CONFLICT_CODES = frozenset({"resource_busy", "patient_busy", "template_reserved", "outside_hours"})
# True double booking: an override of these takes the row out of the database's exclusion
# constraints, so only these set `conflictOverride`.
DOUBLE_BOOKING_CODES = frozenset({"resource_busy", "patient_busy"})
LEAD_TIME_CODES = frozenset({"before_lead_time"})


class BookingConflict(Conflict):
    slug = "booking-conflict"
    title = "The time is not free"


class RuleViolation(DomainError):
    status = 422
    slug = "booking-rule"
    title = "The booking breaks a clinic rule"


def conflict_items(
    violations: Sequence[Violation], resource_kinds: dict[str, str]
) -> list[ConflictItem]:
    return [
        ConflictItem(
            code=v.code,
            message=v.message,
            resource=resource_kinds.get(v.resource_id or "")
            or ("patient" if v.code == "patient_busy" else None),
            resource_id=v.resource_id,
            # A portal slot hold is busy time but not an appointment: no id to open.
            appointment_id=v.ref
            if v.code in DOUBLE_BOOKING_CODES and not (v.ref or "").startswith(HOLD_REF)
            else None,
            part_index=v.part_index,
        )
        for v in violations
    ]


def dump(items: list[ConflictItem]) -> list[dict[str, object]]:
    return [i.model_dump(mode="json", by_alias=True) for i in items]


def raise_for(
    violations: Sequence[Violation],
    resource_kinds: dict[str, str],
    *,
    may_override_conflicts: bool,
    may_override_lead_time: bool,
) -> bool:
    """Raise for what the caller may not book over; return True when a double booking remains."""
    hard = [
        v
        for v in violations
        if v.code not in CONFLICT_CODES
        and not (v.code in LEAD_TIME_CODES and may_override_lead_time)
    ]
    if hard:
        items = conflict_items(hard, resource_kinds)
        raise RuleViolation(
            " ".join(i.message for i in items),
            errors=[{"field": _field_for(i), "message": i.message} for i in items],
            violations=dump(items),
        )
    conflicts = [v for v in violations if v.code in CONFLICT_CODES]
    if conflicts and not may_override_conflicts:
        items = conflict_items(conflicts, resource_kinds)
        raise BookingConflict(" ".join(i.message for i in items), conflicts=dump(items))
    return any(v.code in DOUBLE_BOOKING_CODES for v in conflicts)


def _field_for(item: ConflictItem) -> str:
    fields = {
        "duration_bounds": "duration",
        "not_on_grid": "startTime",
        "before_lead_time": "startTime",
        "beyond_horizon": "startTime",
        "outside_window": "startTime",
        "not_qualified": "providerId",
        "missing_resource": "chairId",
        "wrong_room_kind": "roomId",
        "template_slot_mismatch": "templateSlotId",
        "naive_datetime": "startTime",
    }
    if item.code == "not_qualified" and item.resource in ("assistant", "chair", "room"):
        return f"{item.resource}Id"
    if item.code == "missing_resource" and item.message.endswith("needs an assistant"):
        return "assistantId"
    return fields.get(item.code, "startTime")


# The engine names its own inputs (``visit.parts[0].provider_id``); a client should read the
# fields it sent. Engine fields not listed (the clinic's own configuration) pass through.
ENGINE_FIELDS = {
    "type_id": "appointmentTypeId",
    "duration_minutes": "duration",
    "provider_id": "providerId",
    "chair_id": "chairId",
    "room_id": "roomId",
    "assistant_id": "assistantId",
    "template_slot_id": "templateSlotId",
    "min_gap_minutes": "minGap",
    "max_gap_minutes": "maxGap",
    "window_start": "from",
    "window_end": "to",
    "preferences.preferred_start": "preferredStart",
}
_PART_FIELD = re.compile(r"(?:visit\.)?parts\[(\d+)\]\.(\w+)")


def api_field(engine_field: str, parts_prefix: str | None = None) -> str:
    """The request field an engine field stands for.

    A part's field is ``{parts_prefix}{index}.{name}`` for a request that lists its parts
    (``parts.1.providerId``), else the plain name (one part, or availability's list parameters).
    """
    part = _PART_FIELD.fullmatch(engine_field)
    if part is None:
        return ENGINE_FIELDS.get(engine_field, engine_field)
    index, name = part.groups()
    field = ENGINE_FIELDS.get(name, name)
    return field if parts_prefix is None else f"{parts_prefix}{index}.{field}"


def invalid_input(exc: InvalidQuery, parts_prefix: str | None = None) -> InvalidInput:
    """An engine ``InvalidQuery`` as the 422 a client can act on, naming the client's field."""
    field = api_field(exc.field, parts_prefix)
    return InvalidInput(field, f"{field}: {exc.message}")
