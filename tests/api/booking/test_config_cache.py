"""Booking caches each clinic's configuration per `config_version`: the cache must save the
configuration queries, and every way configuration changes must be seen by the very next query,
in this worker and in any other."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, time
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.booking.clinic_state import ClinicState
from api.config import Settings
from api.main import create_app
from api.models import Clinic as ClinicRow
from api.models import WorkingHours
from tests.api.booking.conftest import Clinic

TEMPLATES = "/api/schedule-templates"


def starts(client: TestClient, clinic: Clinic, **extra: str) -> list[str]:
    res = client.get(
        "/api/booking/availability",
        params={
            "appointmentTypeId": clinic.adj.id,
            "from": clinic.iso(0),
            "to": clinic.iso(0, days=1),
            "limit": "1000",
            **extra,
        },
        headers=clinic.headers(),
    )
    assert res.status_code == 200, res.text
    return [s["startTime"] for s in res.json()["slots"]]


@contextmanager
def statements(engine: sa.Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def test_configuration_is_read_once_per_version(
    client: TestClient, clinic: Clinic, db: Session
) -> None:
    engine = db.get_bind()
    assert isinstance(engine, sa.Engine)
    first = starts(client, clinic)
    with statements(engine) as seen:
        assert starts(client, clinic) == first
    config_tables = ("working_hours", "schedule_exceptions", "template_slots", "chairs", "rooms")
    assert not [s for s in seen if any(f"FROM {t}" in s for t in config_tables)]


def _template(client: TestClient, clinic: Clinic) -> dict[str, Any]:
    res = client.get(f"{TEMPLATES}/active", headers=clinic.headers("admin"))
    assert res.status_code == 200, res.text
    return dict(res.json())


def _close_provider_on_test_day(client: TestClient, clinic: Clinic) -> None:
    template = _template(client, clinic)
    exceptions = [
        *template["exceptions"],
        *(
            {"resourceType": "provider", "resourceId": p.id, "date": clinic.day.isoformat()}
            for p in clinic.providers
        ),
    ]
    res = client.put(
        f"{TEMPLATES}/{template['id']}",
        json={"exceptions": exceptions},
        headers=clinic.headers("admin"),
    )
    assert res.status_code == 200, res.text


def _deactivate_chairs(client: TestClient, clinic: Clinic) -> None:
    for chair in clinic.chairs:
        res = client.put(
            f"/api/chairs/{chair.id}", json={"active": False}, headers=clinic.headers("admin")
        )
        assert res.status_code == 200, res.text


def _activate_an_empty_template(client: TestClient, clinic: Clinic) -> None:
    # Activation turns the old template off with a bulk UPDATE, outside the unit of work.
    res = client.post(
        TEMPLATES, json={"name": "Closed week", "active": True}, headers=clinic.headers("admin")
    )
    assert res.status_code == 201, res.text


def _narrow_hours_in_the_database(client: TestClient, clinic: Clinic, db: Session) -> None:
    # An ORM write outside the API (a script, a fixture) bumps the version too.
    for row in db.scalars(sa.select(WorkingHours)):
        row.start_time, row.end_time = time(8), time(9)
    db.commit()


CHANGES: dict[str, Callable[..., None]] = {
    "exception": _close_provider_on_test_day,
    "resource": _deactivate_chairs,
    "bulk-activation": _activate_an_empty_template,
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_every_configuration_write_is_seen_by_the_next_query(
    client: TestClient, clinic: Clinic, change: str
) -> None:
    assert starts(client, clinic)  # warm the cache
    CHANGES[change](client, clinic)
    assert starts(client, clinic) == []


def test_a_write_outside_the_api_is_seen_too(
    client: TestClient, clinic: Clinic, db: Session
) -> None:
    before = starts(client, clinic)
    _narrow_hours_in_the_database(client, clinic, db)
    after = [datetime.fromisoformat(s) for s in starts(client, clinic)]
    assert len(before) > len(after) > 0
    # A 30-minute adjustment inside 08:00-09:00.
    assert after[0] == clinic.at(8) and after[-1] == clinic.at(8, 30)


def test_another_worker_sees_a_change_made_by_this_one(
    client: TestClient, clinic: Clinic, settings: Settings
) -> None:
    other = create_app(settings)  # a second worker: its own engine and cache
    try:
        with TestClient(other) as second:
            assert starts(second, clinic) == starts(client, clinic) != []
            _deactivate_chairs(client, clinic)
            assert starts(second, clinic) == []
    finally:
        other.state.db.dispose()


def test_a_rolled_back_change_never_serves_its_configuration(
    client: TestClient, clinic: Clinic, db: Session, app: Any, settings: Settings
) -> None:
    clinic_row = db.get(ClinicRow, clinic.world.clinic.id)
    assert clinic_row is not None
    # A transaction changes the hours and reads availability under its own new version (which
    # fills the cache), then rolls back: later readers must see the committed configuration.
    with app.state.db.write() as session:
        for row in session.scalars(sa.select(WorkingHours)):
            row.end_time = time(9)
        state = ClinicState(session, clinic_row, clinic.at(0), clinic.at(0, days=1))
        assert state.solver_clinic.resources[0].hours.weekly[0][0].end == time(9)
        session.rollback()
    other = create_app(settings)  # a cold cache, for what the database really says
    try:
        with TestClient(other) as fresh:
            assert starts(client, clinic) == starts(fresh, clinic) != []
    finally:
        other.state.db.dispose()
