"""Sign-in limits: password guessing is capped, and anonymous callers cannot fill memory."""

from __future__ import annotations

import secrets

from fastapi import FastAPI
from fastapi.testclient import TestClient
from time_machine import TimeMachineFixture

from api.auth.router import LOGIN_PER_ACCOUNT, LOGIN_PER_IP, MAX_USERNAME
from api.core.ratelimit import SWEEP_SECONDS
from tests.conftest import ClinicWorld

TOKEN = "/api/auth/token"


def _sign_in(client: TestClient, username: str, password: str = "wrong") -> int:
    return client.post(TOKEN, data={"username": username, "password": password}).status_code


def test_sign_in_is_rate_limited_per_account(
    client: TestClient, world: ClinicWorld, frozen_clock: TimeMachineFixture
) -> None:
    email = world.users["frontdesk"].email
    codes = [_sign_in(client, email) for _ in range(LOGIN_PER_ACCOUNT.limit + 1)]
    assert codes == [401] * LOGIN_PER_ACCOUNT.limit + [429]
    resp = client.post(TOKEN, data={"username": email, "password": "wrong"})
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) >= 1
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert "try again in" in resp.json()["detail"]


def test_sign_in_is_rate_limited_per_address(
    client: TestClient, world: ClinicWorld, frozen_clock: TimeMachineFixture
) -> None:
    codes = [_sign_in(client, f"u{i}@x.example") for i in range(LOGIN_PER_IP.limit + 1)]
    assert codes == [401] * LOGIN_PER_IP.limit + [429]


def test_a_username_longer_than_an_email_address_can_be_is_refused(client: TestClient) -> None:
    resp = client.post(TOKEN, data={"username": "a" * (MAX_USERNAME + 1), "password": "x"})
    assert resp.status_code == 422
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in resp.json()["errors"]] == ["username"]
    assert _sign_in(client, "a" * MAX_USERNAME) == 401  # the longest possible one is looked up


def test_made_up_usernames_do_not_pile_up_in_memory(
    app: FastAPI, client: TestClient, frozen_clock: TimeMachineFixture
) -> None:
    # The attack: anonymous sign-ins, each with a new long random username. Each may leave a
    # counter behind for as long as its window lasts, no longer, and none holds the username.
    codes = [_sign_in(client, secrets.token_hex(MAX_USERNAME // 2)) for _ in range(200)]
    assert set(codes) == {401, 429}
    storage = app.state.rate_limiter.memory
    assert storage.key_count() <= LOGIN_PER_IP.limit + 1
    assert max(len(key) for key in storage.events) < 100

    longest = max(LOGIN_PER_IP.window, LOGIN_PER_ACCOUNT.window)
    frozen_clock.shift(longest + SWEEP_SECONDS)
    assert _sign_in(client, "someone@example.com") == 401
    assert storage.key_count() <= 2  # only the last request's own counters are left
