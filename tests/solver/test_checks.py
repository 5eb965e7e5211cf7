"""Each of validate's checks alone (``solver/checks.py``), on two or three hand-made parts.

Every check is called by itself on a booking that breaks only its rule and on a neighbouring one
that keeps it, and must name the part, the resource or reference, and say why.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from solver.checks import (
    CHECKS,
    Booking,
    Check,
    before_lead_time,
    beyond_horizon,
    duration_bounds,
    gap,
    missing_resource,
    not_on_grid,
    not_qualified,
    outside_hours,
    outside_window,
    part_overlap,
    patient_busy,
    resource_busy,
    same_chair,
    same_provider,
    template_reserved,
    template_slot_mismatch,
    wrong_room_kind,
)
from solver.grid import to_sec_floor
from solver.prepare import prepare
from solver.problem import (
    AppointmentTypeSpec,
    BookingPolicy,
    BusyInterval,
    Clinic,
    LocalBlock,
    Resource,
    ResourceKind,
    SlotQuery,
    TemplateSlot,
    Visit,
    VisitPart,
    WeeklyHours,
)
from solver.result import PartAssignment, Violation

LONDON = ZoneInfo("Europe/London")
HOURS = WeeklyHours(dict.fromkeys(range(7), (LocalBlock(time(9), time(17)),)))
ADJ = AppointmentTypeSpec("adj", 15, 60, 30, name="Adjustment")
SCAN = AppointmentTypeSpec("scan", 15, 30, 20, needs_chair=False, room_kind="scanner", name="Scan")
ONE = Visit((VisitPart("adj"),))


def at(hour: int, minute: int = 0, day: int = 10, month: int = 6) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=LONDON)


def clinic(
    types: tuple[AppointmentTypeSpec, ...] = (ADJ, SCAN),
    slots: tuple[TemplateSlot, ...] = (),
    busy: tuple[BusyInterval, ...] = (),
) -> Clinic:
    return Clinic(
        "Europe/London",
        BookingPolicy(15, timedelta(hours=2), timedelta(days=30)),
        (
            Resource("p1", ResourceKind.PROVIDER, HOURS, name="Dr One"),
            Resource("p2", ResourceKind.PROVIDER, HOURS, name="Dr Two"),
            Resource("c1", ResourceKind.CHAIR, HOURS, busy, name="Chair 1"),
            Resource("c2", ResourceKind.CHAIR, HOURS, name="Chair 2"),
            Resource("r1", ResourceKind.ROOM, HOURS, room_kind="scanner", name="Scan room"),
            Resource("r2", ResourceKind.ROOM, HOURS, room_kind="x-ray", name="X-ray room"),
        ),
        types,
        slots,
    )


def query(c: Clinic | None = None, visit: Visit = ONE, **kw: object) -> SlotQuery:
    """Wednesday 10 June 2026; now 08:00, so the earliest start is 10:00 (two hours' lead)."""
    q = SlotQuery(c or clinic(), visit, at(0), at(0, day=12, month=7), at(8))
    return replace(q, **kw)  # type: ignore[arg-type]


def part(
    start: datetime,
    minutes: int = 30,
    provider: str | None = "p1",
    chair: str | None = "c1",
    room: str | None = None,
    type_id: str = "adj",
    slot: str | None = None,
) -> PartAssignment:
    return PartAssignment(
        type_id, start, start + timedelta(minutes=minutes), provider, chair, room, slot
    )


def run(check: Check, q: SlotQuery, *parts: PartAssignment) -> list[Violation]:
    times = tuple((to_sec_floor(a.start), to_sec_floor(a.end)) for a in parts)
    return list(check(Booking(q, prepare(q), parts, times)))


def test_every_check_is_listed_once() -> None:
    names = [c.__name__ for c in CHECKS]
    assert len(names) == len(set(names)) == 17


class TestBeforeLeadTime:
    def test_a_start_inside_the_lead_time_is_refused(self) -> None:
        (v,) = run(before_lead_time, query(), part(at(9, 45)))
        assert (v.code, v.part_index) == ("before_lead_time", 0)
        assert "before the earliest bookable time Wed 10 Jun 10:00" in v.message

    def test_a_start_at_the_lead_time_is_fine(self) -> None:
        assert run(before_lead_time, query(), part(at(10))) == []


class TestBeyondHorizon:
    # 30 days after now (08:00 on 10 June) is 08:00 on 10 July.
    def test_a_visit_ending_after_the_horizon_is_refused(self) -> None:
        (v,) = run(beyond_horizon, query(), part(at(7, 45, day=10, month=7)))
        assert (v.code, v.part_index) == ("beyond_horizon", 0)
        assert "after the booking horizon Fri 10 Jul 08:00" in v.message

    def test_a_visit_ending_at_the_horizon_is_fine(self) -> None:
        assert run(beyond_horizon, query(), part(at(7, 30, day=10, month=7))) == []


class TestOutsideWindow:
    def test_each_end_of_the_visit_lies_inside_the_window(self) -> None:
        q = query(window_start=at(11), window_end=at(12))
        early, late = run(outside_window, q, part(at(10, 45)), part(at(11, 45)))
        assert (early.code, early.part_index) == ("outside_window", 0)
        assert "before the window" in early.message
        assert (late.code, late.part_index) == ("outside_window", 1)
        assert "ends Wed 10 Jun 12:15, after the window" in late.message

    def test_a_visit_filling_the_window_exactly_is_fine(self) -> None:
        q = query(window_start=at(11), window_end=at(11, 30))
        assert run(outside_window, q, part(at(11))) == []


class TestNotOnGrid:
    def test_a_start_between_grid_points_is_refused(self) -> None:
        (v,) = run(not_on_grid, query(), part(at(10, 5)))
        assert (v.code, v.part_index) == ("not_on_grid", 0)
        assert "not on the 15-minute grid" in v.message

    def test_ends_need_not_be_on_the_grid(self) -> None:
        assert run(not_on_grid, query(), part(at(10, 15), minutes=20)) == []


class TestDurationBounds:
    def test_longer_than_the_type_allows(self) -> None:
        (v,) = run(duration_bounds, query(), part(at(10), minutes=90))
        assert v.code == "duration_bounds"
        assert "lasts 90 min; 'adj' allows 15-60 min" in v.message

    def test_another_length_than_the_visit_asks_for(self) -> None:
        q = query(visit=Visit((VisitPart("adj", duration_minutes=30),)))
        (v,) = run(duration_bounds, q, part(at(10), minutes=45))
        assert "lasts 45 min but the visit asks for 30 min" in v.message
        assert run(duration_bounds, q, part(at(10), minutes=30)) == []


class TestMissingResource:
    def test_an_adjustment_without_a_chair(self) -> None:
        (v,) = run(missing_resource, query(), part(at(10), chair=None))
        assert (v.code, v.part_index) == ("missing_resource", 0)
        assert v.message == "part 1 (Adjustment) needs a chair"
        assert run(missing_resource, query(), part(at(10))) == []


class TestWrongRoomKind:
    def test_a_scan_in_the_x_ray_room(self) -> None:
        q = query(visit=Visit((VisitPart("scan"),)))
        wrong = part(at(10), 20, chair=None, room="r2", type_id="scan")
        (v,) = run(wrong_room_kind, q, wrong)
        assert (v.code, v.resource_id) == ("wrong_room_kind", "r2")
        assert "X-ray room is a x-ray room; part 1 (Scan) needs a scanner room" in v.message
        assert run(wrong_room_kind, q, replace(wrong, room_id="r1")) == []
        # The wrong kind of room is this check's, not not_qualified's.
        assert run(not_qualified, q, wrong) == []


class TestNotQualified:
    def test_a_provider_the_type_does_not_allow(self) -> None:
        only_p2 = replace(ADJ, qualified_provider_ids=frozenset({"p2"}))
        q = query(clinic(types=(only_p2,)))
        (v,) = run(not_qualified, q, part(at(10), provider="p1"))
        assert (v.code, v.resource_id) == ("not_qualified", "p1")
        assert v.message.startswith("Dr One may not take part 1 (Adjustment)")
        assert run(not_qualified, q, part(at(10), provider="p2")) == []

    def test_another_chair_than_the_visit_pins(self) -> None:
        q = query(visit=Visit((VisitPart("adj", chair_id="c2"),)))
        (v,) = run(not_qualified, q, part(at(10), chair="c1"))
        assert v.resource_id == "c1"
        assert v.message.endswith("(the visit asks for Chair 2)")

    def test_a_chair_or_room_on_a_type_that_needs_none(self) -> None:
        scan = query(visit=Visit((VisitPart("scan"),)))
        (v,) = run(not_qualified, scan, part(at(10), 20, chair="c1", room="r1", type_id="scan"))
        assert (v.code, v.resource_id) == ("not_qualified", "c1")
        assert v.message == "Chair 1 may not take part 1 (Scan): Scan needs no chair"
        assert (
            run(not_qualified, scan, part(at(10), 20, chair=None, room="r1", type_id="scan")) == []
        )
        (v,) = run(not_qualified, query(), part(at(10), room="r1"))
        assert (v.resource_id, v.message) == (
            "r1",
            "Scan room may not take part 1 (Adjustment): Adjustment needs no room",
        )


class TestOutsideHours:
    def test_every_resource_working_short_of_the_end_is_named(self) -> None:
        got = run(outside_hours, query(), part(at(16, 45)))
        assert {(v.code, v.resource_id) for v in got} == {
            ("outside_hours", "p1"),
            ("outside_hours", "c1"),
        }

    def test_buffers_count_against_closing_time(self) -> None:
        buffered = replace(ADJ, buffer_after_minutes=10)
        q = query(clinic(types=(buffered,)))
        got = run(outside_hours, q, part(at(16, 30)))
        assert {v.resource_id for v in got} == {"p1", "c1"}
        assert "16:30-17:10" in got[0].message
        assert run(outside_hours, query(), part(at(16, 30))) == []


class TestResourceBusy:
    BOOKED = (BusyInterval(at(11), at(12), "appt-42"),)

    def test_overlapping_an_existing_booking_names_it(self) -> None:
        q = query(clinic(busy=self.BOOKED))
        (v,) = run(resource_busy, q, part(at(11, 15)))
        assert (v.code, v.resource_id, v.ref) == ("resource_busy", "c1", "appt-42")
        assert v.message == "Chair 1 is busy Wed 10 Jun 11:00-12:00 (appt-42)"

    def test_ending_as_the_booking_begins_is_fine_unless_a_buffer_reaches_it(self) -> None:
        assert run(resource_busy, query(clinic(busy=self.BOOKED)), part(at(10, 30))) == []
        buffered = replace(ADJ, buffer_after_minutes=5)
        q = query(clinic(types=(buffered,), busy=self.BOOKED))
        (v,) = run(resource_busy, q, part(at(10, 30)))
        assert v.ref == "appt-42"


class TestPatientBusy:
    def test_the_patient_booked_elsewhere_at_the_time(self) -> None:
        q = query(patient_busy=(BusyInterval(at(10), at(10, 30), "pt-7"),))
        (v,) = run(patient_busy, q, part(at(10, 15)))
        assert (v.code, v.resource_id, v.ref) == ("patient_busy", None, "pt-7")
        assert v.message == "the patient is booked Wed 10 Jun 10:00-10:30 (pt-7)"

    def test_buffers_are_the_clinics_not_the_patients(self) -> None:
        buffered = replace(ADJ, buffer_after_minutes=15)
        q = query(clinic(types=(buffered,)), patient_busy=(BusyInterval(at(11), at(12), "pt-7"),))
        assert run(patient_busy, q, part(at(10, 30))) == []


class TestTemplateReserved:
    def test_a_slot_kept_for_other_types(self) -> None:
        cleaning = TemplateSlot("clean-am", 2, LocalBlock(time(10), time(11)), frozenset({"x"}))
        (v,) = run(template_reserved, query(clinic(slots=(cleaning,))), part(at(10, 30)))
        assert (v.code, v.ref) == ("template_reserved", "clean-am")
        assert "reserved for other appointment types" in v.message

    def test_a_slot_on_another_chair_leaves_this_one_free(self) -> None:
        on_c2 = TemplateSlot("c2-am", 2, LocalBlock(time(10), time(11)), frozenset({"x"}), "c2")
        assert run(template_reserved, query(clinic(slots=(on_c2,))), part(at(10, 30))) == []


class TestTemplateSlotMismatch:
    SLOT = TemplateSlot("am", 2, LocalBlock(time(10), time(11)), frozenset({"adj"}), "c1")

    def test_booking_into_a_slot_must_land_in_it(self) -> None:
        q = query(clinic(slots=(self.SLOT,)), Visit((VisitPart("adj", template_slot_id="am"),)))
        (v,) = run(template_slot_mismatch, q, part(at(10)))
        assert (v.code, v.ref) == ("template_slot_mismatch", "am")
        assert v.message == "part 1 (Adjustment) should book into template slot am, not custom time"
        assert run(template_slot_mismatch, q, part(at(10), slot="am")) == []

    def test_a_claimed_slot_must_contain_the_part(self) -> None:
        q = query(clinic(slots=(self.SLOT,)))
        (v,) = run(template_slot_mismatch, q, part(at(10, 45), slot="am"))
        assert v.message == "part 1 (Adjustment) does not lie wholly inside template slot am"


TWO = Visit((VisitPart("adj"), VisitPart("adj", max_gap_minutes=15)))


class TestGap:
    def test_the_second_part_too_long_after_the_first(self) -> None:
        (v,) = run(gap, query(visit=TWO), part(at(10)), part(at(11)))
        assert (v.code, v.part_index) == ("gap", 1)
        assert v.message == "part 2 starts 30 min after part 1 ends; the visit allows 0-15 min"
        assert run(gap, query(visit=TWO), part(at(10)), part(at(10, 45), chair="c2")) == []


class TestSameProviderAndChair:
    def test_same_provider_names_the_second_provider(self) -> None:
        q = query(visit=replace(TWO, same_provider=True))
        (v,) = run(same_provider, q, part(at(10)), part(at(10, 30), provider="p2"))
        assert (v.code, v.part_index, v.resource_id) == ("same_provider", 1, "p2")
        assert "part 2 uses Dr Two but part 1 uses Dr One" in v.message
        assert (
            run(same_provider, query(visit=TWO), part(at(10)), part(at(10, 30), provider="p2"))
            == []
        )

    def test_same_chair_names_the_second_chair(self) -> None:
        q = query(visit=replace(TWO, same_chair=True))
        (v,) = run(same_chair, q, part(at(10)), part(at(10, 30), chair="c2"))
        assert (v.code, v.resource_id) == ("same_chair", "c2")
        assert run(same_chair, q, part(at(10)), part(at(10, 30))) == []


class TestPartOverlap:
    def test_two_parts_holding_one_chair_at_once(self) -> None:
        buffered = replace(ADJ, buffer_after_minutes=10)
        q = query(clinic(types=(buffered,)), TWO)
        (v,) = run(part_overlap, q, part(at(10)), part(at(10, 30), provider="p2"))
        assert (v.code, v.part_index, v.resource_id) == ("part_overlap", 1, "c1")
        assert "parts 1 and 2 both need Chair 1" in v.message
        assert run(part_overlap, q, part(at(10)), part(at(10, 30), provider="p2", chair="c2")) == []


class TestDoctorTime:
    """A provider with a time pattern is held for its D runs only (``Part.held``)."""

    LATE_DOCTOR = replace(ADJ, time_pattern="AAADDA")  # 30 min, doctor 10:15-10:25 at 10:00

    def test_outside_hours_names_the_doctor_time_past_closing(self) -> None:
        q = query(clinic(types=(self.LATE_DOCTOR,)))
        (v,) = [v for v in run(outside_hours, q, part(at(16, 45))) if v.resource_id == "p1"]
        assert v.message == (
            "Dr One is needed Wed 10 Jun 17:00-17:10 (part 1 (Adjustment)) but is not working then"
        )
        # Starting at 16:35 the doctor is needed until 16:55; only the chair works too short.
        got = run(outside_hours, q, part(at(16, 35)))
        assert [v.resource_id for v in got] == ["c1"]

    def test_busy_outside_the_doctor_time_is_no_conflict(self) -> None:
        busy = (BusyInterval(at(10), at(10, 15), "appt-1"), BusyInterval(at(10, 20), at(11), "x"))
        c = replace(
            clinic(types=(self.LATE_DOCTOR,)),
            resources=(
                Resource("p1", ResourceKind.PROVIDER, HOURS, busy, name="Dr One"),
                *clinic().resources[1:],
            ),
        )
        (v,) = run(resource_busy, query(c), part(at(10)))
        assert (v.code, v.resource_id, v.ref) == ("resource_busy", "p1", "x")
        assert v.message == (
            "Dr One is needed Wed 10 Jun 10:15-10:25 but is busy Wed 10 Jun 10:20-11:00 (x)"
        )

    def test_parts_sharing_a_doctor_may_overlap_outside_the_runs(self) -> None:
        buffered = replace(ADJ, buffer_after_minutes=15)
        early = replace(ADJ, id="early", time_pattern="DDAAAA", buffer_before_minutes=0)
        late = replace(early, id="late", time_pattern="AAADDA")
        whole = query(clinic(types=(buffered, early, late)))
        first = part(at(10))
        for later, overlaps in (("late", False), ("early", True)):
            visit = Visit((VisitPart("adj"), VisitPart(later, max_gap_minutes=30)))
            got = run(
                part_overlap,
                replace(whole, visit=visit),
                first,
                part(at(10, 30), chair="c2", type_id=later),
            )
            # The first part holds Dr One until 10:45 (buffer); "early" needs them 10:30-10:40.
            assert bool(got) == overlaps, later
        (v,) = got
        assert v.message == "parts 1 and 2 both need Dr One Wed 10 Jun 10:30-10:40"
