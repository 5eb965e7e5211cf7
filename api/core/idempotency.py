"""Idempotency-Key for POSTs: a retried request gets the first response, never a second booking.

The key is claimed at the start of the request's transaction, so a concurrent duplicate
waits on the row (PostgreSQL) or the write lock (SQLite) instead of booking twice. Failed
requests roll back their claim, so a client may simply retry them.

A stored response is a booking with its notes: health data, kept only as long as a retry can
sensibly come (`RETENTION`, 24 hours, as Stripe's keys). An expired key is deleted when it is
used again (and then claimed afresh), and each worker's `Sweeper` deletes every expired key
every `SWEEP_EVERY` in a transaction of its own, so the table holds about a day of keys even
when the request that found an expired key fails (and rolls back its own delete).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.core import clock
from api.db import Database
from api.errors import Conflict, InvalidInput
from api.models import IdempotencyRecord

MAX_KEY_LENGTH = 200
RETENTION = timedelta(hours=24)
SWEEP_EVERY = timedelta(minutes=10)

# The header every idempotent POST declares (booking, portal, waitlist, FHIR $hold and $book).
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Retrying with the same key returns the first response; no second booking.",
    ),
]


log = logging.getLogger(__name__)


def sweep(session: Session, now: datetime) -> int:
    """Delete every stored response older than RETENTION; returns how many went."""
    result = session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at <= now - RETENTION)
    )
    return int(getattr(result, "rowcount", 0) or 0)


class Sweeper:
    """One per app: started and stopped with the app's lifespan, sweeps every SWEEP_EVERY.

    Tied to the lifespan, not to the first idempotent request, so an app that is never served
    (a test's second app, a TestClient used without ``with``) starts no thread that would
    outlive its database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def start(self) -> None:
        with self._lock:
            if self._thread is None and not self._stopping.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="slotwise-idempotency-sweep", daemon=True
                )
                self._thread.start()

    def sweep_now(self) -> int:
        with self.db.write() as session:
            gone = sweep(session, clock.now())
            session.commit()
        return gone

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        # Nothing can expire before a day has passed, so the first sweep may as well wait.
        while not self._stopping.wait(SWEEP_EVERY.total_seconds()):
            try:
                self.sweep_now()
            except Exception:  # a busy or absent database: try again next round
                log.exception("could not delete expired idempotency keys")


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps([method, path, body], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotentRequest:
    def __init__(self, session: Session, user_id: str, key: str | None, request_hash: str):
        self.session = session
        self.user_id = user_id
        self.key = key
        self.request_hash = request_hash
        self.record: IdempotencyRecord | None = None

    def replay(self) -> tuple[int, Any] | None:
        """The stored (status, body) when this key was already used, else claim the key."""
        if not self.key:
            return None
        if len(self.key) > MAX_KEY_LENGTH:
            raise InvalidInput("Idempotency-Key", f"keep it under {MAX_KEY_LENGTH} characters")
        now = clock.now()
        existing = self.session.get(IdempotencyRecord, (self.user_id, self.key))
        if existing is not None and existing.created_at <= now - RETENTION:
            # Expired: forgotten, and this request is a new one under the same key.
            with self.session.begin_nested():
                self.session.delete(existing)
                self.session.flush()
            existing = None
        if existing is None:
            record = IdempotencyRecord(
                user_id=self.user_id,
                key=self.key,
                request_hash=self.request_hash,
                status_code=0,
                response_body=None,
                created_at=now,
            )
            try:
                with self.session.begin_nested():
                    self.session.add(record)
                    self.session.flush()
            except IntegrityError as exc:
                raise Conflict(
                    "A request with this Idempotency-Key is still being processed; "
                    "retry in a moment to get its result."
                ) from exc
            self.record = record
            return None
        if existing.request_hash != self.request_hash:
            raise InvalidInput(
                "Idempotency-Key",
                "this key was already used for a different request; use a new key",
            )
        return existing.status_code, existing.response_body

    def store(self, status_code: int, body: Any) -> None:
        if self.record is not None:
            self.record.status_code = status_code
            self.record.response_body = body
            self.session.flush()


def respond_once(
    session: Session,
    user_id: str,
    request: Request,
    key: str | None,
    body: Any,
    run: Callable[[], tuple[int, Any, dict[str, str]]],
    response_class: type[JSONResponse] = JSONResponse,
) -> JSONResponse:
    """A POST under an Idempotency-Key: the stored response when the key was seen with the same
    request (marked `Idempotent-Replayed`), else `run()`'s (status, payload, headers), stored
    with the request's transaction. Without a key `run()` simply answers. `response_class`
    gives both the first answer and its replays their media type (FHIR's, under /fhir)."""
    guard = IdempotentRequest(
        session, user_id, key, fingerprint(request.method, request.url.path, body)
    )
    replay = guard.replay()
    if replay is not None:
        code, stored = replay
        return response_class(stored, status_code=code, headers={"Idempotent-Replayed": "true"})
    code, payload, headers = run()
    encoded = jsonable_encoder(payload, by_alias=True)
    guard.store(code, encoded)
    return response_class(encoded, status_code=code, headers=headers)
