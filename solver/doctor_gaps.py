"""The doctor's day around one patterned part: what best fit's doctor-time terms measure.

For a part with a time pattern, per provider row and grid start (the ``KindMasks`` shape), from
the provider's free time (working hours minus busy time, as ``masks.Timeline`` keeps it):

- ``touches``: how many ends of the part's ``D`` runs meet the provider's busy time exactly (a
  busy interval ending as a run starts, or starting as it ends): the doctor walks from one chair
  to the next (``objective.doctor_adjacent``);
- ``idle_added``: the seconds of the provider's free time that no type's provider time could
  use once the part takes its runs, less those before it does (``objective.doctor_idle_time``).
  A free stretch is *idle* when no ``D`` run of any type the provider does fits in it where
  that run falls in its appointment, with the appointment inside the provider's working block:
  an adjustment's 5 minutes of doctor time come 10 minutes in, so the first 10 minutes after
  the doctor starts work, once the next doctor time is taken, suit no adjustment; only a type
  whose doctor time starts at once and fits in them could use them. The part's pieces are the
  free stretches it leaves next to its runs (before each run back to the free interval's start
  or the previous run, after the last run of each interval); what it takes from is each free
  interval its runs lie in;
- ``room_before`` / ``room_after``: how many free stretches of the part's local date (clipped to
  it) could hold the provider's longest run, before and after the part takes its runs
  (``objective.long_doctor_room``).

Sibling parts of the same visit are not counted (as for ``short_gap``): the visit's own layout
is its choice, and scoring it would couple the parts' terms.

Which runs a provider does: every type that needs a provider and that the provider is qualified
for; a patterned type's ``D`` runs at its default duration, an unpatterned type's whole time
(at its minimum for where it fits, its default for the longest).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solver.grid import I64
from solver.masks import KEY, KindMasks, Timeline
from solver.prepare import Part
from solver.problem import AppointmentTypeSpec
from solver.time_pattern import provider_runs

NOTHING = 1 << 40  # longer than any free stretch


def provider_runs_of(
    types: tuple[AppointmentTypeSpec, ...], provider_id: str
) -> list[tuple[int, int, int]]:
    """(offset, length, appointment length), seconds, of every provider-time run the provider
    does, each way it can be taken: a patterned type's ``D`` runs at its default duration, an
    unpatterned type held whole at its minimum and at its default duration."""
    out: list[tuple[int, int, int]] = []
    for spec in types:
        if not spec.needs_provider:
            continue
        if (
            spec.qualified_provider_ids is not None
            and provider_id not in spec.qualified_provider_ids
        ):
            continue
        if spec.time_pattern is None:
            out += [(0, m * 60, m * 60) for m in (spec.min_minutes, spec.default_minutes)]
        else:
            whole = spec.default_minutes * 60
            out += [
                (a * 60, (b - a) * 60, whole)
                for a, b in provider_runs(spec.time_pattern, spec.default_minutes)
            ]
    return out


@dataclass
class DoctorGaps:
    touches: I64  # (rows, starts): run ends meeting busy time, 0..2 per run
    idle_added: I64  # (rows, starts): idle free seconds left, less idle seconds taken
    room_before: I64  # (rows, starts): free stretches of the date that hold the longest run
    room_after: I64
    longest: I64  # (rows, 1): the provider's longest run, seconds


def doctor_gaps(
    timeline: Timeline, part: Part, masks: KindMasks, starts: I64 | None = None
) -> DoctorGaps:
    """``DoctorGaps`` of a patterned part's provider rows at every grid start (or at
    ``starts``, the columns of ``masks``)."""
    types = timeline.prep.query.clinic.types
    runs_of = [provider_runs_of(types, rid) for rid in masks.ids]
    # A provider whose types have no provider time (only this part's own pattern has some):
    # no stretch is long enough to keep (and none is idle: ``_idle``), so both terms are 0.
    longest = np.array(
        [[max((length for _, length, _ in x), default=NOTHING)] for x in runs_of], dtype=np.int64
    )
    grid = timeline.grid if starts is None else starts
    rows, n = masks.ok.shape
    runs = part.provider_runs
    fits = [timeline.fit(masks.resource_index, grid + a, grid + b) for a, b in runs]
    # Run k shares run k-1's free interval when the free time before it reaches back to it.
    joined = [np.zeros((rows, n), dtype=np.bool_)] + [
        fits[k][1] >= runs[k][0] - runs[k - 1][1] for k in range(1, len(runs))
    ]
    last_of_interval = [~joined[k + 1] for k in range(len(runs) - 1)] + [
        np.ones((rows, n), dtype=np.bool_)
    ]
    touches = np.zeros((rows, n), dtype=np.int64)
    busy_end = np.sort(timeline.busy_owner * KEY + timeline.busy_end)
    busy_start = np.sort(timeline.busy_owner * KEY + timeline.busy_start)
    key = (masks.resource_index * KEY)[:, None]
    idle_added = np.zeros((rows, n), dtype=np.int64)
    table = _run_table(runs_of)

    def idle(lo: I64, hi: I64) -> I64:
        return _idle(timeline, masks, table, lo, hi)

    day = timeline.cal.date_index(grid)
    day_start = timeline.cal.mid[day][None, :]
    day_end = timeline.cal.mid[day + 1][None, :]

    def clipped(lo: I64, hi: I64) -> I64:
        return np.minimum(hi, day_end) - np.maximum(lo, day_start)

    room_after = _room_per_day(timeline, masks, longest)[:, day]
    room_before = room_after.copy()
    for k, ((a, b), (_, before, after)) in enumerate(zip(runs, fits, strict=True)):
        run_start, run_end = grid[None, :] + a, grid[None, :] + b
        touches += _member(key + run_start, busy_end) + _member(key + run_end, busy_start)
        # The stretch the run takes from, counted once per interval, and what it leaves.
        free_start = run_start - before
        free_end = run_end + after
        enough = clipped(free_start, free_end) >= longest
        room_after -= (~joined[k] & enough).astype(np.int64)
        idle_added -= np.where(joined[k], 0, idle(free_start, free_end))
        left_from = np.where(joined[k], grid[None, :] + (runs[k - 1][1] if k else 0), free_start)
        room_after += (clipped(left_from, run_start) >= longest).astype(np.int64)
        idle_added += idle(left_from, run_start)
        room_after += (last_of_interval[k] & (clipped(run_end, free_end) >= longest)).astype(
            np.int64
        )
        idle_added += np.where(last_of_interval[k], idle(run_end, free_end), 0)
    return DoctorGaps(touches, idle_added, room_before, room_after, longest)


def doctor_gaps_at(timeline: Timeline, part: Part, provider_id: str, start: int) -> DoctorGaps:
    """``doctor_gaps`` of one provider (one row) at one start, for explaining a suggestion."""
    one = np.zeros((1, 1), dtype=np.int64)
    row = KindMasks(
        (provider_id,),
        np.array([timeline.index[provider_id]], dtype=np.int64),
        np.ones((1, 1), dtype=np.bool_),
        np.zeros((1, 1), dtype=np.bool_),
        one,
        one,
        True,
    )
    return doctor_gaps(timeline, part, row, np.array([start], dtype=np.int64))


def _run_table(runs_of: list[list[tuple[int, int, int]]]) -> I64:
    """Each row's distinct runs as a (rows, runs, 3) array of (offset, length, appointment
    length), padded with runs that never fit (a row with none has only those)."""
    distinct = [sorted(set(x)) for x in runs_of]
    table = np.zeros((len(distinct), max(1, *map(len, distinct)), 3), dtype=np.int64)
    table[:, :, 1] = NOTHING
    for row, runs in enumerate(distinct):
        if runs:
            table[row, : len(runs)] = runs
    return table


def _idle(timeline: Timeline, masks: KindMasks, table: I64, lo: I64, hi: I64) -> I64:
    """Per (row, start): the seconds of the free stretch ``[lo, hi)`` of that row's provider
    when no run the provider does fits in it (0 when one does or the stretch is empty). A run
    (offset, length, appointment length) fits when its appointment can start at or after the
    provider's working block starts and ``offset`` before the stretch, and end inside the
    block, with the run ending inside the stretch."""
    lo, hi = np.broadcast_arrays(lo, hi)
    block_start = np.zeros(lo.shape, dtype=np.int64)
    block_end = np.zeros(lo.shape, dtype=np.int64)
    for row, r in enumerate(masks.resource_index.tolist()):
        hours = timeline.hours[r]
        if len(hours):
            block = np.clip(np.searchsorted(hours[:, 0], lo[row], side="right") - 1, 0, None)
            block_start[row], block_end[row] = hours[block, 0], hours[block, 1]
    offset, run, whole = (table[:, :, k][:, :, None] for k in range(3))
    start = np.maximum(lo[:, None, :] - offset, block_start[:, None, :])
    fits = (
        (start + offset + run <= hi[:, None, :]) & (start + whole <= block_end[:, None, :])
    ).any(axis=1)
    # A provider whose types have no provider time (only padding) has nothing to idle for.
    does_some = np.any(table[:, :, 1] < NOTHING, axis=1, keepdims=True)
    out: I64 = np.where(does_some & (hi > lo) & ~fits, hi - lo, 0)
    return out


def _member(keys: I64, sorted_keys: I64) -> I64:
    if len(sorted_keys) == 0:
        return np.zeros(keys.shape, dtype=np.int64)
    idx = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    found: I64 = (sorted_keys[idx] == keys).astype(np.int64)
    return found


def _room_per_day(timeline: Timeline, masks: KindMasks, longest: I64) -> I64:
    """Per provider row and calendar date: free stretches, clipped to the date, of at least
    the provider's longest run."""
    mids = timeline.cal.mid
    out = np.zeros((len(masks.ids), len(mids) - 1), dtype=np.int64)
    for row, r in enumerate(masks.resource_index.tolist()):
        free = np.array(timeline.free_of(r), dtype=np.int64).reshape(-1, 2)
        lo = np.maximum(free[:, 0][None, :], mids[:-1][:, None])
        hi = np.minimum(free[:, 1][None, :], mids[1:][:, None])
        out[row] = ((hi - lo) >= int(longest[row, 0])).sum(axis=1)
    return out
