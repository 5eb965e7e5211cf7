"""Reschedule and cancel racing on one appointment, over a real server: one wins, the other gets
409/412, and the audit trail holds exactly the winning change. Plus the client whose first
POST response was lost: its retry with the same Idempotency-Key creates no second booking."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from api.audit import chain
from api.models import Appointment
from tests.api.booking.conftest import Clinic
from tests.support.server import running_server

ROUNDS = 6


def test_reschedule_and_cancel_race_one_wins_and_audit_has_only_it(
    app: FastAPI, clinic: Clinic, db: Session
) -> None:
    headers = {**clinic.headers(), "If-Match": '"1"'}
    with running_server(app) as base, httpx.Client(base_url=base, timeout=60) as http:
        for round_ in range(ROUNDS):
            created = http.post(
                "/api/booking/appointments",
                json=clinic.booking(startTime=clinic.iso(8 + round_)),
                headers=clinic.headers(),
            )
            assert created.status_code == 201, created.text
            appt = created.json()
            barrier = threading.Barrier(2)

            def move(
                appt_id: str = appt["id"],
                hour: int = 8 + round_,
                barrier: threading.Barrier = barrier,
            ) -> httpx.Response:
                with httpx.Client(base_url=base, timeout=60) as own:
                    barrier.wait()
                    return own.post(
                        f"/api/booking/appointments/{appt_id}/reschedule",
                        json={"startTime": clinic.iso(hour, 30)},
                        headers=headers,
                    )

            def cancel(
                appt_id: str = appt["id"], barrier: threading.Barrier = barrier
            ) -> httpx.Response:
                with httpx.Client(base_url=base, timeout=60) as own:
                    barrier.wait()
                    return own.delete(
                        f"/api/booking/appointments/{appt_id}",
                        params={"reason": "race"},
                        headers=headers,
                    )

            with ThreadPoolExecutor(2) as pool:
                moved, cancelled = [f.result() for f in (pool.submit(move), pool.submit(cancel))]
            codes = sorted([moved.status_code, cancelled.status_code])
            assert codes in ([200, 409], [200, 412]), (moved.text, cancelled.text)
            winner = "reschedule" if moved.status_code == 200 else "cancel"
            loser = cancelled if winner == "reschedule" else moved
            assert loser.headers["content-type"] == "application/problem+json"

            db.rollback()
            actions = list(
                db.scalars(
                    text("SELECT action FROM audit_log WHERE entity_id = :i ORDER BY id"),
                    {"i": appt["id"]},
                )
            )
            assert actions == ["create", winner], actions
            row = db.get(Appointment, appt["id"])
            assert row is not None and row.version == 2
            if winner == "cancel":
                assert (
                    row.deleted_at is not None
                    and row.start_time.isoformat()[:16] == (clinic.at(8 + round_).isoformat()[:16])
                )
            else:
                assert row.deleted_at is None and row.start_time == clinic.at(8 + round_, 30)
    assert all(r.ok for r in chain.verify(db))


@pytest.mark.parametrize("replays", [1, 3])
def test_retry_after_a_lost_response_books_once(
    app: FastAPI, clinic: Clinic, db: Session, replays: int
) -> None:
    """The first response never reaches the client (its read times out while the server still
    books); the client retries with the same key and gets the same booking, not a second one."""
    body = clinic.booking()
    headers = {**clinic.headers(), "Idempotency-Key": f"lost-response-{replays}"}
    slow = threading.Event()

    def stall_first_insert(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO APPOINTMENTS") and not slow.is_set():
            slow.set()
            threading.Event().wait(1.5)  # longer than the client waits for the first answer

    engine = app.state.db.engine
    event.listen(engine, "after_cursor_execute", stall_first_insert)
    with running_server(app) as base:
        with (
            httpx.Client(base_url=base, timeout=0.5) as impatient,
            pytest.raises(httpx.ReadTimeout),
        ):
            impatient.post("/api/booking/appointments", json=body, headers=headers)
        # On a loaded machine the server may not have started the first request when the
        # client gives up; the retry must come while the first one is booking, not before.
        assert slow.wait(timeout=30)
        answers = []
        with httpx.Client(base_url=base, timeout=30) as http:
            for _ in range(replays):
                for _wait in range(300):  # the first request may still be committing: 409, retry
                    r = http.post("/api/booking/appointments", json=body, headers=headers)
                    if r.status_code != 409:
                        break
                    threading.Event().wait(0.1)
                answers.append(r)
    event.remove(engine, "after_cursor_execute", stall_first_insert)
    assert slow.is_set()
    assert [a.status_code for a in answers] == [201] * replays, [a.text for a in answers]
    assert all(a.headers.get("Idempotent-Replayed") == "true" for a in answers)
    assert len({a.json()["id"] for a in answers}) == 1
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Appointment)) == 1
