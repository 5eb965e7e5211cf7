"""Doctor time in the planner: patterns in the presets and files, the provider held only for
``D`` runs in every policy's schedule, the whole-appointment baseline, and the offline model."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from benchmarks.planner.metrics import double_bookings, patients_per_orthodontist_day, summarise
from benchmarks.planner.offline import solve_offline
from benchmarks.planner.run import Run, run
from benchmarks.planner.simulate import (
    Booking,
    Calendar,
    EngineClinic,
    Part,
    build_query,
    provider_time,
    simulate,
)
from benchmarks.scenarios import (
    PRESETS,
    Block,
    PartSpec,
    Request,
    ResourceSpec,
    Scenario,
    ScenarioError,
    TypeSpec,
    generate,
    load,
    save_json,
)
from solver import find_availability
from solver.time_pattern import check_pattern
from tests.planner.conftest import schedule_problems

MONDAY = date(2026, 1, 5)


def test_ortho_preset_is_a_solo_practice_with_doctor_time_on_every_type() -> None:
    s = generate("ortho")
    assert PRESETS["ortho"].load == 1.0
    assert [r.role for r in s.of_kind("provider")] == ["orthodontist"]
    assert len(s.of_kind("chair")) == 6 and len(s.of_kind("room")) == 1
    for t in s.types:
        assert t.time_pattern is not None, t.id
        check_pattern(t.time_pattern, t.minutes)
    doctor = {t.id: sum(z - a for a, z in t.provider_runs()) for t in s.types}
    assert doctor["adjustment"] == 5 and s.type("adjustment").minutes == 20
    assert doctor["records"] == 0 and doctor["consult"] == s.type("consult").minutes
    assert doctor["bond"] >= 30
    visits = [q.visit for q in s.requests]
    assert visits.count("adjustment") > len(visits) / 2
    # Demand fills the doctor's time, not the chairs': provider time is the bottleneck.
    asked = sum(doctor[q.visit] for q in s.requests)
    working = sum(b.minutes for r in s.of_kind("provider") for bs in r.hours.values() for b in bs)
    assert asked == pytest.approx(working * s.weeks, rel=0.02)


def test_medium_and_large_carry_patterns_and_small_does_not() -> None:
    for name in ("medium", "large"):
        assert all(t.time_pattern for t in generate(name, weeks=1).types), name
    small = generate("small", weeks=1)
    assert not small.has_patterns and small.without_patterns() == small


def test_patterns_and_roles_round_trip_and_bad_patterns_name_the_field(tmp_path: Path) -> None:
    s = generate("ortho", weeks=1)
    path = tmp_path / "ortho.json"
    save_json(s, path)
    assert load(path) == s
    d = json.loads(path.read_text())
    d["types"][0]["timePattern"] = "AAD"  # 15 minutes of pattern for a 20-minute type
    path.write_text(json.dumps(d))
    with pytest.raises(ScenarioError, match=r"types\[0\]\.timePattern: has 3 steps .* needs 4"):
        load(path)
    d["types"][0]["timePattern"] = "AAXA"
    path.write_text(json.dumps(d))
    with pytest.raises(ScenarioError, match=r"timePattern: use only 'D'.*found 'X'"):
        load(path)


def _clinic(requests: tuple[Request, ...]) -> Scenario:
    """One doctor and two chairs 09:00-10:00 on a Monday; 20-minute adjustments ``AADA``."""
    hour = {0: (Block(time(9), time(10)),)}
    return Scenario(
        name="two-chairs",
        seed=1,
        time_zone="Europe/London",
        start=MONDAY,
        weeks=1,
        resources=(
            ResourceSpec("prov-1", "provider", hour, role="orthodontist"),
            ResourceSpec("chair-1", "chair", hour),
            ResourceSpec("chair-2", "chair", hour),
        ),
        types=(TypeSpec("adjustment", 20, time_pattern="AADA"),),
        requests=requests,
    )


def _request(rid: str, until: time) -> Request:
    return Request(
        id=rid,
        patient_id=f"pat-{rid}",
        made_at=datetime(2026, 1, 1, 9, tzinfo=UTC),
        parts=(PartSpec("adjustment"),),
        earliest=MONDAY,
        latest=MONDAY,
        days=(0,),
        hours=(Block(time(9), until),),
    )


def test_offline_runs_two_chairs_with_one_doctor() -> None:
    """Both patients can only come 09:00-09:25: one doctor sees both in two chairs, five
    minutes apart, which the whole-appointment model (40 minutes of doctor) cannot."""
    s = _clinic((_request("a", time(9, 25)), _request("b", time(9, 25))))
    o = solve_offline(s, None, seconds=10)
    assert o.extra["offline_status"] == "OPTIMAL"
    assert sorted(b.request_id for b in o.bookings) == ["a", "b"]
    assert {b.parts[0].chair_id for b in o.bookings} == {"chair-1", "chair-2"}
    runs = sorted(t for b in o.bookings for t in b.parts[0].provider_time or ())
    assert len(runs) == 2 and runs[0][1] <= runs[1][0]  # the doctor is never in two chairs
    assert schedule_problems(s, o.bookings) == []
    whole = solve_offline(s.without_patterns(), None, seconds=10)
    assert len(whole.bookings) == 1


def test_whole_appointment_baseline_holds_the_doctor_for_the_whole_visit() -> None:
    s = _clinic((_request("a", time(10)), _request("b", time(10))))
    o = simulate(s, "whole-appointment")
    assert len(o.bookings) == 2
    for b in o.bookings:
        assert b.parts[0].provider_time == ((b.parts[0].start, b.parts[0].end),)
    first, second = sorted(o.bookings, key=lambda b: b.start)
    assert second.start >= first.parts[0].end  # one doctor, one chair at a time
    assert schedule_problems(s, o.bookings) == []


def _part(chair: str, start: datetime, pattern_start: int) -> Part:
    d0 = start + timedelta(minutes=pattern_start)
    return Part(
        "adjustment",
        start,
        start + timedelta(minutes=20),
        "prov-1",
        chair,
        None,
        ((d0, d0 + timedelta(minutes=5)),),
    )


def test_metrics_count_provider_time_not_whole_visits() -> None:
    s = _clinic(())
    nine = datetime(2026, 1, 5, 9, tzinfo=UTC)
    a = Booking("a", "pat-a", (_part("chair-1", nine, 10),), nine)
    b = Booking("b", "pat-b", (_part("chair-2", nine, 15),), nine)
    assert double_bookings([a, b]) == 0  # the visits overlap, the doctor's minutes do not
    clash = Booking("c", "pat-c", (_part("chair-2", nine, 10),), nine)
    assert double_bookings([a, clash]) == 1
    assert patients_per_orthodontist_day(s, [a, b]) == (2, 1, 2.0)
    no_show = Booking("n", "pat-n", (_part("chair-2", nine, 15),), nine, no_show=True)
    assert patients_per_orthodontist_day(s, [a, no_show])[0] == 1
    d_step = (nine + timedelta(minutes=10), nine + timedelta(minutes=15))
    assert provider_time(s.type("adjustment"), nine) == (d_step,)


@pytest.fixture(scope="module")
def ortho_run() -> Run:
    """A light week of the ortho clinic through every policy (the full preset is for bench)."""
    return run(generate("ortho", weeks=1, load=0.3), ["all"], offline_seconds=10, progress=False)


@pytest.mark.parametrize(
    "policy", ["first-available", "best-fit", "whole-appointment", "offline-optimal"]
)
def test_ortho_schedules_keep_every_rule(ortho_run: Run, policy: str) -> None:
    s = ortho_run.scenario
    o = ortho_run.outcomes[policy]
    assert o.bookings
    assert schedule_problems(s, o.bookings) == []
    m = summarise(s, o)
    assert m["double_bookings"] == 0
    assert m["patients_per_orthodontist_day"] == pytest.approx(
        sum(not b.no_show for b in o.bookings) / 5
    )
    if policy == "whole-appointment":
        assert m["provider_booked_minutes"] == sum(
            b.minutes for b in o.bookings if b.parts[0].provider_id
        )


def test_doctor_time_targets_are_ratios_of_this_run(ortho_run: Run) -> None:
    pol = ortho_run.results["policies"]
    t = ortho_run.results["targets"]
    ratio = t["doctor_time_patients_per_orthodontist_day"]
    assert ratio["value"] == pytest.approx(
        pol["best-fit"]["patients_per_orthodontist_day"]
        / pol["whole-appointment"]["patients_per_orthodontist_day"]
    )
    assert ratio["met"] == (ratio["value"] >= 2.5)
    gap = t["best_fit_closes_booked_minutes_gap"]
    trio = ("first-available", "best-fit", "offline-optimal")
    fa, bf, opt = (pol[p]["booked_minutes"] for p in trio)
    assert gap["gap_minutes"] == opt - fa
    assert gap["value"] == (pytest.approx((bf - fa) / (opt - fa)) if opt > fa else None)
    assert gap["provider_minutes"]["best-fit"] == pol["best-fit"]["provider_booked_minutes"]
    assert gap["bound_minutes"] >= opt
    # The offline warm start comes from a pattern policy, not from the baseline.
    assert pol["offline-optimal"]["offline_warm_start"] != "whole-appointment"


def test_the_simulator_holds_the_provider_time_the_engine_answers() -> None:
    """The planner's rule for provider time (the type's D runs from the start) is the engine's."""
    s = generate("ortho", weeks=1, load=0.3)
    ec = EngineClinic(s)
    checked = 0
    for q in s.requests[:12]:
        query = build_query(ec, Calendar(), q, q.made_at, usual=True)
        if query is None:
            continue
        for slot in list(find_availability(query).slots)[:5]:
            for a in slot.parts:
                assert a.provider_time == provider_time(s.type(a.type_id), a.start), a
                checked += 1
    assert checked > 10
