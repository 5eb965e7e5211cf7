"""Twenty patients accepting one offer at once: one booking, nineteen told it is taken."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from api.models import Appointment, AppointmentSource
from tests.api.waitlist.conftest import BASE, Waitlist
from tests.support.server import running_server

PATIENTS = 20


def test_twenty_acceptances_at_once_book_once(wl: Waitlist, app: FastAPI) -> None:
    c = wl.clinic
    freed = wl.book(patientId=wl.patient(3).id, startTime=c.iso(14))
    for patient in wl.add_patients(PATIENTS):
        wl.entry(patient.id)
    wl.cancel(freed["id"])
    resp = wl.client.post(
        f"{BASE}/offers", json={"appointmentId": freed["id"], "count": PATIENTS}, headers=wl.staff
    )
    assert resp.status_code == 201, resp.text
    assert len(resp.json()["recipients"]) == PATIENTS
    tokens = [
        re.search(r"token=(\S+)", m.text_body).group(1)  # type: ignore[union-attr]
        for m in wl.mails("waitlist-offer")
    ]
    assert len(tokens) == PATIENTS

    with running_server(app) as base:

        def accept(token: str) -> tuple[int, str]:
            with httpx.Client(base_url=base, timeout=120) as http:
                r = http.post("/api/patient-portal/waitlist-offer/accept", json={"token": token})
                return r.status_code, r.json().get("status", r.text)

        with ThreadPoolExecutor(PATIENTS) as pool:
            results = sorted(pool.map(accept, tokens))
    assert results == [(201, "accepted")] + [(409, "taken")] * (PATIENTS - 1)
    wl.db.rollback()
    booked = wl.db.scalar(
        select(func.count())
        .select_from(Appointment)
        .where(Appointment.source == AppointmentSource.WAITLIST)
    )
    assert booked == 1
    assert len(wl.mails("waitlist-offer-taken")) == PATIENTS - 1
