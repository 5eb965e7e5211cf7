"""IHE scheduling through /fhir: $find ranks proposals, $hold holds one, $book books it through
the booking rules (conflicts say what clashes) and cancels."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import Appointment, AuditEntry, SlotHold
from tests.api.fhir.conftest import FHIR_JSON, Clinic, entries, fhir_get, parse_fhir


def _params(**values: Any) -> dict[str, Any]:
    parameter = []
    for name, value in values.items():
        name = name if name.startswith("_") else name.replace("_", "-")
        if isinstance(value, dict) and "resourceType" in value:
            parameter.append({"name": name, "resource": value})
        elif isinstance(value, dict):
            parameter.append({"name": name, "valueReference": value})
        else:
            parameter.append({"name": name, "valueString": value})
    return {"resourceType": "Parameters", "parameter": parameter}


def operation(
    client: TestClient, clinic: Clinic, name: str, body: dict[str, Any], expect: int = 200,
    role: str = "frontdesk",
) -> dict[str, Any]:  # fmt: skip
    resp = client.post(
        f"/fhir/Appointment/${name}",
        content=__import__("json").dumps(body),
        headers={**clinic.headers(role), "Content-Type": FHIR_JSON},
    )
    assert resp.status_code == expect, resp.text[:2000]
    return parse_fhir(resp.json())


def find(client: TestClient, clinic: Clinic, **extra: Any) -> list[dict[str, Any]]:
    body = _params(
        start=clinic.iso(8),
        end=clinic.iso(18),
        service_type="ADJ",
        patient={"reference": f"Patient/{clinic.patients[1].id}"},
        **extra,
    )
    return entries(operation(client, clinic, "find", body))


def test_find_ranks_proposals_as_best_fit_does(client: TestClient, clinic: Clinic) -> None:
    proposed = find(client, clinic, _count="5")
    best = client.get(
        "/api/booking/availability",
        headers=clinic.headers(),
        params={
            "appointmentTypeId": clinic.adj.id,
            "patientId": clinic.patients[1].id,
            "from": clinic.iso(8),
            "to": clinic.iso(18),
            "mode": "best",
            "limit": 5,
        },
    ).json()["suggestions"]
    assert [(p["start"], p["end"]) for p in proposed] == [
        (s["startTime"].replace("+00:00", "Z"), s["endTime"].replace("+00:00", "Z")) for s in best
    ]
    assert {p["status"] for p in proposed} == {"proposed"}
    # The patient's usual provider (Dr Second) leads, as best fit prefers.
    lead = [a["actor"]["reference"] for a in proposed[0]["participant"]]
    assert f"Practitioner/{clinic.providers[1].id}" in lead
    again = fhir_get(client, f"/fhir/Appointment/{proposed[0]['id']}", clinic.headers())
    assert again == proposed[0]
    by_get = client.get(
        "/fhir/Appointment/$find",
        headers=clinic.headers(),
        params={"start": clinic.iso(8), "end": clinic.iso(18), "service-type": "ADJ",
                "patient": clinic.patients[1].id, "_count": 5},
    )  # fmt: skip
    assert [e["resource"] for e in by_get.json()["entry"]] == proposed


def test_hold_then_book_then_cancel(client: TestClient, clinic: Clinic, db: Session) -> None:
    proposal = find(client, clinic, _count="1")[0]
    held = entries(
        operation(client, clinic, "hold", _params(appointment_reference={
            "reference": f"Appointment/{proposal['id']}"}))
    )[0]  # fmt: skip
    assert held["status"] == "pending"
    assert any(e["url"].endswith("hold-expires") for e in held["extension"])
    # Someone else now finds that time held: the staff JSON API cannot book over it either.
    clash = client.post(
        "/api/booking/appointments",
        headers=clinic.headers("admin"),
        json=clinic.booking(
            startTime=proposal["start"],
            providerId=proposal["participant"][1]["actor"]["reference"].split("/")[1],
            chairId=next(e["valueString"] for e in proposal["extension"] if "chair" in e["url"]),
            patientId=clinic.patients[2].id,
        ),
    )
    assert clash.status_code == 409, clash.text
    booked = entries(
        operation(client, clinic, "book", _params(appointment_reference={
            "reference": f"Appointment/{held['id']}"}, comment="First visit"))
    )[0]  # fmt: skip
    assert booked["status"] == "booked"
    assert booked["start"] == proposal["start"]
    db.rollback()  # a fresh snapshot: the API committed in its own session
    assert db.scalars(select(SlotHold)).all() == []  # the hold was consumed
    row = db.get(Appointment, booked["id"])
    assert row is not None and row.patient_id == clinic.patients[1].id
    actors = db.scalars(select(AuditEntry.actor_id).where(AuditEntry.entity_id == row.id)).all()
    assert actors == [clinic.world.users["frontdesk"].id]
    read = fhir_get(client, f"/fhir/Appointment/{booked['id']}", clinic.headers())
    assert read["status"] == "booked"

    # Booking the same proposal again clashes, and the outcome says with what.
    outcome = operation(
        client, clinic, "book",
        _params(appointment_reference={"reference": f"Appointment/{proposal['id']}"}), 409,
    )  # fmt: skip
    assert outcome["resourceType"] == "OperationOutcome"
    texts = " ".join(i["details"]["text"] for i in outcome["issue"])
    assert "busy" in texts, texts
    assert {i["code"] for i in outcome["issue"]} == {"conflict"}

    cancelled = entries(
        operation(client, clinic, "book", _params(appointment_resource={
            **read, "status": "cancelled", "cancelationReason": {"text": "Moving away"}}))
    )[0]  # fmt: skip
    assert cancelled["status"] == "cancelled"
    db.rollback()  # a fresh snapshot: the API committed in its own session
    row = db.get(Appointment, booked["id"])
    assert row is not None and row.cancellation_reason == "Moving away"


def test_book_a_pending_appointment_the_client_wrote(client: TestClient, clinic: Clinic) -> None:
    body = _params(appointment_resource={
        "resourceType": "Appointment",
        "status": "pending",
        "serviceType": [{"coding": [{"code": "ADJ"}]}],
        "start": clinic.iso(16),
        "minutesDuration": 30,
        "participant": [
            {"actor": {"reference": f"Patient/{clinic.patients[2].id}"}, "status": "accepted"},
            {"actor": {"reference": f"Practitioner/{clinic.providers[0].id}"},
             "status": "accepted"},
        ],
        "extension": [{"url": "https://slotwise.dev/fhir/StructureDefinition/chair",
                       "valueString": clinic.chairs[1].id}],
    })  # fmt: skip
    booked = entries(operation(client, clinic, "book", body))[0]
    assert (booked["start"], booked["minutesDuration"]) == (clinic.iso(16), 30)
    # Without saying who it is for, nothing is booked and the outcome says what to send.
    anonymous = _params(appointment_reference={"reference": "Appointment/" + find(
        client, clinic)[0]["id"].replace(clinic.patients[1].id[:8], "0")})  # fmt: skip
    outcome = operation(client, clinic, "book", anonymous, 422)
    assert "patient-resource" in outcome["issue"][0]["details"]["text"]


def test_read_only_callers_cannot_hold_or_book(client: TestClient, clinic: Clinic) -> None:
    proposal = find(client, clinic, _count="1")[0]
    body = _params(appointment_reference={"reference": f"Appointment/{proposal['id']}"})
    for name in ("hold", "book"):
        outcome = operation(client, clinic, name, body, 403, role="provider")
        text = outcome["issue"][0]["details"]["text"]
        assert "system/Appointment.write" in text, text
    fhir_get(client, f"/fhir/Appointment/{proposal['id']}x", clinic.headers(), 404)


def test_a_refused_book_keeps_the_callers_hold(
    client: TestClient, clinic: Clinic, db: Session
) -> None:
    proposal = find(client, clinic, _count="1")[0]
    ref = {"reference": f"Appointment/{proposal['id']}"}
    operation(client, clinic, "hold", _params(appointment_reference=ref))
    # Another patient's booking the caller tries for a time the provider is taken.
    taken = client.post(
        "/api/booking/appointments",
        headers=clinic.headers(),
        json=clinic.booking(startTime=clinic.iso(16), patientId=clinic.patients[3].id),
    )
    assert taken.status_code == 201, taken.text
    clash = _params(appointment_resource={
        "resourceType": "Appointment", "status": "pending",
        "serviceType": [{"coding": [{"code": "ADJ"}]}], "start": clinic.iso(16),
        "participant": [
            {"actor": {"reference": f"Patient/{clinic.patients[2].id}"}, "status": "accepted"},
            {"actor": {"reference": f"Practitioner/{clinic.providers[0].id}"},
             "status": "accepted"},
        ],
        "extension": [{"url": "https://slotwise.dev/fhir/StructureDefinition/chair",
                       "valueString": clinic.chairs[1].id}],
    })  # fmt: skip
    outcome = operation(client, clinic, "book", clash, 409)
    assert "busy" in " ".join(i["details"]["text"] for i in outcome["issue"])
    db.rollback()
    assert len(db.scalars(select(SlotHold)).all()) == 1
