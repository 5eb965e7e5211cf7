"""Check a SlotQuery and resolve it into plain integers the other modules share.

Every caller mistake becomes an ``InvalidQuery`` here, before any search, so the rest of the
engine can assume a well-formed problem.

Resource rules per part: a provider is needed when ``type.needs_provider`` (restricted to
``qualified_provider_ids`` when set), a chair when ``type.needs_chair``, a room of
``type.room_kind`` when that is set. A pinned id narrows the choice to that resource; pinning an
unknown resource, one of the wrong kind, one the type does not need, or an unsuitable one
(unqualified provider, wrong room kind) is an error. ``template_slot_id`` pins the slot's chair
and/or provider too and requires the part's type to be one the slot is reserved for.

Gaps: part ``i+1`` starts between ``end_i + min_gap`` and ``end_i + max_gap``. ``same_provider``
/ ``same_chair`` apply to the parts that need a provider / chair.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfoNotFoundError

from solver.errors import InvalidQuery
from solver.grid import to_sec_ceil, to_sec_floor, zone
from solver.problem import (
    AppointmentTypeSpec,
    Resource,
    ResourceKind,
    SlotQuery,
    TemplateSlot,
    VisitPart,
)

KINDS = (ResourceKind.PROVIDER, ResourceKind.CHAIR, ResourceKind.ROOM)


@dataclass(frozen=True)
class Part:
    """A visit part with everything resolved: seconds, buffers and candidate resource ids."""

    index: int
    type: AppointmentTypeSpec
    dur: int  # seconds
    buffer_before: int  # seconds
    buffer_after: int  # seconds
    min_gap: int  # seconds after the previous part's end (0 for the first part)
    max_gap: int
    pools: dict[ResourceKind, tuple[str, ...]]  # only the kinds this part needs
    slot: TemplateSlot | None  # "book into template slot"


@dataclass(frozen=True)
class Prepared:
    query: SlotQuery
    tz_name: str
    step: int  # grid step, seconds
    parts: tuple[Part, ...]
    resources: dict[str, Resource]
    earliest: int  # first allowed start of the first part
    latest: int  # last allowed end of the last part
    shortest_booking: int  # seconds: the shortest bookable type's minimum duration


def check_aware(field: str, dt: datetime | None) -> None:
    if dt is not None and (dt.tzinfo is None or dt.utcoffset() is None):
        raise InvalidQuery(field, "must be a timezone-aware datetime (got a naive one)")


def prepare(query: SlotQuery) -> Prepared:
    clinic = query.clinic
    try:
        zone(clinic.time_zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidQuery("clinic.time_zone", f"unknown time zone {clinic.time_zone!r}") from exc
    granularity = clinic.policy.granularity_minutes
    if granularity <= 0 or 1440 % granularity:
        raise InvalidQuery(
            "clinic.policy.granularity_minutes",
            f"must divide a day into whole steps, got {granularity}",
        )
    for name in ("window_start", "window_end", "now"):
        check_aware(name, getattr(query, name))
    check_aware("preferences.preferred_start", query.preferences.preferred_start)
    for i, b in enumerate(query.patient_busy):
        check_aware(f"patient_busy[{i}].start", b.start)
        check_aware(f"patient_busy[{i}].end", b.end)
    if query.window_end < query.window_start:
        raise InvalidQuery(
            "window_end",
            f"window ends ({query.window_end.isoformat()}) before it starts "
            f"({query.window_start.isoformat()})",
        )
    if not query.visit.parts:
        raise InvalidQuery("visit.parts", "a visit needs at least one part")

    resources = {resource.id: resource for resource in clinic.resources}
    types = {spec.id: spec for spec in clinic.types}
    slots = {s.id: s for s in clinic.template_slots}
    by_kind = {
        k: tuple(resource.id for resource in clinic.resources if resource.kind == k) for k in KINDS
    }
    parts = tuple(
        _part(i, visit_part, types, resources, slots, by_kind)
        for i, visit_part in enumerate(query.visit.parts)
    )

    policy = clinic.policy
    earliest = max(to_sec_ceil(query.window_start), to_sec_ceil(query.now + policy.min_lead_time))
    latest = min(to_sec_floor(query.window_end), to_sec_floor(query.now + policy.max_horizon))
    shortest = min((spec.min_minutes for spec in clinic.types), default=0) * 60
    return Prepared(
        query, clinic.time_zone, granularity * 60, parts, resources, earliest, latest, shortest
    )


def _part(
    i: int,
    visit_part: VisitPart,
    types: dict[str, AppointmentTypeSpec],
    resources: dict[str, Resource],
    slots: dict[str, TemplateSlot],
    by_kind: dict[ResourceKind, tuple[str, ...]],
) -> Part:
    path = f"visit.parts[{i}]"
    spec = types.get(visit_part.type_id)
    if spec is None:
        raise InvalidQuery(f"{path}.type_id", f"unknown appointment type {visit_part.type_id!r}")
    if spec.min_minutes <= 0 or spec.min_minutes > spec.max_minutes:
        raise InvalidQuery(f"{path}.type_id", f"type {spec.id!r} has inconsistent duration bounds")
    minutes = (
        spec.default_minutes if visit_part.duration_minutes is None else visit_part.duration_minutes
    )
    if minutes < spec.min_minutes:
        raise InvalidQuery(
            f"{path}.duration_minutes",
            f"{minutes} min is shorter than the minimum {spec.min_minutes} min for {spec.id!r}",
        )
    if minutes > spec.max_minutes:
        raise InvalidQuery(
            f"{path}.duration_minutes",
            f"{minutes} min is longer than the maximum {spec.max_minutes} min for {spec.id!r}",
        )
    if spec.buffer_before_minutes < 0 or spec.buffer_after_minutes < 0:
        raise InvalidQuery(f"{path}.type_id", f"type {spec.id!r} has a negative buffer")
    if i > 0 and (
        visit_part.min_gap_minutes < 0 or visit_part.max_gap_minutes < visit_part.min_gap_minutes
    ):
        raise InvalidQuery(
            f"{path}.max_gap_minutes",
            f"gap bounds must satisfy 0 <= min <= max, got {visit_part.min_gap_minutes}.."
            f"{visit_part.max_gap_minutes}",
        )

    slot = None
    pins: dict[ResourceKind, str | None] = {
        ResourceKind.PROVIDER: visit_part.provider_id,
        ResourceKind.CHAIR: visit_part.chair_id,
        ResourceKind.ROOM: visit_part.room_id,
    }
    if visit_part.template_slot_id is not None:
        slot = slots.get(visit_part.template_slot_id)
        if slot is None:
            raise InvalidQuery(
                f"{path}.template_slot_id", f"unknown template slot {visit_part.template_slot_id!r}"
            )
        if spec.id not in slot.type_ids:
            raise InvalidQuery(
                f"{path}.template_slot_id",
                f"template slot {slot.id!r} is not reserved for type {spec.id!r}",
            )
        _pin_to_slot(path, spec, slot, pins)

    needs = {
        ResourceKind.PROVIDER: spec.needs_provider,
        ResourceKind.CHAIR: spec.needs_chair,
        ResourceKind.ROOM: spec.room_kind is not None,
    }
    pools: dict[ResourceKind, tuple[str, ...]] = {}
    for kind in KINDS:
        pin = pins[kind]
        field = f"{path}.{kind.value}_id"
        if not needs[kind]:
            if pin is not None:
                raise InvalidQuery(field, f"type {spec.id!r} needs no {kind.value}, got {pin!r}")
            continue
        pool = [rid for rid in by_kind[kind] if _suits(spec, resources[rid])]
        if pin is not None:
            resource = resources.get(pin)
            if resource is None:
                raise InvalidQuery(field, f"unknown {kind.value} {pin!r}")
            if resource.kind != kind:
                raise InvalidQuery(field, f"{pin!r} is a {resource.kind.value}, not a {kind.value}")
            if not _suits(spec, resource):
                why = (
                    f"is not qualified for {spec.id!r}"
                    if kind == ResourceKind.PROVIDER
                    else f"is not a {spec.room_kind!r} room"
                )
                raise InvalidQuery(field, f"{kind.value} {pin!r} {why}")
            pool = [pin]
        pools[kind] = tuple(pool)

    gap_min = visit_part.min_gap_minutes * 60 if i > 0 else 0
    gap_max = visit_part.max_gap_minutes * 60 if i > 0 else 0
    return Part(
        i,
        spec,
        minutes * 60,
        spec.buffer_before_minutes * 60,
        spec.buffer_after_minutes * 60,
        gap_min,
        gap_max,
        pools,
        slot,
    )


def _pin_to_slot(
    path: str, spec: AppointmentTypeSpec, slot: TemplateSlot, pins: dict[ResourceKind, str | None]
) -> None:
    """Booking into a slot: the part must fill it, so the slot must apply to it.

    The slot's chair and provider are pinned where the part pins nothing of that kind (the
    search then offers the slot's own resources). A part that pins another chair or provider
    still books into the slot through the one it does share, as ``template_slots`` says it fills
    it; a part that could share none of them cannot.
    """
    named = [
        (kind, rid, field)
        for kind, rid, field, needed in (
            (ResourceKind.PROVIDER, slot.provider_id, "provider_id", spec.needs_provider),
            (ResourceKind.CHAIR, slot.chair_id, "chair_id", spec.needs_chair),
        )
        if rid is not None and needed
    ]
    if not slot.names_anyone:
        return
    sharing = [(kind, rid) for kind, rid, _ in named if pins[kind] in (None, rid)]
    if not sharing:
        kind, rid, field = named[0] if named else (None, None, "template_slot_id")
        why = (
            f"pinned {pins[kind]!r} but template slot {slot.id!r} belongs to {rid!r}"
            if kind is not None
            else f"template slot {slot.id!r} reserves a resource type {spec.id!r} does not use"
        )
        raise InvalidQuery(f"{path}.{field}", why)
    for kind, rid in sharing:
        pins[kind] = rid


def _suits(spec: AppointmentTypeSpec, resource: Resource) -> bool:
    if resource.kind == ResourceKind.PROVIDER:
        return spec.qualified_provider_ids is None or resource.id in spec.qualified_provider_ids
    if resource.kind == ResourceKind.ROOM:
        return resource.room_kind == spec.room_kind
    return True
