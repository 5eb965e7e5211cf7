"""Which assistant a booking holds (issue 13, slice 7), when the client pins none.

A type with ``needsAssistant`` holds one assistant for the whole appointment with its buffers,
like a chair. Staff usually leave the choice to booking, as the engine leaves it when it
offers a time: the assistant the appointment already has (a reschedule, a resize) or that the
caller prefers comes first, then the others qualified for the type by name. The first one the
engine finds free (``solver.validate``: hours, busy time, the visit's other parts) is taken.
When none is, the one with the fewest clashes is kept, so the 409 names a real assistant and
what they are doing, and staff who override know whom they double-book.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from api.booking.clinic_state import ClinicState
from api.errors import InvalidInput
from api.models import AppointmentType, Assistant
from solver import validate
from solver.problem import SlotQuery

if TYPE_CHECKING:
    from api.booking.checks import PlannedPart


def check_pin(kind: AppointmentType, assistant: Assistant | None, field: str) -> None:
    """A pinned assistant must be one the type lists (none listed: any). Said here with names;
    the engine would refuse the pin by ids. A pin on a type that needs no assistant is the
    engine's ``not_qualified``, which names both."""
    qualified = kind.assistants
    if assistant is None or not kind.needs_assistant or not qualified:
        return
    if assistant.id not in {a.id for a in qualified}:
        names = ", ".join(sorted(a.name for a in qualified))
        raise InvalidInput(
            field,
            f"{field}: {assistant.name} may not assist a {kind.name}; only {names} may "
            "(the type's assistantIds).",
        )


def candidates(state: ClinicState, kind: AppointmentType, prefer: str | None) -> list[str]:
    """The clinic's active assistants who may assist ``kind``, ``prefer`` first, then by name."""
    qualified = {a.id for a in kind.assistants}
    rows = sorted(
        (row for row in state.assistants if not qualified or row.id in qualified),
        key=lambda row: (row.id != prefer, row.name, row.id),
    )
    return [row.id for row in rows]


def choose(
    state: ClinicState,
    query: SlotQuery,
    parts: list[PlannedPart],
    prefix: str,
) -> None:
    """Fill in ``assistant_id`` on each part that needs one and was not pinned, in order.

    The query's visit leaves those parts' assistant open, so one query serves every try."""
    for index, part in enumerate(parts):
        if not part.choose_assistant:
            continue
        found = candidates(state, part.kind, part.assistant_id)
        if not found:
            where = f"{prefix}{index}." if prefix else ""
            raise InvalidInput(
                f"{where}assistantId",
                f"A {part.kind.name} needs an assistant, and no active assistant of the clinic "
                "may assist it; add one (or their qualification), or set needsAssistant to "
                "false on the type.",
            )
        fewest: tuple[int, str] | None = None
        for candidate in found:
            part.assistant_id = candidate
            violations = validate(query, [p.assignment() for p in parts])
            clashes = sum(1 for v in violations if v.resource_id == candidate)
            if clashes == 0:
                fewest = (0, candidate)
                break
            if fewest is None or clashes < fewest[0]:
                fewest = (clashes, candidate)
        assert fewest is not None
        part.assistant_id = fewest[1]
