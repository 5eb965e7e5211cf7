"""The booking tests' configured clinic plus a new-patient type and portal helpers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.models import AppointmentType
from tests.api.booking.conftest import Clinic, clinic  # noqa: F401  (fixture re-export)
from tests.support.smtp import smtp  # noqa: F401  (fixture re-export)


@dataclass
class Portal:
    clinic: Clinic
    client: TestClient
    npc: AppointmentType

    @property
    def patient(self) -> dict[str, str]:
        return self.clinic.headers("patient")

    def guest(self) -> dict[str, str]:
        resp = self.client.post(
            "/api/patient-portal/guest-session", json={"clinicId": self.clinic.world.clinic.id}
        )
        assert resp.status_code == 200, resp.text
        return {"Authorization": f"Bearer {resp.json()['guestToken']}"}

    def slots(self, headers: dict[str, str], type_id: str, **params: Any) -> Any:
        resp = self.client.get(
            "/api/patient-portal/available-slots",
            params={"appointmentTypeId": type_id, **params},
            headers=headers,
        )
        assert resp.status_code == 200, resp.text
        return resp.json()

    def choice(self, type_id: str, hour: int, minute: int = 0, **over: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "appointmentTypeId": type_id,
            "startTime": self.clinic.iso(hour, minute),
            "providerId": self.clinic.providers[0].id,
            "chairId": self.clinic.chairs[1].id,
        }
        body.update(over)
        return body

    def hold(self, headers: dict[str, str], body: dict[str, Any]) -> Any:
        return self.client.post("/api/patient-portal/holds", json=body, headers=headers)

    def book(self, body: dict[str, Any], headers: dict[str, str] | None = None, **kw: Any) -> Any:
        return self.client.post(
            "/api/patient-portal/book", json=body, headers=headers or self.patient, **kw
        )


NEW_PATIENT = {
    "firstName": "Nia",
    "lastName": "Okoro",
    "dateOfBirth": "2012-03-04",
    "email": "nia.parent@example.com",
    "phone": "07700 900111",
}


@pytest.fixture
def portal(db: Session, client: TestClient, clinic: Clinic) -> Portal:  # noqa: F811
    npc = AppointmentType(
        clinic_id=clinic.world.clinic.id,
        name="New Patient Consult",
        code="NPC",
        default_duration=45,
        min_duration=30,
        max_duration=60,
        online_bookable=True,
        new_patient_bookable=True,
    )
    db.add(npc)
    db.commit()
    return Portal(clinic, client, npc)
