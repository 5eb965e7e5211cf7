"""Slots: the free ones are the engine's availability exactly, busy ones are appointments."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from api.models import AppointmentType
from tests.api.booking.conftest import book
from tests.api.fhir.conftest import Clinic, entries, fhir_get

ZONE = ZoneInfo("Europe/London")
# The clocks go forward in London on this day: it has 23 hours.
DST_DAY = date(2027, 3, 28)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def local_day(day: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(day, time(), ZONE),
        datetime.combine(day + timedelta(days=1), time(), ZONE),
    )


def fhir_slots(
    client: TestClient, clinic: Clinic, kind: AppointmentType, day: date, **extra: Any
) -> list[dict[str, Any]]:
    """Every Slot of the type that day, following the next links."""
    first, after = local_day(day)
    bundle = fhir_get(
        client,
        "/fhir/Slot",
        clinic.headers(),
        schedule=f"Schedule/{kind.id}",
        start=[f"ge{_iso(first)}", f"lt{_iso(after)}"],
        _count=200,
        **extra,
    )
    found = entries(bundle)
    while nxt := [link["url"] for link in bundle["link"] if link["relation"] == "next"]:
        bundle = client.get(nxt[0], headers=clinic.headers()).json()
        found += entries(bundle)
    return found


def engine_slots(
    client: TestClient, clinic: Clinic, kind: AppointmentType, day: date
) -> list[tuple[str, str]]:
    """The staff API's availability for the same type and clinic-local day."""
    first, after = local_day(day)
    resp = client.get(
        "/api/booking/availability",
        headers=clinic.headers(),
        params={"appointmentTypeId": kind.id, "from": _iso(first), "to": _iso(after)},
    )
    assert resp.status_code == 200, resp.text
    return [(s["startTime"], s["endTime"]) for s in resp.json()["slots"]]


def _z(text: str) -> str:
    return _iso(datetime.fromisoformat(text.replace("Z", "+00:00")))


def test_free_slots_are_the_engine_availability(client: TestClient, clinic: Clinic) -> None:
    assert book(client, clinic, startTime=clinic.iso(11)).status_code == 201
    free = fhir_slots(client, clinic, clinic.adj, clinic.day, status="free")
    engine = engine_slots(client, clinic, clinic.adj, clinic.day)
    assert engine, "the fixture clinic has free adjustment times"
    assert [(s["start"], s["end"]) for s in free] == [(_z(a), _z(b)) for a, b in engine]
    assert {s["status"] for s in free} == {"free"}
    assert all(s["schedule"]["reference"] == f"Schedule/{clinic.adj.id}" for s in free)


def test_a_fully_booked_start_is_a_busy_slot_and_ids_read_back(
    client: TestClient, clinic: Clinic
) -> None:
    # Both providers at 15:00: no adjustment can start then, so the start is busy.
    for provider, chair in ((0, 0), (1, 1)):
        resp = book(
            client,
            clinic,
            startTime=clinic.iso(15),
            providerId=clinic.providers[provider].id,
            chairId=clinic.chairs[chair].id,
            patientId=clinic.patients[provider].id,
        )
        assert resp.status_code == 201, resp.text
    busy = fhir_slots(client, clinic, clinic.adj, clinic.day, status="busy")
    assert [s["start"] for s in busy] == [clinic.iso(15)]
    read = fhir_get(client, f"/fhir/Slot/{busy[0]['id']}", clinic.headers())
    assert read == busy[0]
    free = fhir_slots(client, clinic, clinic.adj, clinic.day, status="free")
    assert clinic.iso(15) not in {s["start"] for s in free}
    assert fhir_get(client, f"/fhir/Slot/{free[0]['id']}", clinic.headers())["status"] == "free"
    outcome = fhir_get(client, f"/fhir/Slot/{clinic.adj.id}-20000101090000", clinic.headers(), 404)
    assert "not offered" in outcome["issue"][0]["details"]["text"]


def test_slot_search_by_service_type_and_window_limit(client: TestClient, clinic: Clinic) -> None:
    first, after = local_day(clinic.day)
    window = [f"ge{_iso(first)}", f"lt{_iso(after)}"]
    bundle = fhir_get(
        client, "/fhir/Slot", clinic.headers(), start=window, status="free", _count=1000,
        **{"service-type": "https://slotwise.dev/fhir/CodeSystem/appointment-type|SCAN"},
    )  # fmt: skip
    assert {r["schedule"]["reference"] for r in entries(bundle)} == {f"Schedule/{clinic.scan.id}"}
    too_long = fhir_get(
        client, "/fhir/Slot", clinic.headers(), 422, start=[window[0], "lt2099-01-01"]
    )
    assert "at most 92 days" in too_long["issue"][0]["details"]["text"]


BOOKINGS = st.lists(
    st.tuples(
        st.sampled_from(["adj", "scan", "debond"]),
        st.integers(0, 1),  # provider
        st.integers(0, 1),  # chair
        st.integers(8, 17),  # hour
        st.sampled_from([0, 15, 30, 45]),
    ),
    max_size=6,
)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    bookings=BOOKINGS,
    dst=st.booleans(),
    kind_name=st.sampled_from(["adj", "scan", "debond"]),
    hours=st.tuples(st.integers(7, 18), st.integers(1, 6)),
)
def test_published_free_slots_equal_availability(
    client: TestClient,
    clinic: Clinic,
    db: Session,
    bookings: list[tuple[str, int, int, int, int]],
    dst: bool,
    kind_name: str,
    hours: tuple[int, int],
) -> None:
    """On generated diaries, on an ordinary day and on the day the clocks go forward."""
    clinic.world.clinic.max_horizon_days = 400
    db.commit()
    day = DST_DAY if dst else clinic.day
    for name, provider, chair, hour, minute in bookings:
        kind: AppointmentType = getattr(clinic, name)
        local = datetime.combine(day, time(hour, minute), ZONE)
        body: dict[str, Any] = {
            "appointmentTypeId": kind.id,
            "providerId": clinic.providers[provider].id,
            "startTime": _iso(local),
            "duration": kind.default_duration,
        }
        if kind.needs_chair:
            body["chairId"] = clinic.chairs[chair].id
        else:
            body["roomId"] = clinic.scanner.id
        book(client, clinic, **body)  # a clash is refused; the diary is what was accepted
    kind = getattr(clinic, kind_name)
    slots = fhir_slots(client, clinic, kind, day)
    free = [(s["start"], s["end"]) for s in slots if s["status"] == "free"]
    assert free == [(_z(a), _z(b)) for a, b in engine_slots(client, clinic, kind, day)]
    # A window that ends mid-day still lists every start in it, even one whose visit ends after.
    first = datetime.combine(day, time(hours[0]), ZONE)
    last = first + timedelta(hours=hours[1])
    part = fhir_get(
        client, "/fhir/Slot", clinic.headers(), schedule=kind.id, status="free", _count=1000,
        start=[f"ge{_iso(first)}", f"lt{_iso(last)}"],
    )  # fmt: skip
    assert [(s["start"], s["end"]) for s in entries(part)] == [
        (a, b) for a, b in free if _iso(first) <= a < _iso(last)
    ]
    busy = {s["start"] for s in slots if s["status"] == "busy"}
    booked = client.get(
        "/api/booking/appointments",
        headers=clinic.headers(),
        params={"appointmentTypeId": kind.id, "from": _iso(local_day(day)[0]),
                "to": _iso(local_day(day)[1])},
    ).json()["items"]  # fmt: skip
    assert busy == {_z(a["startTime"]) for a in booked} - {start for start, _ in free}
    # Clean up for the next example: the fixture's clinic is shared by all of them.
    for appt in booked:
        client.delete(
            f"/api/booking/appointments/{appt['id']}",
            headers=clinic.headers(),
            params={"reason": "next example"},
        )
