"""Slotwise's slot engine: pure functions from frozen problem dataclasses to results.

``find_availability`` lists every bookable start, ``best_fit`` ranks the k best, ``validate``
checks one concrete booking against every hard rule. No database, web framework or clock is
imported: the caller passes ``now``.
"""

from solver.availability import find_availability
from solver.bestfit import best_fit
from solver.errors import InvalidQuery
from solver.grid import expand_hours
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
from solver.validate import validate

__all__ = [
    "Availability",
    "BestFit",
    "InvalidQuery",
    "PartAssignment",
    "ScoreTerm",
    "Slot",
    "SolveStatus",
    "Suggestion",
    "Violation",
    "best_fit",
    "expand_hours",
    "find_availability",
    "validate",
]
