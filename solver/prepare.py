"""Check a SlotQuery and resolve it into plain integers the other modules share.

Every caller mistake becomes an ``InvalidQuery`` here, before any search, so the rest of the
engine can assume a well-formed problem.

Resource rules per part: a provider is needed when ``type.needs_provider`` (restricted to
``qualified_provider_ids`` when set), a chair when ``type.needs_chair``, a room of
``type.room_kind`` when that is set, an assistant when ``type.needs_assistant`` (restricted to
``qualified_assistant_ids`` when set). A pinned id narrows the choice to that resource; pinning
an unknown resource, one of the wrong kind, one the type does not need, or an unsuitable one
(unqualified provider or assistant, wrong room kind) is an error. ``template_slot_id`` pins
the slot's chair and/or provider too (never an assistant: slots do not apply to them) and
requires the part's type to be one the slot is reserved for.

Gaps: part ``i+1`` starts between ``end_i + min_gap`` and ``end_i + max_gap``. ``same_provider``
/ ``same_chair`` apply to the parts that need a provider / chair.

Doctor time (``solver.time_pattern``): every type's pattern is checked against its default
duration, a part's own pattern against the part's duration; a part without its own pattern uses
its type's, fitted to the part's duration. ``Part.provider_held`` is what the part holds its
provider for (``time_pattern.provider_held``: the whole span with buffers without a pattern, the
``D`` runs with one). A part whose pattern has no ``D`` holds no provider, so, like a type with
``needs_provider`` False, it has no provider pool and pinning a provider is an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfoNotFoundError

from solver.errors import InvalidQuery
from solver.grid import to_sec_ceil, to_sec_floor, zone
from solver.problem import (
    AppointmentTypeSpec,
    Clinic,
    Resource,
    ResourceKind,
    SlotQuery,
    TemplateSlot,
    VisitPart,
)
from solver.time_pattern import (
    PROVIDER,
    STEP_MINUTES,
    check_pattern,
    fit_to_duration,
    provider_held,
    provider_runs,
)

KINDS = (ResourceKind.PROVIDER, ResourceKind.CHAIR, ResourceKind.ROOM, ResourceKind.ASSISTANT)


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
    pattern: str | None = None  # this part's doctor-time pattern, fitted to its duration
    # Seconds from the start while a provider is held (``time_pattern.provider_held``), also
    # when the part has no provider pool (``validate`` checks a provider given anyway on it) ...
    provider_held: tuple[tuple[int, int], ...] = ()
    # ... and while the provider is needed, without buffers (``time_pattern.provider_runs``).
    provider_runs: tuple[tuple[int, int], ...] = ()

    def held(self, kind: ResourceKind) -> tuple[tuple[int, int], ...]:
        """Seconds from the start during which the part holds a resource of ``kind``.

        Chairs, rooms and assistants: the whole span with the type's buffers. Providers:
        ``provider_held``, which is the same span without a pattern and only the ``D`` runs
        with one.
        """
        if kind == ResourceKind.PROVIDER:
            return self.provider_held
        return ((-self.buffer_before, self.dur + self.buffer_after),)

    def hull(self, kind: ResourceKind) -> tuple[int, int]:
        """First and last second (from the start) of ``held(kind)``; the kind must be held."""
        held = self.held(kind)
        return held[0][0], held[-1][1]

    @property
    def doctor_time(self) -> bool:
        """Is the provider held only during a pattern's runs (not for the whole span)?"""
        return self.pattern is not None


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
    _check_type_patterns(clinic)

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

    pattern = _part_pattern(path, spec, visit_part, minutes)
    held = tuple(
        (a * 60, b * 60)
        for a, b in provider_held(
            pattern, minutes, spec.buffer_before_minutes, spec.buffer_after_minutes
        )
    )
    runs = tuple((a * 60, b * 60) for a, b in provider_runs(pattern, minutes))

    needs = {
        ResourceKind.PROVIDER: holds_provider(spec, held),
        ResourceKind.CHAIR: spec.needs_chair,
        ResourceKind.ROOM: spec.room_kind is not None,
        ResourceKind.ASSISTANT: spec.needs_assistant,
    }
    slot = None
    pins: dict[ResourceKind, str | None] = {
        ResourceKind.PROVIDER: visit_part.provider_id,
        ResourceKind.CHAIR: visit_part.chair_id,
        ResourceKind.ROOM: visit_part.room_id,
        ResourceKind.ASSISTANT: visit_part.assistant_id,
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
        _pin_to_slot(path, spec, slot, pins, needs)
    pools: dict[ResourceKind, tuple[str, ...]] = {}
    for kind in KINDS:
        pin = pins[kind]
        field = f"{path}.{kind.value}_id"
        if not needs[kind]:
            if pin is not None:
                why = (
                    f"its time pattern {pattern!r} has no provider time ({PROVIDER!r})"
                    if kind == ResourceKind.PROVIDER and spec.needs_provider
                    else ""
                )
                raise InvalidQuery(
                    field,
                    f"type {spec.id!r} needs no {kind.value}"
                    + (f": {why}" if why else "")
                    + f", got {pin!r}",
                )
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
                    f"is not a {spec.room_kind!r} room"
                    if kind == ResourceKind.ROOM
                    else f"is not qualified for {spec.id!r}"
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
        pattern,
        held,
        runs,
    )


def holds_provider(spec: AppointmentTypeSpec, held: tuple[tuple[int, int], ...]) -> bool:
    """A part holds a provider when its type needs one and its pattern has provider time."""
    return spec.needs_provider and bool(held)


def _check_type_patterns(clinic: Clinic) -> None:
    # Every type, not only the visit's: best fit's doctor terms read every type's runs.
    for index, spec in enumerate(clinic.types):
        if spec.time_pattern is not None:
            check_pattern(
                spec.time_pattern, spec.default_minutes, f"clinic.types[{index}].time_pattern"
            )


def _part_pattern(
    path: str, spec: AppointmentTypeSpec, visit_part: VisitPart, minutes: int
) -> str | None:
    """The part's own pattern, checked against its duration, else its type's fitted to it."""
    own = visit_part.time_pattern
    if own is None:
        if spec.time_pattern is None:
            return None
        return fit_to_duration(spec.time_pattern, minutes, f"{path}.duration_minutes")
    field = f"{path}.time_pattern"
    # Characters first (check_pattern against the pattern's own length checks only those),
    # then the length against this part's duration, which is not the type's default.
    check_pattern(own, len(own) * STEP_MINUTES, field)
    steps = -(-minutes // STEP_MINUTES)
    if len(own) != steps:
        raise InvalidQuery(
            field,
            f"has {len(own)} steps but this part's {minutes} minutes need {steps} "
            f"(one per {STEP_MINUTES} minutes)",
        )
    return own


def _pin_to_slot(
    path: str,
    spec: AppointmentTypeSpec,
    slot: TemplateSlot,
    pins: dict[ResourceKind, str | None],
    needs: dict[ResourceKind, bool],
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
            (ResourceKind.PROVIDER, slot.provider_id, "provider_id", needs[ResourceKind.PROVIDER]),
            (ResourceKind.CHAIR, slot.chair_id, "chair_id", needs[ResourceKind.CHAIR]),
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
    if resource.kind == ResourceKind.ASSISTANT:
        return spec.qualified_assistant_ids is None or resource.id in spec.qualified_assistant_ids
    return True
