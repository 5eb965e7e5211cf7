"""Assistants in the planner: held for whole appointments like chairs, by every policy."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time

import pytest

from benchmarks.planner.metrics import summarise
from benchmarks.planner.offline import solve_offline
from benchmarks.planner.run import Run, run
from benchmarks.planner.simulate import ONLINE_POLICIES, Booking, simulate
from benchmarks.scenarios import PRESETS, Scenario, generate
from benchmarks.scenarios.io import load_json, save_json
from benchmarks.scenarios.model import Block, PartSpec, Request, ResourceSpec, TypeSpec
from tests.planner.conftest import schedule_problems

MONDAY = date(2026, 1, 5)


def test_ortho_is_six_chairs_and_five_assistants_and_asks_the_same_demand(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    s = generate("ortho")
    assert len(s.of_kind("chair")) == 6 and len(s.of_kind("assistant")) == 5
    for t in s.types:
        # Every chair appointment has its assistant; records are taken in the records room.
        assert t.needs_assistant == t.needs_chair, t.id
    # The stream is the one the five-column preset asked (the doctor's time binds, not chairs).
    monkeypatch.setitem(PRESETS, "ortho", replace(PRESETS["ortho"], chairs=5, assistants=0))
    five_columns = generate("ortho")
    assert not five_columns.of_kind("assistant")
    assert s.requests == five_columns.requests


def test_a_scenario_with_assistants_round_trips_through_json(tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = generate("ortho", weeks=1)
    path = tmp_path / "ortho.json"
    save_json(s, path)
    back = load_json(path)
    assert back.of_kind("assistant") == s.of_kind("assistant")
    assert back.types == s.types


def three_chairs_one_assistant() -> Scenario:
    """Three chairs but one assistant, open 09:00-09:40; three 20-minute adjustments (the
    doctor needed for 5 of them) all wanted then."""
    open_ = dict.fromkeys(range(5), (Block(time(9), time(9, 40)),))
    requests = tuple(
        Request(
            id=f"r{i}",
            patient_id=f"p{i}",
            made_at=datetime(2025, 12, 1, 10, i, tzinfo=UTC),
            parts=(PartSpec("adjustment"),),
            earliest=MONDAY,
            latest=MONDAY,
            days=(0,),
            hours=(Block(time(9), time(9, 40)),),
        )
        for i in range(3)
    )
    return Scenario(
        name="one-assistant",
        seed=3,
        time_zone="Europe/London",
        start=MONDAY,
        weeks=1,
        resources=(
            ResourceSpec("prov-1", "provider", open_, role="orthodontist"),
            *(ResourceSpec(f"chair-{i}", "chair", open_) for i in (1, 2, 3)),
            ResourceSpec("asst-1", "assistant", open_, name="Assistant 1"),
        ),
        types=(TypeSpec("adjustment", 20, time_pattern="AADA", needs_assistant=True),),
        requests=requests,
    )


# The whole-appointment baseline holds the doctor for each 20 minutes, so it fits two anyway.
@pytest.mark.parametrize("policy", [p for p in ONLINE_POLICIES if p != "whole-appointment"])
def test_one_assistant_works_one_chair_at_a_time(policy: str) -> None:
    s = three_chairs_one_assistant()
    o = simulate(s, policy)
    assert len(o.bookings) == 2, "one assistant: 09:00 and 09:20, whatever the chairs"
    assert {p.assistant_id for b in o.bookings for p in b.parts} == {"asst-1"}
    assert schedule_problems(s, o.bookings) == []
    # Without the assistant the three chairs take all three (the doctor staggered 5 minutes).
    assert len(simulate(s.without_assistants(), policy).bookings) == 3


def test_the_offline_model_holds_the_assistant_too() -> None:
    s = three_chairs_one_assistant()
    o = solve_offline(s, None, 10)
    assert len(o.bookings) == 2 and o.extra["offline_status"] == "OPTIMAL"
    assert schedule_problems(s, o.bookings) == []
    assert len(solve_offline(s.without_assistants(), None, 10).bookings) == 3


@pytest.fixture(scope="module")
def ortho_run() -> Run:
    return run(generate("ortho", weeks=1, load=0.6), ["all"], offline_seconds=10, progress=False)


def most_chairs_at_once(bookings: list[Booking]) -> int:
    edges = sorted(
        (t, step)
        for b in bookings
        for p in b.parts
        if p.chair_id
        for t, step in ((p.start, 1), (p.end, -1))
    )
    now = peak = 0
    for _, step in edges:
        now += step
        peak = max(peak, now)
    return peak


@pytest.mark.parametrize(
    "policy", ["first-available", "best-fit", "whole-appointment", "offline-optimal"]
)
def test_ortho_never_uses_more_chairs_at_once_than_it_has_assistants(
    ortho_run: Run, policy: str
) -> None:
    s = ortho_run.scenario
    o = ortho_run.outcomes[policy]
    assert schedule_problems(s, o.bookings) == []
    assert most_chairs_at_once(o.bookings) <= 5
    m = summarise(s, o)
    held = sum(
        (p.end - p.start).total_seconds() / 60
        for b in o.bookings
        for p in b.parts
        if p.assistant_id
    )
    opened = sum(
        (z - a).total_seconds() / 60 for r in s.of_kind("assistant") for a, z in s.open_intervals(r)
    )
    assert m["assistant_booked_minutes"] == pytest.approx(held)
    assert m["assistant_utilisation"] == pytest.approx(held / opened)


def test_a_clinic_without_assistants_reports_no_assistant_utilisation() -> None:
    s = generate("small", weeks=1)
    assert summarise(s, simulate(s, "first-available"))["assistant_utilisation"] is None
