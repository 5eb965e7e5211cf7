"""Free time as numpy arrays: the exact, cheap part of the search.

For every resource a query can use, its free time is (working hours) minus (busy intervals),
kept as sorted disjoint half-open intervals. A part of type T with duration d at start s fits on a
resource when its occupied interval ``[s - T.buffer_before, s + d + T.buffer_after]`` lies inside
one free interval; that test is one ``searchsorted`` over all (resource, start) pairs at once,
because every resource's intervals live in one array keyed by ``resource_index * KEY + time``.
A provider is held for ``Part.held``: that same interval without a pattern, only the pattern's
``D`` runs with one, and fits when every run lies in one free interval (one ``searchsorted`` per
run, combined with ``&``; patterns have one to three runs, so the cost stays linear in starts).

Template slots: the rules are in ``template_slots``; here they become masks. "The part uses the
slot's chair or its provider" is a disjunction, so "may not overlap a slot reserved for other
types" is exactly "forbidden on that chair and forbidden on that provider": a per-resource mask
(a slot naming no one masks every start of the part).

The patient is busy only for ``[s, s + d]`` of each part, against ``patient_busy``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter

import numpy as np
import numpy.typing as npt

from solver.errors import InvalidQuery
from solver.grid import I64, calendar_for, merge, to_sec_ceil, to_sec_floor
from solver.prepare import Part, Prepared
from solver.problem import BusyInterval, ResourceKind
from solver.template_slots import filled_slot, slot_times

Bool = npt.NDArray[np.bool_]
KEY = np.int64(1 << 40)  # larger than any time offset inside one query


@dataclass
class KindMasks:
    """One part's choice of one resource kind: rows are the pool, columns the grid."""

    ids: tuple[str, ...]
    resource_index: I64  # row -> timeline resource index
    ok: Bool  # the resource can hold the part at that start
    fill: Bool  # a template slot naming this resource and reserved for the type contains it
    before: I64  # free time left between the free interval's start and the held time
    after: I64  # free time left between the held time and the free interval's end
    # A provider held only for a pattern's runs: its leftovers are doctor time, which
    # ``objective.doctor_idle_time`` scores, not ``short_gap``.
    doctor_time: bool = False


@dataclass
class PartMasks:
    part: Part
    everywhere_ok: Bool  # everything not tied to a resource: patient, global slots, slot booking
    everywhere_fill: Bool  # a slot naming no resource and reserved for the type contains the part
    kinds: dict[ResourceKind, KindMasks] = field(default_factory=dict)

    def fillable(self) -> Bool:
        """Starts at which some choice of resources would fill a template slot for the type."""
        out = self.everywhere_fill.copy()
        for kind_masks in self.kinds.values():
            out |= kind_masks.fill.any(axis=0)
        return out


def busy_pairs(
    owner: str, busy: tuple[BusyInterval, ...], lo: int, hi: int
) -> list[tuple[int, int, str | None]]:
    """``(start, end, ref)`` in seconds of the busy intervals meeting ``[lo, hi]``."""
    out = []
    for b in busy:
        s, e = b.start, b.end
        if s.tzinfo is None or e.tzinfo is None:
            raise InvalidQuery(owner, f"busy interval {b.ref or ''} has a naive datetime")
        ts, te = to_sec_floor(s), to_sec_ceil(e)
        if te > lo and ts < hi and te > ts:
            out.append((ts, te, b.ref))
    return out


_START, _END, _TZ = attrgetter("start"), attrgetter("end"), attrgetter("tzinfo")


def busy_columns(
    owners: list[str], busy: list[tuple[BusyInterval, ...]], lo: int, hi: int
) -> tuple[I64, I64, I64]:
    """Start and end seconds, clipped to ``[lo, hi]``, of every owner's busy intervals that
    meet it, with the index of the owner in ``owners``.

    The hot path of every query (thousands of intervals): the per-interval work is C-level
    ``map`` calls (attribute reads, ``timestamp()``); numpy does the rounding and filtering for
    all owners at once.
    """
    flat = list(itertools.chain.from_iterable(busy))
    cause: Exception | None = None
    try:
        starts, ends = list(map(_START, flat)), list(map(_END, flat))
        naive = None in set(map(_TZ, starts)) or None in set(map(_TZ, ends))
        if not naive:
            st = np.array(list(map(datetime.timestamp, starts)), dtype=np.float64)
            en = np.array(list(map(datetime.timestamp, ends)), dtype=np.float64)
    except (AttributeError, TypeError) as exc:
        cause = exc
    if cause is not None or naive:
        if len(owners) > 1:
            # Only on bad input: redo it owner by owner so the error names the one at fault.
            for owner, intervals in zip(owners, busy, strict=True):
                busy_columns([owner], [intervals], lo, hi)
        problem = (
            "busy intervals need datetimes" if cause else "a busy interval has a naive datetime"
        )
        raise InvalidQuery(owners[0], problem) from cause
    who = np.repeat(np.arange(len(owners), dtype=np.int64), [len(b) for b in busy])
    s, e = np.floor(st).astype(np.int64), np.ceil(en).astype(np.int64)
    keep = (e > lo) & (s < hi) & (e > s)
    return np.maximum(s[keep], lo), np.minimum(e[keep], hi), who[keep]


def busy_arrays(owner: str, busy: tuple[BusyInterval, ...], lo: int, hi: int) -> tuple[I64, I64]:
    """One owner's ``busy_columns``."""
    s, e, _ = busy_columns([owner], [busy], lo, hi)
    return s, e


def overlaps(ms: I64, me: I64, qs: I64, qe: I64) -> Bool:
    """Does ``[qs, qe)`` overlap the union of the sorted disjoint intervals ``ms/me``?"""
    if len(ms) == 0:
        return np.zeros(np.shape(qs), dtype=np.bool_)
    idx = np.searchsorted(ms, qe, side="left") - 1
    return (idx >= 0) & (me[np.maximum(idx, 0)] > qs)


def contained(starts: I64, ends: I64, qs: I64, qe: I64) -> Bool:
    """Is ``[qs, qe)`` inside at least one of the (possibly overlapping) intervals?"""
    if len(starts) == 0:
        return np.zeros(np.shape(qs), dtype=np.bool_)
    order = np.argsort(starts, kind="stable")
    s, pmax = starts[order], np.maximum.accumulate(ends[order])
    idx = np.searchsorted(s, qs, side="right") - 1
    return (idx >= 0) & (pmax[np.maximum(idx, 0)] >= qe)


def _holds_at_start(part: Part) -> bool:
    """Does the part hold some resource at its start instant (so that instant must be open)?
    Not a part held only by a provider whose first ``D`` run starts later."""
    return any(a <= 0 < b for kind in part.pools for a, b in part.held(kind))


class Timeline:
    """Free intervals of the resources a query can use, over the query's time range."""

    def __init__(self, prep: Prepared) -> None:
        self.prep = prep
        parts = prep.parts
        self.lo = prep.earliest - max(p.buffer_before for p in parts)
        self.hi = prep.latest + max(p.buffer_after for p in parts)
        self.cal = calendar_for(prep.tz_name, self.lo, max(self.hi, self.lo))
        # Free time is computed over whole local dates around the range (not clipped to it), so
        # leftovers next to the range's edges and per-day loads are those of the real schedule.
        self.span = (int(self.cal.mid[0]), int(self.cal.mid[-1]))
        self.grid: I64 = (
            self.cal.grid(prep.step // 60, prep.earliest, prep.latest)
            if prep.latest > prep.earliest
            else np.zeros(0, dtype=np.int64)
        )
        ids: list[str] = []
        for p in parts:
            for pool in p.pools.values():
                ids.extend(r for r in pool if r not in ids)
        self.ids = ids
        self.index = {rid: i for i, rid in enumerate(ids)}
        self.hours: list[I64] = [self.cal.merged_hours(prep.resources[r].hours) for r in ids]
        busy = busy_columns(
            [f"clinic.resources[{rid}].busy" for rid in ids],
            [prep.resources[rid].busy for rid in ids],
            *self.span,
        )
        self.busy_start, self.busy_end, self.busy_owner = busy
        self._sweep(*busy)
        if all(_holds_at_start(p) for p in parts) and len(self.grid):
            # A start outside every needed resource's hours can never be feasible; dropping
            # nights and closed days shrinks every later array about threefold.
            unique = {id(h): h for h in self.hours}.values()
            open_hours = np.concatenate([np.zeros((0, 2), dtype=np.int64), *unique])
            self.grid = self.grid[
                contained(open_hours[:, 0], open_hours[:, 1] - 1, self.grid, self.grid)
            ]
        self.slots = slot_times(self.cal, prep.query.clinic.template_slots)

    def _sweep(self, busy_start: I64, busy_end: I64, busy_owner: I64) -> None:
        # One sort over every resource's hour and busy edges: keys carry the resource index, so
        # running counts return to zero between resources and one pass serves them all.
        lo, hi = self.span
        hour_keys = np.concatenate(self.hours) if self.hours else np.zeros((0, 2), dtype=np.int64)
        hour_owner = np.repeat(
            np.arange(len(self.hours), dtype=np.int64), [len(h) for h in self.hours]
        )
        hour_keys = np.clip(hour_keys, lo, hi) + (hour_owner * KEY - lo)[:, None]
        busy_base = busy_owner * KEY - lo
        n_hours, n_busy = len(hour_keys), len(busy_start)
        k = np.concatenate(
            (hour_keys[:, 0], hour_keys[:, 1], busy_start + busy_base, busy_end + busy_base)
        )
        order = np.argsort(k, kind="stable")
        k = k[order]
        h = np.cumsum(
            np.repeat(np.array([1, -1, 0, 0], dtype=np.int64), [n_hours, n_hours, n_busy, n_busy])[
                order
            ]
        )
        b = np.cumsum(
            np.repeat(np.array([0, 0, 1, -1], dtype=np.int64), [n_hours, n_hours, n_busy, n_busy])[
                order
            ]
        )
        if len(k) < 2:
            free_start = free_end = np.zeros(0, dtype=np.int64)
        else:
            seg_s, seg_e = k[:-1], k[1:]
            free = (h[:-1] > 0) & (b[:-1] == 0)
            keep = seg_e > seg_s
            seg_s, seg_e, free = seg_s[keep], seg_e[keep], free[keep]
            # Kept segments tile the key line, so runs of free segments are free intervals.
            edge = np.diff(np.concatenate(([0], free.astype(np.int8), [0])))
            free_start = seg_s[np.flatnonzero(edge == 1)]
            free_end = seg_e[np.flatnonzero(edge == -1) - 1]
        # A sentinel keeps "the interval before the first one" inside the array.
        self.free_start_key: I64 = np.concatenate(([np.int64(-(1 << 62))], free_start))
        self.free_end_key: I64 = np.concatenate(([np.int64(-(1 << 62))], free_end))

    def free_of(self, r: int) -> list[tuple[int, int]]:
        lo_k, hi_k = r * KEY, (r + 1) * KEY
        a = np.searchsorted(self.free_start_key, lo_k, side="left")
        b = np.searchsorted(self.free_start_key, hi_k, side="left")
        off = int(r * KEY) - self.span[0]
        return [
            (int(s) - off, int(e) - off)
            for s, e in zip(self.free_start_key[a:b], self.free_end_key[a:b], strict=True)
        ]

    def fit(self, resources: I64, occ_s: I64, occ_e: I64) -> tuple[Bool, I64, I64]:
        """For timeline resource indices ``resources`` x occupied intervals: fits?, free
        seconds left before, free seconds left after."""
        base = (resources * KEY - self.span[0])[:, None]
        qs = base + occ_s[None, :]
        idx = np.searchsorted(self.free_start_key, qs, side="right") - 1
        free_start, free_end = self.free_start_key[idx], self.free_end_key[idx]
        qe = base + occ_e[None, :]
        return free_end >= qe, qs - free_start, free_end - qe

    def fit_held(
        self, resources: I64, starts: I64, held: tuple[tuple[int, int], ...]
    ) -> tuple[Bool, I64, I64]:
        """``fit`` for a part held over several runs (offsets from each start): every run must
        lie in one free interval (one ``searchsorted`` per run, combined with ``&``); the free
        seconds left are those before the first run and after the last."""
        ok, before, after = self.fit(resources, starts + held[0][0], starts + held[0][1])
        for a, b in held[1:]:
            fits, _, after = self.fit(resources, starts + a, starts + b)
            ok = ok & fits
        return ok, before, after

    def part_masks(self, part: Part) -> PartMasks:
        """Where ``part`` may start on the grid, and with which resources (``PartMasks``)."""
        query = self.prep.query
        starts = self.grid
        ends = starts + part.dur
        everywhere_ok = np.ones(len(starts), dtype=np.bool_)
        patient_start, patient_end = busy_arrays("patient_busy", query.patient_busy, *self.span)
        patient = merge(zip(patient_start.tolist(), patient_end.tolist(), strict=True))
        if patient:
            blocked = np.array(patient, dtype=np.int64)
            everywhere_ok &= ~overlaps(blocked[:, 0], blocked[:, 1], starts, ends)
        type_id = part.type.id
        # The slot rules of ``template_slots`` as masks: a slot naming no one applies to the
        # part whatever it holds, a named one to the rows of the resources it applies to.
        everywhere = [t for t in self.slots if not t.slot.names_anyone]
        named = [t for t in self.slots if t.slot.names_anyone]
        reserved_all = [(t.start, t.end) for t in everywhere if type_id not in t.slot.type_ids]
        if reserved_all:
            blocked = np.array(merge(reserved_all), dtype=np.int64)
            everywhere_ok &= ~overlaps(blocked[:, 0], blocked[:, 1], starts, ends)
        everywhere_fill = self._contained(
            [(t.start, t.end) for t in everywhere if type_id in t.slot.type_ids], starts, ends
        )
        if part.slot is not None:
            own = [(t.start, t.end) for t in self.slots if t.slot.id == part.slot.id]
            everywhere_ok &= self._contained(own, starts, ends)
        masks = PartMasks(part, everywhere_ok, everywhere_fill)
        for kind, pool in part.pools.items():
            resource_index = np.array([self.index[r] for r in pool], dtype=np.int64)
            ok, before, after = self.fit_held(resource_index, starts, part.held(kind))
            fill = np.zeros(ok.shape, dtype=np.bool_)
            for row, rid in enumerate(pool):
                mine = [t for t in named if t.slot.applies_to(kind, rid)]
                reserved = [(t.start, t.end) for t in mine if type_id not in t.slot.type_ids]
                if reserved:
                    blocked = np.array(merge(reserved), dtype=np.int64)
                    ok[row] &= ~overlaps(blocked[:, 0], blocked[:, 1], starts, ends)
                fill[row] = self._contained(
                    [(t.start, t.end) for t in mine if type_id in t.slot.type_ids], starts, ends
                )
            doctor_time = kind == ResourceKind.PROVIDER and part.doctor_time
            masks.kinds[kind] = KindMasks(
                pool, resource_index, ok, fill, before, after, doctor_time
            )
        return masks

    @staticmethod
    def _contained(iv: list[tuple[int, int]] | None, s: I64, e: I64) -> Bool:
        if not iv:
            return np.zeros(len(s), dtype=np.bool_)
        arr = np.array(iv, dtype=np.int64)
        return contained(arr[:, 0], arr[:, 1], s, e)

    def day_load(self, r: int) -> tuple[I64, I64]:
        """Per calendar date: open seconds and booked (open but busy) seconds of resource r."""
        n = len(self.cal.dates)
        open_s = np.zeros(n, dtype=np.int64)
        free_s = np.zeros(n, dtype=np.int64)
        free = np.array(self.free_of(r), dtype=np.int64).reshape(-1, 2)
        for arr, acc in ((self.hours[r], open_s), (free, free_s)):
            if len(arr):
                di = self.cal.date_index(arr[:, 0])
                good = (di >= 0) & (di < n)
                np.add.at(acc, di[good], (arr[:, 1] - arr[:, 0])[good])
        return open_s, open_s - free_s

    def filled_slot(self, part: Part, start: int, resources: dict[ResourceKind, str]) -> str | None:
        """The template slot a placed part fills: the one it books into (the search only
        offers starts that fill it), else ``template_slots.filled_slot``."""
        if part.slot is not None:
            return part.slot.id
        return filled_slot(self.slots, part.type.id, start, start + part.dur, resources.values())
