from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient

from api.auth.tokens import TokenClaims, issue_token
from api.config import Settings
from tests.conftest import PASSWORD, ClinicWorld


class TestLogin:
    def test_password_login_returns_a_working_token(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        resp = client.post(
            "/api/auth/token",
            data={"username": "FrontDesk@smile-clinic.example", "password": PASSWORD},
        )
        assert resp.status_code == 200, resp.text
        token = resp.json()["access_token"]
        me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
        assert me["role"] == "frontdesk" and me["clinicId"] == world.clinic.id
        assert "booking:create_appointment" in me["permissions"]
        assert "booking:configure" not in me["permissions"]

    @pytest.mark.parametrize(
        ("username", "password"),
        [("frontdesk@smile-clinic.example", "wrong password"), ("nobody@x.example", PASSWORD)],
    )
    def test_bad_credentials_are_401_without_saying_which(
        self, client: TestClient, world: ClinicWorld, username: str, password: str
    ) -> None:
        resp = client.post("/api/auth/token", data={"username": username, "password": password})
        assert resp.status_code == 401
        assert resp.json()["detail"] == "Email or password is wrong."

    def test_deactivated_user_loses_access_immediately(
        self, client: TestClient, world: ClinicWorld, db
    ) -> None:  # type: ignore[no-untyped-def]
        user = world.users["frontdesk"]
        db.get(type(user), user.id).active = False
        db.commit()
        resp = client.get("/api/chairs", headers=world.headers("frontdesk"))
        assert resp.status_code == 401


class TestTokenValidation:
    """Any token we did not issue, or that has expired, is a 401."""

    def _payload(self, world: ClinicWorld, settings: Settings) -> dict[str, object]:
        now = datetime.now(UTC)
        return {
            "sub": world.users["admin"].id,
            "clinic": world.clinic.id,
            "role": "admin",
            "iss": settings.jwt_issuer,
            "aud": settings.jwt_audience,
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(minutes=5)).timestamp()),
        }

    def _call(self, client: TestClient, token: str) -> int:
        return client.get("/api/chairs", headers={"Authorization": f"Bearer {token}"}).status_code

    def test_missing_token(self, client: TestClient, world: ClinicWorld) -> None:
        resp = client.get("/api/chairs")
        assert resp.status_code == 401
        assert resp.headers["www-authenticate"] == "Bearer"

    def test_alg_none_is_refused(
        self, client: TestClient, world: ClinicWorld, settings: Settings
    ) -> None:
        token = jwt.encode(self._payload(world, settings), key=None, algorithm="none")
        assert self._call(client, token) == 401

    @pytest.mark.parametrize("claim", ["aud", "iss"])
    def test_wrong_audience_or_issuer(
        self, client: TestClient, world: ClinicWorld, settings: Settings, claim: str
    ) -> None:
        payload = self._payload(world, settings) | {claim: "someone-else"}
        token = jwt.encode(payload, settings.signing_secret(), algorithm="HS256")
        assert self._call(client, token) == 401

    def test_expired(self, client: TestClient, world: ClinicWorld, settings: Settings) -> None:
        claims = TokenClaims(world.users["admin"].id, world.clinic.id, "admin", None, None)
        token = issue_token(settings, claims, now=datetime.now(UTC) - timedelta(hours=2))
        assert self._call(client, token) == 401

    def test_tampered_signature(
        self, client: TestClient, world: ClinicWorld, settings: Settings
    ) -> None:
        token = world.tokens["frontdesk"]
        header, payload, sig = token.split(".")
        forged = jwt.encode(
            self._payload(world, settings), "not-our-secret", algorithm="HS256"
        ).split(".")[1]
        assert self._call(client, f"{header}.{forged}.{sig}") == 401
        assert self._call(client, f"{header}.{payload}.{sig[:-2]}AA") == 401

    def test_token_for_other_clinic_claim_is_refused(
        self,
        client: TestClient,
        world: ClinicWorld,
        other_world: ClinicWorld,
        settings: Settings,
    ) -> None:
        payload = self._payload(world, settings) | {"clinic": other_world.clinic.id}
        token = jwt.encode(payload, settings.signing_secret(), algorithm="HS256")
        assert self._call(client, token) == 401


def test_secret_is_generated_once_and_persisted(tmp_path) -> None:  # type: ignore[no-untyped-def]
    a = Settings(SLOTWISE_SECRET_FILE=tmp_path / "s")
    b = Settings(SLOTWISE_SECRET_FILE=tmp_path / "s")
    assert a.signing_secret() == b.signing_secret()
    assert len(a.signing_secret()) >= 40
    assert Settings(SLOTWISE_SECRET_FILE=tmp_path / "t").signing_secret() != a.signing_secret()


def test_secret_file_is_private_from_the_moment_it_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A process killed between creating the file and tightening its mode must not leave the
    # signing secret readable by every local user: nothing may rely on a chmod afterwards.
    def no_chmod(self: Path, mode: int) -> None:
        raise AssertionError("the secret file was created with a wider mode and chmod'ed")

    monkeypatch.setattr(Path, "chmod", no_chmod)
    old_umask = os.umask(0o022)  # the usual umask: a plain open() gives 0644
    try:
        Settings(SLOTWISE_SECRET_FILE=tmp_path / "s").signing_secret()
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE((tmp_path / "s").stat().st_mode) == 0o600
