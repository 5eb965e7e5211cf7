"""Check one concrete booking against every hard rule and name each conflict.

Deliberately written as plain per-rule checks over the input (no numpy, no CP-SAT): it is the
reference the API uses for staff bookings with explicit times and resources, and the tests use
it to cross-check the search. An empty list means bookable. Each conflict code has one check in
``checks`` (listed in ``CHECKS``, in the order their conflicts are reported).

The booking must have one assignment per visit part, of the part's type, naming only known
resources of the right kind; anything else is a malformed request and raises ``InvalidQuery``.
"""

from __future__ import annotations

from collections.abc import Sequence

from solver.booking import Booking, held_by
from solver.checks import CHECKS
from solver.errors import InvalidQuery
from solver.grid import to_sec_floor
from solver.prepare import Prepared, prepare
from solver.problem import SlotQuery
from solver.result import PartAssignment, Violation


def validate(query: SlotQuery, parts: Sequence[PartAssignment]) -> list[Violation]:
    prep = prepare(query)
    _check_shape(prep, parts)
    naive = [
        Violation("naive_datetime", f"part {i + 1} {name} has no time zone", i)
        for i, a in enumerate(parts)
        for name in ("start", "end")
        if getattr(a, name).tzinfo is None or getattr(a, name).utcoffset() is None
    ]
    if naive:
        return naive
    times = tuple((to_sec_floor(a.start), to_sec_floor(a.end)) for a in parts)
    booking = Booking(query, prep, tuple(parts), times)
    return [v for check in CHECKS for v in check(booking)]


def _check_shape(prep: Prepared, parts: Sequence[PartAssignment]) -> None:
    """A booking that does not describe this visit is a caller mistake, not a conflict."""
    if len(parts) != len(prep.parts):
        raise InvalidQuery(
            "parts", f"the visit has {len(prep.parts)} part(s) but {len(parts)} were given"
        )
    for i, a in enumerate(parts):
        if a.type_id != prep.parts[i].type.id:
            raise InvalidQuery(
                f"parts[{i}].type_id",
                f"part {i + 1} is a {prep.parts[i].type.id!r}, got {a.type_id!r}",
            )
        for kind, rid in held_by(a).items():
            r = prep.resources.get(rid)
            if r is None:
                raise InvalidQuery(f"parts[{i}].{kind.value}_id", f"unknown {kind.value} {rid!r}")
            if r.kind != kind:
                raise InvalidQuery(
                    f"parts[{i}].{kind.value}_id",
                    f"{rid!r} is a {r.kind.value}, not a {kind.value}",
                )
