"""The offline model really optimises: hindsight beats booking greedily as requests arrive."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from benchmarks.planner.offline import OfflineModel, solve_offline
from benchmarks.planner.offline_pools import assign
from benchmarks.planner.simulate import simulate
from benchmarks.scenarios import (
    Block,
    PartSpec,
    Request,
    ResourceSpec,
    Scenario,
    TypeSpec,
    generate,
)
from tests.planner.conftest import schedule_problems

MONDAY = date(2026, 1, 5)


def _request(rid: str, made: datetime, hours: Block, type_id: str = "adjustment") -> Request:
    return Request(
        id=rid,
        patient_id=f"pat-{rid}",
        made_at=made,
        parts=(PartSpec(type_id),),
        earliest=MONDAY,
        latest=MONDAY,
        days=(0,),
        hours=(hours,),
    )


def _one_chair_hour(types: tuple[TypeSpec, ...], requests: tuple[Request, ...]) -> Scenario:
    """One provider and one chair open 09:00-10:00 on Monday."""
    hour = {0: (Block(time(9), time(10)),)}
    return Scenario(
        name="one-hour",
        seed=1,
        time_zone="Europe/London",
        start=MONDAY,
        weeks=1,
        resources=(
            ResourceSpec("prov-1", "provider", hour),
            ResourceSpec("chair-1", "chair", hour),
        ),
        types=types,
        requests=requests,
    )


def tight_clinic() -> Scenario:
    """The first request could go anywhere in the hour, the second only at 09:00. Booking the
    first at the earliest start turns the second away."""
    return _one_chair_hour(
        (TypeSpec("adjustment", 30),),
        (
            _request(
                "early-flexible", datetime(2026, 1, 1, 9, tzinfo=UTC), Block(time(9), time(10))
            ),
            _request(
                "late-fixed", datetime(2026, 1, 1, 10, tzinfo=UTC), Block(time(9), time(9, 30))
            ),
        ),
    )


def test_hindsight_books_what_first_available_turns_away() -> None:
    s = tight_clinic()
    greedy = simulate(s, "first-available")
    assert [b.request_id for b in greedy.bookings] == ["early-flexible"]
    assert greedy.turned_away == ["late-fixed"]
    o = solve_offline(s, greedy.bookings, seconds=10)
    assert o.extra["offline_status"] == "OPTIMAL"
    assert o.extra["offline_incumbent"] == "cp-sat"
    assert o.extra["offline_objective_minutes"] == 60 == o.extra["offline_bound_minutes"]
    assert {b.request_id: b.start.astimezone(s.tz).time() for b in o.bookings} == {
        "late-fixed": time(9),
        "early-flexible": time(9, 30),
    }
    assert schedule_problems(s, o.bookings) == []


def test_interchangeable_chairs_share_one_pool_unless_a_template_slot_names_one() -> None:
    ortho = OfflineModel(generate("ortho", weeks=1, load=0.2))
    chairs = tuple(f"chair-{i}" for i in range(1, 7))
    assistants = tuple(f"asst-{i}" for i in range(1, 6))
    assert ortho.pools == {chairs, assistants}  # one records room: nothing to pool
    # small reserves consult mornings on chair-1, so its chairs keep a literal each.
    assert OfflineModel(generate("small", weeks=1)).pools == set()
    # Three parts, two at once at most: two ids suffice and overlapping parts never share one.
    got = assign(("a", "b"), [(0, 4), (2, 6), (4, 8)])
    assert got == ["a", "b", "a"]
    with pytest.raises(AssertionError, match="more parts at once"):
        assign(("a",), [(0, 4), (2, 6)])


def _anytime(*wanted: tuple[str, str]) -> tuple[Request, ...]:
    """Requests (id, type) that any patient could take at any time of the hour."""
    return tuple(
        _request(rid, datetime(2026, 1, 1, 9, i, tzinfo=UTC), Block(time(9), time(10)), type_id)
        for i, (rid, type_id) in enumerate(wanted)
    )


def test_each_objective_books_what_it_values() -> None:
    # A 60-minute bond or two 20-minute repairs: minutes prefer the bond, requests the repairs.
    s = _one_chair_hour(
        (TypeSpec("bond", 60), TypeSpec("repair", 20)),
        _anytime(("bond", "bond"), ("repair-1", "repair"), ("repair-2", "repair")),
    )
    by_minutes = solve_offline(s, None, seconds=10)
    by_requests = solve_offline(s, None, seconds=10, objective="requests")
    assert {b.request_id for b in by_minutes.bookings} == {"bond"}
    assert {b.request_id for b in by_requests.bookings} == {"repair-1", "repair-2"}
    assert by_requests.extra["offline_value"] == 2 == by_requests.extra["offline_bound"]
    assert by_requests.extra["offline_objective_minutes"] is None
    # A 60-minute records visit with 5 doctor minutes or a 30-minute all-doctor exam: minutes
    # prefer the records visit, provider minutes the exam.
    s = _one_chair_hour(
        (
            TypeSpec("records", 60, time_pattern="AAAAADAAAAAA"),
            TypeSpec("exam", 30, time_pattern="DDDDDD"),
        ),
        _anytime(("records", "records"), ("exam", "exam")),
    )
    assert {b.request_id for b in solve_offline(s, None, seconds=10).bookings} == {"records"}
    by_doctor = solve_offline(s, None, seconds=10, objective="provider-minutes")
    assert {b.request_id for b in by_doctor.bookings} == {"exam"}
    assert by_doctor.extra["offline_value"] == 30
    with pytest.raises(ValueError, match="unknown offline objective"):
        OfflineModel(s, "revenue")
