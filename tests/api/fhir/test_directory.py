"""Location, Practitioner, Schedule and Patient: read, search, and nothing of another clinic."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.api.fhir.conftest import Clinic, entries, fhir_get
from tests.conftest import ClinicWorld


def test_location_is_the_clinic(client: TestClient, clinic: Clinic) -> None:
    cid = clinic.world.clinic.id
    loc = fhir_get(client, f"/fhir/Location/{cid}", clinic.headers())
    assert loc["name"] == "Smile Clinic"
    assert loc["extension"][0]["valueCode"] == "Europe/London"
    bundle = fhir_get(client, "/fhir/Location", clinic.headers())
    assert [r["id"] for r in entries(bundle)] == [cid]


def test_practitioners_search_and_page(client: TestClient, clinic: Clinic) -> None:
    bundle = fhir_get(client, "/fhir/Practitioner", clinic.headers(), _count=1)
    assert bundle["total"] == 2
    first = entries(bundle)
    assert len(first) == 1
    nxt = next(link["url"] for link in bundle["link"] if link["relation"] == "next")
    second = client.get(nxt, headers=clinic.headers()).json()
    assert {r["id"] for r in first + entries(second)} == {p.id for p in clinic.providers}
    assert not [link for link in second["link"] if link["relation"] == "next"]
    one = fhir_get(client, f"/fhir/Practitioner/{clinic.providers[1].id}", clinic.headers())
    assert one["name"][0]["text"] == "Dr Second"


def test_schedules_one_per_type_with_who_can_do_it(
    client: TestClient, clinic: Clinic, db: Session
) -> None:
    clinic.debond.providers = [clinic.providers[1]]
    db.commit()
    bundle = fhir_get(client, "/fhir/Schedule", clinic.headers())
    by_code = {r["serviceType"][0]["coding"][0]["code"]: r for r in entries(bundle)}
    assert set(by_code) == {"ADJ", "SCAN", "DEB"}
    actors = [a["reference"] for a in by_code["DEB"]["actor"]]
    assert actors == [
        f"Location/{clinic.world.clinic.id}",
        f"Practitioner/{clinic.providers[1].id}",
    ]
    # Every provider can do the adjustment (it lists none).
    assert len(by_code["ADJ"]["actor"]) == 3
    deb = fhir_get(client, "/fhir/Schedule", clinic.headers(), **{"service-type": "DEB"})
    assert [r["id"] for r in entries(deb)] == [clinic.debond.id]
    by_actor = fhir_get(
        client, "/fhir/Schedule", clinic.headers(), actor=f"Practitioner/{clinic.providers[0].id}"
    )
    assert {r["id"] for r in entries(by_actor)} == {clinic.adj.id, clinic.scan.id}


def test_patient_read(client: TestClient, clinic: Clinic) -> None:
    patient = fhir_get(client, f"/fhir/Patient/{clinic.patients[1].id}", clinic.headers())
    assert patient["name"] == [{"family": "Test", "given": ["P0"]}]
    assert patient["birthDate"] == "2011-01-01"


def test_nothing_of_another_clinic(
    client: TestClient, clinic: Clinic, other_world: ClinicWorld
) -> None:
    theirs = other_world.headers("admin")
    for path in (
        f"/fhir/Location/{clinic.world.clinic.id}",
        f"/fhir/Practitioner/{clinic.providers[0].id}",
        f"/fhir/Schedule/{clinic.adj.id}",
        f"/fhir/Patient/{clinic.patients[0].id}",
    ):
        outcome = fhir_get(client, path, theirs, expect=404)
        assert outcome["issue"][0]["code"] == "not-found", path
    for kind in ("Practitioner", "Schedule", "Location"):
        ids = {r["id"] for r in entries(fhir_get(client, f"/fhir/{kind}", theirs))}
        assert not ids & {clinic.world.clinic.id, clinic.adj.id, clinic.providers[0].id}, kind
    slots = entries(fhir_get(client, "/fhir/Slot", theirs, schedule=f"Schedule/{clinic.adj.id}"))
    assert slots == []
