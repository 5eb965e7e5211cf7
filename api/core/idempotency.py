"""Idempotency-Key for POSTs: a retried request gets the first response, never a second booking.

The key is claimed at the start of the request's transaction, so a concurrent duplicate
waits on the row (PostgreSQL) or the write lock (SQLite) instead of booking twice. Failed
requests roll back their claim, so a client may simply retry them.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.errors import Conflict, InvalidInput
from api.models import IdempotencyRecord

MAX_KEY_LENGTH = 200


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
        existing = self.session.get(IdempotencyRecord, (self.user_id, self.key))
        if existing is None:
            record = IdempotencyRecord(
                user_id=self.user_id,
                key=self.key,
                request_hash=self.request_hash,
                status_code=0,
                response_body=None,
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
