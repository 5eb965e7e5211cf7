"""Input the OpenAPI schema calls invalid is refused, not coerced: pydantic's lax mode would read
`1` or "yes" as true, a number (or "0.5") as a Unix time and `false` as the integer 0. Each is a
422 problem+json naming the field, while what the schema promises (true/false, RFC 3339 times
with an offset, YYYY-MM-DD dates, blank form fields as null) still works.

Found by schemathesis' negative_data_rejection check (tests/hardening/test_schemathesis.py)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.models import Appointment
from tests.api.booking.conftest import Clinic, book


def _refused(response: Any, field: str) -> str:
    """The 422 problem+json for one bad field; returns that field's message."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    messages = [e["message"] for e in body["errors"] if e["field"] == field]
    assert messages, body
    assert field in body["detail"]
    return messages[0]


def _appointments(db: Session) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(Appointment)) or 0


# --------------------------------------------------------------------------- date-times


@pytest.mark.parametrize(
    ("path", "field", "value"),
    [
        ("/api/booking/appointments", "from", "0.5"),
        ("/api/booking/appointments", "to", "1767225600"),
        ("/api/booking/availability", "from", "0"),
        ("/api/booking/availability", "preferredStart", "2026-11-25T09:00Z"),  # no seconds
        ("/api/booking/availability", "to", "25/11/2026 09:00"),
    ],
)
def test_a_query_time_that_is_not_rfc3339_with_an_offset_is_422(
    client: TestClient, clinic: Clinic, path: str, field: str, value: str
) -> None:
    params = {field: value}
    if path.endswith("availability"):
        params |= {"appointmentTypeId": clinic.adj.id, "mode": "best"}
    message = _refused(client.get(path, params=params, headers=clinic.headers()), field)
    assert "time zone offset" in message and "2026-11-25T09:00:00Z" in message
    assert repr(value) in message  # quotes what was sent


@pytest.mark.parametrize("value", [1767254400, 1767254400.5, "1767254400"])
def test_a_number_for_start_time_is_422_and_books_nothing(
    client: TestClient, clinic: Clinic, db: Session, value: object
) -> None:
    message = _refused(book(client, clinic, startTime=value), "startTime")
    assert "time zone offset" in message
    assert _appointments(db) == 0


def test_rfc3339_times_with_any_offset_spelling_are_accepted(
    client: TestClient, clinic: Clinic
) -> None:
    at = clinic.at(14)
    for spelling in (
        at.isoformat(),  # +00:00
        at.isoformat().replace("+00:00", "Z"),
        at.isoformat().replace("+00:00", ".000z").replace("T", "t"),  # RFC 3339 allows t/z
    ):
        listed = client.get(
            "/api/booking/appointments", params={"from": spelling}, headers=clinic.headers()
        )
        assert listed.status_code == 200, (spelling, listed.text)
    india = timezone(timedelta(hours=5, minutes=30))
    booked = book(client, clinic, startTime=at.astimezone(india).isoformat())
    assert booked.status_code == 201, booked.text
    assert datetime.fromisoformat(booked.json()["startTime"]) == at


# --------------------------------------------------------------------------- booleans


@pytest.mark.parametrize("value", [1, 0, "true", "yes", "on", None])
def test_a_json_boolean_must_be_true_or_false(
    client: TestClient, clinic: Clinic, value: object
) -> None:
    admin = clinic.headers("admin")
    message = _refused(
        client.post("/api/chairs", json={"name": "C", "active": value}, headers=admin), "active"
    )
    assert "true or false" in message
    # The same type on every body: a booking's override flag, a patient's flag.
    _refused(book(client, clinic, override=value, overrideReason="emergency"), "override")
    patient = {"firstName": "A", "lastName": "B", "dateOfBirth": "1990-01-01", "provisional": value}
    _refused(client.post("/api/patients", json=patient, headers=admin), "provisional")


def test_json_true_and_false_still_work(client: TestClient, clinic: Clinic) -> None:
    admin = clinic.headers("admin")
    off = client.post("/api/chairs", json={"name": "Spare", "active": False}, headers=admin)
    assert off.status_code == 201, off.text
    assert off.json()["active"] is False
    on = client.put(f"/api/chairs/{off.json()['id']}", json={"active": True}, headers=admin)
    assert on.status_code == 200, on.text
    assert on.json()["active"] is True


@pytest.mark.parametrize("value", ["1", "0", "yes", "on", "True", "FALSE", ""])
def test_a_query_boolean_must_be_true_or_false(
    client: TestClient, clinic: Clinic, value: str
) -> None:
    headers = clinic.headers("admin")
    for path, field in (
        ("/api/booking/appointments", "includeCancelled"),
        ("/api/chairs", "active"),
        ("/api/appointment-types", "onlineBookable"),
    ):
        message = _refused(client.get(path, params={field: value}, headers=headers), field)
        assert "true or false" in message


def test_query_true_and_false_still_filter(client: TestClient, clinic: Clinic) -> None:
    # What the calendar sends: includeCancelled=true / false (URLSearchParams of a boolean).
    appt = book(client, clinic).json()["id"]
    cancelled = client.delete(
        f"/api/booking/appointments/{appt}",
        params={"reason": "patient asked", "waiveFee": "true"},
        headers=clinic.headers(),
    )
    assert cancelled.status_code == 200, cancelled.text

    def listed(include: str) -> list[str]:
        response = client.get(
            "/api/booking/appointments",
            params={"includeCancelled": include},
            headers=clinic.headers(),
        )
        assert response.status_code == 200, response.text
        return [a["id"] for a in response.json()["items"]]

    assert appt in listed("true")
    assert appt not in listed("false")
    admin = clinic.headers("admin")
    spare = client.post("/api/chairs", json={"name": "Spare", "active": False}, headers=admin)
    inactive = client.get("/api/chairs", params={"active": "false"}, headers=admin).json()
    assert [c["id"] for c in inactive["items"]] == [spare.json()["id"]]


# --------------------------------------------------------------------------- integers and dates


@pytest.mark.parametrize("value", [True, False, "30"])
def test_a_json_integer_must_be_a_number(
    client: TestClient, clinic: Clinic, db: Session, value: object
) -> None:
    _refused(book(client, clinic, duration=value), "duration")
    assert _appointments(db) == 0
    # bufferBefore may be 0, so lax mode would have stored false as a 0-minute buffer.
    body = {"name": "Quick", "code": "Q", "defaultDuration": 30, "bufferBefore": value}
    _refused(
        client.post("/api/appointment-types", json=body, headers=clinic.headers("admin")),
        "bufferBefore",
    )


@pytest.mark.parametrize("value", [0, 631152000, "631152000", "1990-1-1", "01/01/1990"])
def test_a_date_must_be_yyyy_mm_dd(client: TestClient, clinic: Clinic, value: object) -> None:
    body = {"firstName": "A", "lastName": "B", "dateOfBirth": value}
    message = _refused(
        client.post("/api/patients", json=body, headers=clinic.headers("admin")), "dateOfBirth"
    )
    assert "YYYY-MM-DD" in message
    body["dateOfBirth"] = "1990-01-01"
    created = client.post("/api/patients", json=body, headers=clinic.headers("admin"))
    assert created.status_code == 201, created.text


# --------------------------------------------------------------------------- text


def test_text_constraints_hold_for_the_text_as_sent(
    client: TestClient, clinic: Clinic, app: FastAPI
) -> None:
    admin = clinic.headers("admin")
    # Trailing spaces do not sneak a name past its maximum length (200)...
    long_name = {"name": "Dr A" + " " * 200}
    _refused(client.post("/api/providers", json=long_name, headers=admin), "name")
    # ...while a name within it is still trimmed, and a blank one refused.
    trimmed = client.post("/api/providers", json={"name": "  Dr A  "}, headers=admin)
    assert trimmed.status_code == 201, trimmed.text
    assert trimmed.json()["name"] == "Dr A"
    for blank in ("   ", "\t\r\n"):
        refused = client.post("/api/providers", json={"name": blank}, headers=admin)
        assert "blank" in _refused(refused, "name")
    # The schema says so too: blank is spaces, tabs and line breaks, as the trimming reads it.
    name = app.openapi()["components"]["schemas"]["ProviderCreate"]["properties"]["name"]
    assert name["pattern"] == r"[^ \t\r\n]" and name["maxLength"] == 200


def test_colour_and_room_kind_accept_what_the_schema_says_and_store_one_spelling(
    client: TestClient, clinic: Clinic
) -> None:
    admin = clinic.headers("admin")
    provider = client.post(
        "/api/providers", json={"name": "Dr C", "color": "#4A90D9"}, headers=admin
    )
    assert provider.status_code == 201, provider.text
    assert provider.json()["color"] == "#4a90d9"
    room = client.post("/api/rooms", json={"name": "X", "kind": " X-Ray "}, headers=admin)
    assert room.status_code == 201, room.text
    assert room.json()["kind"] == "x-ray"
    for kind in ("x ray", "x-ray\t", "\uff58-ray"):
        _refused(client.post("/api/rooms", json={"name": "X", "kind": kind}, headers=admin), "kind")


def test_a_blank_optional_field_means_none_as_the_schema_says(
    client: TestClient, clinic: Clinic, app: FastAPI
) -> None:
    admin = clinic.headers("admin")
    body = {"firstName": "A", "lastName": "B", "dateOfBirth": "1990-01-01"}
    created = client.post(
        "/api/patients", json={**body, "phone": "", "email": " \t"}, headers=admin
    )
    assert created.status_code == 201, created.text
    assert (created.json()["phone"], created.json()["email"]) == (None, None)
    # Text that is not blank must be a phone number; a non-breaking space is not blank.
    _refused(client.post("/api/patients", json={**body, "phone": "\u00a0"}, headers=admin), "phone")
    # The schema lists blank text beside null, so a client reading it knows "" is accepted.
    schema = app.openapi()["components"]["schemas"]["PatientCreate"]["properties"]["phone"]
    assert {"type": "null"} in schema["anyOf"]
    assert any(s.get("pattern") == r"^[ \t\r\n]*$" for s in schema["anyOf"])


# --------------------------------------------------------------------------- the schema itself


def test_the_schema_still_says_boolean_date_time_and_date(app: FastAPI) -> None:
    spec = app.openapi()
    params = {
        p["name"]: p["schema"]
        for p in spec["paths"]["/api/booking/appointments"]["get"]["parameters"]
    }
    assert params["includeCancelled"]["type"] == "boolean"
    assert {"type": "string", "format": "date-time"} in params["from"]["anyOf"]
    schemas = spec["components"]["schemas"]
    assert schemas["ChairCreate"]["properties"]["active"]["type"] == "boolean"
    assert schemas["AppointmentCreate"]["properties"]["startTime"]["anyOf"][0] == {
        "type": "string",
        "format": "date-time",
    }
    assert schemas["PatientCreate"]["properties"]["dateOfBirth"]["format"] == "date"
    duration = schemas["AppointmentCreate"]["properties"]["duration"]["anyOf"][0]
    assert duration == {"type": "integer", "minimum": 1, "maximum": 1440}


def test_a_whole_number_sent_as_30_0_is_an_integer_as_json_schema_says(
    client: TestClient, clinic: Clinic
) -> None:
    # JSON Schema's "integer" includes 30.0; only true/false and strings are refused.
    booked = book(client, clinic, duration=30.0)
    assert booked.status_code == 201, booked.text
    assert booked.json()["duration"] == 30
    assert "fractional part" in _refused(book(client, clinic, duration=30.5), "duration")


def test_an_explicit_null_in_a_partial_update_is_422_and_the_schema_is_not_nullable(
    client: TestClient, clinic: Clinic, app: FastAPI
) -> None:
    admin = clinic.headers("admin")
    provider = clinic.providers[0].id
    message = _refused(
        client.put(f"/api/providers/{provider}", json={"active": None}, headers=admin), "active"
    )
    assert "omit the field" in message
    # Omitting it is how to leave it unchanged; null clears the fields that may be empty.
    cleared = client.put(f"/api/providers/{provider}", json={"title": None}, headers=admin)
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["active"] is True
    schemas = app.openapi()["components"]["schemas"]
    assert schemas["ProviderUpdate"]["properties"]["active"]["type"] == "boolean"
    for model in ("PatientUpdate", "RoomUpdate", "TreatmentPlanUpdate"):
        for name, prop in schemas[model]["properties"].items():
            nullable = {"type": "null"} in prop.get("anyOf", [])
            assert nullable == (name in ("email", "phone", "usualProviderId")), (model, name)


def test_offset_is_bounded_by_what_the_database_can_bind(
    client: TestClient, clinic: Clinic, app: FastAPI
) -> None:
    headers = clinic.headers("admin")
    biggest = client.get("/api/chairs", params={"offset": 2**63 - 1}, headers=headers)
    assert biggest.status_code == 200, biggest.text
    assert biggest.json()["items"] == []
    _refused(client.get("/api/chairs", params={"offset": 2**63}, headers=headers), "offset")
    params = app.openapi()["paths"]["/api/chairs"]["get"]["parameters"]
    offset = next(p["schema"] for p in params if p["name"] == "offset")
    assert (offset["minimum"], offset["maximum"]) == (0, 2**63 - 1)


def test_the_schema_states_rules_it_can_express(app: FastAPI) -> None:
    schemas = app.openapi()["components"]["schemas"]
    granularity = schemas["ClinicCreate"]["properties"]["slotGranularityMinutes"]
    assert granularity["enum"] == [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60]
    clock = schemas["TimeBlock"]["properties"]["start"]["pattern"]
    assert re.search(clock, "08:35") and not re.search(clock, "08:33")
    birth = schemas["PatientCreate"]["properties"]["dateOfBirth"]["pattern"]
    assert re.search(birth, "1900-01-01") and not re.search(birth, "1899-12-31")


def test_no_constraint_reaches_the_schema_as_a_non_standard_keyword(app: FastAPI) -> None:
    # pydantic writes constraints it cannot place (a Field(ge=...) outside a validator, a
    # minimum date) as "ge"/"le", which no JSON Schema validator or generator reads.
    def walk(node: object, path: str) -> list[str]:
        if isinstance(node, dict):
            found = [f"{path}.{k}" for k in ("ge", "le", "gt", "lt") if k in node]
            return found + [hit for k, v in node.items() for hit in walk(v, f"{path}.{k}")]
        if isinstance(node, list):
            return [hit for i, v in enumerate(node) for hit in walk(v, f"{path}[{i}]")]
        return []

    assert walk(app.openapi(), "") == []
