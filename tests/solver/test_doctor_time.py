"""Doctor time in the engine, on hand-made clinics: one orthodontist running two chairs.

The property tests (``test_properties.py``) compare the engine with the oracle on random
patterns; these are the cases a practice would check by hand, each with its expected answer.
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
# A 20-minute adjustment: the assistant seats the patient and changes wires, the orthodontist
# is needed 10-15 minutes in, the assistant finishes.
ADJUSTMENT = AppointmentTypeSpec("adj", 20, 40, 20, name="Adjustment", time_pattern="AADA")
RECORDS = AppointmentTypeSpec("rec", 20, 20, 20, name="Records", time_pattern="AAAA")


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, 10, hour, minute, tzinfo=LONDON)


def clinic(
    provider_busy: tuple[BusyInterval, ...] = (),
    chair_busy: tuple[BusyInterval, ...] = (),
    types: tuple[AppointmentTypeSpec, ...] = (ADJUSTMENT, RECORDS),
) -> Clinic:
    return Clinic(
        "Europe/London",
        BookingPolicy(5, timedelta(0), timedelta(days=30)),
        (
            Resource("dr", ResourceKind.PROVIDER, HOURS, provider_busy, name="Dr Okafor"),
            Resource("c1", ResourceKind.CHAIR, HOURS, chair_busy, name="Chair 1"),
            Resource("c2", ResourceKind.CHAIR, HOURS, name="Chair 2"),
        ),
        types,
    )


def query(c: Clinic, visit: Visit, start: datetime, end: datetime) -> SlotQuery:
    return SlotQuery(c, visit, start, end, at(8))


# One adjustment booked at 10:00 in Chair 1: the chair is busy for all of it, the orthodontist
# only for its D step (what the API passes, from ``time_pattern.provider_held``).
BOOKED = clinic(
    provider_busy=(BusyInterval(at(10, 10), at(10, 15), "first"),),
    chair_busy=(BusyInterval(at(10), at(10, 20), "first"),),
)


def starts(q: SlotQuery) -> list[datetime]:
    return [s.start for s in find_availability(q).slots]


class TestOneOrthodontistTwoChairs:
    def test_the_same_start_in_the_other_chair_is_not_possible(self) -> None:
        # The D steps of both would be 10:10-10:15: the doctor cannot be in two chairs at once.
        q = query(BOOKED, Visit((VisitPart("adj"),)), at(10), at(10, 40))
        got = starts(q)
        assert at(10) not in got
        assert at(10, 5) in got  # its D step is 10:15-10:20, right after the first one's

    def test_the_second_adjustment_five_minutes_later_in_chair_2(self) -> None:
        q = query(BOOKED, Visit((VisitPart("adj"),)), at(10, 5), at(10, 25))
        (slot,) = find_availability(q).slots
        (part,) = slot.parts
        assert (part.provider_id, part.chair_id) == ("dr", "c2")
        assert part.provider_time == ((at(10, 15), at(10, 20)),)
        assert (part.start, part.end) == (at(10, 5), at(10, 25))

    def test_validate_names_where_the_doctor_is_needed(self) -> None:
        q = query(BOOKED, Visit((VisitPart("adj"),)), at(9), at(12))
        same = PartAssignment("adj", at(10), at(10, 20), "dr", "c2", None, None)
        (v,) = validate(q, [same])
        assert (v.code, v.resource_id, v.ref) == ("resource_busy", "dr", "first")
        assert v.message == (
            "Dr Okafor is needed Wed 10 Jun 10:10-10:15 but is busy Wed 10 Jun 10:10-10:15 (first)"
        )
        assert validate(q, [replace(same, start=at(10, 5), end=at(10, 25))]) == []

    def test_best_fit_offers_the_doctors_free_time_only(self) -> None:
        q = query(BOOKED, Visit((VisitPart("adj"),)), at(10), at(10, 40))
        got = best_fit(q, 5)
        assert got.complete
        assert at(10) not in [s.slot.start for s in got.suggestions]
        for s in got.suggestions:
            assert validate(q, s.slot.parts) == []

    def test_assistant_only_time_never_blocks_the_doctor(self) -> None:
        all_day = (BusyInterval(at(9), at(17), "day"),)
        q = query(clinic(provider_busy=all_day), Visit((VisitPart("rec"),)), at(10), at(11))
        slots = find_availability(q).slots
        assert [s.start for s in slots][:2] == [at(10), at(10, 5)]
        assert all(p.provider_id is None and p.provider_time == () for s in slots for p in s.parts)

    def test_an_unpatterned_type_still_holds_the_doctor_for_all_of_it(self) -> None:
        whole = replace(ADJUSTMENT, time_pattern=None)
        q = query(
            clinic(provider_busy=(BusyInterval(at(10, 10), at(10, 15), "x"),), types=(whole,)),
            Visit((VisitPart("adj"),)),
            at(9, 50),
            at(10, 40),
        )
        got = starts(q)
        assert got == [at(9, 50), at(10, 15), at(10, 20)]  # 9:50 ends as the busy time starts
        (slot, *_) = find_availability(q).slots
        assert slot.parts[0].provider_time == ((at(9, 50), at(10, 10)),)


class TestVisitPartsSharingTheDoctor:
    def test_buffers_hold_the_chair_but_not_the_doctor_of_a_patterned_part(self) -> None:
        # A whole-span consultation with 10 minutes of cleaning after it, then an adjustment
        # straight away in the other chair: the doctor is free again at 10:30 + 10 min and the
        # adjustment needs them only from 10:40.
        consult = AppointmentTypeSpec("con", 30, 30, 30, buffer_after_minutes=10)
        adjust = replace(ADJUSTMENT, time_pattern="AADA", buffer_before_minutes=10)
        c = clinic(types=(consult, adjust))
        visit = Visit((VisitPart("con"), VisitPart("adj", min_gap_minutes=0, max_gap_minutes=0)))
        q = query(c, visit, at(10), at(10, 50))
        (slot,) = find_availability(q).slots
        first, second = slot.parts
        assert first.chair_id != second.chair_id
        assert second.provider_time == ((at(10, 40), at(10, 45)),)
        assert validate(q, slot.parts) == []
        assert best_fit(q, 1).suggestions[0].slot.start == at(10)
        # The same adjustment with its D step first would meet the consultation's cleaning.
        early = replace(adjust, time_pattern="DAAA")
        q2 = query(clinic(types=(consult, early)), visit, at(10), at(10, 50))
        assert find_availability(q2).slots == ()
        same_chair = PartAssignment("adj", at(10, 30), at(10, 50), "dr", "c2", None, None)
        con = PartAssignment("con", at(10), at(10, 30), "dr", "c1", None, None)
        (v,) = [v for v in validate(q2, [con, same_chair]) if v.code == "part_overlap"]
        assert v.message == "parts 1 and 2 both need Dr Okafor Wed 10 Jun 10:30-10:35"


class TestPatternsAreChecked:
    def test_a_type_pattern_of_the_wrong_length_names_the_type(self) -> None:
        bad = replace(RECORDS, time_pattern="AAA")
        q = query(clinic(types=(ADJUSTMENT, bad)), Visit((VisitPart("adj"),)), at(10), at(11))
        with pytest.raises(InvalidQuery) as err:
            find_availability(q)
        assert err.value.field == "clinic.types[1].time_pattern"
        assert "has 3 steps but the default duration of 20 minutes needs 4" in err.value.message

    def test_a_part_pattern_must_match_the_parts_duration(self) -> None:
        visit = Visit((VisitPart("adj", duration_minutes=30, time_pattern="AADA"),))
        with pytest.raises(InvalidQuery) as err:
            find_availability(query(clinic(), visit, at(10), at(11)))
        assert err.value.field == "visit.parts[0].time_pattern"
        assert err.value.message == (
            "has 4 steps but this part's 30 minutes need 6 (one per 5 minutes)"
        )

    def test_a_part_pattern_with_other_letters_is_refused(self) -> None:
        visit = Visit((VisitPart("adj", time_pattern="AXDA"),))
        with pytest.raises(InvalidQuery, match="found 'X'"):
            find_availability(query(clinic(), visit, at(10), at(11)))

    def test_a_duration_that_cuts_provider_time_names_the_duration(self) -> None:
        late = replace(ADJUSTMENT, min_minutes=10, time_pattern="AAAD")
        visit = Visit((VisitPart("adj", duration_minutes=10),))
        with pytest.raises(InvalidQuery) as err:
            find_availability(query(clinic(types=(late,)), visit, at(10), at(11)))
        assert err.value.field == "visit.parts[0].duration_minutes"
        assert "needed until 0:20" in err.value.message

    def test_a_longer_part_adds_assistant_time_at_the_end(self) -> None:
        visit = Visit((VisitPart("adj", duration_minutes=30),))
        (slot, *_) = find_availability(query(clinic(), visit, at(10), at(11))).slots
        assert slot.parts[0].provider_time == ((at(10, 10), at(10, 15)),)

    def test_the_parts_own_pattern_wins(self) -> None:
        visit = Visit((VisitPart("adj", time_pattern="DDAA"),))
        (slot, *_) = find_availability(query(clinic(), visit, at(10), at(11))).slots
        assert slot.parts[0].provider_time == ((at(10), at(10, 10)),)

    def test_pinning_a_provider_on_assistant_only_time_says_why(self) -> None:
        visit = Visit((VisitPart("rec", provider_id="dr"),))
        with pytest.raises(InvalidQuery) as err:
            find_availability(query(clinic(), visit, at(10), at(11)))
        assert err.value.field == "visit.parts[0].provider_id"
        assert err.value.message == (
            "type 'rec' needs no provider: its time pattern 'AAAA' has no provider time ('D'), "
            "got 'dr'"
        )
