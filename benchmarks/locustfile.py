"""The load test's simulated front desks and patients, for `benchmarks/load_bench.py`.

Run only by that script, which creates the clinic, the tokens and the server this file talks to
and passes them in SLOTWISE_LOAD_FIXTURE (a JSON file). Bounded three ways: locust's
--run-time, SLOTWISE_LOAD_MAX_REQUESTS (the run stops once that many requests were sent), and a
host that must be on 127.0.0.1. Each user sends its tasks at a fixed rate
(`constant_throughput`), so the users together give a fixed arrival rate.
"""

from __future__ import annotations

import json
import os
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import gevent
from locust import HttpUser, constant_throughput, events, task
from locust.env import Environment

FIXTURE: dict[str, Any] = json.loads(Path(os.environ["SLOTWISE_LOAD_FIXTURE"]).read_text())
MAX_REQUESTS = int(os.environ.get("SLOTWISE_LOAD_MAX_REQUESTS", "0"))
RATE_PER_USER = float(os.environ.get("SLOTWISE_LOAD_RATE_PER_USER", "1"))
CONFLICTS = Path(os.environ["SLOTWISE_LOAD_FIXTURE"]).with_name("conflicts.jsonl")

_sent = 0
_environment: Environment | None = None


@events.init.add_listener
def _keep_environment(environment: Environment, **_kwargs: Any) -> None:
    global _environment
    _environment = environment


@events.test_start.add_listener
def _loopback_only(environment: Environment, **_kwargs: Any) -> None:
    if not (environment.host or "").startswith("http://127.0.0.1:"):
        raise SystemExit(f"the load test targets 127.0.0.1 only, not {environment.host!r}")


@events.request.add_listener
def _stop_at_the_request_bound(**_kwargs: Any) -> None:
    global _sent
    _sent += 1
    if MAX_REQUESTS and _sent == MAX_REQUESTS and _environment and _environment.runner:
        # From its own greenlet: quitting stops every user, this request's one included.
        gevent.spawn(_environment.runner.quit)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class ClinicUser(HttpUser):
    """Front-desk work and patients looking online, weighted like a practice's day."""

    wait_time = constant_throughput(RATE_PER_USER)

    def on_start(self) -> None:
        # Each user is its own network (via the trusted proxy 127.0.0.1), as patients are:
        # the per-network limits then count each user alone.
        address = f"198.51.100.{random.randint(1, 254)}"
        self.staff = {
            "Authorization": f"Bearer {FIXTURE['staff_token']}",
            "X-Forwarded-For": address,
        }
        self.patient = {
            "Authorization": f"Bearer {FIXTURE['patient_token']}",
            "X-Forwarded-For": address,
        }

    def _window(self, days: int) -> dict[str, str]:
        start = datetime.now(UTC) + timedelta(days=random.randint(1, 10), minutes=30)
        return {"from": _iso(start), "to": _iso(start + timedelta(days=days))}

    def _get(self, path: str, name: str, headers: dict[str, str], **params: Any) -> Any:
        with self.client.get(
            path, params=params, headers=headers, name=name, catch_response=True
        ) as resp:
            if resp.status_code != 200:
                resp.failure(f"{resp.status_code}: {resp.text[:300]}")
                return None
            return resp.json()

    @task(4)
    def staff_availability(self) -> None:
        self._get(
            "/api/booking/availability",
            "staff availability, 14 days",
            self.staff,
            appointmentTypeId=FIXTURE["adjustment_type_id"],
            **self._window(14),
        )

    @task(2)
    def best_fit(self) -> None:
        self._get(
            "/api/booking/availability",
            "best-fit suggestions, 7 days",
            self.staff,
            appointmentTypeId=FIXTURE["adjustment_type_id"],
            patientId=random.choice(FIXTURE["patient_ids"]),
            mode="best",
            limit=5,
            **self._window(7),
        )

    @task(1)
    def booking(self) -> None:
        patient_id = random.choice(FIXTURE["patient_ids"])
        type_id = random.choice(FIXTURE["bookable_type_ids"])
        found = self._get(
            "/api/booking/availability",
            "booking: find a time, 1 day",
            self.staff,
            appointmentTypeId=type_id,
            patientId=patient_id,
            limit=40,
            **self._window(1),
        )
        if not found or not found["slots"]:
            return
        part = random.choice(found["slots"])["parts"][0]
        body = {
            "patientId": patient_id,
            "appointmentTypeId": part["appointmentTypeId"],
            "startTime": part["startTime"],
            "duration": part["duration"],
            **{k: part[k] for k in ("providerId", "chairId", "roomId") if part.get(k)},
        }
        with self.client.post(
            "/api/booking/appointments",
            json=body,
            headers=self.staff,
            name="booking",
            catch_response=True,
        ) as resp:
            if resp.status_code == 201:
                return
            if resp.status_code == 409:
                # Another user booked the time (or the doctor's minutes in it) between this
                # user's search and booking, and the server refused the double booking, as it
                # must. Kept for the report, which says why each one happened.
                resp.success()
                with CONFLICTS.open("a") as fh:
                    fh.write(json.dumps({"asked": body, "answer": resp.json()}) + "\n")
                return
            resp.failure(f"{resp.status_code}: {resp.text[:300]}")

    @task(2)
    def appointments_of_a_day(self) -> None:
        self._get(
            "/api/booking/appointments",
            "appointments of a day",
            self.staff,
            limit=200,
            **self._window(1),
        )

    @task(1)
    def patients(self) -> None:
        self._get("/api/patients", "patients, first 50", self.staff, limit=50)

    @task(3)
    def portal_availability(self) -> None:
        self._get(
            "/api/patient-portal/available-slots",
            "portal availability, 14 days",
            self.patient,
            appointmentTypeId=FIXTURE["adjustment_type_id"],
            **self._window(14),
        )
