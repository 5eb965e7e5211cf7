"""Authentication never holds a pooled connection while the request waits for its endpoint.

FastAPI runs a sync dependency and the sync endpoint in separate threadpool calls. Reading the
user in the request's own unit of work kept its connection checked out across that wait; in the
200-request storm (`make stress`) every pooled connection was then held by a request waiting for
a thread while the threads waited for connections, until the pool's 30 s timeout answered 500.
So the user is read in a short session of its own, whose connection is back in the pool before
the endpoint's session takes one: a request never holds two, and a change to the user still
takes effect on the very next request."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.auth.deps import CurrentUser
from api.db import SessionDep
from api.models import User
from tests.conftest import ClinicWorld


@dataclass
class Pool:
    out: int = 0
    most_out: int = 0
    user_reads: int = 0


@contextmanager
def watched(db: Session) -> Iterator[Pool]:
    engine = db.get_bind()
    assert isinstance(engine, sa.Engine)
    seen = Pool()

    def checkout(*_: Any) -> None:
        seen.out += 1
        seen.most_out = max(seen.most_out, seen.out)

    def checkin(*_: Any) -> None:
        seen.out -= 1

    def execute(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.user_reads += "FROM users" in statement

    sa.event.listen(engine.pool, "checkout", checkout)
    sa.event.listen(engine.pool, "checkin", checkin)
    sa.event.listen(engine, "before_cursor_execute", execute)
    try:
        yield seen
    finally:
        sa.event.remove(engine.pool, "checkout", checkout)
        sa.event.remove(engine.pool, "checkin", checkin)
        sa.event.remove(engine, "before_cursor_execute", execute)


def test_a_signed_in_read_and_write_hold_one_connection_at_a_time(
    client: TestClient, world: ClinicWorld, db: Session
) -> None:
    headers = world.headers("admin")
    db.rollback()  # the test's own session holds no connection while the requests run
    with watched(db) as seen:
        assert client.get("/api/chairs", headers=headers).status_code == 200
        assert (
            client.post("/api/chairs", json={"name": "Chair 9"}, headers=headers).status_code == 201
        )
    assert seen.user_reads == 2  # one indexed read of the user per request
    assert seen.most_out == 1  # authentication's connection was back before the endpoint's


def test_no_connection_is_held_while_the_endpoint_waits_for_its_thread(
    app: FastAPI, client: TestClient, world: ClinicWorld, db: Session
) -> None:
    """What the endpoint finds when it starts, after the wait for a thread: nothing checked out."""
    found: list[int] = []

    def probe(principal: CurrentUser, session: SessionDep) -> dict[str, str]:
        found.append(seen.out)
        return {"user": principal.user_id}

    app.add_api_route("/_probe", probe, methods=["GET", "POST"])
    db.rollback()
    with watched(db) as seen:
        for method in ("GET", "POST"):
            resp = client.request(method, "/_probe", headers=world.headers("frontdesk"))
            assert resp.status_code == 200, resp.text
    assert found == [0, 0]


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
