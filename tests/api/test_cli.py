from __future__ import annotations

import io
import sys

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import cli
from api.auth.passwords import verify_password
from api.config import get_settings
from api.models import User
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
