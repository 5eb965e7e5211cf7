"""Slot holds: busy for everyone else, bookable by their owner, one per owner, self-expiring."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from api.models import Appointment, Chair, Provider, SlotHold
from tests.api.booking.conftest import book as staff_book
from tests.api.portal.conftest import Portal


@pytest.fixture
def single(portal: Portal, db: Session) -> Portal:
    """One provider and one chair active, so a held time has no other resources to fall to."""
    db.execute(
        update(Provider).where(Provider.id == portal.clinic.providers[1].id).values(active=False)
    )
    db.execute(update(Chair).where(Chair.id == portal.clinic.chairs[0].id).values(active=False))
    db.commit()
    return portal


def _starts(portal: Portal, headers: dict[str, str], type_id: str) -> set[str]:
    data = portal.slots(headers, type_id)
    return {s["startTime"] for d in data["days"] for s in d["slots"]}


def _hold_count(db: Session, owner_like: str = "%") -> int:
    db.commit()  # end the read snapshot: see what the API committed since
    return int(
        db.scalar(select(func.count()).select_from(SlotHold).where(SlotHold.owner.like(owner_like)))
        or 0
    )


def test_a_hold_hides_the_slot_from_everyone_else(single: Portal, db: Session) -> None:
    portal = single
    guest = portal.guest()
    body = portal.choice(portal.npc.id, 11)
    resp = portal.hold(guest, body)
    assert resp.status_code == 201, resp.text
    hold = resp.json()
    expires = datetime.fromisoformat(hold["expiresAt"])
    assert timedelta(minutes=4) < expires - datetime.now(UTC) <= timedelta(minutes=5)

    held = body["startTime"].replace("Z", "+00:00")
    as_utc = datetime.fromisoformat(held).isoformat().replace("+00:00", "Z")
    # Hidden from the patient's availability (the same provider and chair)...
    assert as_utc not in _starts(portal, portal.patient, portal.clinic.adj.id)
    # ...still listed for the guest who holds it...
    assert as_utc in _starts(portal, guest, portal.npc.id)
    # ...and refused to another guest (staff book over a guest's hold: test_hold_caps.py).
    other = portal.hold(portal.guest(), body)
    assert other.status_code == 409 and "alternatives" in other.json()


def test_a_patients_hold_is_refused_to_staff_booking(single: Portal) -> None:
    portal = single
    body = portal.choice(portal.clinic.adj.id, 11)
    assert portal.hold(portal.patient, body).status_code == 201
    held = body["startTime"].replace("Z", "+00:00")
    staff = staff_book(
        portal.client, portal.clinic, patientId=portal.clinic.patients[2].id, startTime=held
    )
    assert staff.status_code == 409
    # Staff are told it is an online hold; it is not an appointment they could open.
    conflicts = staff.json()["conflicts"]
    assert conflicts and all(c["appointmentId"] is None for c in conflicts)
    assert "online booking hold" in staff.json()["detail"]


def test_booking_within_the_own_hold_succeeds_and_consumes_it(single: Portal, db: Session) -> None:
    portal = single
    body = portal.choice(portal.clinic.adj.id, 11)
    assert portal.hold(portal.patient, body).status_code == 201
    assert _hold_count(db, "patient:%") == 1
    booked = portal.book(body)
    assert booked.status_code == 201, booked.text
    assert _hold_count(db) == 0


def test_a_new_hold_replaces_the_old_one(single: Portal, db: Session) -> None:
    portal = single
    guest = portal.guest()
    first = portal.choice(portal.npc.id, 11)
    second = portal.choice(portal.npc.id, 14)
    assert portal.hold(guest, first).status_code == 201
    assert portal.hold(guest, second).status_code == 201
    assert _hold_count(db, "guest:%") == 1
    # The first time is free again for someone else.
    assert portal.hold(portal.patient, portal.choice(portal.clinic.adj.id, 11)).status_code == 201


def test_an_expired_hold_is_ignored(single: Portal, db: Session) -> None:
    portal = single
    body = portal.choice(portal.npc.id, 11)
    assert portal.hold(portal.guest(), body).status_code == 201
    db.execute(update(SlotHold).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    db.commit()
    resp = portal.book(portal.choice(portal.clinic.adj.id, 11))
    assert resp.status_code == 201, resp.text


def test_release_and_clinic_configured_duration(single: Portal, db: Session) -> None:
    portal = single
    admin = portal.clinic.headers("admin")
    resp = portal.client.put("/api/patient-portal/settings", json={"holdMinutes": 9}, headers=admin)
    assert resp.status_code == 200
    assert (
        portal.client.put(
            "/api/patient-portal/settings", json={"holdMinutes": 9}, headers=portal.clinic.headers()
        ).status_code
        == 403
    )  # front desk does not configure the portal
    guest = portal.guest()
    hold = portal.hold(guest, portal.choice(portal.npc.id, 11)).json()
    assert hold["holdMinutes"] == 9
    expires = datetime.fromisoformat(hold["expiresAt"])
    assert timedelta(minutes=8) < expires - datetime.now(UTC) <= timedelta(minutes=9)
    assert portal.client.delete("/api/patient-portal/holds", headers=guest).status_code == 204
    assert _hold_count(db) == 0


def test_a_hold_is_checked_like_a_booking(single: Portal, db: Session) -> None:
    portal = single
    staff_book(portal.client, portal.clinic, patientId=portal.clinic.patients[2].id)
    resp = portal.hold(portal.guest(), portal.choice(portal.npc.id, 14))
    assert resp.status_code == 409
    body = resp.json()
    assert body["alternatives"] and body["reasons"] == ["resource_busy"]
    # No other booking's id leaks to a patient.
    assert "conflicts" not in body
    assert db.scalar(select(func.count()).select_from(Appointment)) == 1
