"""A clinic in Europe/London with a provider, two chairs and a scanner room, configured through
the schedule-template API as an admin would; the hours view read back as the front desk would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.models import AppointmentType, Chair, Room
from tests.conftest import ClinicWorld

URL = "/api/schedule/hours"
LONDON = ZoneInfo("Europe/London")
SPRING = date(2026, 3, 29)  # 01:00 GMT -> 02:00 BST: a 23-hour day
AUTUMN = date(2026, 10, 25)  # 02:00 BST -> 01:00 GMT: a 25-hour day
MONDAY = date(2026, 11, 30)


@dataclass
class Setup:
    world: ClinicWorld
    provider: str
    chair1: str
    chair2: str
    room: str
    adjust: str
    scan: str


@pytest.fixture
def setup(db: Session, world: ClinicWorld) -> Setup:
    cid = world.clinic.id
    chair1, chair2 = Chair(clinic_id=cid, name="Chair 1"), Chair(clinic_id=cid, name="Chair 2")
    room = Room(clinic_id=cid, name="Scanner", kind="scanner")
    adjust = AppointmentType(
        clinic_id=cid, name="Adjustment", code="ADJ", min_duration=20, default_duration=30,
        max_duration=40,
    )  # fmt: skip
    scan = AppointmentType(
        clinic_id=cid, name="Scan", code="SCAN", min_duration=20, default_duration=20,
        max_duration=20, needs_chair=False, room_kind="scanner",
    )  # fmt: skip
    db.add_all([chair1, chair2, room, adjust, scan])
    db.commit()
    return Setup(world, world.provider.id, chair1.id, chair2.id, room.id, adjust.id, scan.id)


def hours(kind: str, rid: str, weekday: int, start: str, end: str) -> dict[str, Any]:
    return {"resourceType": kind, "resourceId": rid, "weekday": weekday, "start": start, "end": end}


def every_day(kind: str, rid: str, *blocks: tuple[str, str]) -> list[dict[str, Any]]:
    return [hours(kind, rid, d, s, e) for d in range(7) for s, e in blocks]


def template(client: TestClient, s: Setup, **body: Any) -> dict[str, Any]:
    doc = {"name": "Week", "active": True, "workingHours": [], **body}
    res = client.post("/api/schedule-templates", json=doc, headers=s.world.headers("admin"))
    assert res.status_code == 201, res.text
    return dict(res.json())


def get_hours(
    client: TestClient, s: Setup, start: datetime, end: datetime, role: str = "frontdesk"
):  # type: ignore[no-untyped-def]
    params = {"from": iso(start), "to": iso(end)}
    return client.get(URL, params=params, headers=s.world.headers(role))


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), LONDON)


def day_of(body: dict[str, Any], rid: str, day: date) -> dict[str, Any]:
    [resource] = [r for r in body["resources"] if r["resourceId"] == rid]
    [found] = [d for d in resource["days"] if d["date"] == day.isoformat()]
    return dict(found)


def spans(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(x["startTime"], x["endTime"]) for x in items]


def utc(day: date, hour: int, minute: int = 0) -> str:
    """A UTC wall time as the API writes it."""
    return datetime.combine(day, time(hour, minute), UTC).isoformat().replace("+00:00", "Z")
