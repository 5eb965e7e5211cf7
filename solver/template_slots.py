"""Which template slot a part fills, which it may not overlap: the one home of the slot rules.

A slot applies to a part through the chair or the provider it names (``TemplateSlot.
applies_to_part``); a slot naming no one applies to every part. Then, for a part of type T over
``[start, end]`` (no buffers):

- it *violates* every applicable slot it overlaps that is not reserved for T
  (``template_reserved``);
- it *fills* an applicable slot reserved for T that wholly contains it; the slot it names when it
  books into one, else the first such slot in clinic order;
- a part that names a slot (books into it) must fill that very slot, or the booking is refused
  (``template_slot_mismatch``), with ``claim_problem`` saying why.

The search applies the same rules as per-resource masks (``masks``); validate, the assembler and
the API ask the functions here. ``template_slot_fit`` is the public question for one placed part.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from solver.errors import InvalidQuery
from solver.grid import LocalCalendar, calendar_for, to_sec_floor
from solver.problem import ResourceKind, TemplateSlot
from solver.result import PartAssignment


@dataclass(frozen=True)
class SlotTime:
    """One weekly template slot on one clinic-local date, as instants (epoch seconds)."""

    slot: TemplateSlot
    start: int
    end: int

    def contains(self, start: int, end: int) -> bool:
        return self.start <= start and end <= self.end

    def overlaps(self, start: int, end: int) -> bool:
        return self.start < end and start < self.end


@dataclass(frozen=True)
class TemplateSlotFit:
    """What the template slots say about one placed part.

    ``fills``: the slot the part fills (the one it names when that claim holds). ``reserved``:
    ids of the applicable slots it overlaps that are reserved for other types, so it may not sit
    there. ``problem``: why the part cannot fill the slot it names, None when it can (or names
    none).
    """

    fills: str | None
    reserved: tuple[str, ...]
    problem: str | None


def slot_times(cal: LocalCalendar, slots: Iterable[TemplateSlot]) -> list[SlotTime]:
    """Every slot on every calendar date of its weekday, clinic order, then date order."""
    out: list[SlotTime] = []
    for slot in slots:
        for day, weekday in enumerate(cal.weekday.tolist()):
            if weekday == slot.weekday:
                out.extend(SlotTime(slot, s, e) for s, e in cal.blocks(day, (slot.block,)))
    return out


def filled_slot(
    times: Iterable[SlotTime], type_id: str, start: int, end: int, held: Collection[str]
) -> str | None:
    """The first applicable slot reserved for the type that wholly contains the part."""
    for t in times:
        if t.contains(start, end) and type_id in t.slot.type_ids and t.slot.applies_to_part(held):
            return t.slot.id
    return None


def reserved_overlaps(
    times: Iterable[SlotTime], type_id: str, start: int, end: int, held: Collection[str]
) -> list[SlotTime]:
    """The applicable slots, each once, the part overlaps although they exclude its type."""
    out: list[SlotTime] = []
    seen: set[str] = set()
    for t in times:
        if (
            t.slot.id not in seen
            and type_id not in t.slot.type_ids
            and t.overlaps(start, end)
            and t.slot.applies_to_part(held)
        ):
            seen.add(t.slot.id)
            out.append(t)
    return out


def claim_problem(
    slot_id: str,
    slots: Sequence[TemplateSlot],
    times: Iterable[SlotTime],
    type_id: str,
    start: int,
    end: int,
    held: Collection[str],
) -> str | None:
    """Why a part that names template slot ``slot_id`` does not fill it (None: it does)."""
    slot = next((s for s in slots if s.id == slot_id), None)
    if slot is None:
        return f"names unknown template slot {slot_id}"
    if type_id not in slot.type_ids:
        return f"is not a type template slot {slot_id} is reserved for"
    if not slot.applies_to_part(held):
        return f"uses neither resource of template slot {slot_id}, so it cannot fill it"
    if not any(t.slot.id == slot_id and t.contains(start, end) for t in times):
        return f"does not lie wholly inside template slot {slot_id}"
    return None


def template_slot_fit(
    time_zone: str, template_slots: Sequence[TemplateSlot], part: PartAssignment
) -> TemplateSlotFit:
    """The template slot rules for one placed part, in the clinic's zone.

    ``part.template_slot_id`` is the slot the part books into (a claim, checked); the part's
    provider, chair and room are the resources it holds.
    """
    for name, dt in (("start", part.start), ("end", part.end)):
        if dt.tzinfo is None or dt.utcoffset() is None:
            raise InvalidQuery(name, "must be a timezone-aware datetime")
    start, end = to_sec_floor(part.start), to_sec_floor(part.end)
    held = held_ids(part)
    times = slot_times(calendar_for(time_zone, start, max(start, end)), template_slots)
    claimed = part.template_slot_id
    problem = (
        None
        if claimed is None
        else claim_problem(claimed, template_slots, times, part.type_id, start, end, held)
    )
    if claimed is not None:
        fills = None if problem else claimed
    else:
        fills = filled_slot(times, part.type_id, start, end, held)
    reserved = reserved_overlaps(times, part.type_id, start, end, held)
    return TemplateSlotFit(fills, tuple(t.slot.id for t in reserved), problem)


def held_ids(part: PartAssignment) -> set[str]:
    return {r for r in (part.provider_id, part.chair_id, part.room_id) if r is not None}


def reserve_together(a: TemplateSlot, b: TemplateSlot) -> bool:
    """Do two slots reserve some chair's or provider's time at once?

    Same weekday, overlapping times, and a resource both apply to (two slots naming no one share
    every resource). The overlap would be bookable only by types both slots allow, which is never
    what a rota means, so a schedule template refuses it.
    """
    if a.weekday != b.weekday or not (a.block.start < b.block.end and b.block.start < a.block.end):
        return False
    if not a.names_anyone and not b.names_anyone:
        return True
    named = [
        (kind, rid)
        for slot in (a, b)
        for kind, rid in (
            (ResourceKind.CHAIR, slot.chair_id),
            (ResourceKind.PROVIDER, slot.provider_id),
        )
        if rid is not None
    ]
    return any(a.applies_to(kind, rid) and b.applies_to(kind, rid) for kind, rid in named)
