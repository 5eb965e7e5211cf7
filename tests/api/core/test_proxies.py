"""X-Forwarded-For is believed only from SLOTWISE_TRUSTED_PROXIES, so per-address limits hold.

The attack: rotate X-Forwarded-For on every request so that each looks like a new address and
no per-address limit is ever reached. What the clinic would notice is the limit not holding.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from time_machine import TimeMachineFixture

from api import cli
from api.auth.lockout import FAILURES_PER_ADDRESS
from api.config import Settings
from api.main import create_app
from tests.support.passwords import cheap_passwords  # noqa: F401  (fixture re-export)
from tests.support.server import free_port

TOKEN = "/api/auth/token"

pytestmark = pytest.mark.usefixtures("cheap_passwords")


@pytest.fixture
def database_url_backend() -> str:
    return "sqlite"  # addresses and limits do not depend on the database engine


def _sign_in(client: TestClient | httpx.Client, i: int, forwarded: str) -> int:
    form = {"username": f"nobody-{i}@example.com", "password": "wrong"}
    return client.post(TOKEN, data=form, headers={"X-Forwarded-For": forwarded}).status_code


def _rotating(
    client: TestClient | httpx.Client, count: int, pattern: str = "198.51.100.{i}"
) -> list[int]:
    return [_sign_in(client, i, pattern.format(i=i)) for i in range(count)]


def test_slotwise_serve_does_not_let_uvicorn_believe_loopback(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch, frozen_clock: TimeMachineFixture
) -> None:
    # Whatever `slotwise serve` tells uvicorn, run for real: uvicorn's own default believes
    # X-Forwarded-For from 127.0.0.1, where a local caller (or a co-hosted one) sits.
    told: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda target, **options: told.update(options))
    assert cli.main(["serve", "--port", "1"]) == 0
    options = {k: v for k, v in told.items() if k in {"proxy_headers", "forwarded_allow_ips"}}
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **options)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20  # startup only; nothing here races the limits' clock
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            codes = _rotating(client, FAILURES_PER_ADDRESS.limit + 1)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert codes == [401] * FAILURES_PER_ADDRESS.limit + [429]


@pytest.mark.parametrize("peer", ["127.0.0.1", "203.0.113.9"])
def test_forwarded_for_from_an_untrusted_peer_does_not_lift_the_limit(
    app: FastAPI, peer: str, frozen_clock: TimeMachineFixture
) -> None:
    with TestClient(app, client=(peer, 1)) as client:
        assert _rotating(client, FAILURES_PER_ADDRESS.limit + 1) == [
            401
        ] * FAILURES_PER_ADDRESS.limit + [429]


def test_an_untrusted_peer_is_not_believed_when_proxies_are_configured(
    settings: Settings, frozen_clock: TimeMachineFixture
) -> None:
    app = create_app(settings.model_copy(update={"trusted_proxies": ["10.0.0.0/8"]}))
    with TestClient(app, client=("203.0.113.9", 1)) as client:
        assert _rotating(client, FAILURES_PER_ADDRESS.limit + 1) == [
            401
        ] * FAILURES_PER_ADDRESS.limit + [429]


def test_behind_a_trusted_proxy_the_client_is_the_forwarded_address(
    settings: Settings, frozen_clock: TimeMachineFixture
) -> None:
    app = create_app(settings.model_copy(update={"trusted_proxies": ["10.0.0.0/8"]}))
    with TestClient(app, client=("10.0.0.2", 1)) as proxy:
        # Many clients behind one proxy: each has its own count, none is limited by the others.
        assert 429 not in _rotating(proxy, FAILURES_PER_ADDRESS.limit + 1)
        # A client prepending its own X-Forwarded-For: the proxy appends the address it saw,
        # and that one is counted, whatever the client wrote before it.
        spoofing = _rotating(proxy, FAILURES_PER_ADDRESS.limit + 1, "192.0.2.{i}, 198.51.100.200")
        assert spoofing == [401] * FAILURES_PER_ADDRESS.limit + [429]
        # Another client behind the same proxy is not affected by that one's limit.
        assert _sign_in(proxy, 0, "198.51.100.201") == 401


def test_trusted_proxies_are_read_as_a_comma_separated_list() -> None:
    settings = Settings(SLOTWISE_TRUSTED_PROXIES="10.0.0.0/8, ::1")
    assert settings.trusted_proxies == ["10.0.0.0/8", "::1"]
    with pytest.raises(ValueError, match="'nginx' does not appear to be an IPv4 or IPv6"):
        Settings(SLOTWISE_TRUSTED_PROXIES="nginx")
