"""Doctor time: which minutes of an appointment need its provider.

A time pattern has one character per ``STEP_MINUTES`` of an appointment type's default
duration: ``D`` the provider is needed (doctor time), ``A`` assistant time (chair, room and
assistant held, provider free). This is Open Dental's ``X``/``/`` pattern and Dentrix's
Appointment Time Pattern under the letters an orthodontic practice uses.

``None`` means "no pattern": the provider is needed for the whole appointment, today's model,
so clinics and types that never set one behave exactly as before.

A duration adjusted within the type's bounds changes the pattern at its end: lengthening adds
assistant time, shortening removes trailing assistant time, and a change that would cut a ``D``
step is refused (the doctor's schedule stays where it was when an assistant needs more time).
Offsets are minutes from the appointment's start, so a 10- or 15-minute booking grid needs no
alignment rule.
"""

from __future__ import annotations

import math

from solver.errors import InvalidQuery

STEP_MINUTES = 5
PROVIDER = "D"
ASSISTANT = "A"

Run = tuple[int, int]  # (start, end) minutes from the appointment's start, end exclusive


def check_pattern(pattern: str, default_minutes: int, field: str = "time_pattern") -> None:
    """Raise ``InvalidQuery`` saying exactly what is wrong with a type's pattern."""
    bad = sorted({c for c in pattern} - {PROVIDER, ASSISTANT})
    if bad:
        raise InvalidQuery(
            field,
            f"use only {PROVIDER!r} (provider time) and {ASSISTANT!r} (assistant time), "
            f"one per {STEP_MINUTES} minutes; found {', '.join(repr(c) for c in bad)}",
        )
    expected = math.ceil(default_minutes / STEP_MINUTES)
    if len(pattern) != expected:
        raise InvalidQuery(
            field,
            f"has {len(pattern)} steps but the default duration of {default_minutes} minutes "
            f"needs {expected} (one per {STEP_MINUTES} minutes)",
        )


def provider_needed_until(pattern: str) -> int:
    """Minutes from the start to the end of the last ``D`` step (0 when there is none)."""
    last = pattern.rfind(PROVIDER)
    return 0 if last < 0 else (last + 1) * STEP_MINUTES


def fit_to_duration(pattern: str, duration_minutes: int, field: str = "duration") -> str:
    """The pattern of an appointment of ``duration_minutes``: assistant time added or removed at
    the end. Cutting a ``D`` step is an ``InvalidQuery`` naming where the provider is needed."""
    steps = math.ceil(duration_minutes / STEP_MINUTES)
    needed = provider_needed_until(pattern)
    # A duration that ends inside the last D step keeps it (clipped, as ``provider_runs`` does):
    # a 17-minute type may have the pattern "AAAD", and its default must fit its own pattern.
    if steps * STEP_MINUTES < needed:
        hours, minutes = divmod(needed, 60)
        raise InvalidQuery(
            field,
            f"{duration_minutes} minutes would cut provider time: the provider is needed "
            f"until {hours}:{minutes:02d} of this appointment",
        )
    if steps <= len(pattern):
        return pattern[:steps]
    return pattern + ASSISTANT * (steps - len(pattern))


def provider_runs(pattern: str | None, duration_minutes: int) -> tuple[Run, ...]:
    """The maximal runs of provider time as minute offsets, clipped to the duration.

    No pattern: one run over the whole appointment. A pattern without ``D``: no run (the
    provider is recorded but not held).
    """
    if pattern is None:
        return ((0, duration_minutes),)
    runs: list[Run] = []
    start: int | None = None
    for index, char in enumerate(pattern):
        if char == PROVIDER and start is None:
            start = index * STEP_MINUTES
        elif char != PROVIDER and start is not None:
            runs.append((start, index * STEP_MINUTES))
            start = None
    if start is not None:
        runs.append((start, len(pattern) * STEP_MINUTES))
    return tuple(
        (begin, min(end, duration_minutes)) for begin, end in runs if begin < duration_minutes
    )


def provider_held(
    pattern: str | None, duration_minutes: int, buffer_before: int, buffer_after: int
) -> tuple[Run, ...]:
    """The minutes, from the start, during which an appointment holds its provider.

    The one rule the engine, the clinic state and the database's held intervals share. Without a
    pattern the provider is held like the chair, buffers included (today's model, unchanged).
    With one, only the ``D`` runs: buffers are cleaning and set-up time in the chair, not
    doctor time.
    """
    if pattern is None:
        return ((-buffer_before, duration_minutes + buffer_after),)
    return provider_runs(pattern, duration_minutes)
