"""Each best-fit objective term alone, on hand-made numbers, then the documented worked example.

Expected centipoints are worked out by hand in each test (weights: ``solver/objective.py``).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from solver import ScoreTerm, best_fit
from solver.grid import I64
from solver.objective import chair_load, nearness, short_gap, template_fill, usual_provider
from solver.problem import (
    AppointmentTypeSpec,
    BookingPolicy,
    BusyInterval,
    Clinic,
    LocalBlock,
    Preferences,
    Resource,
    ResourceKind,
    SlotQuery,
    TemplateSlot,
    Visit,
    VisitPart,
    WeeklyHours,
)

LONDON = ZoneInfo("Europe/London")
WEDNESDAY = 2  # 2026-06-10
ADJUSTMENT = AppointmentTypeSpec("adj", 15, 60, 30, name="Adjustment")  # shortest type: 15 min


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, 10, hour, minute, tzinfo=LONDON)


def i64(*values: int) -> I64:
    return np.array(values, dtype=np.int64)


class TestTemplateFill:
    def test_three_points_per_filling_part(self) -> None:
        got = template_fill(np.array([True, False, True]))
        assert got.tolist() == [300, 0, 300]


class TestUsualProvider:
    def test_two_points_for_the_usual_provider_only(self) -> None:
        assert usual_provider(["p1", "p2", "p3"], "p2").tolist() == [0, 200, 0]

    def test_nothing_when_the_patient_has_no_usual_provider(self) -> None:
        assert usual_provider(["p1", "p2"], None).tolist() == [0, 0]


class TestShortGap:
    def test_one_and_a_half_points_per_side_left_too_short(self) -> None:
        shortest = 15 * 60
        before = i64(0, 10 * 60, 15 * 60, 20 * 60, 5 * 60)
        after = i64(10 * 60, 0, 0, 0, 5 * 60)
        # 0 + 10 min | 10 min + 0 | exactly 15 min (bookable) | 20 min | 5 min both sides
        assert short_gap(before, after, shortest).tolist() == [-150, -150, 0, 0, -300]


class TestNearness:
    def test_one_point_per_hour_floored_to_centipoints(self) -> None:
        reference = 36_000
        starts = i64(36_000, 36_000 + 3600, 36_000 - 5400, 36_000 + 59, 36_000 + 30)
        # 0 h | 1 h | 1.5 h earlier | 59 s = 1.64 cp -> 1 | 30 s = 0.83 cp -> 0
        assert nearness(starts, reference).tolist() == [0, -100, -150, -1, 0]


class TestChairLoad:
    def test_two_points_times_the_booked_fraction_rounded(self) -> None:
        eight_hours = 8 * 3600
        open_seconds = i64(eight_hours, eight_hours, 0, eight_hours, eight_hours)
        booked = i64(11_520, 0, 0, 100, 72)
        # 40% -> 80 | empty | closed day | 100/28800 x 200 = 0.69 -> 1 | exactly 0.5 -> 1
        assert chair_load(open_seconds, booked).tolist() == [-80, 0, 0, -1, -1]


def test_the_documented_worked_example_scores_one_point_seven() -> None:
    """docs/engine.md: a 30-minute adjustment at 10:00, preferred 09:00, with the usual
    provider in a chair 40% booked that day, inside "Adjustments AM", leaving 10 minutes before
    the chair's next booking: 3.0 + 2.0 - 1.0 - 0.8 - 1.5 = +1.7."""
    hours = WeeklyHours({WEDNESDAY: (LocalBlock(time(9), time(17)),)})  # 480 min open
    next_booking = BusyInterval(at(10, 40), at(10, 40) + timedelta(minutes=192), "a1")  # 40%
    clinic = Clinic(
        "Europe/London",
        BookingPolicy(15, timedelta(0), timedelta(days=30)),
        (
            Resource("p1", ResourceKind.PROVIDER, hours, (), name="Dr A"),
            Resource("c2", ResourceKind.CHAIR, hours, (next_booking,), name="Chair 2"),
        ),
        (ADJUSTMENT,),
        (TemplateSlot("am", WEDNESDAY, LocalBlock(time(9), time(12)), frozenset({"adj"}), "c2"),),
    )
    query = SlotQuery(
        clinic,
        Visit((VisitPart("adj"),)),
        at(10),
        at(10, 30),  # one start: 10:00
        at(8),
        preferences=Preferences(preferred_start=at(9), usual_provider_id="p1"),
    )
    got = best_fit(query, 1)
    assert got.complete
    (top,) = got.suggestions
    assert top.slot.start == at(10)
    assert {t.rule: t.points for t in top.terms} == {
        "template_fill": 3.0,
        "usual_provider": 2.0,
        "nearness": -1.0,
        "chair_load": -0.8,
        "short_gap": -1.5,
    }
    assert top.score == got.objective == 1.7
    assert (
        ScoreTerm("short_gap", -1.5, "leaves 10 min free on Chair 2 after 10:30, too short to book")
        in top.terms
    )
