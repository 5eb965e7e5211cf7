"""Online bookings keep to the portal's grid: a time the widget would not list is refused."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.models import Appointment, SlotHold
from tests.api.booking.conftest import book as staff_book
from tests.api.portal.conftest import NEW_PATIENT, Portal

OFF_GRID = 5  # 11:05: on the staff granularity (5 minutes), between two portal times


def _count(db: Session, model: type[Appointment] | type[SlotHold]) -> int:
    db.commit()  # see what the API committed
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def _refused_off_grid(resp_status: int, body: dict[str, object]) -> None:
    assert resp_status == 422, body
    assert body["slotStepMinutes"] == 15
    assert "choose one of the listed times" in str(body["detail"])
    assert body["errors"] == [{"field": "startTime", "message": body["detail"]}]


def test_the_widget_never_lists_an_off_grid_time(portal: Portal) -> None:
    data = portal.slots(portal.guest(), portal.npc.id)
    assert data["days"]
    assert all(
        s["localTime"][3:] in ("00", "15", "30", "45") for d in data["days"] for s in d["slots"]
    )


def test_a_guest_cannot_hold_off_the_grid(portal: Portal, db: Session) -> None:
    guest = portal.guest()
    resp = portal.hold(guest, portal.choice(portal.npc.id, 11, OFF_GRID))
    _refused_off_grid(resp.status_code, resp.json())
    assert _count(db, SlotHold) == 0
    # The listed neighbours are fine.
    assert portal.hold(guest, portal.choice(portal.npc.id, 11, 15)).status_code == 201


def test_a_guest_cannot_book_off_the_grid(portal: Portal, db: Session) -> None:
    body = {**portal.choice(portal.npc.id, 11, OFF_GRID), "patient": NEW_PATIENT}
    resp = portal.client.post(
        "/api/patient-portal/new-patient-bookings", json=body, headers=portal.guest()
    )
    _refused_off_grid(resp.status_code, resp.json())
    assert _count(db, Appointment) == 0


def test_a_patient_cannot_book_or_move_off_the_grid(portal: Portal, db: Session) -> None:
    resp = portal.book(portal.choice(portal.clinic.adj.id, 11, OFF_GRID))
    _refused_off_grid(resp.status_code, resp.json())
    assert _count(db, Appointment) == 0
    booked = portal.book(portal.choice(portal.clinic.adj.id, 11, 30))
    assert booked.status_code == 201, booked.text
    moved = portal.client.post(
        f"/api/patient-portal/appointments/{booked.json()['id']}/reschedule",
        json={
            "startTime": portal.clinic.iso(15, 10),
            "providerId": portal.clinic.providers[0].id,
            "chairId": portal.clinic.chairs[1].id,
        },
        headers=portal.patient,
    )
    _refused_off_grid(moved.status_code, moved.json())
    db.commit()
    row = db.get(Appointment, booked.json()["id"])
    assert row is not None and row.start_time == portal.clinic.at(11, 30)


def test_staff_still_book_any_time_on_the_clinic_granularity(portal: Portal) -> None:
    resp = staff_book(portal.client, portal.clinic, startTime=portal.clinic.iso(11, OFF_GRID))
    assert resp.status_code == 201, resp.text


def test_the_grid_follows_the_clinic_setting(portal: Portal) -> None:
    admin = portal.clinic.headers("admin")
    resp = portal.client.put(
        "/api/patient-portal/settings", json={"slotStepMinutes": 5}, headers=admin
    )
    assert resp.status_code == 200
    assert (
        portal.hold(portal.guest(), portal.choice(portal.npc.id, 11, OFF_GRID)).status_code == 201
    )
