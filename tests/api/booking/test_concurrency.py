"""The no-double-booking guarantee under real concurrency, through uvicorn, on both databases."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.models import Appointment
from tests.api.booking.conftest import Clinic
from tests.support.server import running_server

CONCURRENT = 50


def test_fifty_requests_for_one_provider_and_time_book_exactly_once(
    app: FastAPI, clinic: Clinic, db: Session
) -> None:
    barrier = threading.Barrier(CONCURRENT)
    headers = clinic.headers()

    def attempt(i: int, base_url: str) -> int:
        # Different patients and chairs: only the provider is shared, so the provider rule
        # alone must stop 49 of them.
        body = clinic.booking()
        body["patientId"] = clinic.patients[i % len(clinic.patients)].id
        body["chairId"] = clinic.chairs[i % 2].id
        with httpx.Client(base_url=base_url, timeout=60) as http:
            barrier.wait()
            return http.post("/api/booking/appointments", json=body, headers=headers).status_code

    with running_server(app) as base_url, ThreadPoolExecutor(CONCURRENT) as pool:
        codes = list(pool.map(lambda i: attempt(i, base_url), range(CONCURRENT)))

    assert codes.count(201) == 1, codes
    assert codes.count(409) == CONCURRENT - 1, codes
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Appointment)) == 1
