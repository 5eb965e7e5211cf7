"""A solver past its time limit: the request returns in bounded time and says the answer is
partial; a booking whose free time could not be established in time is a 503, never a guess."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import solver
from api.config import Settings
from api.main import create_app
from api.models import Appointment
from tests.api.booking.conftest import Clinic, book

TINY = 1e-4  # seconds: far less than any real search of four weeks needs


@pytest.fixture
def hurried(settings: Settings) -> Any:
    app = create_app(settings.model_copy(update={"solver_time_limit_seconds": TINY}))
    with TestClient(app) as client:
        yield client
    app.state.db.dispose()


@pytest.mark.parametrize("mode", ["all", "best"])
def test_availability_past_the_time_limit_is_partial_and_quick(
    hurried: TestClient, clinic: Clinic, mode: str
) -> None:
    # A two-part visit over four weeks and every resource: real work for the engine.
    params: dict[str, Any] = {
        "appointmentTypeId": [clinic.debond.id, clinic.adj.id],
        "from": clinic.iso(8),
        "to": clinic.iso(8, days=28),
        "mode": mode,
        "limit": 50 if mode == "best" else 5000,
    }
    began = time.monotonic()
    response = hurried.get("/api/booking/availability", params=params, headers=clinic.headers())
    elapsed = time.monotonic() - began
    assert response.status_code == 200, response.text
    assert response.json()["complete"] is False
    assert elapsed < 15, f"took {elapsed:.1f} s with a {TINY} s limit"


def test_duplicate_that_cannot_be_verified_in_time_is_503(
    client: TestClient, clinic: Clinic, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = book(client, clinic)
    assert source.status_code == 201, source.text

    def timed_out(query: Any, k: int = 1) -> Any:
        # The engine's own answer, as it looks when the limit struck before any solution.
        real = solver.best_fit(dataclasses.replace(query, time_limit_seconds=TINY), k=k)
        return dataclasses.replace(real, suggestions=(), complete=False)

    monkeypatch.setattr("api.booking.duplicate.best_fit", timed_out)
    response = client.post(
        f"/api/booking/appointments/{source.json()['id']}/duplicate",
        json={},
        headers=clinic.headers(),
    )
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    assert "nothing was booked" in response.json()["detail"]
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Appointment)) == 1
