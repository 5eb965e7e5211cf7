"""The simulator's bookkeeping against an independent recount of each final schedule."""

from __future__ import annotations

import itertools

import pytest

from benchmarks.planner.metrics import double_bookings, summarise
from benchmarks.planner.offline import solve_offline
from benchmarks.planner.run import Run
from benchmarks.planner.simulate import (
    POLICIES,
    Booking,
    Part,
    acceptable_blocks,
    patient_unavailable,
    simulate,
)
from benchmarks.scenarios import Scenario, generate
from tests.planner.conftest import schedule_problems


@pytest.mark.parametrize("policy", POLICIES)
def test_final_schedule_keeps_every_rule(small_run: Run, policy: str) -> None:
    s = small_run.scenario
    o = small_run.outcomes[policy]
    assert o.bookings, "the small scenario books something under every policy"
    assert schedule_problems(s, o.bookings) == []
    assert small_run.results["policies"][policy]["double_bookings"] == 0


def _minute_sets(s: Scenario, bookings: list[Booking], kind: str) -> tuple[int, int]:
    """Utilisation counted minute by minute with sets: a different method from metrics."""
    h0 = s.horizon[0]

    def minutes(a, z):  # type: ignore[no-untyped-def]
        lo = int((a - h0).total_seconds() // 60)
        return set(range(lo, lo + int((z - a).total_seconds() // 60)))

    opened = booked = 0
    for r in s.of_kind(kind):
        open_m: set[int] = set()
        for a, z in s.open_intervals(r):
            open_m |= minutes(a, z)
        busy: set[int] = set()
        for b in bookings:
            for p in b.parts:
                if r.id in p.resources():
                    busy |= minutes(p.start, p.end)
        opened += len(open_m)
        booked += len(open_m & busy)
    return booked, opened


@pytest.mark.parametrize("policy", POLICIES)
def test_reported_utilisation_equals_a_recount(small_run: Run, policy: str) -> None:
    s = small_run.scenario
    o = small_run.outcomes[policy]
    m = small_run.results["policies"][policy]
    for kind in ("chair", "provider"):
        booked, opened = _minute_sets(s, o.bookings, kind)
        assert m[f"{kind}_open_minutes"] == opened
        assert m[f"{kind}_booked_minutes"] == booked
        assert m[f"{kind}_utilisation"] == pytest.approx(booked / opened)
    assert m["booked_minutes"] == sum(
        (p.end - p.start).total_seconds() // 60 for b in o.bookings for p in b.parts
    )
    assert m["booked"] == len(o.bookings)


def test_every_request_is_accounted_for(small_run: Run) -> None:
    s = small_run.scenario
    cancels = {q.id for q in s.requests if q.cancel_fraction is not None}
    for policy in ("first-available", "best-fit", "best-fit-realistic"):
        o = small_run.outcomes[policy]
        booked = {b.request_id for b in o.bookings}
        assert booked.isdisjoint(o.turned_away)
        assert set(o.cancelled) <= cancels
        # A request ends booked, turned away or cancelled; never two of these, never none.
        assert len(booked) + len(o.turned_away) + len(o.cancelled) == len(s.requests)
        assert booked | set(o.turned_away) | set(o.cancelled) == {q.id for q in s.requests}


def test_double_booking_recount_catches_an_overlap(small_run: Run) -> None:
    o = small_run.outcomes["best-fit"]
    b = o.bookings[0]
    p = b.parts[-1]
    clash = Booking(
        "clash",
        "pat-other",
        (Part(p.type_id, p.start, p.end, p.provider_id, p.chair_id, None),),
        b.booked_at,
    )
    assert double_bookings([*o.bookings, clash]) >= 1


def test_offline_is_at_least_its_warm_start_and_within_its_bound(small_run: Run) -> None:
    pol = small_run.results["policies"]
    opt = pol["offline-optimal"]
    best_online = max(pol[p]["booked_minutes"] for p in pol if p != "offline-optimal")
    assert opt["booked_minutes"] == opt["offline_objective_minutes"]
    assert opt["booked_minutes"] >= best_online
    assert opt["offline_bound_minutes"] >= opt["offline_objective_minutes"]
    assert opt["offline_hinted_visits"] > 0
    assert 0 <= opt["offline_gap"] <= 1


def test_offline_without_warm_start_is_still_valid(small: Scenario) -> None:
    o = solve_offline(small, None, seconds=5)
    assert o.bookings
    assert schedule_problems(small, o.bookings) == []
    assert summarise(small, o)["double_bookings"] == 0


def test_seeded_runs_are_reproducible(small: Scenario) -> None:
    again = generate("small", weeks=1)
    assert again == small
    assert generate("small", weeks=1, seed=99).requests != small.requests
    a = simulate(small, "best-fit-realistic")
    b = simulate(again, "best-fit-realistic")
    assert a.bookings == b.bookings
    assert a.turned_away == b.turned_away and a.cancelled == b.cancelled


def test_patient_unavailable_is_the_complement_of_acceptable(small: Scenario) -> None:
    for q in small.requests[:40]:
        ok = acceptable_blocks(small, q)
        busy = patient_unavailable(small, q)
        merged = sorted([(a, z) for a, z in ok] + [(b.start, b.end) for b in busy])
        for (_, z1), (a2, _) in itertools.pairwise(merged):
            assert z1 == a2  # no gap and no overlap: together they tile the window
