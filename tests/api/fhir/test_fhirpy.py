"""A partner system's view: a stock FHIR client (fhirpy) with a client-credentials token against
a real uvicorn server holding the demo clinic. It finds the discovery document, gets a token
with HTTP Basic as OAuth2 libraries do, lists free adjustment slots, finds, holds and books one,
reads it back and cancels it, only through /fhir."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from fastapi import FastAPI
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import AuthorizationError, ForbiddenError, ResourceNotFound
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.clients import service
from api.auth.clients.schemas import ClientCreate
from api.demo import DEMO_PASSWORD
from api.models import AuditEntry, Clinic, Patient
from tests.support.server import running_server

READ_AND_BOOK = ["system/*.read", "system/Appointment.write"]


@dataclass
class Partner:
    """A partner system holding one machine client's id and secret."""

    base: str
    client_id: str
    secret: str

    def token(self, scope: str | None = None) -> requests.Response:
        config = requests.get(f"{self.base}/fhir/.well-known/smart-configuration", timeout=30)
        form = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
        return requests.post(
            config.json()["token_endpoint"],
            data=form,
            auth=(self.client_id, self.secret),
            timeout=30,
        )

    def fhir(self, scope: str | None = None) -> SyncFHIRClient:
        resp = self.token(scope)
        assert resp.status_code == 200, resp.text
        return SyncFHIRClient(
            f"{self.base}/fhir",
            authorization=f"Bearer {resp.json()['access_token']}",
            requests_config={"timeout": 120},
        )


@dataclass
class Demo:
    app: FastAPI
    clinic: Clinic
    patient: Patient
    base: str
    admin: dict[str, str]

    def partner(self, scopes: list[str], name: str = "Practice website") -> Partner:
        resp = requests.post(
            f"{self.base}/api/clients",
            json={"name": name, "scopes": scopes},
            headers=self.admin,
            timeout=30,
        )
        assert resp.status_code == 201, resp.text
        return Partner(self.base, resp.json()["id"], resp.json()["clientSecret"])

    def window(self) -> tuple[datetime, datetime]:
        """The next seven clinic-local days from tomorrow: weekdays with free adjustments."""
        zone = ZoneInfo(self.clinic.time_zone)
        tomorrow = datetime.now(zone).date() + timedelta(days=1)
        start = datetime.combine(tomorrow, time(0, 0), zone).astimezone(UTC)
        return start, start + timedelta(days=7)


# Every test here starts from the demo clinic, loaded once per session (tests/conftest.py).
pytestmark = pytest.mark.demo_clinic


@pytest.fixture
def demo(app: FastAPI, db: Session) -> Iterator[Demo]:
    clinic = db.scalars(select(Clinic)).one()
    patient = db.scalars(select(Patient).order_by(Patient.last_name, Patient.id)).first()
    assert patient is not None
    with running_server(app) as base:
        signed_in = requests.post(
            f"{base}/api/auth/token",
            data={"username": "admin@brightside.example", "password": DEMO_PASSWORD},
            timeout=30,
        )
        assert signed_in.status_code == 200, signed_in.text
        admin = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        yield Demo(app, clinic, patient, base, admin)


def _adjustment_schedule(fhir: SyncFHIRClient) -> Any:
    schedules = fhir.resources("Schedule").search(service_type="ADJ").fetch()
    assert len(schedules) == 1
    return schedules[0]


def test_a_partner_lists_the_demo_clinics_free_adjustments(demo: Demo) -> None:
    fhir = demo.partner(READ_AND_BOOK).fhir()
    schedule = _adjustment_schedule(fhir)
    assert any(a["reference"] == f"Location/{demo.clinic.id}" for a in schedule["actor"])
    start, end = demo.window()
    slots = (
        fhir.resources("Slot")
        .search(schedule=f"Schedule/{schedule.id}", status="free")
        .search(start__ge=start, start__lt=end)
        .limit(20)
        .fetch()
    )
    assert slots, "the demo clinic has free adjustments every weekday"
    for slot in slots:
        assert slot["status"] == "free"
        assert slot["schedule"]["reference"] == f"Schedule/{schedule.id}"
        assert start <= datetime.fromisoformat(slot["start"]) < end
    again = fhir.reference("Slot", slots[0].id).to_resource()
    assert again["start"] == slots[0]["start"]


def test_a_client_of_another_clinic_sees_nothing_of_the_demo(demo: Demo) -> None:
    fhir = demo.partner(["system/*.read"]).fhir()
    schedule = _adjustment_schedule(fhir)
    rival = _partner_of_another_clinic(demo).fhir()
    with pytest.raises(ResourceNotFound):
        rival.reference("Schedule", schedule.id).to_resource()
    assert rival.resources("Schedule").search(service_type="ADJ").fetch() == []
    with pytest.raises(ResourceNotFound):
        rival.reference("Location", demo.clinic.id).to_resource()


def _partner_of_another_clinic(demo: Demo) -> Partner:
    """A machine client of a second clinic, made as `slotwise clients create` makes one."""
    data = ClientCreate(name="Rival website", scopes=["system/*.read"])
    with demo.app.state.db.write() as session:
        other = Clinic(name="Rival Orthodontics", time_zone="Europe/London")
        session.add(other)
        session.flush()
        client, secret = service.create_client(session, other.id, data, created_by="cli")
        session.commit()
    return Partner(demo.base, client.id, secret)


def test_a_revoked_partner_is_refused_at_once(demo: Demo) -> None:
    partner = demo.partner(["system/*.read"])
    fhir = partner.fhir()
    _adjustment_schedule(fhir)
    revoked = requests.post(
        f"{demo.base}/api/clients/{partner.client_id}/revoke", headers=demo.admin, timeout=30
    )
    assert revoked.status_code == 200
    with pytest.raises(AuthorizationError):
        fhir.resources("Schedule").fetch()
    assert partner.token().json()["error"] == "invalid_client"


def _parameters(**values: Any) -> dict[str, Any]:
    """A FHIR Parameters body: references as valueReference, the rest as valueString."""
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


def _only(bundle: Any) -> Any:
    assert bundle["resourceType"] == "Bundle" and bundle["total"] == 1, bundle
    return bundle["entry"][0]["resource"]


def _find(fhir: SyncFHIRClient, demo: Demo, count: int = 3) -> list[Any]:
    start, end = demo.window()
    found = fhir.execute(
        "Appointment/$find",
        data=_parameters(
            start=start.isoformat(),
            end=end.isoformat(),
            service_type="ADJ",
            patient={"reference": f"Patient/{demo.patient.id}"},
            _count=str(count),
        ),
    )
    return [entry["resource"] for entry in found["entry"]]


def test_a_partner_finds_holds_books_reads_back_and_cancels(demo: Demo, db: Session) -> None:
    partner = demo.partner(READ_AND_BOOK)
    fhir = partner.fhir()
    proposals = _find(fhir, demo)
    assert proposals and {p["status"] for p in proposals} == {"proposed"}
    chosen = proposals[0]
    held = _only(
        fhir.execute(
            "Appointment/$hold",
            data=_parameters(appointment_reference={"reference": f"Appointment/{chosen['id']}"}),
        )
    )
    assert held["status"] == "pending" and held["start"] == chosen["start"]
    booked = _only(
        fhir.execute(
            "Appointment/$book",
            data=_parameters(
                appointment_reference={"reference": f"Appointment/{held['id']}"},
                comment="Booked from the practice website",
            ),
        )
    )
    assert booked["status"] == "booked"
    assert booked["start"] == chosen["start"]

    read = fhir.reference("Appointment", booked["id"]).to_resource()
    assert read["status"] == "booked"
    assert f"Patient/{demo.patient.id}" in [p["actor"]["reference"] for p in read["participant"]]
    mine = fhir.resources("Appointment").search(patient=demo.patient.id, status="booked").fetch()
    assert booked["id"] in [a.id for a in mine]

    cancelled = _only(
        fhir.execute(
            "Appointment/$book",
            data=_parameters(
                appointment_resource={**read.serialize(), "status": "cancelled"},
                comment="Patient rang to cancel",
            ),
        )
    )
    assert cancelled["status"] == "cancelled"
    assert fhir.reference("Appointment", booked["id"]).to_resource()["status"] == "cancelled"
    # The audit trail names the partner's client for both writes.
    db.rollback()
    actors = db.scalars(
        select(AuditEntry.actor_id)
        .where(AuditEntry.entity_id == booked["id"])
        .order_by(AuditEntry.id)
    ).all()
    assert actors == [partner.client_id, partner.client_id]


def test_a_read_only_partner_cannot_hold_or_book(demo: Demo) -> None:
    fhir = demo.partner(["system/*.read"], name="Reminder service").fhir()
    chosen = _find(fhir, demo, count=1)[0]
    reference = _parameters(appointment_reference={"reference": f"Appointment/{chosen['id']}"})
    for operation in ("Appointment/$hold", "Appointment/$book"):
        with pytest.raises(ForbiddenError) as refused:
            fhir.execute(operation, data=reference)
        assert "system/Appointment.write" in str(refused.value)
        assert "OperationOutcome" in str(refused.value)
