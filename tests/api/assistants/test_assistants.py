"""Assistants through HTTP: CRUD, validation naming the field, clinic isolation, guarded deletes,
qualification on appointment types and hours in the schedule template."""

from __future__ import annotations

from datetime import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import Clinic, ScheduleTemplate, WorkingHours
from tests.conftest import ClinicWorld

TYPE = {"name": "Bond", "code": "BOND", "defaultDuration": 60}


def _assistant(client: TestClient, world: ClinicWorld, **body: Any) -> dict[str, Any]:
    res = client.post(
        "/api/assistants", json={"name": "Maya Lee", **body}, headers=world.headers("admin")
    )
    assert res.status_code == 201, res.text
    return dict(res.json())


class TestAssistantCrud:
    def test_create_read_update_delete(self, client: TestClient, world: ClinicWorld) -> None:
        h = world.headers("admin")
        made = _assistant(client, world, color="#AA3300")
        assert made["name"] == "Maya Lee" and made["active"] is True
        assert made["color"] == "#aa3300" and made["clinicId"] == world.clinic.id

        got = client.get(f"/api/assistants/{made['id']}", headers=h)
        assert got.status_code == 200 and got.json()["name"] == "Maya Lee"

        changed = client.put(
            f"/api/assistants/{made['id']}", json={"active": False, "color": None}, headers=h
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["active"] is False and changed.json()["color"] is None
        assert changed.json()["name"] == "Maya Lee"

        inactive = client.get("/api/assistants", params={"active": False}, headers=h).json()
        assert [a["id"] for a in inactive["items"]] == [made["id"]] and inactive["total"] == 1
        assert (
            client.get("/api/assistants", params={"active": True}, headers=h).json()["total"] == 0
        )

        assert client.delete(f"/api/assistants/{made['id']}", headers=h).status_code == 204
        gone = client.get(f"/api/assistants/{made['id']}", headers=h)
        assert gone.status_code == 404
        assert gone.headers["content-type"] == "application/problem+json"
        assert "No assistant" in gone.json()["detail"]

    def test_list_is_paged_in_name_order(self, client: TestClient, world: ClinicWorld) -> None:
        for name in ("Zoe Park", "Ana Ruiz", "Maya Lee"):
            _assistant(client, world, name=name)
        page = client.get(
            "/api/assistants", params={"limit": 2, "offset": 1}, headers=world.headers("admin")
        ).json()
        assert page["total"] == 3
        assert [a["name"] for a in page["items"]] == ["Maya Lee", "Zoe Park"]

    def test_duplicate_name_is_a_conflict_naming_it(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        _assistant(client, world)
        again = client.post(
            "/api/assistants", json={"name": "Maya Lee"}, headers=world.headers("admin")
        )
        assert again.status_code == 409
        assert "Maya Lee" in again.json()["detail"]

    def test_bad_fields_are_422_naming_the_field(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        h = world.headers("admin")
        cases = [
            ({"name": ""}, "name"),
            ({"name": "A", "color": "red"}, "color"),
            ({"name": "A", "actve": True}, "actve"),
            ({"color": "#112233"}, "name"),
        ]
        for body, field in cases:
            res = client.post("/api/assistants", json=body, headers=h)
            assert res.status_code == 422, (body, res.text)
            assert res.json()["errors"][0]["field"] == field, (body, res.json())
        made = _assistant(client, world)
        for body, field in (({"name": None}, "name"), ({"active": None}, "active")):
            res = client.put(f"/api/assistants/{made['id']}", json=body, headers=h)
            assert res.status_code == 422, (body, res.text)
            assert res.json()["errors"][0]["field"] == field

    def test_frontdesk_reads_but_cannot_configure(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        _assistant(client, world)
        listed = client.get("/api/assistants", headers=world.headers("frontdesk"))
        assert listed.status_code == 200 and listed.json()["total"] == 1
        denied = client.post(
            "/api/assistants", json={"name": "X"}, headers=world.headers("frontdesk")
        )
        assert denied.status_code == 403
        assert "booking:configure" in denied.json()["detail"]

    def test_another_clinics_assistant_is_invisible(
        self, client: TestClient, world: ClinicWorld, other_world: ClinicWorld
    ) -> None:
        theirs = _assistant(client, other_world, name="Theirs")
        mine = world.headers("admin")
        url = f"/api/assistants/{theirs['id']}"
        assert client.get(url, headers=mine).status_code == 404
        assert client.put(url, json={"name": "Stolen"}, headers=mine).status_code == 404
        assert client.delete(url, headers=mine).status_code == 404
        assert client.get("/api/assistants", headers=mine).json()["total"] == 0
        assert client.get(url, headers=other_world.headers("admin")).json()["name"] == "Theirs"

    def test_a_write_changes_the_clinics_config_version(
        self, client: TestClient, world: ClinicWorld, db: Session
    ) -> None:
        """Booking caches the configuration by this token: a stale one would hide the
        assistant from availability."""

        def version() -> str:
            db.rollback()  # a fresh transaction: see what the requests committed
            return str(db.scalar(select(Clinic.config_version).where(Clinic.id == world.clinic.id)))

        before = version()
        made = _assistant(client, world)
        created = version()
        assert created != before
        client.put(
            f"/api/assistants/{made['id']}", json={"active": False}, headers=world.headers("admin")
        )
        assert version() != created


class TestDeleteIsGuarded:
    def test_assistant_with_working_hours_is_kept(
        self, client: TestClient, world: ClinicWorld, db: Session
    ) -> None:
        made = _assistant(client, world)
        template = ScheduleTemplate(clinic_id=world.clinic.id, name="Week", active=True)
        template.working_hours.append(
            WorkingHours(
                resource_type="assistant",
                resource_id=made["id"],
                weekday=0,
                start_time=time(8),
                end_time=time(12),
            )
        )
        db.add(template)
        db.commit()
        res = client.delete(f"/api/assistants/{made['id']}", headers=world.headers("admin"))
        assert res.status_code == 409
        assert "Maya Lee" in res.json()["detail"] and "working hours" in res.json()["detail"]
        assert "active to false" in res.json()["detail"]

    def test_assistant_a_type_is_limited_to_is_kept(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        """Deleting would silently open the type to every assistant."""
        h = world.headers("admin")
        made = _assistant(client, world)
        kind = client.post(
            "/api/appointment-types",
            json={**TYPE, "needsAssistant": True, "assistantIds": [made["id"]]},
            headers=h,
        )
        assert kind.status_code == 201, kind.text
        res = client.delete(f"/api/assistants/{made['id']}", headers=h)
        assert res.status_code == 409
        assert "appointment types" in res.json()["detail"]


class TestTypesNeedingAnAssistant:
    def test_needs_assistant_and_qualified_assistants_round_trip(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        h = world.headers("admin")
        maya = _assistant(client, world)
        ana = _assistant(client, world, name="Ana Ruiz")
        plain = client.post("/api/appointment-types", json=TYPE, headers=h).json()
        assert plain["needsAssistant"] is False and plain["assistantIds"] == []

        made = client.post(
            "/api/appointment-types",
            json={**TYPE, "code": "BOND2", "needsAssistant": True, "assistantIds": [maya["id"]]},
            headers=h,
        )
        assert made.status_code == 201, made.text
        assert made.json()["needsAssistant"] is True
        assert made.json()["assistantIds"] == [maya["id"]]

        url = f"/api/appointment-types/{made.json()['id']}"
        both = client.put(url, json={"assistantIds": [ana["id"], maya["id"]]}, headers=h)
        assert sorted(both.json()["assistantIds"]) == sorted([ana["id"], maya["id"]])
        assert both.json()["needsAssistant"] is True
        # Leaving assistantIds out keeps them; an empty list means any assistant.
        kept = client.put(url, json={"needsAssistant": False}, headers=h).json()
        assert kept["needsAssistant"] is False and len(kept["assistantIds"]) == 2
        cleared = client.put(url, json={"assistantIds": []}, headers=h).json()
        assert cleared["assistantIds"] == []
        assert client.get(url, headers=h).json()["assistantIds"] == []

    def test_unknown_or_foreign_assistant_is_422_naming_assistant_ids(
        self, client: TestClient, world: ClinicWorld, other_world: ClinicWorld
    ) -> None:
        theirs = _assistant(client, other_world, name="Theirs")
        for ids in (["0" * 32], [theirs["id"]]):
            res = client.post(
                "/api/appointment-types",
                json={**TYPE, "needsAssistant": True, "assistantIds": ids},
                headers=world.headers("admin"),
            )
            assert res.status_code == 422, res.text
            assert res.json()["errors"][0]["field"] == "assistantIds"
            assert ids[0] in res.json()["detail"]

    def test_needs_assistant_must_be_a_boolean(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        res = client.post(
            "/api/appointment-types",
            json={**TYPE, "needsAssistant": "often"},
            headers=world.headers("admin"),
        )
        assert res.status_code == 422
        assert res.json()["errors"][0]["field"] == "needsAssistant"


class TestAssistantHoursInTheTemplate:
    def test_template_takes_assistant_hours_and_exceptions(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        h = world.headers("admin")
        maya = _assistant(client, world)
        body = {
            "name": "Week",
            "workingHours": [
                {
                    "resourceType": "assistant",
                    "resourceId": maya["id"],
                    "weekday": 1,
                    "start": "08:00",
                    "end": "16:00",
                }
            ],
            "exceptions": [
                {
                    "resourceType": "assistant",
                    "resourceId": maya["id"],
                    "date": "2031-03-04",
                    "blocks": [],
                    "reason": "Course",
                }
            ],
        }
        res = client.post("/api/schedule-templates", json=body, headers=h)
        assert res.status_code == 201, res.text
        hours = res.json()["workingHours"]
        assert [(w["resourceType"], w["resourceId"]) for w in hours] == [("assistant", maya["id"])]
        assert res.json()["exceptions"][0]["resourceType"] == "assistant"

    def test_unknown_assistant_in_hours_is_422_naming_the_row(
        self, client: TestClient, world: ClinicWorld
    ) -> None:
        body = {
            "name": "Week",
            "workingHours": [
                {
                    "resourceType": "assistant",
                    "resourceId": "0" * 32,
                    "weekday": 1,
                    "start": "08:00",
                    "end": "16:00",
                }
            ],
        }
        res = client.post("/api/schedule-templates", json=body, headers=world.headers("admin"))
        assert res.status_code == 422, res.text
        assert res.json()["errors"][0]["field"] == "workingHours.0.resourceId"
        assert "No assistant" in res.json()["detail"]
