"""``--via-api``: the stream replayed against a real server books what the API accepts."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from api.models import User
from benchmarks.planner.metrics import double_bookings
from benchmarks.planner.replay import ReplayError, replay_all, shifted
from benchmarks.scenarios import generate
from tests.conftest import PASSWORD, ClinicWorld
from tests.planner.conftest import schedule_problems
from tests.support.server import running_server


def test_shift_keeps_weekdays_and_moves_past_today() -> None:
    s = generate("small", weeks=1)
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    m = shifted(s, now)
    assert m.start.weekday() == s.start.weekday() and m.start > now.date()
    for a, b in zip(s.requests, m.requests, strict=True):
        assert b.earliest.weekday() == a.earliest.weekday()
        assert b.earliest - a.earliest == m.start - s.start


def _platform_operator(app, user: User) -> str:  # type: ignore[no-untyped-def]
    # The replay opens a fresh clinic, which only a platform operator may.
    with app.state.db.write() as session:
        session.execute(update(User).where(User.id == user.id).values(platform_operator=True))
        session.commit()
    return user.email


def test_replay_books_what_the_api_accepts(app, world: ClinicWorld) -> None:  # type: ignore[no-untyped-def]
    s = generate("small", weeks=1)
    s = replace(s, requests=s.requests[:16])
    email = _platform_operator(app, world.users["admin"])
    with running_server(app) as base:
        r = replay_all(s, ["first-available", "best-fit"], base, email, PASSWORD, progress=False)
    moved = r.scenario
    for policy, o in r.outcomes.items():
        m = r.results["policies"][policy]
        # The final schedule is what GET /appointments returns; it must equal what the replay
        # booked and did not cancel, and keep every rule of the scenario.
        assert m["api_schedule_matches_replay"] is True, policy
        assert o.bookings, policy
        assert schedule_problems(moved, o.bookings) == []
        assert double_bookings(o.bookings) == 0
        assert len(o.bookings) + len(o.turned_away) + len(o.cancelled) == len(s.requests)


def test_ortho_replay_books_doctor_time_through_the_api(app, world: ClinicWorld) -> None:  # type: ignore[no-untyped-def]
    """Types are created with their patterns; the server's providerTime is the D runs, and one
    doctor is booked in overlapping visits without ever being needed twice at once."""
    # The API has no assistants yet: the chair columns alone, as before assistants were modelled.
    s = generate("ortho", weeks=1).without_assistants()
    # Records (a pattern with no D step) among them: offered without a provider, booked with
    # the responsible one recorded and not held.
    records = next(i for i, q in enumerate(s.requests) if q.visit == "records")
    s = replace(s, requests=s.requests[:23] + s.requests[records : records + 1])
    email = _platform_operator(app, world.users["admin"])
    with running_server(app) as base:
        r = replay_all(s, ["first-available"], base, email, PASSWORD, progress=False)
    o = r.outcomes["first-available"]
    assert r.results["policies"]["first-available"]["api_schedule_matches_replay"] is True
    assert o.bookings
    assert schedule_problems(r.scenario, o.bookings) == []
    assert double_bookings(o.bookings) == 0
    spans = sorted((b.start, b.parts[-1].end) for b in o.bookings if b.parts[0].chair_id)
    assert any(z > a for (_, z), (a, _) in itertools.pairwise(spans))  # visits overlap


def test_replay_needs_a_platform_operator(app, world: ClinicWorld) -> None:  # type: ignore[no-untyped-def]
    s = generate("small", weeks=1)
    s = replace(s, requests=s.requests[:2])
    for role in ("frontdesk", "admin"):  # a clinic's admin cannot open clinics either
        with running_server(app) as base, pytest.raises(ReplayError, match="HTTP 403"):
            replay_all(s, ["best-fit"], base, world.users[role].email, PASSWORD, progress=False)
