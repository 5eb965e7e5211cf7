"""POST /fhir/auth/token: OAuth2 client credentials (RFC 6749 4.4) and its 5.2 errors."""

from __future__ import annotations

import jwt
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from time_machine import TimeMachineFixture

from api.auth.clients.tokens import client_audience
from api.config import Settings
from api.models import MachineClient
from tests.api.clients.support import TOKEN_URL, basic, create_client, request_token
from tests.conftest import ClinicWorld

READ_AND_BOOK = ["system/*.read", "system/Appointment.write"]


def _claims(settings: Settings, token: str) -> dict[str, object]:
    claims: dict[str, object] = jwt.decode(
        token, settings.signing_secret(), algorithms=["HS256"], audience=client_audience(settings)
    )
    return claims


class TestGrant:
    def test_basic_auth_gets_every_granted_scope_for_five_minutes(
        self, client: TestClient, world: ClinicWorld, settings: Settings, db: Session
    ) -> None:
        created = create_client(client, world, READ_AND_BOOK)
        resp = request_token(client, created)
        assert resp.status_code == 200, resp.text
        assert resp.headers["cache-control"] == "no-store"
        body = resp.json()
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == 300
        assert body["scope"] == "system/*.read system/Appointment.write"
        claims = _claims(settings, body["access_token"])
        assert claims["sub"] == created["id"]
        assert claims["clinic"] == world.clinic.id
        assert int(claims["exp"]) - int(claims["iat"]) == 300  # type: ignore[call-overload]
        stored = db.get(MachineClient, created["id"])
        assert stored is not None and stored.last_used_at is not None

    def test_form_credentials_and_a_narrower_scope(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        created = create_client(client, world, READ_AND_BOOK)
        resp = client.post(
            TOKEN_URL,
            data={
                "grant_type": "client_credentials",
                "client_id": created["id"],
                "client_secret": created["clientSecret"],
                "scope": "system/Slot.read system/Schedule.read",
            },
        )
        assert resp.status_code == 200, resp.text
        assert resp.json()["scope"] == "system/Schedule.read system/Slot.read"

    def test_a_client_token_opens_nothing_under_api(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        created = create_client(client, world, READ_AND_BOOK)
        token = request_token(client, created).json()["access_token"]
        resp = client.get("/api/chairs", headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 401


class TestRefusals:
    def test_wrong_secret_unknown_and_missing_client_are_invalid_client(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        created = create_client(client, world, READ_AND_BOOK)
        form = {"grant_type": "client_credentials"}
        wrong = client.post(TOKEN_URL, data=form, headers=basic(created["id"], "sws_guess"))
        assert wrong.status_code == 401
        assert wrong.json()["error"] == "invalid_client"
        assert wrong.headers["www-authenticate"].startswith("Basic")
        unknown = client.post(
            TOKEN_URL, data={**form, "client_id": "swc_nobody", "client_secret": "x"}
        )
        assert unknown.status_code == 401
        assert unknown.json() == {**wrong.json()}  # alike: no telling which ids exist
        missing = client.post(TOKEN_URL, data=form)
        assert missing.status_code == 401
        assert "HTTP Basic" in missing.json()["error_description"]

    def test_both_methods_at_once_is_invalid_request(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        created = create_client(client, world, READ_AND_BOOK)
        resp = client.post(
            TOKEN_URL,
            data={"grant_type": "client_credentials", "client_secret": created["clientSecret"]},
            headers=basic(created["id"], created["clientSecret"]),
        )
        assert resp.status_code == 400
        assert resp.json()["error"] == "invalid_request"

    def test_grant_types_other_than_client_credentials(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        created = create_client(client, world, READ_AND_BOOK)
        auth = basic(created["id"], created["clientSecret"])
        password = client.post(TOKEN_URL, data={"grant_type": "password"}, headers=auth)
        assert password.status_code == 400
        assert password.json()["error"] == "unsupported_grant_type"
        none = client.post(TOKEN_URL, data={}, headers=auth)
        assert none.status_code == 400
        assert none.json()["error"] == "invalid_request"

    def test_scopes_beyond_the_grant_are_invalid_scope(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        created = create_client(client, world, ["system/*.read"])
        resp = request_token(client, created, "system/Slot.read system/Appointment.write")
        assert resp.status_code == 400
        assert resp.json()["error"] == "invalid_scope"
        assert "system/Appointment.write" in resp.json()["error_description"]
        wildcard = request_token(client, created, "system/*.*")
        assert wildcard.json()["error"] == "invalid_scope"
        garbage = request_token(client, created, "openid")
        assert garbage.json()["error"] == "invalid_scope"
        assert "openid" in garbage.json()["error_description"]

    def test_a_revoked_client_gets_no_token(self, client: TestClient, world: ClinicWorld) -> None:
        created = create_client(client, world, READ_AND_BOOK)
        client.post(f"/api/clients/{created['id']}/revoke", headers=world.headers("admin"))
        resp = request_token(client, created)
        assert resp.status_code == 401
        assert resp.json()["error"] == "invalid_client"


class TestFailureLimit:
    def test_ten_failures_stop_even_the_right_secret_for_a_while(
        self, client: TestClient, world: ClinicWorld, frozen_clock: TimeMachineFixture
    ) -> None:
        created = create_client(client, world, READ_AND_BOOK)
        form = {"grant_type": "client_credentials"}
        for _ in range(10):
            wrong = client.post(TOKEN_URL, data=form, headers=basic(created["id"], "sws_guess"))
            assert wrong.status_code == 401
        blocked = request_token(client, created)
        assert blocked.status_code == 429
        assert blocked.json()["error"] == "slow_down"
        assert int(blocked.headers["retry-after"]) > 0
        # Another client from the same address is not held back by these failures.
        other = create_client(client, world, ["system/Slot.read"], name="Reminder service")
        assert request_token(client, other).status_code == 200
        frozen_clock.shift(15 * 60 + 1)
        assert request_token(client, created).status_code == 200


class TestSmartConfiguration:
    def test_names_the_token_endpoint_grant_and_scopes(self, client: TestClient) -> None:
        resp = client.get("/fhir/.well-known/smart-configuration")
        assert resp.status_code == 200
        config = resp.json()
        assert config["token_endpoint"] == "http://testserver/fhir/auth/token"
        assert config["grant_types_supported"] == ["client_credentials"]
        assert set(config["token_endpoint_auth_methods_supported"]) == {
            "client_secret_basic",
            "client_secret_post",
        }
        assert {"system/Slot.read", "system/Appointment.write", "system/*.read"} <= set(
            config["scopes_supported"]
        )
