"""Guest holds cannot empty a clinic's day (issue 12, finding 2), and staff book over them.

The flood is played as the attacker played it: many guest sessions from a few networks, IPv4
addresses and addresses rotated inside IPv6 /64s, each holding the first free time of one day.
What the clinic notices is measured as a patient sees it: the share of the day's provider time
that the portal still offers for a consult.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from time_machine import TimeMachineFixture

from api.models import Chair, Provider, SlotHold
from api.portal.hold_caps import GUEST_HOLD_SHARE, GUEST_HOLDS_PER_NETWORK
from tests.api.booking.conftest import book as staff_book
from tests.api.portal.conftest import NEW_PATIENT, Portal

HOLDS = "/api/patient-portal/holds"


def _from(portal: Portal, address: str) -> TestClient:
    """The portal as seen from another network address."""
    return TestClient(portal.client.app, client=(address, 50000))


def _guest(client: TestClient, portal: Portal) -> dict[str, str]:
    resp = client.post(
        "/api/patient-portal/guest-session", json={"clinicId": portal.clinic.world.clinic.id}
    )
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['guestToken']}"}


def _day_window(portal: Portal, days: int = 0) -> dict[str, str]:
    return {"from": portal.clinic.iso(0, 0, days), "to": portal.clinic.iso(0, 0, days + 1)}


def _day_slots(portal: Portal, headers: dict[str, str], days: int = 0) -> list[dict[str, Any]]:
    data = portal.slots(headers, portal.npc.id, **_day_window(portal, days))
    return [s for d in data["days"] for s in d["slots"]]


def _held_share(db: Session, day_minutes: float) -> float:
    """The share of the day's provider time that guests' holds keep from everyone else."""
    held = sum((h.occupied_end - h.occupied_start).total_seconds() / 60 for h in _holds(db))
    return held / day_minutes


def _choice(slot: dict[str, Any], portal: Portal) -> dict[str, Any]:
    return {
        "appointmentTypeId": portal.npc.id,
        "startTime": slot["startTime"],
        "providerId": slot["providerId"],
        "chairId": slot["chairId"],
    }


def _holds(db: Session) -> list[SlotHold]:
    db.commit()  # see what the API committed
    return list(db.scalars(select(SlotHold)))


def _attacker_addresses() -> itertools.cycle[str]:
    # Two IPv4 addresses and two IPv6 /64s, a fresh address inside a /64 on every use.
    v6 = (f"2001:db8:a:{net}::{n:x}" for n in itertools.count(1) for net in ("1", "2"))
    return itertools.cycle(
        [
            "198.51.100.7",
            "203.0.113.9",
            *(next(v6) for _ in range(4)),
        ]
    )


def test_a_guest_hold_flood_blocks_at_most_a_tenth_of_the_day(portal: Portal, db: Session) -> None:
    day_minutes = 2 * 10 * 60  # two providers, open 08:00-18:00
    listed_before = len(_day_slots(portal, portal.patient))
    addresses = _attacker_addresses()
    codes: list[int] = []
    for _ in range(22):  # the 22 sessions that emptied two doctors' day
        client = _from(portal, next(addresses))
        guest = _guest(client, portal)
        free = _day_slots(portal, guest)
        assert free, "the flood emptied the day"
        resp = client.post(HOLDS, json=_choice(free[0], portal), headers=guest)
        codes.append(resp.status_code)

    assert set(codes) <= {201, 409, 429}, codes  # refused in words, never a 5xx
    assert _held_share(db, day_minutes) <= GUEST_HOLD_SHARE
    # A new patient arriving now: the hold is refused in words...
    real = _from(portal, "192.0.2.1")
    guest = _guest(real, portal)
    slot = _day_slots(portal, guest)[0]
    resp = real.post(HOLDS, json=_choice(slot, portal), headers=guest)
    assert resp.status_code == 409 and resp.json()["type"].endswith("/holds-full")
    assert "choose another day" in resp.json()["detail"]
    assert int(resp.headers["Retry-After"]) >= 1 and resp.json()["alternatives"] == []
    # ...and so is an unconfirmed booking, which would reserve the time just the same.
    booked = real.post(
        "/api/patient-portal/new-patient-bookings",
        json={**_choice(slot, portal), "patient": NEW_PATIENT},
        headers=guest,
    )
    assert booked.status_code == 409 and booked.json()["type"].endswith("/holds-full")
    # Other days are untouched, and a signed-in patient still holds on this one.
    assert len(_day_slots(portal, guest, days=1)) == listed_before
    own = portal.hold(portal.patient, _choice(_day_slots(portal, portal.patient)[0], portal))
    assert own.status_code == 201, own.text


def test_guest_holds_are_capped_per_network_with_ipv6_grouped_by_64(
    portal: Portal, db: Session
) -> None:
    same_64 = ["2001:db8:5:6::1", "2001:db8:5:6:ffff:1:2:3", "2001:db8:5:6::3"]
    for days, address in enumerate(same_64[:GUEST_HOLDS_PER_NETWORK]):
        client = _from(portal, address)
        guest = _guest(client, portal)
        slot = _day_slots(portal, guest, days)[0]
        assert client.post(HOLDS, json=_choice(slot, portal), headers=guest).status_code == 201
    client = _from(portal, same_64[2])
    guest = _guest(client, portal)
    slot = _day_slots(portal, guest, 2)[0]
    resp = client.post(HOLDS, json=_choice(slot, portal), headers=guest)
    assert resp.status_code == 429, resp.text
    assert "Your network already holds 2 times" in resp.json()["detail"]
    assert int(resp.headers["Retry-After"]) >= 1
    # Another /64 is another network.
    other = _from(portal, "2001:db8:5:7::1")
    guest = _guest(other, portal)
    assert other.post(HOLDS, json=_choice(slot, portal), headers=guest).status_code == 201
    assert sorted(h.network or "" for h in _holds(db)) == [
        "2001:db8:5:6::/64",
        "2001:db8:5:6::/64",
        "2001:db8:5:7::/64",
    ]


def test_per_address_rate_limits_count_an_ipv6_64_as_one_address(portal: Portal) -> None:
    codes = [
        _from(portal, f"2001:db8:9:9::{n:x}")
        .post("/api/patient-portal/guest-session", json={"clinicId": portal.clinic.world.clinic.id})
        .status_code
        for n in range(1, 32)
    ]
    assert codes[:30] == [200] * 30 and codes[30] == 429
    fresh = _from(portal, "2001:db8:9:a::1").post(
        "/api/patient-portal/guest-session", json={"clinicId": portal.clinic.world.clinic.id}
    )
    assert fresh.status_code == 200


@pytest.fixture
def single(portal: Portal, db: Session) -> Portal:
    """One provider and one chair, so a held time has no other resources to fall to."""
    db.execute(
        update(Provider).where(Provider.id == portal.clinic.providers[1].id).values(active=False)
    )
    db.execute(update(Chair).where(Chair.id == portal.clinic.chairs[0].id).values(active=False))
    db.commit()
    return portal


def test_staff_book_over_a_guest_hold_and_the_guest_gets_other_times(
    single: Portal, db: Session
) -> None:
    portal = single
    guest = portal.guest()
    body = portal.choice(portal.npc.id, 11)
    assert portal.hold(guest, body).status_code == 201
    # The front desk sees the time as free...
    staff_slots = portal.client.get(
        "/api/booking/availability",
        params={"appointmentTypeId": portal.clinic.adj.id, **_day_window(portal)},
        headers=portal.clinic.headers(),
    )
    assert staff_slots.status_code == 200
    starts = {datetime.fromisoformat(s["startTime"]) for s in staff_slots.json()["slots"]}
    assert portal.clinic.at(11) in starts
    # ...and books it without an override; the guest's hold goes with it.
    staff = staff_book(portal.client, portal.clinic, startTime=portal.clinic.iso(11))
    assert staff.status_code == 201, staff.text
    assert staff.json()["conflictOverride"] is False
    assert _holds(db) == []
    # The guest, booking the time they held, is told it was taken and offered others.
    resp = portal.client.post(
        "/api/patient-portal/new-patient-bookings",
        json={**body, "patient": NEW_PATIENT},
        headers=guest,
    )
    assert resp.status_code == 409, resp.text
    assert resp.json()["alternatives"]
    assert all(a["startTime"] != portal.clinic.iso(11) for a in resp.json()["alternatives"])


def test_staff_moving_onto_a_guest_hold_releases_it(single: Portal, db: Session) -> None:
    portal = single
    booked = staff_book(portal.client, portal.clinic, startTime=portal.clinic.iso(9))
    assert booked.status_code == 201
    assert portal.hold(portal.guest(), portal.choice(portal.npc.id, 14)).status_code == 201
    moved = portal.client.post(
        f"/api/booking/appointments/{booked.json()['id']}/reschedule",
        json={"startTime": portal.clinic.iso(14)},
        headers=portal.clinic.headers(),
    )
    assert moved.status_code == 200, moved.text
    assert _holds(db) == []


def test_renewing_a_hold_keeps_a_time_at_most_three_hold_lengths(
    single: Portal, db: Session, frozen_clock: TimeMachineFixture
) -> None:
    portal = single
    home = _from(portal, "198.51.100.20")
    guest = _guest(home, portal)
    body = portal.choice(portal.npc.id, 11)
    first = home.post(HOLDS, json=body, headers=guest)
    assert first.status_code == 201
    started = datetime.fromisoformat(first.json()["expiresAt"]) - timedelta(minutes=5)
    expiries = []
    for _ in range(3):
        frozen_clock.shift(timedelta(minutes=4, seconds=50))
        again = home.post(HOLDS, json=body, headers=guest)
        assert again.status_code == 201, again.text
        expiries.append(datetime.fromisoformat(again.json()["expiresAt"]) - started)
    # Renewed twice in full; the third renewal only up to 15 minutes from the first hold.
    assert expiries == [
        timedelta(minutes=9, seconds=50),
        timedelta(minutes=14, seconds=40),
        timedelta(minutes=15),
    ]
    frozen_clock.shift(timedelta(minutes=1))
    refused = home.post(HOLDS, json=body, headers=guest)
    assert refused.status_code == 409 and refused.json()["type"].endswith("/hold-too-long")
    assert "book it now" in refused.json()["detail"]
    # A fresh session from the same network is the same holder...
    again = home.post(HOLDS, json=body, headers=_guest(home, portal))
    assert again.status_code == 409 and again.json()["type"].endswith("/hold-too-long")
    # ...while anyone else may now hold the time.
    other = _from(portal, "203.0.113.50")
    assert other.post(HOLDS, json=body, headers=_guest(other, portal)).status_code == 201
    now = datetime.now(UTC)
    assert [h.network for h in _holds(db) if h.expires_at > now] == ["203.0.113.50"]


def test_unconfirmed_new_patient_bookings_count_in_the_same_share(
    portal: Portal, db: Session
) -> None:
    # Let the per-day count of unconfirmed bookings allow more than the share, to see the share.
    admin = portal.clinic.headers("admin")
    resp = portal.client.put(
        "/api/patient-portal/settings", json={"newPatientUnconfirmedDailyCap": 20}, headers=admin
    )
    assert resp.status_code == 200 and resp.json()["guestSharePercent"] == 10
    addresses = _attacker_addresses()
    codes = []
    for i in range(6):
        client = _from(portal, next(addresses))
        guest = _guest(client, portal)
        slot = _day_slots(portal, guest)[0]
        made_up = {**NEW_PATIENT, "email": f"made-up-{i}@example.com"}
        codes.append(
            client.post(
                "/api/patient-portal/new-patient-bookings",
                json={**_choice(slot, portal), "patient": made_up},
                headers=guest,
            ).status_code
        )
    # Two 45-minute consults are 90 of the day's 1,200 provider minutes; a third would pass 10 %.
    assert codes == [201, 201, 409, 409, 409, 409]
    # The clinic may allow guests a larger share.
    resp = portal.client.put(
        "/api/patient-portal/settings", json={"guestSharePercent": 20}, headers=admin
    )
    assert resp.status_code == 200
    client = _from(portal, "192.0.2.77")
    guest = _guest(client, portal)
    third = client.post(
        "/api/patient-portal/new-patient-bookings",
        json={**_choice(_day_slots(portal, guest)[0], portal), "patient": NEW_PATIENT},
        headers=guest,
    )
    assert third.status_code == 201, third.text
