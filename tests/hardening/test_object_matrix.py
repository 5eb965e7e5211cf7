"""Object-level authorization, generated from the route table: every route that names an object
in its path, called by every role with the permission for it, on another clinic's object (and,
for patients, on another patient's appointment) must answer 403/404 and change nothing; the same
call on the caller's own object must get through (so the ids really point at objects)."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.auth.permissions import permissions_for
from api.config import Settings
from api.models import (
    Appointment,
    AppointmentType,
    Assistant,
    Chair,
    MachineClient,
    Room,
    ScheduleTemplate,
    TreatmentPlan,
    WaitlistEntry,
    WaitlistOffer,
    WorkingHours,
)
from tests.api.booking.conftest import Clinic, book
from tests.conftest import ClinicWorld, make_world
from tests.hardening.routes import route_table

STAFF = ("admin", "frontdesk", "provider")
PARAM = re.compile(r"\{([^}]+)\}")
# Bodies that pass validation, so the request reaches the object lookup.
BODIES: dict[tuple[str, str], Any] = {
    ("PUT", "/api/booking/appointments/{appointment_id}"): {"notes": "mine now"},
    ("POST", "/api/booking/appointments/{appointment_id}/reschedule"): {"startTime": "SOON"},
    ("POST", "/api/booking/appointments/{appointment_id}/duplicate"): {"startTime": "SOON"},
    ("POST", "/api/patient-portal/appointments/{appointment_id}/reschedule"): {
        "startTime": "SOON",
        "providerId": "PROVIDER",
    },
    ("POST", "/api/patient-portal/appointments/{appointment_id}/cancel"): {"reason": "x"},
    ("PUT", "/api/chairs/{chair_id}"): {"name": "Taken"},
    ("PUT", "/api/assistants/{assistant_id}"): {"name": "Taken"},
    ("PUT", "/api/rooms/{room_id}"): {"name": "Taken", "kind": "scanner"},
    ("PUT", "/api/providers/{provider_id}"): {"name": "Taken"},
    ("PUT", "/api/users/{user_id}"): {"role": "frontdesk"},
    ("PUT", "/api/clients/{client_id}"): {"name": "Taken"},
}
PARAMS = {"reason": "matrix", "waiveFee": "true"}


def _other_clinic_objects(db: Session, world: ClinicWorld, start: datetime) -> dict[str, str]:
    cid = world.clinic.id
    chair = Chair(clinic_id=cid, name="Their chair")
    room = Room(clinic_id=cid, name="Their scanner", kind="scanner")
    assistant = Assistant(clinic_id=cid, name="Their assistant")
    kind = AppointmentType(
        clinic_id=cid, name="Their type", code="THEIR", default_duration=30,
        min_duration=20, max_duration=40,
    )  # fmt: skip
    db.add_all([chair, room, assistant, kind])
    db.flush()
    plan = TreatmentPlan(clinic_id=cid, patient_id=world.patient.id, name="Their plan")
    template = ScheduleTemplate(clinic_id=cid, name="Their week", active=True)
    template.working_hours.append(
        WorkingHours(
            resource_type="provider",
            resource_id=world.provider.id,
            weekday=0,
            start_time=time(8),
            end_time=time(18),
        )
    )
    appt = Appointment(
        clinic_id=cid, patient_id=world.patient.id, start_time=start,
        end_time=start + timedelta(minutes=30), duration=30, occupied_start=start,
        occupied_end=start + timedelta(minutes=30), appointment_type_id=kind.id,
        provider_id=world.provider.id, chair_id=chair.id, booked_by=world.users["admin"].id,
    )  # fmt: skip
    db.add_all([plan, template, appt])
    db.flush()
    entry, offer = _waitlist_objects(db, cid, world.patient.id, kind.id, start)
    machine = _machine_client(db, cid)
    db.commit()
    return {
        "entry_id": entry, "offer_id": offer, "client_id": machine,
        "appointment_id": appt.id, "clinic_id": cid, "chair_id": chair.id, "room_id": room.id,
        "assistant_id": assistant.id, "provider_id": world.provider.id,
        "patient_id": world.patient.id, "plan_id": plan.id,
        "type_id": kind.id, "template_id": template.id, "user_id": world.users["frontdesk"].id,
    }  # fmt: skip


def _waitlist_objects(
    db: Session, clinic_id: str, patient_id: str, type_id: str, start: datetime
) -> tuple[str, str]:
    """A waiting entry and an open offer of the clinic (ids for /waitlist/{entry_id} ...)."""
    entry = WaitlistEntry(
        clinic_id=clinic_id, patient_id=patient_id, appointment_type_id=type_id,
        parts=[{"appointmentTypeId": type_id, "duration": 30}], created_by="matrix",
    )  # fmt: skip
    offer = WaitlistOffer(
        clinic_id=clinic_id, gap_start=start, gap_end=start + timedelta(minutes=30),
        expires_at=start, created_by="matrix", booked_appointment_ids=[],
    )  # fmt: skip
    db.add_all([entry, offer])
    db.flush()
    return entry.id, offer.id


def _machine_client(db: Session, clinic_id: str) -> str:
    """A machine client of the clinic (ids for /api/clients/{client_id} ...)."""
    machine = MachineClient(
        clinic_id=clinic_id, name="Matrix partner", secret_hash="not-a-hash",
        scopes=["system/*.read"], active=True, created_by="matrix",
    )  # fmt: skip
    db.add(machine)
    db.flush()
    return machine.id


def _own_objects(clinic: Clinic, appointment_id: str) -> dict[str, str]:
    db_template = clinic.adj_slot.template_id if hasattr(clinic.adj_slot, "template_id") else ""
    return {
        "appointment_id": appointment_id, "clinic_id": clinic.world.clinic.id,
        "chair_id": clinic.chairs[0].id, "room_id": clinic.scanner.id,
        "provider_id": clinic.providers[0].id, "patient_id": clinic.patients[0].id,
        "plan_id": clinic.plan.id, "type_id": clinic.adj.id, "template_id": db_template,
        "user_id": clinic.world.users["frontdesk"].id,
    }  # fmt: skip


def _fingerprint(db: Session, clinic_id: str) -> str:
    """Every row the other clinic owns, hashed: any change anywhere shows."""
    db.rollback()
    digest = hashlib.sha256()
    for table in (
        "appointments", "audit_log", "chairs", "rooms", "assistants", "providers", "patients",
        "treatment_plans", "appointment_types", "schedule_templates", "clinics", "users",
        "waitlist_entries", "waitlist_offers", "machine_clients",
    ):  # fmt: skip
        column = "id" if table == "clinics" else "clinic_id"
        rows = db.execute(
            text(f"SELECT * FROM {table} WHERE {column} = :c ORDER BY 1"), {"c": clinic_id}
        )
        digest.update(json.dumps([list(r) for r in rows], default=str).encode())
    return digest.hexdigest()


def _call(
    client: TestClient, method: str, path: str, ids: dict[str, str], token: str, soon: str
) -> int:
    url = PARAM.sub(lambda m: ids[m.group(1)], path)
    body = json.loads(
        json.dumps(BODIES.get((method, path), {}))
        .replace("SOON", soon)
        .replace("PROVIDER", ids["provider_id"])
    )
    headers = {"Authorization": f"Bearer {token}", "If-Match": '"1"'}
    kwargs: dict[str, Any] = {"headers": headers, "params": PARAMS}
    if method in ("POST", "PUT"):
        kwargs["json"] = body
    return client.request(method, url, **kwargs).status_code


@pytest.fixture
def matrix(
    app: FastAPI, client: TestClient, clinic: Clinic, db: Session, settings: Settings
) -> tuple[ClinicWorld, dict[str, str], dict[str, str], str, list[tuple[str, str, str | None]]]:
    rival = make_world(db, settings, "Rival Clinic")
    theirs = _other_clinic_objects(db, rival, clinic.at(11))
    mine = book(client, clinic, patientId=clinic.patients[0].id)
    assert mine.status_code == 201, mine.text
    other_patient = book(client, clinic, patientId=clinic.patients[1].id, startTime=clinic.iso(16))
    assert other_patient.status_code == 201, other_patient.text
    template_id = db.scalar(
        text("SELECT id FROM schedule_templates WHERE clinic_id = :c"),
        {"c": clinic.world.clinic.id},
    )
    assistant = Assistant(clinic_id=clinic.world.clinic.id, name="Our assistant")
    db.add(assistant)
    # The waitlist entry is another patient's: the patient's own portal routes must refuse it.
    entry, offer = _waitlist_objects(
        db, clinic.world.clinic.id, clinic.patients[1].id, clinic.adj.id, clinic.at(9)
    )
    machine = _machine_client(db, clinic.world.clinic.id)
    db.commit()
    own = _own_objects(clinic, mine.json()["id"]) | {
        "template_id": template_id, "assistant_id": assistant.id, "entry_id": entry,
        "offer_id": offer, "client_id": machine,
    }  # fmt: skip
    routes = [r for r in route_table(app) if PARAM.search(r[1])]
    return rival, theirs, own, other_patient.json()["id"], routes


@pytest.mark.parametrize("role", STAFF)
def test_staff_cannot_touch_another_clinics_objects(
    client: TestClient, clinic: Clinic, db: Session, matrix: Any, role: str
) -> None:
    rival, theirs, own, _, routes = matrix
    granted = {p.value for p in permissions_for(role)}
    soon = clinic.iso(15)
    before = _fingerprint(db, rival.clinic.id)
    leaks, reached = [], 0
    for method, path, permission in routes:
        if permission is None or permission not in granted:
            continue  # the role x endpoint matrix covers 403 for missing permissions
        status = _call(client, method, path, theirs, clinic.world.tokens[role], soon)
        if status not in (403, 404):
            leaks.append(f"{role} {method} {path} on the other clinic's object: {status}")
        if method == "GET":
            own_status = _call(client, method, path, own, clinic.world.tokens[role], soon)
            assert own_status == 200, f"{role} GET {path} on its own object: {own_status}"
            reached += 1
    assert leaks == []
    assert reached >= 5
    assert _fingerprint(db, rival.clinic.id) == before


def test_patient_cannot_touch_another_patients_or_clinics_appointment(
    client: TestClient, clinic: Clinic, db: Session, matrix: Any
) -> None:
    rival, theirs, own, other_patients_appt, routes = matrix
    token = clinic.world.tokens["patient"]  # the patient user is clinic.patients[0]
    soon = clinic.iso(15)
    rival_before = _fingerprint(db, rival.clinic.id)
    before = db.execute(
        text("SELECT version, status, notes FROM appointments WHERE id = :i"),
        {"i": other_patients_appt},
    ).one()
    leaks, reached = [], 0
    portal = [r for r in routes if r[1].startswith("/api/patient-portal/appointments/")]
    assert portal, "the portal routes are missing from the route table"
    for method, path, permission in routes:
        if permission is None:
            continue  # public: a clinic's booking page, sign-in
        for label, ids in (
            ("another patient's", own | {"appointment_id": other_patients_appt}),
            ("another clinic's", theirs),
        ):
            status = _call(client, method, path, ids, token, soon)
            if status not in (403, 404):
                leaks.append(f"patient {method} {path} on {label} object: {status}")
    for method, path, _ in portal:
        if method == "GET":
            assert _call(client, method, path, own, token, soon) == 200, path
            reached += 1
    assert leaks == [], "\n".join(leaks)
    assert reached >= 1
    db.rollback()
    after = db.execute(
        text("SELECT version, status, notes FROM appointments WHERE id = :i"),
        {"i": other_patients_appt},
    ).one()
    assert tuple(after) == tuple(before)
    assert _fingerprint(db, rival.clinic.id) == rival_before
