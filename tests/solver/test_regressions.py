"""Named regression tests: DST days, closing time, lead time over midnight, shared templates."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from solver import InvalidQuery, PartAssignment, best_fit, expand_hours, find_availability, validate
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


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0, fold: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=LONDON, fold=fold)


def every_day(*blocks: tuple[time, time]) -> WeeklyHours:
    return WeeklyHours(dict.fromkeys(range(7), tuple(LocalBlock(a, b) for a, b in blocks)))


NINE_TO_FIVE = every_day((time(9), time(17)))
TYPES = (
    AppointmentTypeSpec("adj", 15, 60, 30, name="Adjustment"),
    AppointmentTypeSpec("check", 15, 45, 30, name="Check-up"),
    AppointmentTypeSpec("clean", 30, 60, 45, name="Cleaning"),
    AppointmentTypeSpec("scan", 15, 30, 20, needs_chair=False, room_kind="scanner"),
)


def clinic(
    hours: WeeklyHours = NINE_TO_FIVE,
    *,
    g: int = 15,
    lead: timedelta = timedelta(0),
    slots: tuple[TemplateSlot, ...] = (),
    busy: dict[str, tuple[BusyInterval, ...]] | None = None,
    types: tuple[AppointmentTypeSpec, ...] = TYPES,
) -> Clinic:
    busy = busy or {}
    res = (
        Resource("p1", ResourceKind.PROVIDER, hours, busy.get("p1", ()), name="Dr One"),
        Resource("c1", ResourceKind.CHAIR, hours, busy.get("c1", ()), name="Chair 1"),
        Resource("c2", ResourceKind.CHAIR, hours, busy.get("c2", ()), name="Chair 2"),
        Resource("r1", ResourceKind.ROOM, hours, busy.get("r1", ()), "scanner", "Scan room"),
    )
    return Clinic("Europe/London", BookingPolicy(g, lead, timedelta(days=30)), res, types, slots)


def query(
    c: Clinic,
    visit: Visit,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
    **kw: object,
) -> SlotQuery:
    return SlotQuery(c, visit, start, end, now or start, **kw)  # type: ignore[arg-type]


def starts_local(q: SlotQuery) -> list[str]:
    return [s.start.astimezone(LONDON).strftime("%H:%M%z") for s in find_availability(q).slots]


ONE = Visit((VisitPart("adj"),))


def test_dst_spring_forward_day_has_23_hours_and_no_nonexistent_starts() -> None:
    c = clinic(every_day((time(0), time(23, 45))), g=30, types=(TYPES[0],))
    visit = Visit((VisitPart("adj", duration_minutes=15),))
    q = query(c, visit, local(2026, 3, 29), local(2026, 3, 30))
    got = starts_local(q)
    assert len(got) == 23 * 2  # 23 hours of 30-minute starts; 23:30 ends at closing, 23:45
    assert "00:30+0000" in got and "02:00+0100" in got
    assert not any(s.startswith("01:") for s in got)  # 01:00-01:59 does not exist that night
    assert len(set(got)) == len(got)


def test_dst_fall_back_day_has_25_hours_and_each_instant_once() -> None:
    c = clinic(every_day((time(0), time(23, 45))), g=30, types=(TYPES[0],))
    visit = Visit((VisitPart("adj", duration_minutes=15),))
    q = query(c, visit, local(2026, 10, 25), local(2026, 10, 26))
    slots = find_availability(q).slots
    utc = [s.start for s in slots]
    assert len(utc) == len(set(utc)) == 25 * 2
    wall = [s.start.astimezone(LONDON).strftime("%H:%M%z") for s in slots]
    assert wall.count("01:30+0100") == 1 and wall.count("01:30+0000") == 1
    assert all(b - a == timedelta(minutes=30) for a, b in itertools.pairwise(utc))


def test_hours_in_dst_gap_shift_forward_and_overlap_means_first_occurrence() -> None:
    hours = every_day((time(1, 30), time(3)))
    spring = expand_hours(hours, "Europe/London", local(2026, 3, 29), local(2026, 3, 30))
    # 01:30 does not exist; fold=0 reads it with the old offset: 01:30 UTC = 02:30 BST.
    assert spring == [
        (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), datetime(2026, 3, 29, 2, tzinfo=UTC))
    ]
    autumn = expand_hours(hours, "Europe/London", local(2026, 10, 25), local(2026, 10, 26))
    # 01:30 happens twice; fold=0 is the first (BST) one, so the block lasts 2.5 real hours.
    assert autumn == [
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 3, tzinfo=UTC))
    ]


def test_expand_hours_merges_touching_blocks_and_applies_exceptions() -> None:
    hours = WeeklyHours(
        {0: (LocalBlock(time(9), time(12)), LocalBlock(time(12), time(17)))},
        {datetime(2026, 6, 15).date(): ()},
    )
    got = expand_hours(hours, "Europe/London", local(2026, 6, 8), local(2026, 6, 16))
    assert got == [(datetime(2026, 6, 8, 8, tzinfo=UTC), datetime(2026, 6, 8, 16, tzinfo=UTC))]


def test_part_may_end_exactly_at_closing_time() -> None:
    q = query(clinic(), ONE, local(2026, 6, 10), local(2026, 6, 11))
    got = starts_local(q)
    assert got[-1] == "16:30+0100"
    buffered = replace(TYPES[0], buffer_after_minutes=5)
    q2 = query(clinic(types=(buffered,)), ONE, local(2026, 6, 10), local(2026, 6, 11))
    assert starts_local(q2)[-1] == "16:15+0100"  # 16:30 + 30 + 5 would run past 17:00


def test_lead_time_crossing_midnight() -> None:
    c = clinic(every_day((time(0), time(6))), lead=timedelta(hours=3), types=(TYPES[0],))
    now = local(2026, 6, 10, 23)
    q = query(c, ONE, local(2026, 6, 10), local(2026, 6, 12), now=now)
    slots = find_availability(q).slots
    assert slots[0].start == now + timedelta(hours=3)
    assert slots[0].start.astimezone(LONDON).strftime("%d %H:%M") == "11 02:00"
    early = replace(
        slots[0].parts[0], start=now + timedelta(hours=2), end=now + timedelta(hours=2, minutes=30)
    )
    assert [v.code for v in validate(q, [early])] == ["before_lead_time"]


def test_template_slot_shared_by_two_types() -> None:
    shared = TemplateSlot(
        "am", 2, LocalBlock(time(9), time(10)), frozenset({"adj", "check"}), chair_id="c1"
    )
    c = clinic(slots=(shared,))
    day = (local(2026, 6, 10), local(2026, 6, 11))  # a Wednesday
    for type_id in ("adj", "check"):
        q = query(c, Visit((VisitPart(type_id, chair_id="c1"),)), *day)
        first = find_availability(q).slots[0].parts[0]
        assert first.start == local(2026, 6, 10, 9) and first.template_slot_id == "am"
    # A third type may not use chair 1 during the slot, but chair 2 is free for it.
    q = query(c, Visit((VisitPart("clean", chair_id="c1"),)), *day)
    assert starts_local(q)[0] == "10:00+0100"
    q = query(c, Visit((VisitPart("clean"),)), *day)
    first = find_availability(q).slots[0].parts[0]
    assert first.chair_id == "c2" and first.template_slot_id is None
    # Best fit prefers filling the slot.
    q = query(
        c,
        Visit((VisitPart("check"),)),
        *day,
        preferences=Preferences(preferred_start=local(2026, 6, 10, 11)),
    )
    top = best_fit(q, 3).suggestions[0]
    assert top.slot.parts[0].template_slot_id == "am"
    assert any(t.rule == "template_fill" for t in top.terms)


def test_book_into_template_slot() -> None:
    slot = TemplateSlot("am", 2, LocalBlock(time(9), time(10)), frozenset({"adj"}), chair_id="c1")
    c = clinic(slots=(slot,))
    q = query(
        c, Visit((VisitPart("adj", template_slot_id="am"),)), local(2026, 6, 10), local(2026, 6, 18)
    )
    slots = find_availability(q).slots
    assert [s.start.astimezone(LONDON).strftime("%d %H:%M") for s in slots] == [
        "10 09:00",
        "10 09:15",
        "10 09:30",
        "17 09:00",
        "17 09:15",
        "17 09:30",
    ]
    assert all(s.parts[0].chair_id == "c1" and s.parts[0].template_slot_id == "am" for s in slots)


def test_two_part_chain_with_shared_provider_and_buffers() -> None:
    scan = replace(TYPES[3], buffer_after_minutes=10)
    c = clinic(types=(TYPES[0], scan))
    visit = Visit(
        (VisitPart("scan"), VisitPart("adj", min_gap_minutes=0, max_gap_minutes=30)),
        same_provider=True,
    )
    q = query(c, visit, local(2026, 6, 10), local(2026, 6, 11))
    first = find_availability(q).slots[0]
    a, b = first.parts
    # Same provider: the scan's 10-minute buffer keeps the adjustment 10 minutes away.
    assert a.start == local(2026, 6, 10, 9) and b.start - a.end == timedelta(minutes=10)
    assert a.provider_id == b.provider_id == "p1"
    assert validate(q, first.parts) == []
    bad = [a, replace(b, start=a.end, end=a.end + timedelta(minutes=30))]
    assert {v.code for v in validate(q, bad)} == {"part_overlap", "not_on_grid"}


def test_validate_names_conflicts() -> None:
    busy = {"c1": (BusyInterval(local(2026, 6, 10, 10), local(2026, 6, 10, 11), "appt-42"),)}
    slot = TemplateSlot("clean-am", 2, LocalBlock(time(9), time(10)), frozenset({"clean"}))
    c = clinic(busy=busy, slots=(slot,))
    q = query(
        c,
        ONE,
        local(2026, 6, 10),
        local(2026, 6, 11),
        patient_busy=(BusyInterval(local(2026, 6, 10, 9), local(2026, 6, 10, 10, 15), "pt-7"),),
    )

    def part(h: int, mi: int, chair: str = "c1", minutes: int = 30, **kw: object) -> PartAssignment:
        s = local(2026, 6, 10, h, mi)
        return PartAssignment(
            "adj",
            s,
            s + timedelta(minutes=minutes),
            kw.get("provider", "p1"),
            chair,
            None,
            kw.get("slot"),
        )  # type: ignore[arg-type]

    got = validate(q, [part(9, 50)])
    codes = {(v.code, v.resource_id, v.ref) for v in got}
    assert ("resource_busy", "c1", "appt-42") in codes
    assert ("patient_busy", None, "pt-7") in codes
    assert ("template_reserved", None, "clean-am") in codes
    assert all(v.message for v in got)
    outside = validate(q, [part(16, 45)])
    assert {(v.code, v.resource_id) for v in outside} == {
        ("outside_hours", "p1"),
        ("outside_hours", "c1"),
    }
    assert [v.code for v in validate(q, [part(14, 5)])] == ["not_on_grid"]
    assert [v.code for v in validate(q, [part(14, 0, minutes=90)])] == ["duration_bounds"]
    assert [v.code for v in validate(q, [part(14, 0, provider=None)])] == ["missing_resource"]
    assert [v.code for v in validate(q, [part(14, 0, slot="clean-am")])] == [
        "template_slot_mismatch"
    ]
    naive = PartAssignment(
        "adj", datetime(2026, 6, 10, 14), datetime(2026, 6, 10, 14, 30), "p1", "c1", None, None
    )
    assert {v.code for v in validate(q, [naive])} == {"naive_datetime"}
    late = query(c, ONE, local(2026, 6, 10), local(2026, 6, 10, 12))
    assert [v.code for v in validate(late, [part(14, 0)])] == ["outside_window"]


def test_validate_beyond_horizon() -> None:
    # The clinic books 30 days ahead: from midnight on 10 June, up to midnight on 10 July.
    q = query(clinic(), ONE, local(2026, 6, 10), local(2026, 7, 12))

    def adjustment(start: datetime) -> PartAssignment:
        return PartAssignment("adj", start, start + timedelta(minutes=30), "p1", "c1", None, None)

    assert validate(q, [adjustment(local(2026, 7, 9, 16, 30))]) == []
    late = validate(q, [adjustment(local(2026, 7, 10, 9))])
    assert [v.code for v in late] == ["beyond_horizon"]
    assert "after the booking horizon Fri 10 Jul 00:00" in late[0].message


def test_validate_qualification_room_kind_gap_and_same_chair() -> None:
    only_p2 = replace(TYPES[0], qualified_provider_ids=frozenset({"p2"}))
    c = clinic(types=(only_p2, TYPES[3]))
    c = replace(
        c,
        resources=(
            *c.resources,
            Resource("p2", ResourceKind.PROVIDER, NINE_TO_FIVE),
            Resource("r2", ResourceKind.ROOM, NINE_TO_FIVE, room_kind="x-ray"),
        ),
    )
    visit = Visit((VisitPart("scan"), VisitPart("adj", max_gap_minutes=15)), same_chair=True)
    q = query(c, visit, local(2026, 6, 10), local(2026, 6, 11))
    s = local(2026, 6, 10, 10)
    scan = PartAssignment("scan", s, s + timedelta(minutes=20), "p1", None, "r2", None)
    adj = PartAssignment(
        "adj", s + timedelta(hours=1), s + timedelta(hours=1, minutes=30), "p1", "c1", None, None
    )
    codes = sorted(v.code for v in validate(q, [scan, adj]))
    assert codes == ["gap", "not_qualified", "wrong_room_kind"]
    assert validate(q, find_availability(q).slots[0].parts) == []


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"visit": Visit((VisitPart("nope"),))}, "visit.parts[0].type_id", "unknown"),
        ({"visit": Visit((VisitPart("adj", 90),))}, "visit.parts[0].duration_minutes", "60"),
        ({"visit": Visit((VisitPart("adj", 10),))}, "visit.parts[0].duration_minutes", "15"),
        ({"visit": Visit(())}, "visit.parts", "at least one"),
        ({"now": datetime(2026, 6, 10)}, "now", "timezone-aware"),
        ({"window_end": local(2026, 6, 9)}, "window_end", "before"),
        (
            {"visit": Visit((VisitPart("adj", chair_id="zz"),))},
            "visit.parts[0].chair_id",
            "unknown",
        ),
        (
            {"visit": Visit((VisitPart("adj", chair_id="p1"),))},
            "visit.parts[0].chair_id",
            "provider",
        ),
        (
            {"visit": Visit((VisitPart("adj", room_id="r1"),))},
            "visit.parts[0].room_id",
            "needs no room",
        ),
        (
            {"visit": Visit((VisitPart("adj", template_slot_id="x"),))},
            "visit.parts[0].template_slot_id",
            "unknown",
        ),
    ],
)
def test_invalid_queries(change: dict, field: str, words: str) -> None:
    q = replace(query(clinic(), ONE, local(2026, 6, 10), local(2026, 6, 11)), **change)
    with pytest.raises(InvalidQuery) as err:
        find_availability(q)
    assert err.value.field == field and words in err.value.message


def test_unqualified_pinned_provider_is_invalid() -> None:
    only_p2 = replace(TYPES[0], qualified_provider_ids=frozenset({"p2"}))
    q = query(
        clinic(types=(only_p2,)),
        Visit((VisitPart("adj", provider_id="p1"),)),
        local(2026, 6, 10),
        local(2026, 6, 11),
    )
    with pytest.raises(InvalidQuery, match="not qualified"):
        best_fit(q)


def test_best_fit_explains_and_ranks() -> None:
    q = query(
        clinic(),
        ONE,
        local(2026, 6, 10),
        local(2026, 6, 12),
        preferences=Preferences(local(2026, 6, 11, 14), "p1"),
    )
    got = best_fit(q, 5)
    assert got.complete and got.status == "optimal" and got.objective == got.bound
    top = got.suggestions[0]
    assert top.slot.start == local(2026, 6, 11, 14)
    assert abs(sum(t.points for t in top.terms) - top.score) < 1e-9
    assert {t.rule for t in top.terms} >= {"usual_provider"}
    assert len({s.slot.start for s in got.suggestions}) == 5
    assert all(validate(q, s.slot.parts) == [] for s in got.suggestions)


def test_no_availability_is_an_empty_answer() -> None:
    q = query(clinic(), ONE, local(2026, 6, 10, 18), local(2026, 6, 10, 20))
    assert find_availability(q).slots == ()
    got = best_fit(q)
    assert got.status == "infeasible" and got.suggestions == () and got.complete


def test_time_limit_is_reported_not_hidden() -> None:
    q = query(clinic(), ONE, local(2026, 6, 10), local(2026, 6, 12), time_limit_seconds=0.0)
    got = best_fit(q, 3)
    assert got.status == "timed_out" and not got.complete and got.suggestions == ()
    # Parts that may compete for one chair (buffers longer than the gap) need the exact search,
    # which honours the limit too.
    buffered = replace(TYPES[0], buffer_after_minutes=15)
    visit = Visit((VisitPart("adj"), VisitPart("adj", max_gap_minutes=30)))
    slow = query(
        clinic(types=(buffered,)),
        visit,
        local(2026, 6, 10),
        local(2026, 6, 12),
        time_limit_seconds=0.0,
    )
    assert not find_availability(slow).complete
    full = find_availability(replace(slow, time_limit_seconds=5.0))
    assert full.complete and full.slots
    first = full.slots[0].parts
    assert first[0].chair_id != first[1].chair_id or first[1].start - first[0].end >= timedelta(
        minutes=15
    )


def test_availability_slots_read_any_way_agree() -> None:
    # Slots are built when read: a page, one index, the whole list and a count must all tell
    # the same answer, whatever was read first.
    busy = {"c1": (BusyInterval(local(2026, 5, 4, 10), local(2026, 5, 4, 11), "a1"),)}
    q = query(clinic(busy=busy), ONE, local(2026, 5, 4), local(2026, 5, 6))
    first, second = find_availability(q).slots, find_availability(q).slots
    assert len(first) == 2 * 31  # 09:00..16:30 in 15-minute steps, two days
    page = first[:10]
    assert page == tuple(first[i] for i in range(10))
    assert first[-1] == list(first)[-1] and first[-1].start == local(2026, 5, 5, 16, 30)
    assert first == second and first == tuple(second) and list(first) == list(second)
    assert [s.start for s in first[5:8]] == [local(2026, 5, 4, 10, 15 * k) for k in (1, 2, 3)]
    with pytest.raises(IndexError):
        first[len(first)]
    assert (
        find_availability(query(clinic(), ONE, local(2026, 5, 4, 18), local(2026, 5, 4, 19))).slots
        == ()
    )
