from __future__ import annotations

import itertools

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.demo import DEMO_PASSWORD, load_demo
from api.models import Appointment, Clinic, Patient, User


def _counts(db: Session) -> tuple[int, ...]:
    return tuple(
        db.scalar(select(func.count()).select_from(m)) or 0
        for m in (Clinic, User, Patient, Appointment)
    )


def test_demo_loads_once_and_its_logins_work(client: TestClient, db: Session) -> None:
    first = load_demo(db)
    db.commit()
    counts = _counts(db)
    assert counts[0] == 1 and counts[1] == 4 and counts[2] == 50 and counts[3] >= 200
    again = load_demo(db)
    db.commit()
    assert "already loaded" in again
    assert _counts(db) == counts
    assert "Brightside" in first

    for role in ("admin", "frontdesk", "provider", "patient"):
        resp = client.post(
            "/api/auth/token",
            data={"username": f"{role}@brightside.example", "password": DEMO_PASSWORD},
        )
        assert resp.status_code == 200, role
    token = client.post(
        "/api/auth/token",
        data={"username": "admin@brightside.example", "password": DEMO_PASSWORD},
    ).json()["access_token"]
    chairs = client.get("/api/chairs", headers={"Authorization": f"Bearer {token}"}).json()
    assert chairs["total"] == 6


def test_demo_appointments_never_overlap_per_provider(db: Session) -> None:
    load_demo(db)
    db.commit()
    rows = db.execute(
        select(
            Appointment.provider_id, Appointment.occupied_start, Appointment.occupied_end
        ).order_by(Appointment.provider_id, Appointment.occupied_start)
    ).all()
    for (p1, _s1, e1), (p2, s2, _e2) in itertools.pairwise(rows):
        if p1 == p2:
            assert s2 >= e1
