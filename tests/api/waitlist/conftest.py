"""The booking tests' clinic, with patients who have email, and waitlist helpers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import OutboxMail, Patient
from tests.api.booking.conftest import Clinic, clinic  # noqa: F401  (fixture re-export)

BASE = "/api/booking/waitlist"


@dataclass
class Waitlist:
    clinic: Clinic
    client: TestClient
    db: Session

    @property
    def staff(self) -> dict[str, str]:
        return self.clinic.headers("frontdesk")

    def patient(self, i: int) -> Patient:
        return self.clinic.patients[i]

    def add_patients(self, n: int) -> list[Patient]:
        cid = self.clinic.world.clinic.id
        rows = [
            Patient(
                clinic_id=cid,
                first_name=f"Wait{i}",
                last_name="Lister",
                date_of_birth=date(2012, 1, 1),
                email=f"wait{i}@example.com",
            )
            for i in range(n)
        ]
        self.db.add_all(rows)
        self.db.commit()
        return rows

    def book(self, **overrides: Any) -> dict[str, Any]:
        resp = self.client.post(
            "/api/booking/appointments", json=self.clinic.booking(**overrides), headers=self.staff
        )
        assert resp.status_code == 201, resp.text
        return resp.json()  # type: ignore[no-any-return]

    def cancel(self, appointment_id: str) -> None:
        resp = self.client.delete(
            f"/api/booking/appointments/{appointment_id}",
            params={"reason": "Patient called", "waiveFee": "true"},
            headers=self.staff,
        )
        assert resp.status_code == 200, resp.text

    def entry(self, patient_id: str, **body: Any) -> dict[str, Any]:
        payload = {"patientId": patient_id, "appointmentTypeId": self.clinic.adj.id, **body}
        resp = self.client.post(BASE, json=payload, headers=self.staff)
        assert resp.status_code == 201, resp.text
        return resp.json()  # type: ignore[no-any-return]

    def matches(self, **params: Any) -> Any:
        resp = self.client.get(f"{BASE}/matches", params=params, headers=self.staff)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def mails(self, kind: str) -> list[OutboxMail]:
        self.db.rollback()  # a fresh snapshot: the API committed in other sessions
        return list(self.db.scalars(select(OutboxMail).where(OutboxMail.kind == kind)))


@pytest.fixture
def wl(db: Session, client: TestClient, clinic: Clinic) -> Waitlist:  # noqa: F811
    for i, patient in enumerate(clinic.patients):
        patient.email = f"patient{i}@example.com"
    db.commit()
    return Waitlist(clinic, client, db)
