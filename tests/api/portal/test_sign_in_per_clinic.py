"""Sign-in from a practice's website opens only an account at the clinic that lists that site,
and inviting a patient reads the same whether or not their address has an account elsewhere."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.auth.passwords import hash_password
from api.models import User
from tests.api.portal.conftest import Portal
from tests.conftest import PASSWORD, ClinicWorld

SITE_A = "https://www.smile-clinic.example"
SITE_B = "https://www.rival-clinic.example"
NEW_PASSWORD = "a long new password"


def _sites(db: Session, portal: Portal, rival: ClinicWorld) -> None:
    for world, site in ((portal.clinic.world, SITE_A), (rival, SITE_B)):
        world.clinic.website_origins = [site]
        db.merge(world.clinic)
    db.commit()


def _sign_in(
    client: TestClient, email: str, password: str, origin: str | None = None, **form: str
) -> Any:
    headers = {"Origin": origin} if origin else {}
    return client.post(
        "/api/auth/token", data={"username": email, "password": password, **form}, headers=headers
    )


class TestSignInFromAPracticeSite:
    def test_another_clinics_site_gets_no_token_for_this_clinics_patient(
        self, portal: Portal, db: Session, other_world: ClinicWorld
    ) -> None:
        _sites(db, portal, other_world)
        patient = portal.clinic.world.users["patient"].email
        on_their_site = _sign_in(portal.client, patient, PASSWORD, SITE_B)
        assert on_their_site.status_code == 401
        assert "access_token" not in on_their_site.text
        # Exactly what a wrong password gets there: the site learns nothing about the account.
        wrong = _sign_in(portal.client, patient, "not the password", SITE_B)
        nobody = _sign_in(portal.client, "nobody@example.com", PASSWORD, SITE_B)
        for other in (wrong, nobody):
            assert other.status_code == 401
            assert other.json()["detail"] == on_their_site.json()["detail"]
        # Naming the clinic does not help a site the clinic does not list.
        named = _sign_in(
            portal.client, patient, PASSWORD, SITE_B, client_id=portal.clinic.world.clinic.id
        )
        assert named.status_code == 401

    def test_the_clinics_own_site_and_its_own_pages_sign_in(
        self, portal: Portal, db: Session, other_world: ClinicWorld
    ) -> None:
        _sites(db, portal, other_world)
        patient = portal.clinic.world.users["patient"].email
        on_own_site = _sign_in(
            portal.client, patient, PASSWORD, SITE_A, client_id=portal.clinic.world.clinic.id
        )
        assert on_own_site.status_code == 200 and on_own_site.json()["access_token"]
        assert on_own_site.headers["access-control-allow-origin"] == SITE_A
        # Staff on the calendar page (same origin, no Origin header) need no clinic id.
        staff = portal.clinic.world.users["frontdesk"].email
        assert _sign_in(portal.client, staff, PASSWORD).status_code == 200
        assert _sign_in(portal.client, staff, PASSWORD, "http://testserver").status_code == 200
        # The other clinic's patient signs in on their own clinic's site.
        theirs = _sign_in(portal.client, other_world.users["patient"].email, PASSWORD, SITE_B)
        assert theirs.status_code == 200


def _invite(portal: Portal, patient_id: str, email: str) -> Any:
    return portal.client.post(
        f"/api/patients/{patient_id}/invite",
        json={"email": email},
        headers=portal.clinic.headers("frontdesk"),
    )


def _shape(resp: Any) -> tuple[int, list[str]]:
    return resp.status_code, sorted(resp.json())


class TestInvitationsRevealNothingAboutOtherClinics:
    def test_an_address_used_at_another_clinic_invites_like_a_new_one(
        self, portal: Portal, db: Session, other_world: ClinicWorld
    ) -> None:
        elsewhere = other_world.users["frontdesk"].email  # staff at the rival clinic
        used = _invite(portal, portal.clinic.patients[1].id, elsewhere.upper())
        fresh = _invite(portal, portal.clinic.patients[2].id, "nobody.yet@example.com")
        assert used.status_code == fresh.status_code == 201, used.text
        assert _shape(used) == _shape(fresh)
        assert used.json()["email"] == elsewhere
        accepted = portal.client.post(
            "/api/patient-portal/accept-invite",
            json={"token": used.json()["invitationToken"], "password": NEW_PASSWORD},
        )
        assert accepted.status_code == 200, accepted.text
        # The patient signs in to this clinic; the rival's account is untouched and still theirs.
        mine = _sign_in(portal.client, elsewhere, NEW_PASSWORD)
        assert mine.status_code == 200
        me = portal.client.get(
            "/api/auth/me", headers={"Authorization": f"Bearer {mine.json()['access_token']}"}
        ).json()
        assert me["clinicId"] == portal.clinic.world.clinic.id and me["role"] == "patient"
        rival = _sign_in(portal.client, elsewhere, PASSWORD)
        assert rival.status_code == 200
        rival_me = portal.client.get(
            "/api/auth/me", headers={"Authorization": f"Bearer {rival.json()['access_token']}"}
        ).json()
        assert rival_me["clinicId"] == other_world.clinic.id and rival_me["role"] == "frontdesk"
        db.expire_all()
        count = select(func.count()).select_from(User).where(User.email == elsewhere)
        assert db.scalar(count) == 2

    def test_an_address_taken_in_this_clinic_is_still_a_conflict(self, portal: Portal) -> None:
        own_staff = portal.clinic.world.users["admin"].email
        resp = _invite(portal, portal.clinic.patients[1].id, own_staff)
        assert resp.status_code == 409 and "at this clinic" in resp.json()["detail"]

    def test_one_password_at_two_clinics_needs_the_clinic_named(
        self, portal: Portal, db: Session, other_world: ClinicWorld
    ) -> None:
        email = portal.clinic.world.users["frontdesk"].email
        db.add(
            User(
                clinic_id=other_world.clinic.id,
                email=email,
                password_hash=hash_password(PASSWORD),
                role="frontdesk",
            )
        )
        db.commit()
        both = _sign_in(portal.client, email, PASSWORD)
        assert both.status_code == 409 and "client_id" in both.json()["detail"]
        named = _sign_in(portal.client, email, PASSWORD, client_id=other_world.clinic.id)
        assert named.status_code == 200
        me = portal.client.get(
            "/api/auth/me", headers={"Authorization": f"Bearer {named.json()['access_token']}"}
        ).json()
        assert me["clinicId"] == other_world.clinic.id
