"""Managing machine clients leaves the clinic's audit trail: who created, changed, rotated and
revoked which client, in the clinic's hash chain (the bookings' own), and never a secret."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import cli
from api.audit import chain
from api.models import AuditEntry, MachineClient
from tests.api.clients.support import create_client
from tests.conftest import ClinicWorld


def _trail(client: TestClient, world: ClinicWorld, client_id: str) -> list[dict[str, Any]]:
    resp = client.get(f"/api/clients/{client_id}/audit", headers=world.headers("admin"))
    assert resp.status_code == 200, resp.text
    rows: list[dict[str, Any]] = resp.json()
    return rows


def _rows(db: Session, client_id: str) -> list[AuditEntry]:
    db.rollback()  # a fresh snapshot: the API committed in its own session
    return list(
        db.scalars(
            select(AuditEntry).where(AuditEntry.entity_id == client_id).order_by(AuditEntry.id)
        )
    )


def test_create_change_rotate_revoke_are_in_the_trail_without_a_secret(
    client: TestClient, world: ClinicWorld, db: Session
) -> None:
    admin = world.headers("admin")
    created = create_client(client, world, ["system/*.read", "system/Appointment.write"])
    cid = created["id"]
    changed = client.put(
        f"/api/clients/{cid}",
        headers={**admin, "X-Request-ID": "narrow-site-1"},
        json={"scopes": ["system/*.read"]},
    )
    assert changed.status_code == 200, changed.text
    # The same grant again changes nothing, so it records nothing.
    same = client.put(f"/api/clients/{cid}", headers=admin, json={"scopes": ["system/*.read"]})
    assert same.status_code == 200, same.text
    rotated = client.post(f"/api/clients/{cid}/rotate-secret", headers=admin)
    assert rotated.status_code == 200, rotated.text
    assert client.post(f"/api/clients/{cid}/revoke", headers=admin).status_code == 200
    # Revoking twice keeps the first time, and a refused change writes nothing either.
    assert client.post(f"/api/clients/{cid}/revoke", headers=admin).status_code == 200
    refused = client.put(f"/api/clients/{cid}", headers=admin, json={"name": "Back"})
    assert refused.status_code == 409

    trail = _trail(client, world, cid)
    assert [r["action"] for r in trail] == [
        "client.create", "client.update", "client.rotate_secret", "client.revoke",
    ]  # fmt: skip
    assert {r["actorId"] for r in trail} == {world.users["admin"].id}
    assert trail[0]["after"] == {
        "name": "Practice website",
        "scopes": ["system/*.read", "system/Appointment.write"],
        "active": True,
        "revoked_at": None,
        "secret_rotated_at": None,
    }
    assert trail[1]["changes"] == {
        "scopes": [["system/*.read", "system/Appointment.write"], ["system/*.read"]]
    }
    assert trail[1]["requestId"] == "narrow-site-1"
    assert list(trail[2]["changes"]) == ["secret_rotated_at"]
    assert set(trail[3]["changes"]) == {"active", "revoked_at"}

    stored = db.get(MachineClient, cid)
    assert stored is not None
    written = json.dumps([[e.before, e.after, e.reason] for e in _rows(db, cid)])
    for secret in (created["clientSecret"], rotated.json()["clientSecret"], stored.secret_hash):
        assert secret not in written
    assert "secret_hash" not in written


def test_client_entries_are_links_of_the_clinics_chain_and_it_verifies(
    client: TestClient, world: ClinicWorld, db: Session
) -> None:
    admin = world.headers("admin")
    first = create_client(client, world, ["system/Slot.read"], name="Reminder service")
    client.post(f"/api/clients/{first['id']}/rotate-secret", headers=admin)
    second = create_client(client, world, ["system/*.read"], name="Marketplace")
    client.post(f"/api/clients/{first['id']}/revoke", headers=admin)
    db.rollback()
    [report] = chain.verify(db, world.clinic.id)
    assert report.ok, report.problem
    assert report.rows == len(_rows(db, first["id"])) + len(_rows(db, second["id"])) == 4
    # Tampering with a client's entry breaks the chain there, as for an appointment's.
    tampered = _rows(db, first["id"])[1]
    tampered.actor_id = "someone-else"
    db.flush()
    [report] = chain.verify(db, world.clinic.id)
    assert report.broken_at == tampered.id
    db.rollback()


def test_another_clinics_client_trail_is_not_found(
    client: TestClient, world: ClinicWorld, other_world: ClinicWorld
) -> None:
    theirs = create_client(client, other_world, ["system/*.read"])
    resp = client.get(f"/api/clients/{theirs['id']}/audit", headers=world.headers("admin"))
    assert resp.status_code == 404
    frontdesk = world.headers("frontdesk")
    assert client.get(f"/api/clients/{theirs['id']}/audit", headers=frontdesk).status_code == 403


def test_the_cli_records_its_create_and_revoke_as_cli(
    cli_env: None, world: ClinicWorld, db: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["clients", "create", "--clinic", world.clinic.id, "--name", "Reminders",
                     "--scope", "system/Slot.read"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    client_id = next(line.split()[-1] for line in out.splitlines() if line.startswith("client_id"))
    assert cli.main(["clients", "revoke", client_id]) == 0
    rows = _rows(db, client_id)
    assert [(r.action, r.actor_id, r.clinic_id) for r in rows] == [
        ("client.create", "cli", world.clinic.id),
        ("client.revoke", "cli", world.clinic.id),
    ]
    [report] = chain.verify(db, world.clinic.id)
    assert report.ok, report.problem
