from __future__ import annotations

import io
import sys

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import cli
from api.auth.passwords import verify_password
from api.config import get_settings
from api.models import Clinic, User
from tests.conftest import ClinicWorld


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for command in ("serve", "db", "demo", "users"):
        assert command in out


def test_users_create_reads_password_from_stdin(
    cli_env: None, world: ClinicWorld, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough secret\n"))
    code = cli.main(
        [
            "users",
            "create",
            "--email",
            "New@Smile.example",
            "--role",
            "frontdesk",
            "--clinic-id",
            world.clinic.id,
        ]
    )
    assert code == 0
    user = db.scalar(select(User).where(User.email == "new@smile.example"))
    assert user is not None and user.role == "frontdesk"
    assert verify_password("a long enough secret", user.password_hash)


def test_users_create_refuses_short_password_and_duplicates(
    cli_env: None, world: ClinicWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert (
        cli.main(
            [
                "users",
                "create",
                "--email",
                "x@y.example",
                "--role",
                "admin",
                "--clinic-id",
                world.clinic.id,
            ]
        )
        == 2
    )
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough secret\n"))
    assert (
        cli.main(
            [
                "users",
                "create",
                "--email",
                "admin@smile-clinic.example",
                "--role",
                "admin",
                "--clinic-id",
                world.clinic.id,
            ]
        )
        == 1
    )


def test_clinics_create_opens_a_clinic_its_admin_signs_in_to(
    cli_env: None,
    db: Session,
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough secret\n"))
    code = cli.main(
        [
            "clinics",
            "create",
            "--name",
            "Harbour Dental",
            "--time-zone",
            "America/New_York",
            "--admin-email",
            "Owner@Harbour.example",
            "--website-origin",
            "https://harbour.example",
        ]
    )
    assert code == 0
    assert "opened Harbour Dental (America/New_York" in capsys.readouterr().out
    clinic = db.scalar(select(Clinic).where(Clinic.name == "Harbour Dental"))
    assert clinic is not None and clinic.website_origins == ["https://harbour.example"]
    signed_in = client.post(
        "/api/auth/token",
        data={"username": "owner@harbour.example", "password": "a long enough secret"},
    )
    assert signed_in.status_code == 200
    me = client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    ).json()
    assert me["clinicId"] == clinic.id and me["role"] == "admin"


def test_clinics_create_names_what_is_wrong_and_opens_nothing(
    cli_env: None,
    db: Session,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough secret\n"))
    args = ["clinics", "create", "--name", "Harbour", "--admin-email", "o@harbour.example"]
    assert cli.main([*args, "--time-zone", "Europe/Londn"]) == 2
    err = capsys.readouterr().err
    assert "timeZone" in err and "not an IANA time zone name" in err
    assert db.scalar(select(Clinic).where(Clinic.name == "Harbour")) is None


def test_users_create_platform_operator_may_open_clinics(
    cli_env: None, world: ClinicWorld, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough secret\n"))
    args = ["users", "create", "--email", "ops@platform.example", "--role", "admin"]
    assert cli.main([*args, "--clinic-id", world.clinic.id, "--platform-operator"]) == 0
    token = client.post(
        "/api/auth/token",
        data={"username": "ops@platform.example", "password": "a long enough secret"},
    ).json()["access_token"]
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert "platform:open_clinic" in me["permissions"]
