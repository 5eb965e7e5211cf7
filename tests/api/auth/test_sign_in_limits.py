"""Sign-in limits: guessing is capped, a stranger cannot lock a user out, memory stays bounded.

Each test plays one side: the guesser (who must reach a 429) or the real user (who must still
get a token). Addresses rotate through a trusted proxy's X-Forwarded-For, as a botnet's would.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from time_machine import TimeMachineFixture

from api.auth.lockout import (
    FAILURES_PER_ACCOUNT,
    FAILURES_PER_ACCOUNT_AND_ADDRESS,
    FAILURES_PER_ADDRESS,
)
from api.auth.router import MAX_USERNAME
from api.config import Settings
from api.core.ratelimit import SWEEP_SECONDS
from api.main import create_app
from api.models import User
from tests.conftest import PASSWORD, ClinicWorld
from tests.support.passwords import (
    cheap_hash,
    cheap_passwords,  # noqa: F401  (fixture re-export)
)

TOKEN = "/api/auth/token"
PROXY = "10.0.0.2"
USUAL_DESK = "198.51.100.7"

pytestmark = pytest.mark.usefixtures("cheap_passwords", "frozen_clock")


@pytest.fixture
def proxied(settings: Settings) -> FastAPI:
    return create_app(settings.model_copy(update={"trusted_proxies": [PROXY]}))


@pytest.fixture
def via_proxy(proxied: FastAPI) -> Iterator[TestClient]:
    with TestClient(proxied, client=(PROXY, 1)) as client:
        yield client


def _sign_in(
    client: TestClient, username: str, password: str = "wrong", address: str = USUAL_DESK
) -> int:
    resp = client.post(
        TOKEN,
        data={"username": username, "password": password},
        headers={"X-Forwarded-For": address},
    )
    return resp.status_code


def _stranger(i: int) -> str:
    return f"203.0.{i // 250}.{i % 250 + 1}"


class TestTheGuesser:
    def test_one_address_guessing_one_account_is_stopped(
        self, via_proxy: TestClient, world: ClinicWorld
    ) -> None:
        email = world.users["frontdesk"].email
        limit = FAILURES_PER_ACCOUNT_AND_ADDRESS.limit
        codes = [_sign_in(via_proxy, email) for _ in range(limit + 1)]
        assert codes == [401] * limit + [429]
        # At the limit even the right password is refused: a 200 would confirm the guess.
        resp = via_proxy.post(
            TOKEN,
            data={"username": email, "password": PASSWORD},
            headers={"X-Forwarded-For": USUAL_DESK},
        )
        assert resp.status_code == 429 and int(resp.headers["Retry-After"]) >= 1
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert "failed sign-ins for this account from your network" in resp.json()["detail"]

    def test_one_address_spraying_many_accounts_is_stopped(self, via_proxy: TestClient) -> None:
        limit = FAILURES_PER_ADDRESS.limit
        codes = [_sign_in(via_proxy, f"u{i}@x.example") for i in range(limit + 1)]
        assert codes == [401] * limit + [429]

    def test_many_addresses_guessing_one_account_reach_its_ceiling(
        self, via_proxy: TestClient, world: ClinicWorld
    ) -> None:
        email = world.users["admin"].email
        limit = FAILURES_PER_ACCOUNT.limit
        codes = [_sign_in(via_proxy, email, address=_stranger(i)) for i in range(limit + 1)]
        assert codes == [401] * limit + [429]
        assert _sign_in(via_proxy, email, PASSWORD, address=_stranger(limit + 1)) == 429

    def test_the_limits_count_the_same_for_accounts_that_do_not_exist(
        self, via_proxy: TestClient
    ) -> None:
        # Otherwise a 429 after ten tries would tell a guesser which emails have accounts.
        limit = FAILURES_PER_ACCOUNT_AND_ADDRESS.limit
        codes = [_sign_in(via_proxy, "nobody@smile-clinic.example") for _ in range(limit + 1)]
        assert codes == [401] * limit + [429]


class TestTheRealUser:
    def test_failures_from_rotating_addresses_do_not_lock_the_user_out(
        self, via_proxy: TestClient, world: ClinicWorld
    ) -> None:
        # The finding: 10 wrong passwords from rotating addresses, then the right one, was 429.
        email = world.users["frontdesk"].email
        for i in range(FAILURES_PER_ACCOUNT_AND_ADDRESS.limit):
            assert _sign_in(via_proxy, email, address=_stranger(i)) == 401
        assert _sign_in(via_proxy, email, PASSWORD) == 200

    def test_at_the_ceiling_the_usual_address_still_signs_in(
        self, via_proxy: TestClient, world: ClinicWorld
    ) -> None:
        email = world.users["frontdesk"].email
        assert _sign_in(via_proxy, email, PASSWORD) == 200  # yesterday, at the front desk
        for i in range(FAILURES_PER_ACCOUNT.limit):
            assert _sign_in(via_proxy, email, address=_stranger(i)) == 401
        assert _sign_in(via_proxy, email, address=_stranger(999)) == 429  # the guesser
        assert _sign_in(via_proxy, email, PASSWORD) == 200  # the user, at the same desk
        # A typo at the desk is still only a 401, not a lock-out.
        assert _sign_in(via_proxy, email) == 401
        assert _sign_in(via_proxy, email, PASSWORD) == 200

    def test_a_successful_sign_in_resets_the_count_for_that_address(
        self, via_proxy: TestClient, world: ClinicWorld
    ) -> None:
        email = world.users["provider"].email
        limit = FAILURES_PER_ACCOUNT_AND_ADDRESS.limit
        assert [_sign_in(via_proxy, email) for _ in range(limit - 1)] == [401] * (limit - 1)
        assert _sign_in(via_proxy, email, PASSWORD) == 200
        codes = [_sign_in(via_proxy, email) for _ in range(limit + 1)]
        assert codes == [401] * limit + [429]

    def test_another_address_is_not_limited_by_one_addresss_failures(
        self, via_proxy: TestClient, world: ClinicWorld
    ) -> None:
        email = world.users["frontdesk"].email
        for _ in range(FAILURES_PER_ACCOUNT_AND_ADDRESS.limit + 1):
            _sign_in(via_proxy, email, address=_stranger(0))
        assert _sign_in(via_proxy, email, address=_stranger(0)) == 429
        assert _sign_in(via_proxy, email, PASSWORD, address="198.51.100.99") == 200

    def test_leaving_out_the_clinic_of_a_shared_address_is_not_a_failure(
        self, via_proxy: TestClient, world: ClinicWorld, other_world: ClinicWorld, db: Session
    ) -> None:
        # The same email and password at two clinics: 409 until client_id names one.
        email = world.users["frontdesk"].email
        twin = User(clinic_id=other_world.clinic.id, email=email, role="frontdesk")
        twin.password_hash = cheap_hash(PASSWORD)
        db.add(twin)
        db.commit()
        limit = FAILURES_PER_ACCOUNT_AND_ADDRESS.limit
        assert [_sign_in(via_proxy, email, PASSWORD) for _ in range(limit + 1)] == [409] * (
            limit + 1
        )

    def test_the_limit_passes_with_its_window(
        self, via_proxy: TestClient, world: ClinicWorld, frozen_clock: TimeMachineFixture
    ) -> None:
        email = world.users["frontdesk"].email
        for _ in range(FAILURES_PER_ACCOUNT_AND_ADDRESS.limit + 1):
            _sign_in(via_proxy, email)
        assert _sign_in(via_proxy, email, PASSWORD) == 429
        frozen_clock.shift(FAILURES_PER_ACCOUNT_AND_ADDRESS.window + 1)
        assert _sign_in(via_proxy, email, PASSWORD) == 200


def test_a_username_longer_than_an_email_address_can_be_is_refused(client: TestClient) -> None:
    resp = client.post(TOKEN, data={"username": "a" * (MAX_USERNAME + 1), "password": "x"})
    assert resp.status_code == 422
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in resp.json()["errors"]] == ["username"]
    assert _sign_in(client, "a" * MAX_USERNAME) == 401  # the longest possible one is looked up


def test_made_up_usernames_do_not_pile_up_in_memory(
    proxied: FastAPI, via_proxy: TestClient, frozen_clock: TimeMachineFixture
) -> None:
    # The attack: anonymous sign-ins, each with a new long random username, from a few
    # addresses. Each may leave counters behind for as long as their window lasts, no longer,
    # and none holds the username.
    addresses = [_stranger(i) for i in range(3)]
    codes = [
        _sign_in(via_proxy, secrets.token_hex(MAX_USERNAME // 2), address=addresses[i % 3])
        for i in range(3 * (FAILURES_PER_ADDRESS.limit + 5))
    ]
    assert codes.count(401) == 3 * FAILURES_PER_ADDRESS.limit and 429 in codes
    storage = proxied.state.rate_limiter.memory
    # Per address: its own count, and an account and a pair count per failure it was allowed.
    assert storage.key_count() <= 3 * (1 + 2 * FAILURES_PER_ADDRESS.limit)
    assert max(len(key) for key in storage.events) < 100

    frozen_clock.shift(FAILURES_PER_ACCOUNT.window + SWEEP_SECONDS)
    assert _sign_in(via_proxy, "someone@example.com") == 401
    assert storage.key_count() <= 3  # only the last request's own counters are left
