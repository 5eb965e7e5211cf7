"""The clinic's booking policy: the admin changes it, bookings obey the change at once, and
another clinic's settings are out of reach (404, exactly like an id that does not exist)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.models import Clinic as ClinicRow
from tests.api.booking.conftest import Clinic, book
from tests.conftest import ClinicWorld


def _url(clinic_id: str) -> str:
    return f"/api/clinics/{clinic_id}"


class TestPolicyUpdates:
    def test_a_longer_lead_time_refuses_a_booking_it_would_have_taken(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        admin = clinic.headers("admin")
        # The test day is three days ahead: inside a four-day lead time.
        resp = client.put(
            _url(clinic.world.clinic.id), json={"minLeadTimeMinutes": 4 * 24 * 60}, headers=admin
        )
        assert resp.status_code == 200 and resp.json()["minLeadTimeMinutes"] == 5760
        refused = book(client, clinic)
        assert refused.status_code == 422, refused.text
        assert "before the earliest bookable time" in refused.json()["detail"]
        client.put(_url(clinic.world.clinic.id), json={"minLeadTimeMinutes": 120}, headers=admin)
        assert book(client, clinic).status_code == 201

    def test_the_late_cancel_fee_set_is_the_fee_charged(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        admin = clinic.headers("admin")
        policy = {
            "lateCancelWindowHours": 24 * 7,
            "lateCancelFeeAmount": "40.00",
            "lateCancelFeeCurrency": "EUR",
        }
        resp = client.put(_url(clinic.world.clinic.id), json=policy, headers=admin)
        assert resp.status_code == 200, resp.text
        booked = book(client, clinic).json()
        cancelled = client.delete(
            f"/api/booking/appointments/{booked['id']}",
            params={"reason": "patient is away"},
            headers=clinic.headers(),
        )
        assert cancelled.status_code in (200, 204), cancelled.text
        detail = client.get(
            f"/api/booking/appointments/{booked['id']}", headers=clinic.headers()
        ).json()
        assert detail["cancellationFee"] == {"amount": "40.00", "currency": "EUR"}

    def test_a_bad_value_names_its_field_and_changes_nothing(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        admin = world.headers("admin")
        before = client.get(_url(world.clinic.id), headers=admin).json()
        for body, field in (
            ({"slotGranularityMinutes": 7, "name": "Renamed"}, "slotGranularityMinutes"),
            ({"maxHorizonDays": 0}, "maxHorizonDays"),
            ({"lateCancelFeeCurrency": "pounds"}, "lateCancelFeeCurrency"),
            ({"minLeadTimeMinutes": "120"}, "minLeadTimeMinutes"),
        ):
            resp = client.put(_url(world.clinic.id), json=body, headers=admin)
            assert resp.status_code == 422, body
            assert field in [e["field"] for e in resp.json()["errors"]], resp.json()
        assert client.get(_url(world.clinic.id), headers=admin).json() == before

    def test_only_the_admin_configures_the_clinic(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        for role in ("frontdesk", "provider", "patient"):
            resp = client.put(
                _url(world.clinic.id), json={"maxHorizonDays": 1}, headers=world.headers(role)
            )
            assert resp.status_code == 403, role
        admin = world.headers("admin")
        assert client.get(_url(world.clinic.id), headers=admin).json()["maxHorizonDays"] == 90


class TestAnotherClinic:
    def test_another_clinics_settings_look_like_no_clinic_at_all(
        self, client: TestClient, world: ClinicWorld, other_world: ClinicWorld, db: Session
    ) -> None:
        admin = world.headers("admin")
        rival, missing = other_world.clinic.id, "0" * 32
        for method, body in (("GET", None), ("PUT", {"name": "Taken over"}), ("DELETE", None)):
            theirs = client.request(method, _url(rival), json=body, headers=admin)
            nobody = client.request(method, _url(missing), json=body, headers=admin)
            assert theirs.status_code == nobody.status_code == 404, method
            assert theirs.json()["detail"].replace(rival, "X") == nobody.json()["detail"].replace(
                missing, "X"
            )
        db.expire_all()
        row = db.get(ClinicRow, rival)
        assert row is not None and row.name == "Rival Clinic"
        listed = client.get("/api/clinics", headers=admin).json()["items"]
        assert [c["id"] for c in listed] == [world.clinic.id]

    def test_a_clinic_with_appointments_is_closed_not_deleted(
        self, client: TestClient, clinic: Clinic
    ) -> None:
        assert book(client, clinic).status_code == 201
        admin = clinic.headers("admin")
        resp = client.delete(_url(clinic.world.clinic.id), headers=admin)
        assert resp.status_code == 409 and "active to false" in resp.json()["detail"]
        closed = client.put(_url(clinic.world.clinic.id), json={"active": False}, headers=admin)
        assert closed.status_code == 200 and closed.json()["active"] is False
