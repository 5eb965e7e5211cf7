from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.booking.clinic_state import ClinicState
from api.demo import DEMO_PASSWORD, load_demo
from api.demo_waitlist import WAITING
from api.models import (
    Appointment,
    AppointmentType,
    Assistant,
    Clinic,
    HeldInterval,
    Patient,
    User,
)
from api.models.waitlist import WaitlistEntry
from solver import validate
from solver.problem import Visit, VisitPart
from solver.result import PartAssignment
from solver.time_pattern import provider_held


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
    assert chairs["total"] == 8
    _a_cancellation_in_the_first_weeks_is_taken_from_the_waitlist(client, db, token)


def _a_cancellation_in_the_first_weeks_is_taken_from_the_waitlist(
    client: TestClient, db: Session, token: str
) -> None:
    """The demo's waitlist is there to be seen: some early adjustment, once cancelled, is wanted
    by a waiting patient, and booking them moves their later booking (docs/waitlist.md)."""
    auth = {"Authorization": f"Bearer {token}"}
    assert db.scalar(select(func.count()).select_from(WaitlistEntry)) == WAITING
    early = db.scalars(
        select(Appointment)
        .join(AppointmentType)
        .where(AppointmentType.code == "ADJ", Appointment.chair_id.is_not(None))
        .order_by(Appointment.start_time)
        .limit(40)
    ).all()
    for appt in early:
        matches = client.get(
            "/api/booking/waitlist/matches", params={"appointmentId": appt.id}, headers=auth
        ).json()
        if matches["total"]:
            break
    else:
        raise AssertionError("no early adjustment is wanted by anyone on the demo waitlist")
    cancelled = client.delete(
        f"/api/booking/appointments/{appt.id}",
        params={"reason": "Patient unwell"},
        headers={**auth, "If-Match": f'"{appt.version}"'},
    )
    assert cancelled.status_code == 200, cancelled.text
    top = matches["matches"][0]
    booked = client.post(
        f"/api/booking/waitlist/{top['entry']['id']}/book",
        json={
            "parts": [
                {k: p[k] for k in ("startTime", "providerId", "chairId", "roomId")}
                for p in top["slot"]["parts"]
            ]
        },
        headers=auth,
    )
    assert booked.status_code == 201, booked.text
    body = booked.json()
    assert body["entry"]["status"] == "booked"
    assert [a["source"] for a in body["appointments"]] == ["WAITLIST"]
    assert body["cancelledAppointmentIds"] == [top["entry"]["replacesAppointmentId"]]


def _held(db: Session) -> list[tuple[str, str | None, datetime, datetime, datetime, datetime]]:
    """(provider, chair, start, end, doctor from, doctor until) per D run of every appointment."""
    rows = db.execute(
        select(Appointment, AppointmentType).join(
            AppointmentType, Appointment.appointment_type_id == AppointmentType.id
        )
    ).all()
    out = []
    for appt, kind in rows:
        if not appt.holds_provider:
            continue
        before, after = kind.buffer_before, kind.buffer_after
        for a, z in provider_held(appt.time_pattern, appt.duration, before, after):
            out.append(
                (
                    appt.provider_id,
                    appt.chair_id,
                    appt.start_time,
                    appt.end_time,
                    appt.start_time + timedelta(minutes=a),
                    appt.start_time + timedelta(minutes=z),
                )
            )
    return out


@pytest.mark.demo_clinic
def test_the_doctor_is_never_needed_in_two_chairs_at_once_but_runs_several(db: Session) -> None:
    kinds = db.scalars(select(AppointmentType)).all()
    assert kinds and all(k.time_pattern for k in kinds)  # doctor time on every type
    held = sorted(_held(db), key=lambda h: (h[0], h[4]))
    assert held
    for (p1, *_, e1), (p2, _c, _s, _e, s2, _z) in itertools.pairwise(held):
        if p1 == p2:
            assert s2 >= e1
    # Scans are assistant time: recorded with a provider, who is not held.
    scans = db.scalars(
        select(Appointment).join(AppointmentType).where(AppointmentType.code == "SCAN")
    ).all()
    assert scans and not any(a.holds_provider for a in scans)
    # Chairs are held for the whole appointment and its buffer, one patient at a time.
    rows = db.execute(
        select(Appointment.chair_id, Appointment.occupied_start, Appointment.occupied_end)
        .where(Appointment.chair_id.is_not(None))
        .order_by(Appointment.chair_id, Appointment.occupied_start)
    ).all()
    for (c1, _s1, e1), (c2, s2, _e2) in itertools.pairwise(rows):
        if c1 == c2:
            assert s2 >= e1
    # Each doctor runs a bank of chairs: at the busiest moment three or more at once.
    spans: dict[str, list[tuple[datetime, datetime, str]]] = {}
    for provider, chair, start, end, *_ in _held(db):
        if chair is not None:
            spans.setdefault(provider, []).append((start, end, chair))
    assert len(spans) == 2
    for provider, visits in spans.items():
        peak = max(len({c for s, e, c in visits if s <= moment < e}) for moment, _, _ in visits)
        assert peak >= 3, provider


@pytest.mark.demo_clinic
def test_assistants_hold_their_chairs_appointments_and_the_engine_agrees(db: Session) -> None:
    """Six assistants for eight chairs: every chairside appointment and scan has one, none is
    with two patients at once, and the engine (asked about each appointment of the first
    booked day as if it were booked again) finds nothing wrong with what the seed wrote."""
    clinic = db.scalars(select(Clinic)).one()
    assert db.scalar(select(func.count()).select_from(Assistant)) == 6
    rows = db.execute(
        select(Appointment, AppointmentType).join(
            AppointmentType, Appointment.appointment_type_id == AppointmentType.id
        )
    ).all()
    assert all((a.assistant_id is not None) == k.needs_assistant for a, k in rows)
    assert {k.code for _, k in rows if not k.needs_assistant} == {"NPC"}
    held = sorted(
        db.execute(
            select(HeldInterval.resource_id, HeldInterval.start_time, HeldInterval.end_time).where(
                HeldInterval.resource_kind == "assistant"
            )
        ).all()
    )
    assert len(held) == sum(1 for a, _ in rows if a.assistant_id)
    for (r1, _s1, e1), (r2, s2, _e2) in itertools.pairwise(held):
        if r1 == r2:
            assert s2 >= e1
    # Fewer assistants than chairs: at the busiest moment every assistant at work (four full
    # time and one of the two part-timers, mornings or afternoons) is with a patient.
    starts = [s for _, s, _ in held]
    assert max(sum(1 for _, s, e in held if s <= t < e) for t in starts) == 5

    first_day = min(a.start_time for a, _ in rows).date()
    day = [(a, k) for a, k in rows if a.start_time.date() == first_day]
    assert day
    for appt, kind in day:
        state = ClinicState(
            db,
            clinic,
            appt.occupied_start - timedelta(hours=1),
            appt.occupied_end + timedelta(hours=1),
            exclude_appointment_ids=[appt.id],
        )
        part = PartAssignment(
            type_id=kind.id,
            start=appt.start_time,
            end=appt.end_time,
            provider_id=appt.provider_id if appt.holds_provider else None,
            chair_id=appt.chair_id,
            room_id=appt.room_id,
            template_slot_id=appt.template_slot_id,
            assistant_id=appt.assistant_id,
        )
        visit = Visit(parts=(VisitPart(type_id=kind.id, duration_minutes=appt.duration),))
        now = appt.start_time - timedelta(days=1)
        assert validate(state.query(visit, now), [part]) == [], (kind.code, appt.start_time)
