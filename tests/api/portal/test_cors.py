"""CORS: exactly the clinic's configured website origins, preflight included."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.api.portal.conftest import Portal

SITE = "https://www.smile-clinic.example"


def _configure(portal: Portal, db: Session, origins: list[str]) -> None:
    clinic = portal.clinic.world.clinic
    clinic.website_origins = origins
    db.merge(clinic)
    db.commit()


def test_preflight_from_the_clinic_site(portal: Portal, db: Session) -> None:
    _configure(portal, db, [SITE])
    resp = portal.client.options(
        "/api/patient-portal/book",
        headers={
            "Origin": SITE,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        },
    )
    assert resp.status_code == 204
    assert resp.headers["access-control-allow-origin"] == SITE
    assert "Idempotency-Key" in resp.headers["access-control-allow-headers"]
    assert "POST" in resp.headers["access-control-allow-methods"]


def test_actual_requests_carry_the_headers_even_on_errors(portal: Portal, db: Session) -> None:
    _configure(portal, db, [SITE])
    clinic_id = portal.clinic.world.clinic.id
    ok = portal.client.get(f"/api/patient-portal/clinics/{clinic_id}", headers={"Origin": SITE})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == SITE
    # A 409 body must be readable by the widget: the headers are on problem responses too.
    conflict = portal.client.post(
        "/api/patient-portal/new-patient-bookings",
        json={**portal.choice(portal.npc.id, 11), "patient": {}},
        headers={"Origin": SITE, **portal.patient},
    )
    assert conflict.status_code == 422
    assert conflict.headers["access-control-allow-origin"] == SITE


def test_other_origins_are_refused(portal: Portal, db: Session) -> None:
    _configure(portal, db, [SITE])
    clinic_id = portal.clinic.world.clinic.id
    preflight = portal.client.options(
        "/api/patient-portal/book",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 403
    assert "access-control-allow-origin" not in preflight.headers
    resp = portal.client.get(
        f"/api/patient-portal/clinics/{clinic_id}", headers={"Origin": "https://evil.example"}
    )
    assert resp.status_code == 403


def test_another_clinics_site_cannot_use_this_clinic(
    portal: Portal, db: Session, other_world: object
) -> None:
    _configure(portal, db, [SITE])
    rival = other_world.clinic  # type: ignore[attr-defined]
    rival.website_origins = ["https://rival.example"]
    db.merge(rival)
    db.commit()
    resp = portal.client.get(
        f"/api/patient-portal/clinics/{portal.clinic.world.clinic.id}",
        headers={"Origin": "https://rival.example"},
    )
    assert resp.status_code == 403 and "websiteOrigins" in resp.json()["detail"]
    login = portal.client.options(
        "/api/auth/token",
        headers={"Origin": "https://rival.example", "Access-Control-Request-Method": "POST"},
    )
    assert login.status_code == 204  # sign-in itself is allowed for any configured site


def test_same_origin_needs_no_cors(portal: Portal) -> None:
    clinic_id = portal.clinic.world.clinic.id
    resp = portal.client.get(
        f"/api/patient-portal/clinics/{clinic_id}", headers={"Origin": "http://testserver"}
    )
    assert resp.status_code == 200 and "access-control-allow-origin" not in resp.headers
