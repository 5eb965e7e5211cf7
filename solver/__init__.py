"""Slotwise's slot engine: pure functions from frozen problem dataclasses to results.

``find_availability`` lists every bookable start, ``best_fit`` ranks the k best, ``validate``
checks one concrete booking against every hard rule, ``template_slot_fit`` says which template
slot one placed part fills or may not overlap, ``match_gap`` which waiting requests fit a freed
gap (``solver.waitlist``). No database, web framework or clock is
imported: the caller passes ``now``. All returned datetimes are aware UTC.

Hard rules (the same in all three entry points):

- A part of type T, duration d, starting at s occupies each of its resources over
  ``[s - T.buffer_before, s + d + T.buffer_after]``; that interval must lie inside one stretch
  of the resource's working hours (touching blocks join) and overlap none of its busy
  intervals. The patient is busy only for ``[s, s + d]``, checked against ``patient_busy``.
  Intervals are half-open: a part may end exactly when a booking or closing time begins.
- Starts lie on the clinic-local grid (``grid``): wall-clock minutes since local midnight that
  are multiples of the granularity, so DST days have 23 or 25 hours of starts, none in the
  spring-forward gap and each fall-back instant once. Hours and template slots map wall time to
  instants with PEP 495 ``fold=0`` (a time in the gap moves forward by the gap).
- The first start is ``>= max(window_start, now + min_lead_time)``; the last part ends
  ``<= min(window_end, now + max_horizon)``.
- Resources, pins, template slots and gaps: see ``prepare`` and ``masks``. Durations: the
  type's default when not given; outside ``[min, max]`` is an ``InvalidQuery``; ends need not
  be on the grid.
- Parts of one visit may not overlap on a shared resource (buffers included);
  ``same_provider`` / ``same_chair`` force one id across the parts needing that kind.
- Doctor time (``time_pattern``): a part with a pattern (its own, else its type's fitted to its
  duration) holds its provider only during the pattern's ``D`` runs, without buffers; each run
  must lie in the provider's working hours and free time, and parts of a visit sharing a
  provider may overlap elsewhere. Chairs and rooms are held as above. A pattern without ``D``
  holds no provider. ``PartAssignment.provider_time`` reports when the provider is needed.
- Assistants (``ResourceKind.ASSISTANT``): a part whose type ``needs_assistant`` holds one
  (qualified by ``qualified_assistant_ids``, pinned by ``VisitPart.assistant_id``) like a chair:
  the whole part with buffers, inside its hours and clear of its busy time. Template slots never
  apply to assistants; a type that needs none holds none. ``PartAssignment.assistant_id``.

Soft rules and their weights: ``objective``.
"""

from solver.availability import find_availability
from solver.bestfit import best_fit
from solver.errors import InvalidQuery
from solver.grid import expand_hours, local_days_around, spring_forward_gap
from solver.result import (
    Availability,
    BestFit,
    PartAssignment,
    ScoreTerm,
    Slot,
    SolveStatus,
    Suggestion,
    Violation,
)
from solver.template_slots import TemplateSlotFit, reserve_together, template_slot_fit
from solver.validate import validate
from solver.waitlist import (
    Gap,
    LocalWindow,
    WaitingRequest,
    WaitlistMatch,
    WaitlistMatches,
    match_gap,
)

__all__ = [
    "Availability",
    "BestFit",
    "Gap",
    "InvalidQuery",
    "LocalWindow",
    "PartAssignment",
    "ScoreTerm",
    "Slot",
    "SolveStatus",
    "Suggestion",
    "TemplateSlotFit",
    "Violation",
    "WaitingRequest",
    "WaitlistMatch",
    "WaitlistMatches",
    "best_fit",
    "expand_hours",
    "find_availability",
    "local_days_around",
    "match_gap",
    "reserve_together",
    "spring_forward_gap",
    "template_slot_fit",
    "validate",
]
