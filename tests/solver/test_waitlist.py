"""Waitlist matching (solver.waitlist) against the brute-force oracle, and its ranking rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver import find_availability, validate
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
from solver.waitlist import Gap, LocalWindow, WaitingRequest, match_gap, pinned_to_gap
from tests.solver.oracle import Oracle
from tests.solver.strategies import queries

SETTINGS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def plain_windows(tz_name: str, gap: Gap, w: LocalWindow) -> list[tuple[datetime, datetime]]:
    """The gap cut to the window, day by day, written the plain way."""
    tz = ZoneInfo(tz_name)
    out = []
    day = gap.start.astimezone(tz).date()
    while day <= gap.end.astimezone(tz).date():
        if (
            (w.earliest_date is None or w.earliest_date <= day)
            and (w.latest_date is None or day <= w.latest_date)
            and (not w.weekdays or day.weekday() in w.weekdays)
        ):
            lo = datetime.combine(day, w.earliest_time or time(0), tzinfo=tz)
            hi = (
                datetime.combine(day, w.latest_time, tzinfo=tz)
                if w.latest_time
                else datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
            )
            lo, hi = max(lo, gap.start).astimezone(UTC), min(hi, gap.end).astimezone(UTC)
            if lo < hi:
                out.append((lo, hi))
        day += timedelta(days=1)
    return out


def oracle_first(
    q: SlotQuery, gap: Gap, r: WaitingRequest
) -> tuple[datetime | None, list[SlotQuery]]:
    """The first start the brute-force oracle finds for this request alone inside the gap."""
    visit = pinned_to_gap(q.clinic, gap, r.visit)
    if visit is None:
        return None, []
    asked = []
    for lo, hi in plain_windows(q.clinic.time_zone, gap, r.window):
        one = replace(q, visit=visit, window_start=lo, window_end=hi, patient_busy=r.patient_busy)
        asked.append(one)
        starts = [
            s for s in Oracle(one).available() if r.replaces_start is None or s < r.replaces_start
        ]
        if starts:
            return starts[0], asked
    return None, asked


@st.composite
def gap_and_requests(draw: st.DrawFn) -> tuple[SlotQuery, Gap, list[WaitingRequest]]:
    q = draw(queries(max_parts=2))
    chairs = [r.id for r in q.clinic.resources if r.kind == ResourceKind.CHAIR]
    providers = [r.id for r in q.clinic.resources if r.kind == ResourceKind.PROVIDER]
    # Mostly around a time the query's own visit could be booked, so that most gaps fit someone.
    free = find_availability(q).slots
    if free and draw(st.integers(0, 4)):
        around = free[draw(st.integers(0, len(free) - 1))]
        start = around.start - timedelta(minutes=draw(st.sampled_from([0, 0, 15, 30])))
        end = around.end + timedelta(minutes=draw(st.sampled_from([0, 15, 60])))
        part = around.parts[0]
        chair = draw(st.sampled_from([part.chair_id, part.chair_id, None, *chairs]))
    else:
        start = q.window_start + timedelta(minutes=15 * draw(st.integers(0, 24)))
        end = start + timedelta(minutes=draw(st.sampled_from([30, 45, 60, 120, 240])))
        chair = draw(st.none() | st.sampled_from(chairs))
    gap = Gap(
        start,
        end,
        chair_id=chair,
        provider_id=draw(st.sampled_from([None, None, None, *providers])),
    )
    type_ids = [t.id for t in q.clinic.types]
    tz = ZoneInfo(q.clinic.time_zone)
    day = gap.start.astimezone(tz).date()
    requests = []
    for i in range(draw(st.integers(1, 5))):
        # Requests carry no pins or template slots: the gap pins, the entry only asks.
        if draw(st.booleans()):
            visit = Visit(
                tuple(
                    replace(p, provider_id=None, chair_id=None, room_id=None, template_slot_id=None)
                    for p in q.visit.parts
                ),
                q.visit.same_provider,
                q.visit.same_chair,
            )
        else:
            visit = Visit((VisitPart(draw(st.sampled_from(type_ids))),))
        window = (
            LocalWindow()
            if draw(st.booleans())
            else LocalWindow(
                earliest_date=draw(st.none() | st.sampled_from([day, day + timedelta(days=1)])),
                latest_date=draw(st.none() | st.sampled_from([day, day - timedelta(days=1)])),
                weekdays=draw(
                    st.sampled_from(
                        [
                            frozenset(),
                            frozenset({day.weekday()}),
                            frozenset({(day.weekday() + 3) % 7}),
                        ]
                    )
                ),
                earliest_time=draw(st.none() | st.sampled_from([time(8), time(10), time(13)])),
                latest_time=draw(st.none() | st.sampled_from([time(12), time(17), time(23, 55)])),
            )
        )
        busy = []
        for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):
            b = gap.start + timedelta(minutes=draw(st.integers(-60, 240)) // 5 * 5)
            busy.append(BusyInterval(b, b + timedelta(minutes=draw(st.sampled_from([15, 30, 60])))))
        requests.append(
            WaitingRequest(
                id=f"w{i}",
                visit=visit,
                waiting_since=q.now - timedelta(days=draw(st.integers(0, 40))),
                window=window,
                patient_busy=tuple(sorted(busy, key=lambda b: b.start)),
                priority=draw(st.integers(0, 3)),
                replaces_start=draw(
                    st.none()
                    | st.none()
                    | st.sampled_from(
                        [gap.start + timedelta(minutes=30), gap.end + timedelta(days=9)]
                    )
                ),
            )
        )
    return q, gap, requests


@SETTINGS
@given(gap_and_requests())
def test_matches_equal_per_request_availability_inside_the_gap(
    case: tuple[SlotQuery, Gap, list[WaitingRequest]],
) -> None:
    q, gap, requests = case
    got = match_gap(q.clinic, gap, requests, q.now)
    assert got.complete
    by_id = {m.request_id: m for m in got.matches}
    for r in requests:
        first, asked = oracle_first(q, gap, r)
        if first is None:
            assert r.id not in by_id, (r, by_id.get(r.id))
            continue
        assert r.id in by_id, r
        slot = by_id[r.id].slot
        assert slot.start == first
        assert gap.start <= slot.start and slot.end <= gap.end
        one = next(a for a in asked if a.window_start <= slot.start < a.window_end)
        assert validate(one, slot.parts) == []
    scores = [m.score for m in got.matches]
    assert scores == sorted(scores, reverse=True)


# --------------------------------------------------------------------------- hand-made cases

LONDON = "Europe/London"
DAY = date(2026, 12, 9)  # a Wednesday
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
OPEN = WeeklyHours(dict.fromkeys(range(7), (LocalBlock(time(8), time(18)),)))


def clinic(n_types: int = 1) -> Clinic:
    return Clinic(
        LONDON,
        BookingPolicy(5, timedelta(0), timedelta(days=60)),
        (
            Resource("dr-a", ResourceKind.PROVIDER, OPEN),
            Resource("dr-b", ResourceKind.PROVIDER, OPEN),
            Resource("chair-1", ResourceKind.CHAIR, OPEN),
            Resource("chair-2", ResourceKind.CHAIR, OPEN),
        ),
        tuple(AppointmentTypeSpec(f"t{i}", 15 * (i + 1), 60, 15 * (i + 1)) for i in range(n_types)),
    )


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(LONDON)).astimezone(UTC)


GAP = Gap(at(10), at(10, 30), chair_id="chair-1")


def wanting(rid: str, type_id: str = "t0", **kw: object) -> WaitingRequest:
    return WaitingRequest(id=rid, visit=Visit((VisitPart(type_id),)), waiting_since=NOW, **kw)  # type: ignore[arg-type]


def test_the_first_start_in_the_gap_on_the_freed_chair() -> None:
    got = match_gap(clinic(), GAP, [wanting("w1")], NOW)
    (m,) = got.matches
    assert m.slot.start == at(10)
    assert m.slot.parts[0].chair_id == "chair-1"


def test_a_patient_busy_in_the_gap_is_left_out_and_a_longer_visit_does_not_fit() -> None:
    busy = (BusyInterval(at(9, 45), at(10, 30)),)
    got = match_gap(
        clinic(3),
        GAP,
        [wanting("busy", patient_busy=busy), wanting("long", "t2"), wanting("ok")],
        NOW,
    )
    assert [m.request_id for m in got.matches] == ["ok"]


def test_window_hours_weekdays_and_dates_are_the_patients_own() -> None:
    requests = [
        wanting("afternoons", window=LocalWindow(earliest_time=time(13))),
        wanting("mondays", window=LocalWindow(weekdays=frozenset({0}))),
        wanting("from-next-week", window=LocalWindow(earliest_date=DAY + timedelta(days=5))),
        wanting("until-10-15", window=LocalWindow(latest_time=time(10, 15))),
        wanting("mornings", window=LocalWindow(earliest_time=time(8), latest_time=time(12))),
    ]
    got = match_gap(clinic(), GAP, requests, NOW)
    assert {m.request_id for m in got.matches} == {"until-10-15", "mornings"}


def test_only_earlier_than_the_booking_it_would_replace() -> None:
    requests = [
        wanting("later-now", replaces_start=at(9)),
        wanting("earlier", replaces_start=at(10, day=DAY + timedelta(days=20))),
    ]
    got = match_gap(clinic(), GAP, requests, NOW)
    (m,) = got.matches
    assert m.request_id == "earlier"
    assert ("earlier", 2.0, "20 days earlier than their booking on 29 Dec 2026") in [
        (t.rule, t.points, t.reason) for t in m.terms
    ]


def test_ranked_by_score_with_reasons_then_by_waiting_longest() -> None:
    requests = [
        wanting("new"),
        wanting("urgent", priority=2),
        replace(wanting("old"), waiting_since=NOW - timedelta(days=10)),
        replace(wanting("older-tie"), id="a-tie", waiting_since=NOW - timedelta(days=10, hours=1)),
    ]
    got = match_gap(clinic(), GAP, requests, NOW)
    assert [m.request_id for m in got.matches] == ["urgent", "a-tie", "old", "new"]
    urgent = got.matches[0]
    assert [(t.rule, t.reason) for t in urgent.terms] == [
        ("gap_fill", "fills 15 of the 30 freed minutes"),
        ("waited", "waiting 0 days"),
        ("priority", "priority 2"),
    ]
    assert urgent.score == 1.5 + 2.0


def test_the_preferred_provider_when_they_are_free_else_anyone() -> None:
    busy_b = replace(
        clinic(),
        resources=tuple(
            replace(r, busy=(BusyInterval(at(9), at(12)),)) if r.id == "dr-b" else r
            for r in clinic().resources
        ),
    )
    got = match_gap(
        busy_b,
        GAP,
        [wanting("b", preferred_provider_id="dr-b"), wanting("a", preferred_provider_id="dr-a")],
        NOW,
    )
    slots = {m.request_id: m for m in got.matches}
    assert slots["a"].slot.parts[0].provider_id == "dr-a"
    assert slots["a"].terms[-1].reason == "with their preferred provider"
    assert slots["b"].slot.parts[0].provider_id == "dr-a"
    assert slots["b"].terms[-1].reason == "not with their preferred provider"


def test_a_chair_gap_is_not_filled_by_a_visit_that_needs_no_chair() -> None:
    no_chair = replace(
        clinic(), types=(AppointmentTypeSpec("call", 15, 15, 15, needs_chair=False),)
    )
    assert match_gap(no_chair, GAP, [wanting("w", "call")], NOW).matches == ()


def test_one_search_per_distinct_request_however_many_wait() -> None:
    requests = [wanting(f"w{i}", f"t{i % 3}") for i in range(300)]
    got = match_gap(clinic(3), Gap(at(10), at(11), chair_id="chair-1"), requests, NOW)
    assert len(got.matches) == 300
    assert got.searches == 3
