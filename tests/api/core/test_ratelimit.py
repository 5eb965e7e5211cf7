"""The moving-window counters (api/core/ratelimit.py): in-process, in Redis, and on replays."""

from __future__ import annotations

import importlib
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg.errors
import pytest
import redis
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from time_machine import TimeMachineFixture

import api
from api.config import Settings
from api.core.ratelimit import SWEEP_SECONDS, Counters, Rule, per_ip
from api.core.retry import RetryMiddleware
from api.errors import install_handlers
from api.main import create_app

REDIS_URL = "redis://127.0.0.1:6379/0"
RULE = Rule("test-rule", 3, 60, "tries")


def test_the_window_moves(frozen_clock: TimeMachineFixture) -> None:
    counters = Counters()
    assert [counters.hit(RULE.item, "k") for _ in range(3)] == [None, None, None]
    assert counters.hit(RULE.item, "k") == pytest.approx(60)
    frozen_clock.shift(30)
    assert counters.hit(RULE.item, "k") == pytest.approx(30)
    assert counters.hit(RULE.item, "other") is None  # keys are independent
    frozen_clock.shift(30.5)  # the first three events left the window
    assert counters.hit(RULE.item, "k") is None


def test_keys_are_forgotten_once_their_window_has_passed(frozen_clock: TimeMachineFixture) -> None:
    counters = Counters()
    for i in range(1000):
        counters.hit(RULE.item, f"caller-{i}")
    assert counters.memory.key_count() == 1000
    frozen_clock.shift(RULE.window + SWEEP_SECONDS)
    counters.hit(RULE.item, "one more")  # the request path runs the due sweep
    assert counters.memory.key_count() == 1


def test_a_redis_outage_falls_back_to_counting_in_process() -> None:
    counters = Counters("redis://127.0.0.1:1/0")  # nothing listens there
    assert [counters.hit(RULE.item, "k") for _ in range(3)] == [None, None, None]
    assert counters.hit(RULE.item, "k") is not None


@pytest.fixture
def redis_settings(settings: Settings) -> Iterator[Settings]:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if os.environ.get("SLOTWISE_REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis is required at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    yield settings.model_copy(update={"redis_url": REDIS_URL})


def test_two_instances_share_their_counts_through_redis(
    redis_settings: Settings, frozen_clock: TimeMachineFixture
) -> None:
    """Two app instances (as two workers would be) count one address's sign-ins together."""
    from api.auth.lockout import FAILURES_PER_ADDRESS

    # An address of its own, so runs sharing this Redis do not count each other's attempts.
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    first, second = create_app(redis_settings), create_app(redis_settings)
    with (
        TestClient(first, client=(address, 1)) as a,
        TestClient(second, client=(address, 2)) as b,
    ):
        codes = []
        for i in range(FAILURES_PER_ADDRESS.limit):
            worker = a if i % 2 else b
            form = {"username": f"nobody-{i}@example.com", "password": "wrong"}
            codes.append(worker.post("/api/auth/token", data=form).status_code)
        assert codes == [401] * FAILURES_PER_ADDRESS.limit
        over = a.post("/api/auth/token", data={"username": "x@example.com", "password": "wrong"})
        assert over.status_code == 429
        assert first.state.rate_limiter.redis is not None
        assert first.state.rate_limiter.memory.key_count() == 0  # nothing counted in-process


def test_redis_keys_expire_with_their_window(redis_settings: Settings) -> None:
    # Redis forgets on its own: every key the counters leave has a TTL of at most its window.
    prefix = f"slotwise-test:{uuid.uuid4().hex}"
    counters = Counters(redis_settings.redis_url, redis_prefix=prefix)
    for i in range(50):
        counters.hit(RULE.item, f"caller-{i}")
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{prefix}:*"))
    assert len(keys) == 50
    assert all(0 < client.ttl(key) <= RULE.window for key in keys)
    client.delete(*keys)


def test_a_request_replayed_after_a_serialization_failure_is_counted_once() -> None:
    # A limit of one: if the retry middleware's replay were counted as a second request, the
    # caller would get a 429 for a request it sent once.

    app = FastAPI()
    install_handlers(app)
    app.add_middleware(RetryMiddleware)
    app.state.rate_limiter = Counters()
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


def _rules_in_the_code() -> dict[str, Rule]:
    root = Path(api.__file__).parent
    rules: dict[str, Rule] = {}
    for path in sorted(root.rglob("*.py")):  # by file: some packages have no __init__.py
        parts = path.relative_to(root.parent).with_suffix("").parts
        if "migrations" in parts:
            continue  # Alembic's env.py runs migrations when imported
        module = importlib.import_module(".".join(p for p in parts if p != "__init__"))
        rules.update({v.name: v for v in vars(module).values() if isinstance(v, Rule)})
    return rules


def test_every_limit_is_documented_with_its_numbers() -> None:
    # docs/security-limits.md is what an operator reads; it must say what the code does.
    rules = _rules_in_the_code()
    rules.pop("login-known-address")  # a memory of successes, described in the text
    table = Path(__file__).parents[3] / "docs" / "security-limits.md"
    rows = re.findall(r"^\| `([a-z-]+)` \|[^|]*\| ([^|]*) \|", table.read_text(), re.MULTILINE)
    documented = {}
    for name, limit in rows:
        found = re.match(r"(\d+) (?:per|a|an) (?:(\d+) )?(minute|hour)", limit)
        assert found, f"{name}: cannot read the limit {limit!r}"
        count, multiple, unit = found.groups()
        documented[name] = (int(count), int(multiple or 1) * {"minute": 60, "hour": 3600}[unit])
    assert documented == {name: (r.limit, r.window) for name, r in rules.items()}
