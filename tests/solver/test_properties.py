"""The engine against the brute-force oracle on random small clinics (DST dates included)."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from solver import SolveStatus, best_fit, find_availability, validate
from solver.problem import ResourceKind, SlotQuery
from solver.result import PartAssignment
from tests.solver.oracle import Oracle, from_assignments
from tests.solver.strategies import queries

SETTINGS = settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SETTINGS
@given(queries())
def test_availability_equals_oracle(q: SlotQuery) -> None:
    got = find_availability(q)
    oracle = Oracle(q)
    assert got.complete
    starts = [s.start for s in got.slots]
    assert starts == sorted(set(starts))
    assert starts == oracle.available()
    for slot in got.slots:
        assert oracle.feasible(from_assignments(slot.parts)), slot
        assert validate(q, slot.parts) == [], slot
        assert all(p.start.utcoffset() == timedelta(0) for p in slot.parts)
        assert_provider_time(oracle, slot.parts)


def assert_provider_time(oracle: Oracle, parts: tuple[PartAssignment, ...]) -> None:
    """Each part reports when its provider is needed, as the oracle works it out."""
    for i, part in enumerate(parts):
        assert list(part.provider_time) == oracle.provider_time(i, part.start), part
        assert all(t.utcoffset() == timedelta(0) for run in part.provider_time for t in run)


@settings(SETTINGS, max_examples=200)
@given(queries(one_doctor=True))
def test_parts_sharing_one_doctor_equal_the_oracle(q: SlotQuery) -> None:
    """Parts that compete for one doctor: only the runs decide, in the search and in validate."""
    got = find_availability(q)
    oracle = Oracle(q)
    assert got.complete
    assert [s.start for s in got.slots] == oracle.available()
    for slot in got.slots:
        assert validate(q, slot.parts) == [], slot
        assert_provider_time(oracle, slot.parts)
    # Best fit's CP-SAT model keeps the doctor's runs apart the same way.
    best, top = best_fit(q, 1), oracle.best()
    assert best.complete
    assert [round(s.score * 100) for s in best.suggestions] == ([] if top is None else [top[0]])
    for s in best.suggestions:
        assert oracle.feasible(from_assignments(s.slot.parts)), s


@SETTINGS
@given(queries(), st.integers(1, 4))
def test_best_fit_equals_oracle(q: SlotQuery, k: int) -> None:
    got = best_fit(q, k)
    oracle = Oracle(q)
    best = oracle.best()
    assert got.complete
    if best is None:
        assert got.status == SolveStatus.INFEASIBLE and got.suggestions == ()
        return
    assert got.status == SolveStatus.OPTIMAL
    assert 1 <= len(got.suggestions) <= k
    assert len({s.slot.start for s in got.suggestions}) == len(got.suggestions)
    scores = [s.score for s in got.suggestions]
    assert scores == sorted(scores, reverse=True)
    for s in got.suggestions:
        parts = from_assignments(s.slot.parts)
        assert oracle.feasible(parts), s
        assert validate(q, s.slot.parts) == [], s
        assert_provider_time(oracle, s.slot.parts)
        assert round(oracle.score(parts)) == round(s.score * 100), s
        assert abs(sum(t.points for t in s.terms) - s.score) < 1e-6
    assert round(got.suggestions[0].score * 100) == best[0]
    assert got.objective == got.suggestions[0].score == got.bound
    # As many suggestions as there are bookable starts, up to k.
    assert len(got.suggestions) == min(k, len(oracle.available()))


EXTRA_KINDS = (ResourceKind.CHAIR, ResourceKind.ROOM, ResourceKind.ASSISTANT)


@st.composite
def query_and_booking(draw: st.DrawFn) -> tuple[SlotQuery, list[PartAssignment]]:
    q = draw(queries())
    oracle = Oracle(q)
    grid = oracle.grid
    # A clinic with no start on its grid has nothing to book: counted as skipped, not passed.
    assume(grid)
    parts = []
    start = draw(st.sampled_from(grid))
    for i, vp in enumerate(q.visit.parts):
        if i:
            later = [t for t in grid if t >= parts[-1].end]
            near = [t for t in later if t - parts[-1].end <= timedelta(minutes=vp.max_gap_minutes)]
            start = draw(st.sampled_from(near or later or grid))
        pools = oracle.pools(i)
        pick = {k: draw(st.sampled_from(v)) for k, v in pools.items() if v}
        if draw(st.integers(0, 3)) == 0:
            # Now and then any of the clinic's chairs, rooms or assistants: unqualified,
            # unpinned, or of a kind the type needs none of.
            kind = draw(st.sampled_from(EXTRA_KINDS))
            anyone = [r.id for r in q.clinic.resources if r.kind == kind]
            if anyone:
                pick[kind] = draw(st.sampled_from(anyone))
        slot = vp.template_slot_id
        parts.append(
            PartAssignment(
                vp.type_id,
                start,
                start + oracle.duration(i),
                pick.get("provider"),  # type: ignore[call-overload]
                pick.get("chair"),  # type: ignore[call-overload]
                pick.get("room"),  # type: ignore[call-overload]
                slot,
                assistant_id=pick.get("assistant"),  # type: ignore[call-overload]
            )
        )
    return q, parts


@SETTINGS
@given(query_and_booking())
def test_validate_agrees_with_oracle(case: tuple[SlotQuery, list[PartAssignment]]) -> None:
    q, parts = case
    oracle = Oracle(q)
    violations = validate(q, parts)
    ok = oracle.feasible(from_assignments(parts))
    assert (violations == []) == ok, violations
