"""Whether a schedule template can be saved: every error at once, each naming its field.

Working hours and dated exceptions must not overlap and must exist in the clinic's time zone
(a clock change can remove an hour); template slots must name the clinic's own types and
resources, lie inside the working hours of whom they reserve, and not reserve the same time
twice (`solver.reserve_together` is the engine's rule for that)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.errors import InvalidInput
from api.models import (
    AppointmentType,
    Assistant,
    Chair,
    Clinic,
    Provider,
    Room,
)
from api.schedule_templates.schemas import (
    ScheduleExceptionIn,
    TemplateSlotIn,
    TimeBlock,
    WorkingHoursIn,
    format_clock,
)
from solver import reserve_together, spring_forward_gap
from solver.problem import LocalBlock
from solver.problem import TemplateSlot as SolverTemplateSlot

# Time ranges in messages use an en dash ("08:00\u201312:00"), as on a printed rota.
EN_DASH = "\u2013"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass
class _Errors:
    """Collects every problem, so an admin fixes a whole week in one round trip."""

    items: list[tuple[str, str]] = field(default_factory=list)

    def add(self, path: str, message: str) -> None:
        self.items.append((path, message))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        # InvalidInput carries one field; widen its errors list to every problem found.
        exc = InvalidInput(self.items[0][0], "; ".join(f"{p}: {m}" for p, m in self.items))
        exc.extra["errors"] = [{"field": p, "message": m} for p, m in self.items]
        raise exc


@dataclass
class _Clinic:
    """Names of the clinic's resources by id: what exists, and what to call it in messages."""

    resources: dict[str, dict[str, str]]
    type_ids: set[str]
    time_zone: str

    @classmethod
    def load(cls, session: Session, clinic_id: str) -> _Clinic:
        resources: dict[str, dict[str, str]] = {}
        for kind, model in (
            ("provider", Provider),
            ("chair", Chair),
            ("room", Room),
            ("assistant", Assistant),
        ):
            rows = session.execute(
                select(model.id, model.name).where(model.clinic_id == clinic_id)
            ).all()
            resources[kind] = {rid: name for rid, name in rows}
        type_ids = set(
            session.scalars(
                select(AppointmentType.id).where(AppointmentType.clinic_id == clinic_id)
            )
        )
        time_zone = session.scalars(select(Clinic.time_zone).where(Clinic.id == clinic_id)).one()
        return cls(resources=resources, type_ids=type_ids, time_zone=time_zone)

    def has(self, kind: str, rid: str) -> bool:
        return rid in self.resources[kind]

    def label(self, kind: str, rid: str) -> str:
        return self.resources[kind].get(rid, f"{kind} '{rid}'")


def _span(start: time, end: time) -> str:
    return f"{format_clock(start)}{EN_DASH}{format_clock(end)}"


def _overlaps(a: TimeBlock | WorkingHoursIn, b: TimeBlock | WorkingHoursIn) -> bool:
    # Touching blocks (12:00-13:00 then 13:00-17:00) are fine: a break-free split day.
    return a.start < b.end and b.start < a.end


def validate(
    session: Session,
    clinic_id: str,
    hours: list[WorkingHoursIn],
    exceptions: list[ScheduleExceptionIn],
    slots: list[TemplateSlotIn],
) -> None:
    clinic = _Clinic.load(session, clinic_id)
    errors = _Errors()
    by_day = _check_working_hours(clinic, hours, errors)
    _check_exceptions(clinic, exceptions, errors)
    _check_slots(clinic, slots, by_day, errors)
    errors.raise_if_any()


def _check_working_hours(
    clinic: _Clinic, hours: list[WorkingHoursIn], errors: _Errors
) -> dict[tuple[str, str, int], list[WorkingHoursIn]]:
    """Checks each block; returns the well-formed ones by (type, resource, weekday)."""
    by_day: dict[tuple[str, str, int], list[tuple[int, WorkingHoursIn]]] = defaultdict(list)
    for i, w in enumerate(hours):
        path = f"workingHours.{i}"
        if not clinic.has(w.resource_type, w.resource_id):
            errors.add(
                f"{path}.resourceId",
                f"No {w.resource_type} with id '{w.resource_id}' in your clinic.",
            )
        if w.start >= w.end:
            errors.add(
                f"{path}.end",
                f"end {format_clock(w.end)} must be after start {format_clock(w.start)}",
            )
            continue
        day = WEEKDAYS[w.weekday]
        same_day = by_day[(w.resource_type, w.resource_id, w.weekday)]
        clash = next(((j, o) for j, o in same_day if _overlaps(w, o)), None)
        if clash is not None:
            j, other = clash
            errors.add(
                path,
                f"{day} {_span(w.start, w.end)} overlaps {day} {_span(other.start, other.end)} "
                f"for {clinic.label(w.resource_type, w.resource_id)} (workingHours.{j}); "
                "merge the two blocks or shorten one",
            )
            continue
        same_day.append((i, w))
    return {key: [w for _, w in items] for key, items in by_day.items()}


def _check_exceptions(
    clinic: _Clinic, exceptions: list[ScheduleExceptionIn], errors: _Errors
) -> None:
    seen: dict[tuple[str, str, object], int] = {}
    for i, e in enumerate(exceptions):
        path = f"exceptions.{i}"
        label = clinic.label(e.resource_type, e.resource_id)
        if not clinic.has(e.resource_type, e.resource_id):
            errors.add(
                f"{path}.resourceId",
                f"No {e.resource_type} with id '{e.resource_id}' in your clinic.",
            )
        key = (e.resource_type, e.resource_id, e.date)
        if key in seen:
            errors.add(
                f"{path}.date",
                f"{label} already has an exception on {e.date.isoformat()} "
                f"(exceptions.{seen[key]}); put all of that day's blocks in one exception",
            )
        else:
            seen[key] = i
        good: list[tuple[int, TimeBlock]] = []
        for k, b in enumerate(e.blocks):
            if b.start >= b.end:
                errors.add(
                    f"{path}.blocks.{k}.end",
                    f"end {format_clock(b.end)} must be after start {format_clock(b.start)}",
                )
                continue
            if _in_clock_change(clinic, e.date, b, f"{path}.blocks.{k}", errors):
                continue
            clash = next(((j, o) for j, o in good if _overlaps(b, o)), None)
            if clash is not None:
                j, other = clash
                errors.add(
                    f"{path}.blocks.{k}",
                    f"{_span(b.start, b.end)} overlaps {_span(other.start, other.end)} "
                    f"on {e.date.isoformat()} for {label} ({path}.blocks.{j}); "
                    "merge the two blocks or shorten one",
                )
                continue
            good.append((k, b))


def _in_clock_change(
    clinic: _Clinic, day: date, block: TimeBlock, path: str, errors: _Errors
) -> bool:
    """A date's block may not start or end at a wall-clock time the clinic's zone skips.

    Weekly hours are fine across a clock change (the engine's 23-hour day), but an exception
    names one date, so a time that does not exist on it is a mistake worth saying so.
    """
    found = False
    for name, clock in (("start", block.start), ("end", block.end)):
        gap = spring_forward_gap(clinic.time_zone, day, clock)
        if gap is None:
            continue
        first, after = (format_clock(t) for t in gap)
        errors.add(
            f"{path}.{name}",
            f"{format_clock(clock)} does not exist on {day.isoformat()} in {clinic.time_zone}: "
            f"clocks go forward at {first} straight to {after}; use {first} or {after} instead",
        )
        found = True
    return found


def _check_slots(
    clinic: _Clinic,
    slots: list[TemplateSlotIn],
    by_day: dict[tuple[str, str, int], list[WorkingHoursIn]],
    errors: _Errors,
) -> None:
    seen_ids: dict[str, int] = {}
    placed: list[tuple[int, TemplateSlotIn]] = []
    for i, s in enumerate(slots):
        path = f"templateSlots.{i}"
        day = WEEKDAYS[s.weekday]
        if s.id is not None:
            if s.id in seen_ids:
                errors.add(
                    f"{path}.id",
                    f"slot id '{s.id}' is also used by templateSlots.{seen_ids[s.id]}; "
                    "each slot may appear once",
                )
            else:
                seen_ids[s.id] = i
        if not s.appointment_type_ids:
            errors.add(
                f"{path}.appointmentTypeIds",
                "choose at least one appointment type this slot is reserved for",
            )
        for k, type_id in enumerate(s.appointment_type_ids):
            if type_id not in clinic.type_ids:
                errors.add(
                    f"{path}.appointmentTypeIds.{k}",
                    f"No appointment type with id '{type_id}' in your clinic.",
                )
        named: list[tuple[str, str]] = []
        for kind, rid, attr in (
            ("chair", s.chair_id, "chairId"),
            ("provider", s.provider_id, "providerId"),
        ):
            if rid is None:
                continue
            if clinic.has(kind, rid):
                named.append((kind, rid))
            else:
                errors.add(f"{path}.{attr}", f"No {kind} with id '{rid}' in your clinic.")
        if s.start >= s.end:
            errors.add(
                f"{path}.end",
                f"end {format_clock(s.end)} must be after start {format_clock(s.start)}",
            )
            continue
        slot = f"{day} {_span(s.start, s.end)}"
        clash = next(((j, o) for j, o in placed if _slots_collide(s, o)), None)
        if clash is not None:
            j, other = clash
            errors.add(
                path,
                f"{slot} overlaps {day} {_span(other.start, other.end)} "
                f"(templateSlots.{j}) for {_shared_owner(clinic, s, other)}: a booking there "
                "would sit in two reserved slots and only types both allow could use it; "
                "make one slot with all the types, or shorten one",
            )
        placed.append((i, s))
        for kind, rid in named:
            blocks = by_day.get((kind, rid, s.weekday), [])
            if any(b.start <= s.start and s.end <= b.end for b in blocks):
                continue
            label = clinic.label(kind, rid)
            if blocks:
                spans = ", ".join(_span(b.start, b.end) for b in sorted(blocks, key=_start))
                errors.add(path, f"{slot} is outside {label}'s {day} hours {spans}")
            else:
                errors.add(path, f"{slot} is outside {label}'s hours: no hours on {day}")
        if s.chair_id is None and s.provider_id is None:
            chair_blocks = [
                b
                for (kind, _, weekday), blocks in by_day.items()
                if kind == "chair" and weekday == s.weekday
                for b in blocks
            ]
            if not any(b.start <= s.start and s.end <= b.end for b in chair_blocks):
                reason = (
                    f"no chair's {day} hours cover it" if chair_blocks else f"no chair works {day}"
                )
                errors.add(
                    path,
                    f"{slot} is outside every chair's hours ({reason}); "
                    "move the slot or name its chair",
                )


def _slots_collide(a: TemplateSlotIn, b: TemplateSlotIn) -> bool:
    """Some booking would be under both: the engine's ``reserve_together``."""
    return reserve_together(_slot_spec(a), _slot_spec(b))


def _slot_spec(s: TemplateSlotIn) -> SolverTemplateSlot:
    return SolverTemplateSlot(
        id=s.id or "",
        weekday=s.weekday,
        block=LocalBlock(s.start, s.end),
        type_ids=frozenset(s.appointment_type_ids),
        chair_id=s.chair_id,
        provider_id=s.provider_id,
    )


def _unnamed(slot: TemplateSlotIn) -> bool:
    return slot.chair_id is None and slot.provider_id is None


def _shared_owner(clinic: _Clinic, a: TemplateSlotIn, b: TemplateSlotIn) -> str:
    if _unnamed(a) and _unnamed(b):
        return "every booking"
    named = b if _unnamed(a) else a
    other = a if named is b else b
    if named.chair_id is not None and (_unnamed(other) or named.chair_id == other.chair_id):
        return clinic.label("chair", named.chair_id)
    assert named.provider_id is not None
    return clinic.label("provider", named.provider_id)


def _start(b: WorkingHoursIn) -> time:
    return b.start
