"""The sliding-window limiter, in-process and in Redis (shared by workers), and sign-in limits."""

from __future__ import annotations

import uuid

import psycopg.errors
import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from api.core.ratelimit import MemoryLimiter, RedisLimiter, Rule, per_ip
from api.core.retry import RetryMiddleware
from api.errors import install_handlers
from tests.conftest import ClinicWorld

REDIS_URL = "redis://127.0.0.1:6379/0"


def test_memory_window_slides() -> None:
    now = [0.0]
    limiter = MemoryLimiter(clock=lambda: now[0])
    assert [limiter.hit("k", 3, 60) for _ in range(3)] == [None, None, None]
    retry = limiter.hit("k", 3, 60)
    assert retry == pytest.approx(60)
    now[0] = 30
    assert limiter.hit("k", 3, 60) == pytest.approx(30)
    assert limiter.hit("other", 3, 60) is None  # keys are independent
    now[0] = 60.5  # the first three events left the window
    assert limiter.hit("k", 3, 60) is None


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")


def test_redis_limiter_is_shared_between_workers() -> None:
    _redis_or_skip()
    prefix = f"slotwise-test:{uuid.uuid4().hex}:"
    worker_a, worker_b = RedisLimiter(REDIS_URL, prefix), RedisLimiter(REDIS_URL, prefix)
    assert worker_a.hit("ip", 3, 60) is None
    assert worker_b.hit("ip", 3, 60) is None
    assert worker_a.hit("ip", 3, 60) is None
    retry = worker_b.hit("ip", 3, 60)
    assert retry is not None and 0 < retry <= 60


def test_redis_outage_falls_back_to_counting_in_process() -> None:
    limiter = RedisLimiter("redis://127.0.0.1:1/0")  # nothing listens there
    assert [limiter.hit("k", 2, 60) for _ in range(2)] == [None, None]
    assert limiter.hit("k", 2, 60) is not None


def test_sign_in_is_rate_limited_per_account(client: TestClient, world: ClinicWorld) -> None:
    email = world.users["frontdesk"].email
    codes = [
        client.post("/api/auth/token", data={"username": email, "password": "wrong"}).status_code
        for _ in range(11)
    ]
    assert codes[:10] == [401] * 10 and codes[10] == 429
    resp = client.post("/api/auth/token", data={"username": email, "password": "wrong"})
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) >= 1
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert "try again in" in resp.json()["detail"]


def test_sign_in_is_rate_limited_per_address(client: TestClient, world: ClinicWorld) -> None:
    codes = [
        client.post(
            "/api/auth/token", data={"username": f"u{i}@x.example", "password": "wrong"}
        ).status_code
        for i in range(21)
    ]
    assert codes[:20] == [401] * 20 and codes[20] == 429


def test_a_request_replayed_after_a_serialization_failure_is_counted_once() -> None:
    # A limit of one: if the retry middleware's replay were counted as a second request, the
    # caller would get a 429 for a request it sent once.

    app = FastAPI()
    install_handlers(app)
    app.add_middleware(RetryMiddleware)
    app.state.rate_limiter = MemoryLimiter()
    attempts: list[int] = []

    @app.post("/once", dependencies=[Depends(per_ip(Rule("once", 1, 60, "tries")))])
    def once() -> dict[str, int]:
        attempts.append(1)
        if len(attempts) == 1:
            raise OperationalError("UPDATE", {}, psycopg.errors.SerializationFailure("injected"))
        return {"attempts": len(attempts)}

    with TestClient(app) as client:
        first = client.post("/once")
        assert first.status_code == 200, first.text
        assert first.json() == {"attempts": 2}
        second = client.post("/once")  # a second request from the caller is still limited
        assert second.status_code == 429
