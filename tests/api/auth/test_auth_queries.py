"""What authentication costs a signed-in request: one indexed read of the user, in the request's
own session (one connection checkout, not two), while a change to the user still takes effect on
the very next request."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.models import User
from tests.conftest import ClinicWorld


@dataclass
class Traffic:
    statements: list[str] = field(default_factory=list)
    checkouts: int = 0

    def reads_of(self, table: str) -> int:
        return sum(f"FROM {table}" in s for s in self.statements)


@contextmanager
def traffic(db: Session) -> Iterator[Traffic]:
    engine = db.get_bind()
    assert isinstance(engine, sa.Engine)
    seen = Traffic()

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().split(None, 1)[0].upper() in {"SELECT", "INSERT", "UPDATE", "DELETE"}:
            seen.statements.append(statement)

    def checkout(*_: Any) -> None:
        seen.checkouts += 1

    sa.event.listen(engine, "before_cursor_execute", record)
    sa.event.listen(engine.pool, "checkout", checkout)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
        sa.event.remove(engine.pool, "checkout", checkout)


def test_a_signed_in_read_uses_one_user_read_and_one_connection(
    client: TestClient, world: ClinicWorld, db: Session
) -> None:
    headers = world.headers("frontdesk")
    assert client.get("/api/chairs", headers=headers).status_code == 200
    with traffic(db) as seen:
        resp = client.get("/api/chairs", headers=headers)
    assert resp.status_code == 200
    assert seen.reads_of("users") == 1
    # The endpoint's own session read the user: no second connection for authentication.
    assert seen.checkouts == 1
    assert all("chairs" in s for s in seen.statements if "FROM users" not in s)


def test_a_signed_in_request_that_only_authenticates_reads_only_the_user(
    client: TestClient, world: ClinicWorld, db: Session
) -> None:
    headers = world.headers("frontdesk")
    with traffic(db) as seen:
        assert client.get("/api/auth/me", headers=headers).status_code == 200
    assert seen.reads_of("users") == len(seen.statements) == 1
    assert seen.checkouts == 1


def test_role_and_deactivation_take_effect_on_the_next_request(
    client: TestClient, world: ClinicWorld, db: Session
) -> None:
    admin = world.users["admin"]
    headers = world.headers("admin")
    me = client.get("/api/auth/me", headers=headers).json()
    assert "booking:configure" in me["permissions"]
    row = db.get(User, admin.id)
    assert row is not None
    row.role = "frontdesk"
    db.commit()
    me = client.get("/api/auth/me", headers=headers).json()
    assert me["role"] == "frontdesk" and "booking:configure" not in me["permissions"]
    row.active = False
    db.commit()
    assert client.get("/api/auth/me", headers=headers).status_code == 401
    assert client.post("/api/chairs", json={"name": "X"}, headers=headers).status_code == 401
