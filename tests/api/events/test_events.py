"""The live channel: authentication, clinic scoping, post-commit delivery, revocation and
fan-out through Redis between two app instances (the conflict probe: test_probe.py)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from starlette.websockets import WebSocketDisconnect

from api.config import Settings
from api.main import create_app
from api.models import Appointment
from tests.api.booking.conftest import Clinic, book
from tests.conftest import ClinicWorld
from tests.support.server import running_server

REDIS_URL = os.environ.get("SLOTWISE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _connect(client: TestClient, token: str) -> Any:
    return client.websocket_connect(f"/api/booking/events?token={token}")


class TestAuthentication:
    def test_query_token_then_ready(self, client: TestClient, clinic: Clinic) -> None:
        with _connect(client, clinic.world.tokens["frontdesk"]) as ws:
            hello = ws.receive_json()
        assert hello["type"] == "ready" and hello["clinicId"] == clinic.world.clinic.id

    def test_first_message_token(self, client: TestClient, clinic: Clinic) -> None:
        with client.websocket_connect("/api/booking/events") as ws:
            ws.send_json({"type": "auth", "token": clinic.world.tokens["provider"]})
            assert ws.receive_json()["type"] == "ready"

    def test_bad_token_closes_with_4401(self, client: TestClient, world: ClinicWorld) -> None:
        with _connect(client, "not-a-token") as ws, pytest.raises(WebSocketDisconnect) as exc:
            ws.receive_json()
        assert exc.value.code == 4401 and "not valid" in exc.value.reason

    def test_missing_auth_message_closes_with_4401(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        with client.websocket_connect("/api/booking/events") as ws:
            ws.send_text("hello")
            with pytest.raises(WebSocketDisconnect) as exc:
                ws.receive_json()
        assert exc.value.code == 4401

    def test_patient_token_is_refused_with_4403(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        with (
            _connect(client, world.tokens["patient"]) as ws,
            pytest.raises(WebSocketDisconnect) as e,
        ):
            ws.receive_json()
        assert e.value.code == 4403

    def test_deactivated_user_is_refused(
        self, client: TestClient, world: ClinicWorld, db: Session
    ) -> None:
        world.users["frontdesk"].active = False
        db.commit()
        with (
            _connect(client, world.tokens["frontdesk"]) as ws,
            pytest.raises(WebSocketDisconnect) as e,
        ):
            ws.receive_json()
        assert e.value.code == 4401


class TestDelivery:
    def test_create_change_cancel_are_pushed(self, client: TestClient, clinic: Clinic) -> None:
        with _connect(client, clinic.world.tokens["provider"]) as ws:
            assert ws.receive_json()["type"] == "ready"
            appt = book(client, clinic).json()
            created = ws.receive_json()
            assert created["action"] == "created"
            assert created["appointment"]["id"] == appt["id"]
            assert created["appointment"]["startTime"] == clinic.iso(14)

            resp = client.post(
                f"/api/booking/appointments/{appt['id']}/reschedule",
                json={"startTime": clinic.iso(16)},
                headers=clinic.headers(),
            )
            assert resp.status_code == 200
            changed = ws.receive_json()
            assert changed["action"] == "changed"
            assert changed["appointment"]["startTime"] == clinic.iso(16)
            assert changed["appointment"]["version"] == 2

            resp = client.delete(
                f"/api/booking/appointments/{appt['id']}",
                params={"reason": "family emergency"},
                headers=clinic.headers(),
            )
            assert resp.status_code == 200
            cancelled = ws.receive_json()
            assert cancelled["action"] == "cancelled"
            assert cancelled["appointment"]["status"] == "CANCELLED"

    def test_a_refused_booking_is_never_announced(
        self,
        client: TestClient,
        clinic: Clinic,
    ) -> None:
        with _connect(client, clinic.world.tokens["frontdesk"]) as ws:
            ws.receive_json()
            first = book(client, clinic).json()
            assert ws.receive_json()["appointment"]["id"] == first["id"]
            clash = book(client, clinic, patientId=clinic.patients[1].id)
            assert clash.status_code == 409
            # The next thing on the wire is the next committed change, not the refused one.
            ok = book(client, clinic, patientId=clinic.patients[1].id, startTime=clinic.iso(16))
            assert ws.receive_json()["appointment"]["id"] == ok.json()["id"]

    def test_a_rolled_back_write_is_never_announced(
        self,
        client: TestClient,
        clinic: Clinic,
        app: Any,
    ) -> None:
        appt = book(client, clinic).json()
        with _connect(client, clinic.world.tokens["frontdesk"]) as ws:
            ws.receive_json()
            with app.state.db.write() as session:
                row = session.get(Appointment, appt["id"])
                row.notes = "never saved"
                session.flush()
                session.rollback()
            with app.state.db.write() as session:
                row = session.get(Appointment, appt["id"])
                row.notes = "saved"
                session.commit()
            message = ws.receive_json()
        assert message["appointment"]["notes"] == "saved"

    def test_other_clinics_hear_nothing(
        self,
        client: TestClient,
        clinic: Clinic,
        other_world: ClinicWorld,
    ) -> None:
        with (
            _connect(client, other_world.tokens["frontdesk"]) as rival,
            _connect(client, clinic.world.tokens["frontdesk"]) as own,
        ):
            rival.receive_json()
            own.receive_json()
            appt = book(client, clinic).json()
            assert own.receive_json()["appointment"]["id"] == appt["id"]
            rival.send_json({"type": "ping", "seq": 7})
            # Had the rival been sent the booking, it would arrive before the pong.
            assert rival.receive_json() == {"type": "pong", "seq": 7}


def _set_access(client: TestClient, clinic: Clinic, who: str, **body: Any) -> None:
    user_id = clinic.world.users[who].id
    resp = client.put(f"/api/users/{user_id}", json=body, headers=clinic.headers("admin"))
    assert resp.status_code == 200, resp.text


def _closed(ws: Any) -> tuple[int, str, list[dict[str, Any]]]:
    """Reads until the server closes the socket: its close code, reason and what came first.

    A ping sent now is answered only by a socket still open, so a connection that was not
    closed fails the test at its pong instead of waiting forever.
    """
    ws.send_json({"type": "ping", "seq": "still-open?"})
    before: list[dict[str, Any]] = []
    with pytest.raises(WebSocketDisconnect) as closed:
        while True:
            before.append(ws.receive_json())
            assert before[-1]["type"] != "pong", f"still open after: {before}"
    return closed.value.code, closed.value.reason, before


class TestRevocation:
    def test_deactivation_closes_the_open_calendar(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        with _connect(client, clinic.world.tokens["frontdesk"]) as ws:
            assert ws.receive_json()["type"] == "ready"
            _set_access(client, clinic, "frontdesk", active=False)
            # The clinic carries on: a booking with notes is made right after.
            assert book(client, clinic, "admin", notes="private").status_code == 201
            code, reason, before = _closed(ws)
        assert code == 4401 and "no longer active" in reason
        assert before == []  # not the booking, not its staff notes

    def test_a_role_change_closes_the_open_calendar(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        with _connect(client, clinic.world.tokens["frontdesk"]) as ws:
            assert ws.receive_json()["type"] == "ready"
            _set_access(
                client, clinic, "frontdesk", role="provider", providerId=clinic.providers[1].id
            )
            assert book(client, clinic, "admin").status_code == 201
            code, reason, before = _closed(ws)
        assert code == 4403 and "role changed to provider" in reason
        assert before == []

    def test_a_probe_after_deactivation_is_not_answered(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        appt = book(client, clinic).json()
        with _connect(client, clinic.world.tokens["frontdesk"]) as ws:
            assert ws.receive_json()["type"] == "ready"
            _set_access(client, clinic, "frontdesk", active=False)
            ws.send_json(
                {"type": "probe", "seq": 1, "appointmentId": appt["id"], "startTime": clinic.iso(9)}
            )
            code, _, before = _closed(ws)
        assert code == 4401 and [m for m in before if m["type"] == "probe"] == []

    def test_colleagues_keep_their_connection(self, client: TestClient, clinic: Clinic) -> None:
        with _connect(client, clinic.world.tokens["provider"]) as ws:
            assert ws.receive_json()["type"] == "ready"
            _set_access(client, clinic, "frontdesk", active=False)
            appt = book(client, clinic, "admin").json()
            pushed = ws.receive_json()
        assert pushed["type"] == "appointment" and pushed["appointment"]["id"] == appt["id"]


def test_a_change_the_bus_never_announced_still_closes_the_calendar(
    app: FastAPI, clinic: Clinic, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A bulk UPDATE bypasses the ORM hook, as a lost Redis message or an operator's SQL would:
    # no access message is ever published, and the periodic re-check must find it.
    import websockets.sync.client as wsclient
    from sqlalchemy import update
    from websockets.exceptions import ConnectionClosed

    from api.models import User

    monkeypatch.setattr("api.events.router.RECHECK_SECONDS", 0.2)
    with (
        running_server(app) as url,
        wsclient.connect(url.replace("http", "ws") + "/api/booking/events") as ws,
    ):
        ws.send(json.dumps({"type": "auth", "token": clinic.world.tokens["frontdesk"]}))
        assert json.loads(ws.recv(timeout=10))["type"] == "ready"
        user_id = clinic.world.users["frontdesk"].id
        db.execute(update(User).where(User.id == user_id).values(active=False))
        db.commit()
        # recv's timeout only stops a broken server from hanging the test.
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                ws.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


def _until_closed(url: str, token: str, ready: threading.Event, out: dict[str, Any]) -> None:
    import websockets.sync.client as wsclient
    from websockets.exceptions import ConnectionClosed

    with wsclient.connect(url.replace("http", "ws") + "/api/booking/events") as ws:
        ws.send(json.dumps({"type": "auth", "token": token}))
        assert json.loads(ws.recv(timeout=10))["type"] == "ready"
        ready.set()
        out["messages"] = []
        try:
            while True:
                out["messages"].append(json.loads(ws.recv(timeout=10)))
        except ConnectionClosed as exc:
            out["closedAt"] = time.monotonic()
            out["code"] = exc.rcvd.code if exc.rcvd else None


def test_deactivation_on_one_instance_closes_the_calendar_on_another(
    redis_settings: Settings, clinic: Clinic
) -> None:
    first, second = create_app(redis_settings), create_app(redis_settings)
    with running_server(first) as url_a, running_server(second) as url_b:
        out: dict[str, Any] = {}
        ready = threading.Event()
        listener = threading.Thread(
            target=_until_closed, args=(url_b, clinic.world.tokens["frontdesk"], ready, out)
        )
        listener.start()
        assert ready.wait(10)
        import httpx

        user_id = clinic.world.users["frontdesk"].id
        resp = httpx.put(
            f"{url_a}/api/users/{user_id}", json={"active": False}, headers=clinic.headers("admin")
        )
        answered = time.monotonic()
        assert resp.status_code == 200, resp.text
        booked = httpx.post(
            f"{url_a}/api/booking/appointments",
            json=clinic.booking(),
            headers=clinic.headers("admin"),
        )
        assert booked.status_code == 201, booked.text
        listener.join(15)
    assert out.get("code") == 4401, out
    assert out["closedAt"] - answered < 2.0
    assert out["messages"] == []


# --------------------------------------------------------------------------- logs


class _Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_query_string_tokens_never_reach_the_server_log(app: FastAPI, clinic: Clinic) -> None:
    import httpx
    import websockets.sync.client as wsclient

    token = clinic.world.tokens["frontdesk"]
    captured = _Captured()
    with running_server(app, log_level="info") as url:
        loggers = [logging.getLogger(name) for name in ("uvicorn.access", "uvicorn.error")]
        for logger in loggers:
            logger.addHandler(captured)
        try:
            with wsclient.connect(
                url.replace("http", "ws") + f"/api/booking/events?token={token}"
            ) as ws:
                assert json.loads(ws.recv(timeout=10))["type"] == "ready"
            assert httpx.get(f"{url}/healthz?a=1&token={token}&b=2").status_code == 200
        finally:
            for logger in loggers:
                logger.removeHandler(captured)
    logged = "\n".join(captured.lines)
    # Both lines were written (so the test saw the log), with the token replaced.
    assert "/api/booking/events?token=[redacted]" in logged, logged
    assert "/healthz?a=1&token=[redacted]&b=2" in logged, logged
    assert token not in logged and token.split(".")[2] not in logged


# --------------------------------------------------------------------------- Redis


def _redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def redis_settings(settings: Settings) -> Iterator[Settings]:
    if not _redis_available():
        if os.environ.get("SLOTWISE_REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis is required at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    yield settings.model_copy(update={"redis_url": REDIS_URL})


def _listen(url: str, token: str, got: list[dict[str, Any]], ready: threading.Event) -> None:
    import websockets.sync.client as wsclient

    with wsclient.connect(url.replace("http", "ws") + "/api/booking/events") as ws:
        ws.send(json.dumps({"type": "auth", "token": token}))
        assert json.loads(ws.recv(timeout=10))["type"] == "ready"
        ready.set()
        message = json.loads(ws.recv(timeout=10))
        message["receivedAt"] = time.monotonic()
        got.append(message)


def test_two_instances_fan_out_through_redis(
    redis_settings: Settings,
    clinic: Clinic,
) -> None:
    """Two app instances (as two workers would be) share only the database and Redis."""
    first, second = create_app(redis_settings), create_app(redis_settings)
    assert first.state.event_bus is not second.state.event_bus
    token = clinic.world.tokens["frontdesk"]
    with running_server(first) as url_a, running_server(second) as url_b:
        got: list[dict[str, Any]] = []
        ready = threading.Event()
        listener = threading.Thread(target=_listen, args=(url_b, token, got, ready))
        listener.start()
        assert ready.wait(10)
        import httpx

        resp = httpx.post(
            f"{url_a}/api/booking/appointments", json=clinic.booking(), headers=clinic.headers()
        )
        # The booking has committed by the time its response arrives; the other instance's
        # socket must have the event within a second of that (often before it).
        answered = time.monotonic()
        assert resp.status_code == 201, resp.text
        listener.join(10)
    assert got and got[0]["appointment"]["id"] == resp.json()["id"]
    assert got[0]["receivedAt"] - answered < 1.0


def test_redis_bus_keeps_clinics_apart(redis_settings: Settings) -> None:
    from api.events.bus import RedisBus

    async def scenario() -> tuple[dict[str, Any], bool]:
        bus = RedisBus(REDIS_URL)
        mine, theirs = f"c-{uuid.uuid4().hex}", f"c-{uuid.uuid4().hex}"
        sub = await bus.subscribe(mine)
        other = await bus.subscribe(theirs)
        await asyncio.to_thread(bus.publish, mine, {"type": "appointment", "n": 1})
        got = await asyncio.wait_for(sub.queue.get(), 2)
        await asyncio.sleep(0.2)
        leaked = not other.queue.empty()
        await bus.unsubscribe(sub)
        await bus.unsubscribe(other)
        await bus.close()
        return got, leaked

    # On a thread of its own: when Playwright's browser fixture is alive in this worker, the
    # main thread already runs an event loop and asyncio.run() would refuse.
    with ThreadPoolExecutor(1) as pool:
        got, leaked = pool.submit(asyncio.run, scenario()).result()
    assert got == {"type": "appointment", "n": 1} and not leaked
