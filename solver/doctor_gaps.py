"""The doctor's day around one patterned part: what best fit's doctor-time terms measure.

For a part with a time pattern, per provider row and grid start (the ``KindMasks`` shape), from
the provider's free time (working hours minus busy time, as ``masks.Timeline`` keeps it):

- ``touches``: how many ends of the part's ``D`` runs meet the provider's busy time exactly (a
  busy interval ending as a run starts, or starting as it ends): the doctor walks from one chair
  to the next (``objective.doctor_adjacent``);
- ``gaps``: the free stretches the part leaves next to its runs, each once: before a run back to
  the free interval's start (or to the part's previous run when they share that interval) and
  after the last run of each interval (``objective.doctor_idle_fragment``);
- ``room_before`` / ``room_after``: how many free stretches of the part's local date (clipped to
  it) could hold the provider's longest run, before and after the part takes its runs
  (``objective.long_doctor_room``).

Sibling parts of the same visit are not counted (as for ``short_gap``): the visit's own layout
is its choice, and scoring it would couple the parts' terms.

Which runs a provider does: every type that needs a provider and that the provider is qualified
for; a patterned type's ``D`` runs at its default duration, an unpatterned type's whole time
(its minimum for the shortest, its default for the longest).
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


def provider_run_lengths(types: tuple[AppointmentTypeSpec, ...], provider_id: str) -> list[int]:
    """Seconds of every provider-time run (shortest and longest per type) the provider does."""
    out: list[int] = []
    for spec in types:
        if not spec.needs_provider:
            continue
        if (
            spec.qualified_provider_ids is not None
            and provider_id not in spec.qualified_provider_ids
        ):
            continue
        if spec.time_pattern is None:
            out += [spec.min_minutes * 60, spec.default_minutes * 60]
        else:
            out += [(b - a) * 60 for a, b in provider_runs(spec.time_pattern, spec.default_minutes)]
    return out


@dataclass
class DoctorGaps:
    touches: I64  # (rows, starts): run ends meeting busy time, 0..2 per run
    gaps: list[I64]  # each (rows, starts): seconds of one leftover stretch (0: none)
    room_before: I64  # (rows, starts): free stretches of the date that hold the longest run
    room_after: I64
    shortest: I64  # (rows, 1): the provider's shortest run, seconds
    longest: I64  # (rows, 1): the provider's longest run, seconds


def doctor_gaps(timeline: Timeline, part: Part, masks: KindMasks) -> DoctorGaps:
    """``DoctorGaps`` of a patterned part's provider rows at every grid start."""
    types = timeline.prep.query.clinic.types
    lengths = [provider_run_lengths(types, rid) for rid in masks.ids]
    # A provider whose types have no provider time (only this part's own pattern has some):
    # no gap is too short for it and no stretch is long enough to keep, so both terms are 0.
    shortest = np.array([[min(x, default=0)] for x in lengths], dtype=np.int64)
    longest = np.array([[max(x, default=NOTHING)] for x in lengths], dtype=np.int64)
    grid = timeline.grid
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
    gaps: list[I64] = []
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
        inside = runs[k][0] - runs[k - 1][1] if k else 0
        gaps.append(np.where(joined[k], inside, before))
        gaps.append(np.where(last_of_interval[k], after, 0))
        # The stretch the run takes from, counted once per interval, and what it leaves.
        free_start = run_start - before
        free_end = run_end + after
        enough = clipped(free_start, free_end) >= longest
        room_after -= (~joined[k] & enough).astype(np.int64)
        left_from = np.where(joined[k], grid[None, :] + (runs[k - 1][1] if k else 0), free_start)
        room_after += (clipped(left_from, run_start) >= longest).astype(np.int64)
        room_after += (last_of_interval[k] & (clipped(run_end, free_end) >= longest)).astype(
            np.int64
        )
    return DoctorGaps(touches, gaps, room_before, room_after, shortest, longest)


def doctor_gaps_at(timeline: Timeline, part: Part, provider_id: str) -> DoctorGaps:
    """``doctor_gaps`` of one provider (one row) for explaining a chosen suggestion."""
    n = len(timeline.grid)
    one = np.zeros((1, n), dtype=np.int64)
    row = KindMasks(
        (provider_id,),
        np.array([timeline.index[provider_id]], dtype=np.int64),
        np.ones((1, n), dtype=np.bool_),
        np.zeros((1, n), dtype=np.bool_),
        one,
        one,
        True,
    )
    return doctor_gaps(timeline, part, row)


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
