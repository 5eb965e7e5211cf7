"""The simulator's waitlist: cancelled time goes to waiting requests that fit it.

Hand-made one-chair clinics show each step a front desk would see; a seeded ``small`` stream
checks that the schedule the waitlist makes still keeps every rule and that its figures add up.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time

import pytest

from benchmarks.planner.metrics import double_bookings
from benchmarks.planner.run import run
from benchmarks.planner.simulate import Outcome, simulate
from benchmarks.scenarios import Scenario, generate
from benchmarks.scenarios.model import Block, PartSpec, Request, ResourceSpec, TypeSpec
from tests.planner.conftest import schedule_problems

MONDAY, TUESDAY = date(2026, 1, 5), date(2026, 1, 6)
NINE_TO_HALF_PAST = (Block(time(9), time(9, 30)),)


def request(rid: str, made_day: int, latest: date, cancel: float | None = None) -> Request:
    """A 30-minute check-up wanted from Monday to ``latest``, asked in December."""
    return Request(
        id=rid,
        patient_id=f"pat-{rid}",
        made_at=datetime(2025, 12, made_day, 10, tzinfo=UTC),
        parts=(PartSpec("checkup"),),
        earliest=MONDAY,
        latest=latest,
        days=(0, 1),
        hours=(Block(time(8), time(18)),),
        cancel_fraction=cancel,
    )


def one_chair(*requests: Request, days: tuple[int, ...] = (0,), accept: float = 1.0) -> Scenario:
    """One provider and one chair, open 09:00-09:30 on ``days``: room for one visit a day."""
    week = dict.fromkeys(days, NINE_TO_HALF_PAST)
    return Scenario(
        name="one-chair",
        seed=1,
        time_zone="Europe/London",
        start=MONDAY,
        weeks=1,
        resources=(
            ResourceSpec("prov-1", "provider", week, name="Dr A"),
            ResourceSpec("chair-1", "chair", week, name="Chair 1"),
        ),
        types=(TypeSpec("checkup", 30, "Check-up"),),
        requests=requests,
        waitlist_accept=accept,
    )


def starts(o: Outcome) -> dict[str, datetime]:
    return {b.request_id: b.start for b in o.bookings}


def test_a_turned_away_request_gets_the_cancelled_time() -> None:
    # A books Monday's only visit and cancels later; B, asked for a day later, is turned away.
    s = one_chair(request("a", 1, MONDAY, cancel=0.5), request("b", 2, MONDAY))
    without = simulate(s, "first-available")
    assert starts(without) == {} and without.turned_away == ["b"]

    o = simulate(s, "first-available", waitlist=True)
    assert starts(o) == {"b": s.instant(MONDAY, time(9))}
    assert o.turned_away == [] and o.cancelled == ["a"]
    w = o.extra["waitlist"]
    assert (w["joined_turned_away"], w["recovered_requests"], w["moved_earlier"]) == (1, 1, 0)
    assert w["cancelled_minutes"] == w["fittable_cancelled_minutes"] == 30
    assert w["rebooked_cancelled_minutes"] == 30 and w["fill_rate_of_fittable"] == 1.0


def test_a_request_booked_a_day_late_moves_forward_and_frees_its_later_time() -> None:
    # Monday and Tuesday each hold one visit. A takes Monday and cancels; B wanted Monday but
    # got Tuesday; C, asked last, finds both days taken.
    s = one_chair(
        request("a", 1, TUESDAY, cancel=0.5),
        request("b", 2, TUESDAY),
        request("c", 3, TUESDAY),
        days=(0, 1),
    )
    o = simulate(s, "best-fit", waitlist=True)
    # B moves to Monday, and the Tuesday it leaves goes to C.
    assert starts(o) == {"b": s.instant(MONDAY, time(9)), "c": s.instant(TUESDAY, time(9))}
    w = o.extra["waitlist"]
    assert (w["joined_booked_later"], w["joined_turned_away"]) == (1, 1)
    assert w["moved_earlier"] == 1 and w["days_brought_forward_total"] == 1
    assert w["moved_away_minutes"] == 30 and w["moved_away_refilled_minutes"] == 30
    assert w["recovered_requests"] == 1
    assert schedule_problems(s, o.bookings) == []


def test_a_declined_offer_leaves_the_time_empty_and_the_patient_waiting() -> None:
    s = one_chair(request("a", 1, MONDAY, cancel=0.5), request("b", 2, MONDAY), accept=0.0)
    o = simulate(s, "first-available", waitlist=True)
    assert starts(o) == {} and o.turned_away == ["b"]
    w = o.extra["waitlist"]
    assert (w["offers"], w["accepted"], w["rebooked_cancelled_minutes"]) == (1, 0, 0)
    # The time was fittable, so the fill rate counts it as missed.
    assert w["fittable_cancelled_minutes"] == 30 and w["fill_rate_of_fittable"] == 0.0


def test_cancelled_time_nobody_waiting_fits_is_not_counted_as_missed() -> None:
    # B can only come on Tuesday, which is closed: it waits for nothing Monday could give it.
    b = replace(request("b", 2, TUESDAY), days=(1,))
    s = one_chair(request("a", 1, MONDAY, cancel=0.5), b, days=(0,))
    w = simulate(s, "first-available", waitlist=True).extra["waitlist"]
    assert w["cancelled_minutes"] == 30
    assert w["fittable_cancelled_minutes"] == 0 and w["fill_rate_of_fittable"] is None


@pytest.fixture(scope="module")
def busy_small() -> Scenario:
    return generate("small", weeks=2, load=1.2)


def test_the_waitlist_schedule_keeps_every_rule_and_its_figures_add_up(
    busy_small: Scenario,
) -> None:
    without = simulate(busy_small, "first-available")
    o = simulate(busy_small, "first-available", waitlist=True)
    assert schedule_problems(busy_small, o.bookings) == []
    assert double_bookings(o.bookings) == 0
    booked = {b.request_id for b in o.bookings}
    assert booked.isdisjoint(o.turned_away) and booked.isdisjoint(o.cancelled)
    assert len(booked) + len(o.turned_away) + len(o.cancelled) == len(busy_small.requests)
    w = o.extra["waitlist"]
    assert w["accepted"] > 0, "a busy fortnight with cancellations rebooks something"
    assert 0 < w["rebooked_cancelled_minutes"] <= w["fittable_cancelled_minutes"]
    assert w["fittable_cancelled_minutes"] <= w["cancelled_minutes"]
    assert w["accepted"] == w["recovered_requests"] + w["moved_earlier"]
    if w["moved_earlier"]:
        assert w["days_brought_forward_median"] >= 1
    # Offers only go to time that was freed: the list never books fewer visits than without it
    # on this stream, and what it rebooked shows in the booked minutes.
    assert len(booked) >= len(without.bookings)


def test_the_same_seed_gives_the_same_waitlist_run(busy_small: Scenario) -> None:
    a = simulate(busy_small, "first-available", waitlist=True)
    b = simulate(busy_small, "first-available", waitlist=True)
    assert starts(a) == starts(b) and a.extra["waitlist"] == b.extra["waitlist"]


def test_run_reports_each_policy_with_and_without_the_list(busy_small: Scenario) -> None:
    r = run(busy_small, ["first-available"], progress=False, waitlist=True)
    pol = r.results["policies"]
    assert set(pol) == {"first-available", "first-available+waitlist"}
    effect = r.results["waitlist"]["first-available"]
    assert effect["recovered_booked_minutes"] == (
        pol["first-available+waitlist"]["booked_minutes"] - pol["first-available"]["booked_minutes"]
    )
    assert effect["met"] == (effect["fill_rate_of_fittable"] >= 0.5)
