"""Portal availability: a bounded window, and repeated queries answered from a per-worker cache
that never hides a booking or hold (issue 12, finding 5).

Every test warms the cache with a query, changes something the way the clinic would, and asks
the same query again: the answer must be what a fresh engine run gives.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from time_machine import TimeMachineFixture

from api.booking import availability as engine_availability
from api.models import Appointment, Chair, Provider, SlotHold
from api.portal.availability import MAX_DAYS
from tests.api.booking.conftest import book as staff_book
from tests.api.portal.conftest import Portal

SLOTS = "/api/patient-portal/available-slots"


@pytest.fixture
def single(portal: Portal, db: Session) -> Portal:
    """One provider and one chair, so a taken time disappears from the listing."""
    db.execute(
        update(Provider).where(Provider.id == portal.clinic.providers[1].id).values(active=False)
    )
    db.execute(update(Chair).where(Chair.id == portal.clinic.chairs[0].id).values(active=False))
    db.commit()
    return portal


@pytest.fixture
def engine_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the engine searches the portal asks for."""
    runs: list[int] = []
    real: Callable[..., Any] = engine_availability.find

    def counted(*args: Any, **kwargs: Any) -> Any:
        runs.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(engine_availability, "find", counted)
    return runs


def _starts(portal: Portal, headers: dict[str, str], client: TestClient | None = None) -> set[str]:
    resp = (client or portal.client).get(
        SLOTS,
        params={
            "appointmentTypeId": portal.npc.id,
            "from": portal.clinic.iso(0),
            "to": portal.clinic.iso(0, days=1),
        },
        headers=headers,
    )
    assert resp.status_code == 200, resp.text
    return {s["startTime"] for d in resp.json()["days"] for s in d["slots"]}


def test_the_window_is_at_most_31_days(portal: Portal) -> None:
    guest = portal.guest()
    too_long = portal.client.get(
        SLOTS,
        params={
            "appointmentTypeId": portal.npc.id,
            "from": portal.clinic.iso(0),
            "to": portal.clinic.iso(0, days=MAX_DAYS + 1),
        },
        headers=guest,
    )
    assert too_long.status_code == 422
    body = too_long.json()
    assert body["errors"][0]["field"] == "to" and body["maxDays"] == 31
    assert "at most 31 days" in body["detail"] and "(this asks for 32)" in body["detail"]
    month = portal.client.get(
        SLOTS,
        params={
            "appointmentTypeId": portal.npc.id,
            "from": portal.clinic.iso(0),
            "to": portal.clinic.iso(0, days=MAX_DAYS),
        },
        headers=guest,
    )
    assert month.status_code == 200 and len(month.json()["days"]) == MAX_DAYS


def test_a_repeated_query_does_not_run_the_engine_again(
    portal: Portal, engine_runs: list[int]
) -> None:
    guest, other_guest = portal.guest(), portal.guest()
    first = portal.client.get(SLOTS, params={"appointmentTypeId": portal.npc.id}, headers=guest)
    assert first.status_code == 200 and first.json()["days"]
    assert len(engine_runs) == 1
    # The widget's query again, from another guest: the same answer, no engine run.
    again = portal.client.get(
        SLOTS, params={"appointmentTypeId": portal.npc.id}, headers=other_guest
    )
    assert again.json() == first.json()
    # Any window inside the same days is cut from the same entry.
    _starts(portal, guest)
    assert len(engine_runs) == 2  # that one asked about other days (one day, three ahead)
    _starts(portal, other_guest)
    assert len(engine_runs) == 2


def test_a_booking_is_never_hidden_by_the_cache(single: Portal, engine_runs: list[int]) -> None:
    portal = single
    guest = portal.guest()
    wanted = portal.clinic.iso(11)
    assert wanted in _starts(portal, guest)
    booked = portal.book(portal.choice(portal.clinic.adj.id, 11))
    assert booked.status_code == 201, booked.text
    assert wanted not in _starts(portal, guest)
    # Cancelled, the time is offered again.
    cancel = portal.client.post(
        f"/api/patient-portal/appointments/{booked.json()['id']}/cancel",
        json={"acceptFee": True},
        headers=portal.patient,
    )
    assert cancel.status_code == 200, cancel.text
    assert wanted in _starts(portal, guest)
    # A staff booking, and a staff move away from the time.
    staff = staff_book(portal.client, portal.clinic, startTime=wanted)
    assert staff.status_code == 201
    assert wanted not in _starts(portal, guest)
    moved = portal.client.post(
        f"/api/booking/appointments/{staff.json()['id']}/reschedule",
        json={"startTime": portal.clinic.iso(15)},
        headers=portal.clinic.headers(),
    )
    assert moved.status_code == 200, moved.text
    starts = _starts(portal, guest)
    assert wanted in starts and portal.clinic.iso(15) not in starts
    # Each answer above was a fresh engine run, each repeat of an unchanged state none.
    runs = len(engine_runs)
    _starts(portal, guest)
    assert len(engine_runs) == runs


def test_holds_show_and_go_at_once(
    single: Portal, db: Session, frozen_clock: TimeMachineFixture
) -> None:
    portal = single
    watcher, holder = portal.guest(), portal.guest()
    wanted = portal.clinic.iso(11)
    assert wanted in _starts(portal, watcher)
    assert portal.hold(holder, portal.choice(portal.npc.id, 11)).status_code == 201
    assert wanted not in _starts(portal, watcher)
    assert wanted in _starts(portal, holder)  # one's own hold is not busy time
    released = portal.client.delete("/api/patient-portal/holds", headers=holder)
    assert released.status_code == 204
    assert wanted in _starts(portal, watcher)
    # An expiring hold frees the time the moment it expires, with no write at all.
    assert portal.hold(holder, portal.choice(portal.npc.id, 11)).status_code == 201
    assert wanted not in _starts(portal, watcher)
    frozen_clock.shift(timedelta(minutes=5, seconds=1))
    assert wanted in _starts(portal, watcher)
    db.commit()
    assert db.scalar(select(func.count()).select_from(SlotHold)) == 1  # expired, not deleted


def test_schedule_settings_and_scripts_are_seen_at_once(single: Portal, db: Session) -> None:
    portal = single
    guest = portal.guest()
    assert portal.clinic.iso(11) in _starts(portal, guest)
    # The provider works only the afternoon that day (a dated exception through the API).
    template = portal.clinic.adj_slot.template_id
    resp = portal.client.put(
        f"/api/schedule-templates/{template}",
        json={
            "exceptions": [
                {
                    "resourceType": "provider",
                    "resourceId": portal.clinic.providers[0].id,
                    "date": portal.clinic.day.isoformat(),
                    "blocks": [{"start": "13:00", "end": "18:00"}],
                    "reason": "Training",
                }
            ]
        },
        headers=portal.clinic.headers("admin"),
    )
    assert resp.status_code == 200, resp.text
    starts = _starts(portal, guest)
    assert portal.clinic.iso(11) not in starts and portal.clinic.iso(14) in starts
    # The portal's grid changes.
    put = portal.client.put(
        "/api/patient-portal/settings",
        json={"slotStepMinutes": 30},
        headers=portal.clinic.headers("admin"),
    )
    assert put.status_code == 200
    starts = _starts(portal, guest)
    assert portal.clinic.iso(14) in starts and portal.clinic.iso(14, 15) not in starts
    # A script writing the database behind the API's back: an appointment at 14:00.
    staff = staff_book(portal.client, portal.clinic, startTime=portal.clinic.iso(16))
    assert staff.status_code == 201
    assert portal.clinic.iso(14) in _starts(portal, guest)
    db.execute(
        update(Appointment)
        .where(Appointment.id == staff.json()["id"])
        .values(
            start_time=portal.clinic.at(14),
            end_time=portal.clinic.at(14, 30),
            occupied_start=portal.clinic.at(14),
            occupied_end=portal.clinic.at(14, 30),
        )
    )
    db.commit()
    starts = _starts(portal, guest)
    assert portal.clinic.iso(14) not in starts and portal.clinic.iso(16) in starts


def test_another_worker_sees_a_booking_made_through_this_one(
    single: Portal, database_url: str, app: FastAPI
) -> None:
    from api.main import create_app

    portal = single
    second = TestClient(create_app(app.state.settings))  # its own engine, pool and caches
    guest = portal.guest()
    wanted = portal.clinic.iso(11)
    assert wanted in _starts(portal, guest, client=second)
    assert portal.book(portal.choice(portal.clinic.adj.id, 11)).status_code == 201
    assert wanted not in _starts(portal, guest, client=second)
