"""Staff availability's body is built as plain JSON (api/booking/cached_availability.py), not one
pydantic object per start: it must be exactly what `AvailabilityRead` would have said, for
one-part and two-part visits, doctor time, template slots and a patient's planned procedure.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from api.booking import availability, cached_availability
from api.core import cache_stats, clock
from api.models import AppointmentType
from api.models import Clinic as ClinicRow
from tests.api.booking.conftest import Clinic


@pytest.fixture
def wire(db: Session, clinic: Clinic) -> AppointmentType:
    """Doctor time in the middle: the provider is needed only for its D step."""
    kind = AppointmentType(
        clinic_id=clinic.world.clinic.id,
        name="Wire Check",
        code="WIRE",
        default_duration=20,
        min_duration=10,
        max_duration=30,
        time_pattern="AADA",
    )
    db.add(kind)
    db.commit()
    return kind


def _both(app: FastAPI, clinic: Clinic, **fields: Any) -> tuple[Any, Any]:
    req = availability.AvailabilityRequest(
        window_start=clinic.at(8),
        window_end=clinic.at(8, days=2),
        durations=[],
        limit=5000,
        **fields,
    )
    now = clock.now()
    with app.state.db.read() as session:
        row = session.get(ClinicRow, clinic.world.clinic.id)
        assert row is not None
        typed = availability.find(session, row, req, now, time_limit=2.0)
        plain = cached_availability.find_all(session, row, req, now, time_limit=2.0)
    return typed.model_dump(mode="json", by_alias=True), json.loads(plain)


def test_the_plain_body_is_the_typed_body(
    app: FastAPI, clinic: Clinic, wire: AppointmentType
) -> None:
    cases: list[dict[str, Any]] = [
        {"type_ids": [clinic.adj.id]},
        {"type_ids": [wire.id]},
        {"type_ids": [clinic.adj.id, clinic.scan.id], "max_gap_minutes": 30},
        {"type_ids": [clinic.adj.id], "template_slot_id": clinic.adj_slot.id},
        {"type_ids": [], "patient_id": clinic.patients[0].id},  # the planned procedure
    ]
    for fields in cases:
        typed, plain = _both(app, clinic, **fields)
        assert typed["slots"], fields
        assert plain == typed, fields
    typed, _ = _both(app, clinic, type_ids=[wire.id])
    doctor = typed["slots"][0]["parts"][0]["providerTime"]
    assert len(doctor) == 1  # doctor time is in the body: the comparison covered it
    start = typed["slots"][0]["parts"][0]["startTime"]
    assert doctor[0]["startTime"] > start


def test_a_cached_answer_drops_starts_that_passed_the_lead_time(
    app: FastAPI, clinic: Clinic, time_machine: Any
) -> None:
    # Ten seconds before noon's start comes inside the two-hour lead time.
    time_machine.move_to(clinic.at(10) - timedelta(seconds=10), tick=False)
    fields = {"type_ids": [clinic.adj.id], "window_start": None, "window_end": clinic.at(18)}
    req = availability.AvailabilityRequest(durations=[], limit=5000, **fields)
    noon = clinic.iso(12)

    def plain() -> list[str]:
        with app.state.db.read() as session:
            row = session.get(ClinicRow, clinic.world.clinic.id)
            assert row is not None
            body = cached_availability.find_all(session, row, req, clock.now(), time_limit=2.0)
        return [s["startTime"] for s in json.loads(body)["slots"]]

    first = plain()
    assert first[0] == noon
    runs = cache_stats.snapshot()["availability"]["hit"]
    time_machine.shift(timedelta(seconds=20))
    again = plain()
    assert cache_stats.snapshot()["availability"]["hit"] == runs + 1  # answered from the cache
    assert noon not in again and again == first[1:]
