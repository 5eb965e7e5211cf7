"""`slotwise clients create | list | revoke` on the server's shell."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api import cli
from api.models import MachineClient
from tests.api.clients.support import request_token
from tests.conftest import ClinicWorld


def _printed(out: str, label: str) -> str:
    line = next(line for line in out.splitlines() if line.startswith(label))
    return line.split()[-1]


def test_create_prints_a_secret_that_opens_a_token_then_revoke_closes_it(
    cli_env: None,
    world: ClinicWorld,
    client: TestClient,
    db: Session,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = cli.main(
        [
            "clients", "create", "--clinic", world.clinic.id, "--name", "Reminder service",
            "--scope", "system/Appointment.read", "--scope", "system/Slot.read",
        ]
    )  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    client_id, secret = _printed(out, "client_id:"), _printed(out, "client_secret:")
    stored = db.get(MachineClient, client_id)
    assert stored is not None and stored.created_by == "cli"
    assert stored.clinic_id == world.clinic.id
    assert secret not in stored.secret_hash
    created = {"id": client_id, "clientSecret": secret}
    granted = request_token(client, created)
    assert granted.json()["scope"] == "system/Appointment.read system/Slot.read"

    assert cli.main(["clients", "list", "--clinic-id", world.clinic.id]) == 0
    listed = capsys.readouterr().out
    assert client_id in listed and "active" in listed and secret not in listed

    assert cli.main(["clients", "revoke", client_id]) == 0
    assert "revoked" in capsys.readouterr().out
    assert request_token(client, created).status_code == 401


def test_create_refuses_a_bad_scope_and_an_unknown_clinic(
    cli_env: None, world: ClinicWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["clients", "create", "--name", "Site"]
    bad_scope = [*args, "--clinic", world.clinic.id, "--scope", "user/Slot.read"]
    assert cli.main(bad_scope) == 2
    assert "user/Slot.read" in capsys.readouterr().err
    unknown = [*args, "--clinic", "nope", "--scope", "system/Slot.read"]
    assert cli.main(unknown) == 2
    assert world.clinic.id in capsys.readouterr().err  # names the clinics there are
