"""Each best-fit objective term alone, on hand-made numbers, then the documented worked example.

Expected centipoints are worked out by hand in each test (weights: ``solver/objective.py``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from solver import ScoreTerm, best_fit
from solver.grid import I64
from solver.objective import (
    chair_load,
    doctor_adjacent,
    doctor_idle_time,
    long_doctor_room,
    nearness,
    short_gap,
    template_fill,
    usual_provider,
)
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


class TestDoctorAdjacent:
    def test_half_a_point_per_run_end_meeting_other_doctor_time(self) -> None:
        # no touch | follows a booking | between two bookings
        assert doctor_adjacent(i64(0, 1, 2)).tolist() == [0, 50, 100]


class TestDoctorIdleTime:
    def test_three_tenths_of_a_point_per_idle_minute_left_floored(self) -> None:
        added = i64(0, 10 * 60, 10 * 60 + 1, -10 * 60, 59)
        # none | 10 min left idle | one second more floors to the same | 10 min filled | 59 s
        assert doctor_idle_time(added).tolist() == [0, -300, -300, 300, -29]


class TestLongDoctorRoom:
    def test_two_points_for_taking_the_last_room_for_the_longest_run(self) -> None:
        before = i64(2, 1, 1, 0)
        after = i64(1, 1, 0, 0)
        # another long stretch stays | the long one is split but still long | gone | never was
        assert long_doctor_room(before, after).tolist() == [0, 0, -200, 0]


class TestDoctorTermsInBestFit:
    """One orthodontist, 10:00-17:00, whose doctor time 10:10-10:15 is already booked; one
    adjustment (AADDA, 25 min, doctor 10-20 min in) is scored alone at a given start. The
    doctor's shortest provider time is that 10-minute run, the longest a bond's 40 minutes."""

    ADJUST = AppointmentTypeSpec("adj", 25, 25, 25, name="Adjustment", time_pattern="AADDA")
    BOND = AppointmentTypeSpec("bond", 60, 60, 60, name="Bond", time_pattern="AAAA" + "D" * 8)

    def doctor_terms(self, start: datetime, busy_from_11: bool = False) -> dict[str, float]:
        day = WeeklyHours({WEDNESDAY: (LocalBlock(time(10), time(17)),)})
        busy = [BusyInterval(at(10, 10), at(10, 15), "first")]
        if busy_from_11:
            busy.append(BusyInterval(at(11), at(17), "rest"))
        clinic = Clinic(
            "Europe/London",
            BookingPolicy(5, timedelta(0), timedelta(days=30)),
            (
                Resource("dr", ResourceKind.PROVIDER, day, tuple(busy), name="Dr Okafor"),
                Resource("c1", ResourceKind.CHAIR, day, name="Chair 1"),
            ),
            (self.ADJUST, self.BOND),
        )
        end = start + timedelta(minutes=25)
        q = SlotQuery(
            clinic, Visit((VisitPart("adj"),)), start, end, at(8), preferences=Preferences(start)
        )
        (top,) = best_fit(q, 1).suggestions
        assert top.slot.start == start
        return {t.rule: t.points for t in top.terms if t.rule.startswith(("doctor", "long"))}

    def test_doctor_time_right_after_the_booked_one_is_rewarded(self) -> None:
        # At 10:05 the doctor is needed 10:15-10:25, straight after 10:10-10:15.
        assert self.doctor_terms(at(10, 5)) == {"doctor_adjacent": 0.5}

    def test_doctor_time_leaving_a_stretch_no_provider_time_fits_is_penalised(self) -> None:
        # At 10:10 the doctor is needed 10:20-10:30, leaving 10:15-10:20 idle: 5 minutes, less
        # than the 10 minutes of the shortest provider time this doctor does.
        assert self.doctor_terms(at(10, 10)) == {"doctor_idle_time": -1.5}

    def test_a_stretch_is_idle_where_no_appointment_could_hold_its_doctor_time(self) -> None:
        # At 16:30 the doctor is needed 16:40-16:50, leaving 16:50-17:00: as long as the
        # adjustment's doctor time, but an adjustment with its doctor time there (10 minutes in)
        # would end at 17:05, after the doctor's day: 10 minutes idle.
        assert self.doctor_terms(at(16, 30)) == {"doctor_idle_time": -3.0}
        # At 16:25 it leaves 16:45-17:00, where an adjustment at 16:35 fits: nothing idle.
        assert self.doctor_terms(at(16, 25)) == {}

    def test_taking_the_last_room_for_the_bond_is_penalised(self) -> None:
        # Busy from 11:00, 10:15-11:00 is the only stretch that holds the bond's 40 minutes;
        # at 10:20 the doctor is needed 10:30-10:40, leaving 15 and 20 minutes.
        assert self.doctor_terms(at(10, 20), busy_from_11=True) == {"long_doctor_room": -2.0}
        # At 10:05 the doctor is needed 10:15-10:25, right after the booked time, and leaves
        # 10:25-11:00: 35 minutes, too short for the bond, so it takes the last room as well.
        assert self.doctor_terms(at(10, 5), busy_from_11=True) == {
            "doctor_adjacent": 0.5,
            "long_doctor_room": -2.0,
        }

    def test_the_terms_are_zero_without_patterns(self) -> None:
        self.ADJUST = replace(self.ADJUST, time_pattern=None)
        self.BOND = replace(self.BOND, time_pattern=None)
        assert self.doctor_terms(at(10, 15)) == {}


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


def test_a_bookable_start_is_suggested_however_much_it_loses() -> None:
    """A 6-hour appointment whose doctor time is its last 5 minutes, booked at 08:00, leaves
    08:00-13:55 where no such appointment's doctor time can fall: 355 idle minutes, -106.5 points.
    It is still the only start, so best fit must still offer it."""
    long = AppointmentTypeSpec("long", 360, 360, 360, name="Long", time_pattern="A" * 71 + "D")
    day = WeeklyHours({WEDNESDAY: (LocalBlock(time(8), time(20)),)})
    clinic = Clinic(
        "Europe/London",
        BookingPolicy(5, timedelta(0), timedelta(days=30)),
        (
            Resource("dr", ResourceKind.PROVIDER, day, name="Dr Okafor"),
            Resource("c1", ResourceKind.CHAIR, day, name="Chair 1"),
        ),
        (long,),
    )
    q = SlotQuery(
        clinic, Visit((VisitPart("long"),)), at(8), at(14), at(7), preferences=Preferences(at(8))
    )
    (top,) = best_fit(q, 3).suggestions
    assert top.slot.start == at(8)
    assert {t.rule: t.points for t in top.terms} == {"doctor_idle_time": -106.5}
