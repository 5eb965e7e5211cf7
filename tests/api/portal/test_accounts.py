"""Patient accounts: staff invite (API and CLI), the patient sets a password and signs in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from api.cli import main as cli_main
from api.config import Settings
from api.models import PatientInvitation
from tests.api.portal.conftest import Portal

PASSWORD = "a long new password"


def _invite(portal: Portal, patient_id: str, **body: object) -> dict[str, str]:
    resp = portal.client.post(
        f"/api/patients/{patient_id}/invite",
        json={"email": "p1.parent@example.com", **body},
        headers=portal.clinic.headers("frontdesk"),
    )
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def _login(client: TestClient, email: str, password: str) -> int:
    return client.post(
        "/api/auth/token", data={"username": email, "password": password}
    ).status_code


def test_invite_accept_and_sign_in(portal: Portal) -> None:
    patient = portal.clinic.patients[1]
    invite = _invite(portal, patient.id)
    assert invite["patientId"] == patient.id
    # No password yet: the account cannot sign in.
    assert _login(portal.client, invite["email"], PASSWORD) == 401
    accepted = portal.client.post(
        "/api/patient-portal/accept-invite",
        json={"token": invite["invitationToken"], "password": PASSWORD},
    )
    assert accepted.status_code == 200, accepted.text
    token = portal.client.post(
        "/api/auth/token", data={"username": invite["email"], "password": PASSWORD}
    ).json()["access_token"]
    me = portal.client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["role"] == "patient" and me["patientId"] == patient.id
    # Single use.
    again = portal.client.post(
        "/api/patient-portal/accept-invite",
        json={"token": invite["invitationToken"], "password": "another password!"},
    )
    assert again.status_code == 422
    # Already has an account now.
    resp = portal.client.post(
        f"/api/patients/{patient.id}/invite", json={}, headers=portal.clinic.headers()
    )
    assert resp.status_code == 409


def test_expired_invitation_is_refused(portal: Portal, db: Session) -> None:
    invite = _invite(portal, portal.clinic.patients[1].id)
    db.execute(update(PatientInvitation).values(expires_at=datetime.now(UTC) - timedelta(1)))
    db.commit()
    resp = portal.client.post(
        "/api/patient-portal/accept-invite",
        json={"token": invite["invitationToken"], "password": PASSWORD},
    )
    assert resp.status_code == 422 and "new one" in resp.json()["detail"]


def test_a_new_invitation_replaces_the_old_one(portal: Portal) -> None:
    first = _invite(portal, portal.clinic.patients[1].id)
    second = _invite(portal, portal.clinic.patients[1].id)
    old = portal.client.post(
        "/api/patient-portal/accept-invite",
        json={"token": first["invitationToken"], "password": PASSWORD},
    )
    assert old.status_code == 422
    new = portal.client.post(
        "/api/patient-portal/accept-invite",
        json={"token": second["invitationToken"], "password": PASSWORD},
    )
    assert new.status_code == 200


def test_invite_rules(portal: Portal, other_world: object) -> None:
    no_email = portal.client.post(
        f"/api/patients/{portal.clinic.patients[2].id}/invite",
        json={},
        headers=portal.clinic.headers(),
    )
    assert no_email.status_code == 422 and no_email.json()["errors"][0]["field"] == "email"
    taken = portal.client.post(
        f"/api/patients/{portal.clinic.patients[2].id}/invite",
        json={"email": "admin@smile-clinic.example"},
        headers=portal.clinic.headers(),
    )
    assert taken.status_code == 409
    patient_role = portal.client.post(
        f"/api/patients/{portal.clinic.patients[2].id}/invite",
        json={"email": "x@example.com"},
        headers=portal.patient,
    )
    assert patient_role.status_code == 403
    foreign = portal.client.post(
        f"/api/patients/{other_world.patient.id}/invite",  # type: ignore[attr-defined]
        json={"email": "x@example.com"},
        headers=portal.clinic.headers(),
    )
    assert foreign.status_code == 404


def test_cli_invite(
    portal: Portal,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("api.cli.get_settings", lambda: settings)
    patient = portal.clinic.patients[1]
    code = cli_main(
        ["patients", "invite", "--patient-id", patient.id, "--email", "cli.parent@example.com"]
    )
    assert code == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    resp = portal.client.post(
        "/api/patient-portal/accept-invite", json={"token": token, "password": PASSWORD}
    )
    assert resp.status_code == 200 and resp.json()["email"] == "cli.parent@example.com"
    assert cli_main(["patients", "invite", "--patient-id", "nope"]) == 1
