"""What the offline model maximises: booked minutes (the planner's yardstick), or one of the
two other metrics issue 13 names, booked provider minutes and booked requests."""

from __future__ import annotations

from benchmarks.scenarios.model import Request, Scenario

OBJECTIVES = ("minutes", "provider-minutes", "requests")


def request_value(s: Scenario, q: Request, objective: str) -> int:
    """What booking request ``q`` is worth under ``objective``: its minutes, its provider
    minutes (a pattern's ``D`` minutes, the whole appointment without one) or 1."""
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown offline objective {objective!r}; choose from {OBJECTIVES}")
    types = [s.type(p.type_id) for p in q.parts]
    if objective == "minutes":
        return sum(t.minutes for t in types)
    if objective == "provider-minutes":
        return sum(b - a for t in types for a, b in t.provider_runs())
    return 1
