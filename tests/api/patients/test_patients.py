from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.models import TreatmentPlan, User
from tests.api.patients.factories import make_appointment, make_type
from tests.conftest import ClinicWorld

URL = "/api/patients"


def _fields(body: dict[str, Any]) -> list[str]:
    return [e["field"] for e in body["errors"]]


def _patient(**overrides: Any) -> dict[str, Any]:
    return {"firstName": "Jane", "lastName": "Doe", "dateOfBirth": "1985-04-12", **overrides}


def _create(client: TestClient, world: ClinicWorld, **overrides: Any) -> dict[str, Any]:
    response = client.post(URL, json=_patient(**overrides), headers=world.headers("frontdesk"))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


class TestPatientCrud:
    def test_front_desk_registers_and_edits_a_patient(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        h = world.headers("frontdesk")
        created = client.post(
            URL,
            json=_patient(
                email="jane@example.com",
                phone="+44 (0)7700 900-123",
                usualProviderId=world.provider.id,
            ),
            headers=h,
        )
        assert created.status_code == 201, created.text
        patient = created.json()
        assert patient["firstName"] == "Jane" and patient["dateOfBirth"] == "1985-04-12"
        assert patient["usualProviderId"] == world.provider.id
        assert patient["provisional"] is False and patient["active"] is True
        assert patient["clinicId"] == world.clinic.id

        assert client.get(f"{URL}/{patient['id']}", headers=h).json()["email"] == (
            "jane@example.com"
        )

        updated = client.put(
            f"{URL}/{patient['id']}", json={"lastName": "Smith", "phone": None}, headers=h
        ).json()
        assert updated["lastName"] == "Smith" and updated["phone"] is None
        assert updated["email"] == "jane@example.com"  # not sent, not changed

        assert client.delete(f"{URL}/{patient['id']}", headers=h).status_code == 204
        gone = client.get(f"{URL}/{patient['id']}", headers=h)
        assert gone.status_code == 404
        assert gone.headers["content-type"] == "application/problem+json"

    def test_blank_optional_inputs_mean_none(self, client: TestClient, world: ClinicWorld) -> None:
        patient = _create(client, world, email="", phone="  ", usualProviderId="")
        assert patient["email"] is None and patient["phone"] is None
        assert patient["usualProviderId"] is None

    def test_confirming_a_provisional_patient(self, client: TestClient, world: ClinicWorld) -> None:
        h = world.headers("frontdesk")
        online = _create(client, world, provisional=True)
        waiting = client.get(URL, params={"provisional": True}, headers=h).json()
        assert [p["id"] for p in waiting["items"]] == [online["id"]]
        client.put(f"{URL}/{online['id']}", json={"provisional": False}, headers=h)
        assert client.get(URL, params={"provisional": True}, headers=h).json()["total"] == 0


class TestPatientSearch:
    @pytest.fixture
    def people(self, client: TestClient, world: ClinicWorld) -> dict[str, str]:
        rows = {
            "jane": _create(client, world, email="jane.doe@mail.example.org", phone="07700 900123"),
            "john": _create(client, world, firstName="John", lastName="doe", phone="0161-555-0199"),
            "ann": _create(client, world, firstName="Ann", lastName="Zimmer", active=False),
            "bob": _create(
                client, world, firstName="Bob", lastName="de Vries", email="b@example.net"
            ),
        }
        return {k: v["id"] for k, v in rows.items()}

    def _q(self, client: TestClient, world: ClinicWorld, **params: Any) -> list[str]:
        page = client.get(URL, params=params, headers=world.headers("provider")).json()
        return [f"{p['firstName']} {p['lastName']}" for p in page["items"]]

    def test_ordered_by_last_then_first_name_case_insensitively(
        self, client: TestClient, world: ClinicWorld, people: dict[str, str]
    ) -> None:
        assert self._q(client, world) == [
            "Bob de Vries",
            "Jane Doe",
            "John doe",
            "Pat Smile Clinic",  # the world's own patient
            "Ann Zimmer",
        ]

    def test_q_matches_names_email_and_phone(
        self, client: TestClient, world: ClinicWorld, people: dict[str, str]
    ) -> None:
        assert self._q(client, world, q="DOE") == ["Jane Doe", "John doe"]
        assert self._q(client, world, q="jane doe") == ["Jane Doe"]
        assert self._q(client, world, q="doe john") == ["John doe"]
        assert self._q(client, world, q="mail.example") == ["Jane Doe"]
        assert self._q(client, world, q="900123") == ["Jane Doe"]
        # Spaces and dashes typed differently from how the number was stored still match.
        assert self._q(client, world, q="07700900123") == ["Jane Doe"]
        assert self._q(client, world, q="0161 5550199") == ["John doe"]
        assert self._q(client, world, q="nobody") == []

    def test_q_treats_wildcards_literally(
        self, client: TestClient, world: ClinicWorld, people: dict[str, str]
    ) -> None:
        assert self._q(client, world, q="%") == []
        assert self._q(client, world, q="_") == []

    def test_q_combines_with_active(
        self, client: TestClient, world: ClinicWorld, people: dict[str, str]
    ) -> None:
        assert self._q(client, world, q="zim") == ["Ann Zimmer"]
        assert self._q(client, world, q="zim", active=True) == []
        assert self._q(client, world, active=False) == ["Ann Zimmer"]

    def test_pagination(
        self, client: TestClient, world: ClinicWorld, people: dict[str, str]
    ) -> None:
        page = client.get(
            URL, params={"limit": 2, "offset": 1}, headers=world.headers("admin")
        ).json()
        assert [p["firstName"] for p in page["items"]] == ["Jane", "John"]
        assert (page["total"], page["limit"], page["offset"]) == (5, 2, 1)


class TestPatientValidation:
    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"firstName": ""}, "firstName"),
            ({"lastName": "   "}, "lastName"),
            ({"dateOfBirth": "1899-12-31"}, "dateOfBirth"),
            ({"dateOfBirth": "12/04/1985"}, "dateOfBirth"),
            ({"email": "not-an-email"}, "email"),
            ({"phone": "call me"}, "phone"),
            ({"phone": "+()"}, "phone"),
            ({"phone": "0" * 41}, "phone"),
            ({"provisional": "sometimes"}, "provisional"),
            ({"nickname": "JD"}, "nickname"),
        ],
    )
    def test_bad_field_is_named(
        self, client: TestClient, world: ClinicWorld, overrides: dict[str, Any], field: str
    ) -> None:
        bad = client.post(URL, json=_patient(**overrides), headers=world.headers("frontdesk"))
        assert bad.status_code == 422
        assert bad.headers["content-type"] == "application/problem+json"
        assert _fields(bad.json()) == [field]

    def test_missing_required_fields_are_all_named(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        bad = client.post(URL, json={}, headers=world.headers("frontdesk"))
        assert sorted(_fields(bad.json())) == ["dateOfBirth", "firstName", "lastName"]

    def test_birth_in_the_future_is_refused(self, client: TestClient, world: ClinicWorld) -> None:
        # "Today" is the clinic's date (Europe/London); two days ahead is future everywhere.
        tomorrow = datetime.now(ZoneInfo("Europe/London")).date() + timedelta(days=2)
        bad = client.post(
            URL, json=_patient(dateOfBirth=tomorrow.isoformat()), headers=world.headers("admin")
        )
        assert bad.status_code == 422 and _fields(bad.json()) == ["dateOfBirth"]
        born_today = datetime.now(ZoneInfo("Europe/London")).date().isoformat()
        ok = client.post(URL, json=_patient(dateOfBirth=born_today), headers=world.headers("admin"))
        assert ok.status_code == 201
        earliest = client.post(
            URL, json=_patient(dateOfBirth="1900-01-01"), headers=world.headers("admin")
        )
        assert earliest.status_code == 201

    def test_future_birth_on_update_is_refused(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        pid = _create(client, world)["id"]
        future = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
        bad = client.put(
            f"{URL}/{pid}", json={"dateOfBirth": future}, headers=world.headers("frontdesk")
        )
        assert bad.status_code == 422 and _fields(bad.json()) == ["dateOfBirth"]

    def test_usual_provider_must_be_in_the_clinic(
        self, client: TestClient, world: ClinicWorld, other_world: ClinicWorld
    ) -> None:
        h = world.headers("frontdesk")
        for provider_id in (other_world.provider.id, "no-such-provider"):
            bad = client.post(URL, json=_patient(usualProviderId=provider_id), headers=h)
            assert bad.status_code == 422
            assert _fields(bad.json()) == ["usualProviderId"]
        pid = _create(client, world)["id"]
        moved = client.put(
            f"{URL}/{pid}", json={"usualProviderId": other_world.provider.id}, headers=h
        )
        assert moved.status_code == 422 and _fields(moved.json()) == ["usualProviderId"]
        assert client.get(f"{URL}/{pid}", headers=h).json()["usualProviderId"] is None

    def test_null_for_a_required_field_is_refused(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        h = world.headers("frontdesk")
        pid = _create(client, world)["id"]
        for field in ("firstName", "lastName", "dateOfBirth", "active", "provisional"):
            bad = client.put(f"{URL}/{pid}", json={field: None}, headers=h)
            assert bad.status_code == 422, field
            assert _fields(bad.json()) == [field]
        unchanged = client.get(f"{URL}/{pid}", headers=h).json()
        assert unchanged["firstName"] == "Jane" and unchanged["active"] is True

    def test_bad_list_parameters(self, client: TestClient, world: ClinicWorld) -> None:
        h = world.headers("admin")
        assert _fields(client.get(URL, params={"limit": 0}, headers=h).json()) == ["limit"]
        assert _fields(client.get(URL, params={"q": "x" * 101}, headers=h).json()) == ["q"]


class TestPatientDelete:
    def test_patient_with_appointments_is_kept(
        self, client: TestClient, world: ClinicWorld, db: Session
    ) -> None:
        h = world.headers("frontdesk")
        pid = _create(client, world)["id"]
        make_appointment(
            db,
            clinic_id=world.clinic.id,
            patient_id=pid,
            provider_id=world.provider.id,
            type_id=make_type(db, world.clinic.id).id,
        )
        refused = client.delete(f"{URL}/{pid}", headers=h)
        assert refused.status_code == 409
        assert "Jane Doe has appointments" in refused.json()["detail"]
        assert client.get(f"{URL}/{pid}", headers=h).status_code == 200

    def test_patient_with_a_portal_login_is_kept(
        self, client: TestClient, world: ClinicWorld, db: Session
    ) -> None:
        refused = client.delete(f"{URL}/{world.patient.id}", headers=world.headers("admin"))
        assert refused.status_code == 409 and "portal account" in refused.json()["detail"]
        assert db.get(User, world.users["patient"].id) is not None

    def test_treatment_plans_go_with_the_patient(
        self, client: TestClient, world: ClinicWorld, db: Session
    ) -> None:
        h = world.headers("frontdesk")
        pid = _create(client, world)["id"]
        plan = client.post(
            "/api/treatment-plans", json={"patientId": pid, "name": "Braces"}, headers=h
        ).json()
        assert client.delete(f"{URL}/{pid}", headers=h).status_code == 204
        db.expire_all()
        assert db.get(TreatmentPlan, plan["id"]) is None


class TestPatientPermissions:
    def test_provider_reads_but_cannot_register(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        h = world.headers("provider")
        assert client.get(URL, headers=h).json()["total"] == 1
        assert client.get(f"{URL}/{world.patient.id}", headers=h).status_code == 200
        denied = client.post(URL, json=_patient(), headers=h)
        assert denied.status_code == 403
        assert "booking:create_appointment" in denied.json()["detail"]
        pid = world.patient.id
        assert client.put(f"{URL}/{pid}", json={"lastName": "X"}, headers=h).status_code == 403
        assert client.delete(f"{URL}/{pid}", headers=h).status_code == 403

    def test_patient_role_is_forbidden_everywhere(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        # Even their own record: the portal has its own endpoints.
        h = world.headers("patient")
        pid = world.patient.id
        assert client.get(URL, headers=h).status_code == 403
        assert client.get(f"{URL}/{pid}", headers=h).status_code == 403
        assert client.post(URL, json=_patient(), headers=h).status_code == 403
        assert client.put(f"{URL}/{pid}", json={"lastName": "X"}, headers=h).status_code == 403
        assert client.delete(f"{URL}/{pid}", headers=h).status_code == 403


class TestPatientIsolation:
    def test_other_clinic_patient_is_invisible(
        self, client: TestClient, world: ClinicWorld, other_world: ClinicWorld
    ) -> None:
        theirs = _create(client, other_world, lastName="Secret")
        mine = world.headers("admin")
        assert client.get(f"{URL}/{theirs['id']}", headers=mine).status_code == 404
        stolen = client.put(f"{URL}/{theirs['id']}", json={"lastName": "X"}, headers=mine)
        assert stolen.status_code == 404
        assert client.delete(f"{URL}/{theirs['id']}", headers=mine).status_code == 404
        assert client.get(URL, params={"q": "secret"}, headers=mine).json()["total"] == 0
        assert client.get(URL, headers=mine).json()["total"] == 1  # only the world's own
        kept = client.get(f"{URL}/{theirs['id']}", headers=other_world.headers("admin")).json()
        assert kept["lastName"] == "Secret"
