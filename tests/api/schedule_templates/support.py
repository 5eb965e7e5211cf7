"""Shared set-up for the schedule-template tests: a clinic's resources and template bodies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.models import AppointmentType, Chair, Room
from tests.conftest import ClinicWorld

URL = "/api/schedule-templates"


@dataclass
class Setup:
    """A clinic's configurable resources, made through the ORM so these tests stand alone."""

    chair1: str
    chair2: str
    provider: str
    room: str
    adjust: str
    scan: str


def make_setup(db: Session, world: ClinicWorld) -> Setup:
    cid = world.clinic.id
    chair1 = Chair(clinic_id=cid, name="Chair 1")
    chair2 = Chair(clinic_id=cid, name="Chair 2")
    room = Room(clinic_id=cid, name="Scanner room", kind="scanner")
    adjust = AppointmentType(
        clinic_id=cid,
        name="Adjustment",
        code="ADJ",
        min_duration=15,
        default_duration=20,
        max_duration=30,
    )
    scan = AppointmentType(
        clinic_id=cid,
        name="Scan",
        code="SCAN",
        min_duration=10,
        default_duration=10,
        max_duration=10,
    )
    db.add_all([chair1, chair2, room, adjust, scan])
    db.commit()
    return Setup(chair1.id, chair2.id, world.provider.id, room.id, adjust.id, scan.id)


def hours(
    resource_id: str, weekday: int, start: str, end: str, kind: str = "chair"
) -> dict[str, Any]:
    return {
        "resourceType": kind,
        "resourceId": resource_id,
        "weekday": weekday,
        "start": start,
        "end": end,
    }


def slot(weekday: int, start: str, end: str, type_ids: list[str], **extra: Any) -> dict[str, Any]:
    return {"weekday": weekday, "start": start, "end": end, "appointmentTypeIds": type_ids, **extra}


def week(s: Setup, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Standard week",
        "workingHours": [
            hours(s.chair1, 0, "08:00", "12:00"),
            hours(s.chair1, 0, "13:00", "17:00"),
            hours(s.provider, 0, "08:00", "16:00", kind="provider"),
        ],
        "exceptions": [],
        "templateSlots": [slot(0, "08:00", "09:00", [s.adjust], chairId=s.chair1, name="Adj")],
    }
    body.update(overrides)
    return body


def post(client: TestClient, world: ClinicWorld, body: dict[str, Any]) -> dict[str, Any]:
    res = client.post(URL, json=body, headers=world.headers("admin"))
    assert res.status_code == 201, res.text
    return dict(res.json())


def rejected(
    client: TestClient, world: ClinicWorld, body: dict[str, Any], template_id: str | None = None
) -> list[dict[str, str]]:
    """POSTs (or PUTs) the body, expects a 422 and returns its errors list."""
    h = world.headers("admin")
    res = (
        client.post(URL, json=body, headers=h)
        if template_id is None
        else client.put(f"{URL}/{template_id}", json=body, headers=h)
    )
    assert res.status_code == 422, res.text
    assert res.headers["content-type"] == "application/problem+json"
    return list(res.json()["errors"])
