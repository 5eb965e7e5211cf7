"""Database failures injected under the booking unit of work: retried, 409, or 503 — never 500,
never a false 201, never half a booking."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg.errors
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from api.core.retry import MAX_ATTEMPTS
from api.models import Appointment, AuditEntry
from tests.api.booking.conftest import Clinic, book


@contextmanager
def failing_inserts(app: FastAPI, make_error: Any, times: int) -> Iterator[list[int]]:
    """Raise `make_error(statement)` on the first `times` INSERTs into appointments."""
    calls: list[int] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO APPOINTMENTS"):
            calls.append(1)
            if len(calls) <= times:
                raise make_error(statement)

    engine = app.state.db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield calls
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _pg_error(kind: type[Exception], wrapper: type[Exception] = OperationalError) -> Any:
    # The psycopg exception classes carry the real SQLSTATE, exactly as a live server sends it.
    return lambda statement: wrapper(statement, {}, kind("injected"))


def _counts(db: Session) -> tuple[int, int]:
    db.rollback()  # end the read snapshot (SQLite WAL keeps one per transaction)
    appts = db.scalar(select(func.count()).select_from(Appointment)) or 0
    audits = db.scalar(select(func.count()).select_from(AuditEntry)) or 0
    return appts, audits


@pytest.mark.parametrize(
    "error",
    [psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected],
    ids=["40001", "40P01"],
)
def test_serialization_failure_and_deadlock_are_retried_once_and_book_once(
    app: FastAPI, client: TestClient, clinic: Clinic, db: Session, error: type[Exception]
) -> None:
    with failing_inserts(app, _pg_error(error), times=1) as calls:
        response = book(client, clinic)
    assert response.status_code == 201, response.text
    assert len(calls) == 2  # the failed attempt and the successful replay
    assert _counts(db) == (1, 1)


def test_retries_are_bounded_then_503_with_retry_after(
    app: FastAPI, client: TestClient, clinic: Clinic, db: Session
) -> None:
    with failing_inserts(app, _pg_error(psycopg.errors.SerializationFailure), times=99) as calls:
        response = book(client, clinic)
    assert len(calls) == MAX_ATTEMPTS
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    assert response.json()["status"] == 503
    assert _counts(db) == (0, 0)


def test_exclusion_violation_23P01_becomes_409(
    app: FastAPI, client: TestClient, clinic: Clinic, db: Session
) -> None:
    inject = _pg_error(psycopg.errors.ExclusionViolation, IntegrityError)
    with failing_inserts(app, inject, times=1) as calls:
        response = book(client, clinic)
    assert len(calls) == 1  # a conflict is an answer, not something to retry
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert _counts(db) == (0, 0)


def test_lost_connection_is_503_with_retry_after_and_nothing_saved(
    app: FastAPI, client: TestClient, clinic: Clinic, db: Session
) -> None:
    with failing_inserts(app, _pg_error(psycopg.errors.AdminShutdown), times=1) as calls:
        response = book(client, clinic, **{"notes": "first try"})
    assert len(calls) == 1
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert "nothing was saved" in response.json()["detail"]
    assert _counts(db) == (0, 0)
    # The service needs no restart: the next request books.
    assert book(client, clinic).status_code == 201
    assert _counts(db) == (1, 1)
