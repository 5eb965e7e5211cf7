"""Hostile and awkward input: oversized bodies, unicode and SQL metacharacters in every string
field, naive datetimes, and the two DST transition days."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from api.core.body_limit import MAX_BODY_BYTES
from api.models import Appointment
from tests.api.booking.conftest import Clinic, book

LONDON = ZoneInfo("Europe/London")
NASTY = [
    "Robert'); DROP TABLE appointments;--",
    '" OR 1=1 -- ; SELECT * FROM users',
    "100% _wild_ \\ back\\slash $1 :name ? %s {}",
    # Right-to-left text and marks are data; only the overrides are refused (below).
    "Zoë Ñandú — 中文 — עברית \u200fRTL\u200e — 🦷🪥 — e\u0301 vs é",
    "line\nbreak\ttab\r\nend",
    "\u200b zero-width \ufeff bom",
]
# Text no database can hold verbatim: these must be rejected with 422, or stored exactly.
UNSTORABLE = ["nul \x00 byte", "lone \ud800 surrogate"]


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["detail"]
    return body


def _count(db: Session) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(Appointment)) or 0


def test_oversized_body_is_413_problem_json(
    client: TestClient, clinic: Clinic, db: Session
) -> None:
    body = clinic.booking(notes="x" * (MAX_BODY_BYTES + 10))
    response = client.post("/api/booking/appointments", json=body, headers=clinic.headers())
    assert "at most" in _problem(response, 413)["detail"]
    assert _count(db) == 0


def test_oversized_chunked_body_without_length_is_413(client: TestClient, clinic: Clinic) -> None:
    def chunks() -> Any:
        yield b'{"notes": "'
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b"y" * 65536
        yield b'"}'

    response = client.post(
        "/api/booking/appointments",
        content=chunks(),
        headers={**clinic.headers(), "Content-Type": "application/json"},
    )
    _problem(response, 413)


def test_a_body_just_under_the_limit_is_parsed(client: TestClient, clinic: Clinic) -> None:
    # Under the size limit, the notes' own 4000-character limit answers (422), not the 413.
    body = clinic.booking(notes="z" * (MAX_BODY_BYTES // 2))
    response = client.post("/api/booking/appointments", json=body, headers=clinic.headers())
    assert _problem(response, 422)["errors"][0]["field"] == "notes"


@pytest.mark.parametrize("value", NASTY, ids=range(len(NASTY)))
def test_strings_are_stored_and_returned_byte_exact(
    client: TestClient, clinic: Clinic, db: Session, value: str
) -> None:
    created = book(client, clinic, notes=value, patientNotes=value[::-1])
    assert created.status_code == 201, created.text
    appt_id = created.json()["id"]
    got = client.get(f"/api/booking/appointments/{appt_id}", headers=clinic.headers()).json()
    assert (got["notes"], got["patientNotes"]) == (value, value[::-1])
    db.rollback()
    stored = db.execute(
        text("SELECT notes, patient_notes FROM appointments WHERE id = :i"), {"i": appt_id}
    ).one()
    assert tuple(stored) == (value, value[::-1])
    cancelled = client.delete(
        f"/api/booking/appointments/{appt_id}",
        params={"reason": value},
        headers=clinic.headers(),
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["cancellationReason"] == value
    # Names of things, too: a resource and a patient round-trip unchanged (a name is one line).
    admin = clinic.headers("admin")
    name = " ".join(value.split())[:100]
    chair = client.post("/api/chairs", json={"name": name}, headers=admin)
    assert chair.status_code == 201, chair.text
    assert client.get(f"/api/chairs/{chair.json()['id']}", headers=admin).json()["name"] == name
    patient = client.post(
        "/api/patients",
        json={"firstName": name, "lastName": "Ok", "dateOfBirth": "1990-01-01"},
        headers=admin,
    )
    assert patient.status_code == 201, patient.text
    assert patient.json()["firstName"] == name
    # Metacharacters in a search are data, not SQL or LIKE patterns run wild.
    found = client.get("/api/patients", params={"q": value[:50]}, headers=admin)
    assert found.status_code == 200, found.text


@pytest.mark.parametrize("value", UNSTORABLE, ids=["nul", "surrogate"])
def test_unstorable_text_is_rejected_cleanly_or_kept_exactly(
    client: TestClient, clinic: Clinic, db: Session, value: str
) -> None:
    # json.dumps escapes (\u0000, \ud800) as any client would; httpx's own encoder cannot.
    def post(url: str, body: dict[str, Any], role: str = "frontdesk") -> Any:
        return client.post(
            url,
            content=json.dumps(body),
            headers={**clinic.headers(role), "Content-Type": "application/json"},
        )

    response = post("/api/booking/appointments", clinic.booking(notes=value))
    if response.status_code == 201:
        got = client.get(
            f"/api/booking/appointments/{response.json()['id']}", headers=clinic.headers()
        )
        assert got.json()["notes"] == value
    else:
        _problem(response, 422)
        assert _count(db) == 0
    chair = post("/api/chairs", {"name": value}, "admin")
    assert chair.status_code in (201, 422), chair.text
    if "\x00" in value:  # a URL cannot carry a lone surrogate at all; it can carry %00
        search = client.get("/api/patients", params={"q": value}, headers=clinic.headers("admin"))
        assert search.status_code in (200, 422), search.text


@pytest.mark.parametrize(
    "field", ["startTime", "from", "preferredStart", "reschedule"], ids=lambda f: f
)
def test_naive_datetimes_are_rejected_with_a_message(
    client: TestClient, clinic: Clinic, db: Session, field: str
) -> None:
    naive = clinic.at(14).replace(tzinfo=None).isoformat()
    if field == "startTime":
        response = book(client, clinic, startTime=naive)
    elif field == "reschedule":
        appt = book(client, clinic).json()["id"]
        response = client.post(
            f"/api/booking/appointments/{appt}/reschedule",
            json={"startTime": naive},
            headers={**clinic.headers(), "If-Match": '"1"'},
        )
    else:
        params = {"appointmentTypeId": clinic.adj.id, field: naive}
        if field == "preferredStart":
            params["mode"] = "best"
        response = client.get("/api/booking/availability", params=params, headers=clinic.headers())
    body = _problem(response, 422)
    assert "zone" in body["detail"].lower() or "timezone" in body["detail"].lower(), body
    assert _count(db) == (1 if field == "reschedule" else 0)


# --------------------------------------------------------------------------- DST days


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), LONDON).astimezone(UTC)


def _z(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    ("dst_day", "offset_hours"),
    [(date(2026, 3, 29), 1), (date(2026, 10, 25), 0)],
    ids=["spring-forward", "fall-back"],
)
def test_availability_and_booking_on_dst_transition_days(
    client: TestClient,
    clinic: Clinic,
    monkeypatch: pytest.MonkeyPatch,
    dst_day: date,
    offset_hours: int,
) -> None:
    # The clinic's "now" is three days before the transition, early in the morning.
    fake_now = _local(dst_day - timedelta(days=3), 6)
    monkeypatch.setattr("api.core.clock.now", lambda: fake_now)
    headers = clinic.headers()
    chair = clinic.chairs[1].id
    provider = clinic.providers[0].id

    def starts(day: date) -> list[datetime]:
        response = client.get(
            "/api/booking/availability",
            params={
                "appointmentTypeId": clinic.adj.id,
                "providerId": provider,
                "chairId": chair,
                "from": _z(_local(day, 0)),
                "to": _z(_local(day + timedelta(days=1), 0)),
                "duration": 30,
            },
            headers=headers,
        )
        assert response.status_code == 200, response.text
        assert response.json()["complete"] is True
        return [datetime.fromisoformat(s["startTime"]) for s in response.json()["slots"]]

    on_the_day = starts(dst_day)
    day_before = starts(dst_day - timedelta(days=1))
    # Local opening hours hold on the day itself: 08:00 to 18:00 London time, whatever UTC says.
    assert on_the_day[0] == _local(dst_day, 8)
    assert on_the_day[0].hour == 8 - offset_hours  # in UTC
    assert on_the_day[-1] + timedelta(minutes=30) == _local(dst_day, 18)
    # The 23- or 25-hour day has as many bookable starts as any other ten-hour clinic day.
    assert len(on_the_day) == len(day_before)
    assert all(s.astimezone(LONDON).date() == dst_day for s in on_the_day)

    booked = client.post(
        "/api/booking/appointments",
        json=clinic.booking(startTime=_z(_local(dst_day, 8)), providerId=provider, chairId=chair),
        headers=headers,
    )
    assert booked.status_code == 201, booked.text
    assert datetime.fromisoformat(booked.json()["startTime"]) == _local(dst_day, 8)
    assert _local(dst_day, 8) not in starts(dst_day)
    # 07:30 local is before opening, even though it is 08:30 UTC... on the spring day it is 06:30
    # UTC; on the autumn day 07:30 UTC. Either way: outside hours.
    early = client.post(
        "/api/booking/appointments",
        json=clinic.booking(
            startTime=_z(_local(dst_day, 7, 30)),
            providerId=clinic.providers[1].id,
            chairId=clinic.chairs[0].id,
        ),
        headers=headers,
    )
    assert early.status_code in (409, 422), early.text


@pytest.mark.parametrize("path", ["/api/booking/appointments", "/api/chairs", "/api/providers"])
def test_a_64_bit_overflowing_offset_is_422_not_500(
    client: TestClient, clinic: Clinic, path: str
) -> None:
    # Found by schemathesis: SQLite's driver raised OverflowError, a 500.
    response = client.get(path, params={"offset": 2**63}, headers=clinic.headers("admin"))
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        _problem(response, 422)


# --------------------------------------------------------------------------- the ends of time

# Valid RFC 3339 with an offset, but in UTC they fall outside the years 1 to 9999 that Python
# (and both databases) can hold: converting them used to raise OverflowError, a 500.
OVERFLOWING = ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"]


@pytest.mark.parametrize("value", OVERFLOWING, ids=["after-9999", "before-year-1"])
@pytest.mark.parametrize("field", ["from", "to"])
def test_an_instant_outside_the_utc_calendar_is_422(
    client: TestClient, clinic: Clinic, field: str, value: str
) -> None:
    response = client.get(
        "/api/booking/appointments", params={field: value}, headers=clinic.headers()
    )
    body = _problem(response, 422)
    assert body["errors"][0]["field"] == field
    assert "UTC" in body["errors"][0]["message"]
    # The connection is still good: the next request is answered.
    assert client.get("/api/booking/appointments", headers=clinic.headers()).status_code == 200


@pytest.mark.parametrize("value", OVERFLOWING, ids=["after-9999", "before-year-1"])
def test_an_instant_outside_the_utc_calendar_in_a_booking_body_is_422(
    client: TestClient, clinic: Clinic, db: Session, value: str
) -> None:
    body = _problem(book(client, clinic, startTime=value), 422)
    assert body["errors"][0]["field"] == "startTime"
    assert _count(db) == 0


# --------------------------------------------------------------------------- characters

# NUL (PostgreSQL cannot store it), other control characters, and the bidirectional overrides
# and isolates that make "Smith\u202eoj" display as something else: refused in every free-text
# field with a 422 naming the field. A line break is fine in notes, not inside a name.
REFUSED = {
    "nul": "Ann\x00Lee",
    "escape": "Ann\x1b[31mLee",
    "c1": "Ann\x85Lee",
    "rlo": "Ann\u202eeeL",
    "rli": "Ann\u2067Lee",
}


def _post_raw(client: TestClient, url: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    # json.dumps escapes \u0000 as a client would; httpx's own encoder cannot send it.
    return client.post(
        url, content=json.dumps(body), headers={**headers, "Content-Type": "application/json"}
    )


@pytest.mark.parametrize("value", REFUSED.values(), ids=REFUSED.keys())
def test_control_and_override_characters_are_refused_naming_the_field(
    client: TestClient, clinic: Clinic, db: Session, value: str
) -> None:
    admin = clinic.headers("admin")
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("/api/booking/appointments", clinic.booking(notes=value), "notes"),
        ("/api/booking/appointments", clinic.booking(patientNotes=value), "patientNotes"),
        ("/api/chairs", {"name": value}, "name"),
        ("/api/rooms", {"name": value, "kind": "x-ray"}, "name"),
        ("/api/providers", {"name": value}, "name"),
        (
            "/api/patients",
            {"firstName": value, "lastName": "Ok", "dateOfBirth": "1990-01-01"},
            "firstName",
        ),
        (
            "/api/patients",
            {"firstName": "Ok", "lastName": value, "dateOfBirth": "1990-01-01"},
            "lastName",
        ),
    ]
    for url, body, field in cases:
        body_ = _problem(_post_raw(client, url, body, admin), 422)
        assert [e["field"] for e in body_["errors"]] == [field], (url, body_)
        assert "remove it" in body_["errors"][0]["message"]
    assert _count(db) == 0
    appt = book(client, clinic).json()["id"]
    cancel = client.delete(
        f"/api/booking/appointments/{appt}", params={"reason": value}, headers=clinic.headers()
    )
    assert _problem(cancel, 422)["errors"][0]["field"] == "reason"
    search = client.get("/api/patients", params={"q": value}, headers=admin)
    assert _problem(search, 422)["errors"][0]["field"] == "q"


def test_line_breaks_are_fine_in_notes_but_not_inside_names(
    client: TestClient, clinic: Clinic
) -> None:
    admin = clinic.headers("admin")
    created = book(client, clinic, notes="first line\r\nsecond\tline\n")
    assert created.status_code == 201 and created.json()["notes"] == "first line\r\nsecond\tline\n"
    inner = client.post("/api/chairs", json={"name": "Chair\n1"}, headers=admin)
    assert _problem(inner, 422)["errors"][0]["field"] == "name"
    # At the ends of a trimmed name they go, as spaces do.
    edges = client.post("/api/rooms", json={"name": "\tScan\n", "kind": "scanner"}, headers=admin)
    assert edges.status_code == 201 and edges.json()["name"] == "Scan", edges.text
