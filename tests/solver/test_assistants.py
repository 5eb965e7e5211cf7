"""Assistants as a resource kind, on hand-made clinics: what a practice would check by hand.

An assistant is held like a chair (the whole part with the type's buffers) by a type that asks
for one; the engine chooses a qualified, free, working one unless the visit pins one. The
property tests (``test_properties.py``) compare the same rules with the oracle on random
clinics; these pin the answers and the messages staff read.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from solver import InvalidQuery, best_fit, find_availability, validate
from solver.problem import (
    AppointmentTypeSpec,
    BookingPolicy,
    BusyInterval,
    Clinic,
    LocalBlock,
    Resource,
    ResourceKind,
    SlotQuery,
    Visit,
    VisitPart,
    WeeklyHours,
)
from solver.result import PartAssignment

LONDON = ZoneInfo("Europe/London")
HOURS = WeeklyHours(dict.fromkeys(range(7), (LocalBlock(time(9), time(17)),)))
MORNINGS = WeeklyHours(dict.fromkeys(range(7), (LocalBlock(time(9), time(12)),)))
# The orthodontist places the first brackets (15 min); the assistant does the rest and cleans up.
BOND = AppointmentTypeSpec(
    "bond",
    30,
    90,
    60,
    buffer_after_minutes=10,
    name="Bond",
    time_pattern="DDDAAAAAAAAA",
    needs_assistant=True,
)
CHECK = AppointmentTypeSpec("check", 15, 30, 15, name="Check")


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, 10, hour, minute, tzinfo=LONDON)


def clinic(
    types: tuple[AppointmentTypeSpec, ...] = (BOND, CHECK),
    maya: WeeklyHours = HOURS,
    maya_busy: tuple[BusyInterval, ...] = (),
    assistants: bool = True,
) -> Clinic:
    staff = (
        (
            Resource("maya", ResourceKind.ASSISTANT, maya, maya_busy, name="Maya"),
            Resource("ana", ResourceKind.ASSISTANT, HOURS, name="Ana"),
        )
        if assistants
        else ()
    )
    return Clinic(
        "Europe/London",
        BookingPolicy(15, timedelta(0), timedelta(days=30)),
        (
            Resource("dr", ResourceKind.PROVIDER, HOURS, name="Dr Okafor"),
            Resource("c1", ResourceKind.CHAIR, HOURS, name="Chair 1"),
            Resource("c2", ResourceKind.CHAIR, HOURS, name="Chair 2"),
            *staff,
        ),
        types,
    )


def query(c: Clinic, *parts: VisitPart, start: int = 9, end: int = 17) -> SlotQuery:
    visit = Visit(parts or (VisitPart("bond"),))
    return SlotQuery(c, visit, at(start), at(end), at(0))


def only_maya(spec: AppointmentTypeSpec = BOND) -> AppointmentTypeSpec:
    return replace(spec, qualified_assistant_ids=frozenset({"maya"}))


def starts(q: SlotQuery) -> list[datetime]:
    return [s.start for s in find_availability(q).slots]


def bond_at(
    start: datetime, assistant: str | None = "maya", chair: str = "c1", type_id: str = "bond"
) -> PartAssignment:
    return PartAssignment(
        type_id,
        start,
        start + timedelta(minutes=60),
        "dr",
        chair,
        None,
        None,
        assistant_id=assistant,
    )


class TestSearch:
    def test_the_engine_chooses_an_assistant_and_reports_it(self) -> None:
        slot = find_availability(query(clinic())).slots[0]
        assert slot.start == at(9)
        assert slot.parts[0].assistant_id in {"maya", "ana"}

    def test_a_type_that_asks_for_none_holds_none(self) -> None:
        slots = find_availability(query(clinic(), VisitPart("check"))).slots
        assert slots and all(s.parts[0].assistant_id is None for s in slots)

    def test_types_without_assistants_book_exactly_as_in_a_clinic_without_any(self) -> None:
        # Assistants booked solid all day change nothing for a type that does not ask for one.
        solid = (BusyInterval(at(0), at(23), "all-day"),)
        with_staff = find_availability(query(clinic(maya_busy=solid), VisitPart("check")))
        without = find_availability(query(clinic(assistants=False), VisitPart("check")))
        assert list(with_staff.slots) == list(without.slots)

    def test_no_assistant_in_the_clinic_means_no_slot(self) -> None:
        assert starts(query(clinic(assistants=False))) == []
        assert best_fit(query(clinic(assistants=False))).suggestions == ()

    def test_only_a_qualified_assistant_is_chosen(self) -> None:
        q = query(clinic(types=(only_maya(), CHECK)))
        assert {s.parts[0].assistant_id for s in find_availability(q).slots} == {"maya"}

    def test_the_qualified_assistant_busy_means_no_slot_then(self) -> None:
        busy = (BusyInterval(at(10), at(11), "appt-7"),)
        q = query(clinic(types=(only_maya(), CHECK), maya_busy=busy), start=9, end=12)
        # 60 min plus a 10-minute buffer after: 09:00 would run into 10:00; 11:00 is free again.
        assert starts(q) == [at(11)]

    def test_an_assistant_busy_leaves_the_other_one(self) -> None:
        busy = (BusyInterval(at(10), at(11), "appt-7"),)
        slots = find_availability(query(clinic(maya_busy=busy), start=10, end=11))
        assert slots.slots[0].parts[0].assistant_id == "ana"

    def test_the_assistants_hours_bound_the_part_buffers_included(self) -> None:
        q = query(clinic(types=(only_maya(), CHECK), maya=MORNINGS))
        # Maya leaves at 12:00; 60 minutes and the 10-minute buffer must fit before.
        assert starts(q)[-1] == at(10, 45)

    def test_a_pinned_assistant_is_used(self) -> None:
        slots = find_availability(query(clinic(), VisitPart("bond", assistant_id="ana"))).slots
        assert slots and {s.parts[0].assistant_id for s in slots} == {"ana"}

    def test_pinning_an_unqualified_assistant_is_a_caller_mistake(self) -> None:
        q = query(clinic(types=(only_maya(), CHECK)), VisitPart("bond", assistant_id="ana"))
        with pytest.raises(InvalidQuery) as err:
            find_availability(q)
        assert err.value.field == "visit.parts[0].assistant_id"
        assert "is not qualified for 'bond'" in str(err.value)

    def test_pinning_an_assistant_on_a_type_that_needs_none_is_a_caller_mistake(self) -> None:
        q = query(clinic(), VisitPart("check", assistant_id="ana"))
        with pytest.raises(InvalidQuery) as err:
            find_availability(q)
        assert err.value.field == "visit.parts[0].assistant_id"
        assert "needs no assistant" in str(err.value)

    def test_two_parts_back_to_back_never_share_an_assistant_inside_the_buffer(self) -> None:
        # The bond's 10-minute buffer after holds its assistant, so a second bond starting at
        # once needs the other assistant; with only Maya qualified it must wait.
        visit = (VisitPart("bond"), VisitPart("bond", max_gap_minutes=30))
        both = find_availability(query(clinic(), *visit, end=12)).slots[0]
        assert both.parts[1].start == both.parts[0].end
        assert both.parts[0].assistant_id != both.parts[1].assistant_id
        alone = find_availability(query(clinic(types=(only_maya(), CHECK)), *visit, end=12))
        first = alone.slots[0]
        assert first.parts[1].start - first.parts[0].end == timedelta(minutes=15)

    def test_best_fit_suggestions_carry_the_assistant(self) -> None:
        best = best_fit(query(clinic(types=(only_maya(), CHECK))), 3)
        assert [s.slot.parts[0].assistant_id for s in best.suggestions] == ["maya"] * 3

    def test_a_short_leftover_on_the_assistant_is_scored_and_explained(self) -> None:
        # Maya is busy until 09:50: a bond at 10:00 leaves her 10 minutes no type can use.
        busy = (BusyInterval(at(9), at(9, 50), "appt-7"),)
        q = query(clinic(types=(only_maya(), CHECK), maya_busy=busy), start=10, end=11)
        (suggestion,) = best_fit(q, 1).suggestions
        gaps = [t for t in suggestion.terms if t.rule == "short_gap"]
        assert [(t.points, t.reason) for t in gaps] == [
            (-1.5, "leaves 10 min free on Assistant Maya before 10:00, too short to book")
        ]


class TestValidate:
    def test_a_free_qualified_assistant_is_bookable(self) -> None:
        assert validate(query(clinic()), [bond_at(at(10))]) == []

    def test_a_bond_without_its_assistant(self) -> None:
        (v,) = validate(query(clinic()), [bond_at(at(10), assistant=None)])
        assert (v.code, v.part_index) == ("missing_resource", 0)
        assert v.message == "part 1 (Bond) needs an assistant"

    def test_an_assistant_busy_with_another_patient(self) -> None:
        busy = (BusyInterval(at(10, 30), at(11, 30), "appt-7"),)
        (v,) = validate(query(clinic(maya_busy=busy)), [bond_at(at(10))])
        assert (v.code, v.resource_id, v.ref) == ("resource_busy", "maya", "appt-7")
        assert v.message == "Assistant Maya is busy Wed 10 Jun 10:30-11:30 (appt-7)"

    def test_the_buffer_after_holds_the_assistant(self) -> None:
        busy = (BusyInterval(at(11, 5), at(11, 30), "appt-7"),)
        (v,) = validate(query(clinic(maya_busy=busy)), [bond_at(at(10))])
        assert v.code == "resource_busy"
        assert validate(query(clinic(maya_busy=busy)), [bond_at(at(10), assistant="ana")]) == []

    def test_an_assistant_gone_home(self) -> None:
        (v,) = validate(query(clinic(maya=MORNINGS)), [bond_at(at(11))])
        assert (v.code, v.resource_id) == ("outside_hours", "maya")
        assert v.message == (
            "Assistant Maya is not working for all of Wed 10 Jun 11:00-12:10 "
            "(part 1 (Bond), buffers included)"
        )

    def test_an_unqualified_assistant(self) -> None:
        q = query(clinic(types=(only_maya(), CHECK)))
        (v,) = validate(q, [bond_at(at(10), assistant="ana")])
        assert (v.code, v.resource_id) == ("not_qualified", "ana")
        assert (
            v.message
            == "Assistant Ana may not take part 1 (Bond) (the visit asks for Assistant Maya)"
        )

    def test_an_assistant_on_a_type_that_needs_none(self) -> None:
        q = query(clinic(), VisitPart("check"))
        check = replace(bond_at(at(10), type_id="check"), end=at(10, 15))
        (v,) = validate(q, [check])
        assert (v.code, v.resource_id) == ("not_qualified", "maya")
        assert v.message == "Assistant Maya may not take part 1 (Check): Check needs no assistant"
        assert validate(q, [replace(check, assistant_id=None)]) == []

    def test_two_parts_sharing_one_assistant_at_once(self) -> None:
        visit = (VisitPart("bond"), VisitPart("bond", max_gap_minutes=30))
        q = query(clinic(), *visit)
        first = bond_at(at(10))
        second = bond_at(at(11), chair="c2")
        got = validate(q, [first, second])
        assert [(v.code, v.resource_id) for v in got] == [("part_overlap", "maya")]
        assert got[0].message == (
            "parts 1 and 2 both need Assistant Maya at overlapping times (buffers included)"
        )
        assert validate(q, [first, replace(second, assistant_id="ana")]) == []

    def test_a_name_that_already_says_assistant_is_not_said_twice(self) -> None:
        busy = (BusyInterval(at(10, 30), at(11, 30), "appt-7"),)
        c = clinic(maya_busy=busy)
        renamed = tuple(
            replace(r, name="Assistant M. Lee") if r.id == "maya" else r for r in c.resources
        )
        (v,) = validate(query(replace(c, resources=renamed)), [bond_at(at(10))])
        assert v.message.startswith("Assistant M. Lee is busy")
