"""A clinic's time zone is an IANA name, checked when the clinic is opened and when it changes;
zones with daylight saving (including Lord Howe's half-hour shift) are taken as they are."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.clinics.conftest import opening
from tests.conftest import ClinicWorld

NOT_ZONES = [
    "Europe/Londn",  # a typo
    "europe/london",  # IANA names are case-sensitive
    "GMT+1",  # an offset, not a place: the clinic's clocks change with the seasons
    "BST",
    "../../etc/passwd",
    "Europe/London ",
    "",
]
DST_ZONES = ["Europe/London", "America/New_York", "Australia/Lord_Howe", "America/Santiago"]


@pytest.mark.parametrize("zone", NOT_ZONES)
def test_opening_with_a_name_that_is_not_a_zone_says_how_to_write_one(
    client: TestClient, operator: dict[str, str], zone: str
) -> None:
    resp = client.post("/api/clinics", json=opening(time_zone=zone), headers=operator)
    assert resp.status_code == 422, resp.text
    problem = resp.json()
    assert [e["field"] for e in problem["errors"]] == ["timeZone"]
    assert "IANA time zone" in problem["detail"] and "Europe/London" in problem["detail"]


@pytest.mark.parametrize("zone", DST_ZONES)
def test_zones_with_daylight_saving_are_kept_exactly(
    client: TestClient, operator: dict[str, str], zone: str
) -> None:
    resp = client.post("/api/clinics", json=opening(time_zone=zone), headers=operator)
    assert resp.status_code == 201, resp.text
    assert resp.json()["timeZone"] == zone


def test_moving_a_clinic_to_a_bad_zone_changes_nothing(
    client: TestClient, world: ClinicWorld
) -> None:
    url, admin = f"/api/clinics/{world.clinic.id}", world.headers("admin")
    bad = client.put(url, json={"timeZone": "Mars/Olympus_Mons", "name": "Renamed"}, headers=admin)
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["timeZone"]
    kept = client.get(url, headers=admin).json()
    assert kept["timeZone"] == "Europe/London" and kept["name"] == world.clinic.name
    moved = client.put(url, json={"timeZone": "Australia/Lord_Howe"}, headers=admin)
    assert moved.status_code == 200 and moved.json()["timeZone"] == "Australia/Lord_Howe"
    assert client.get(url, headers=admin).json()["timeZone"] == "Australia/Lord_Howe"


def test_a_zone_sent_as_a_number_is_refused(client: TestClient, operator: dict[str, str]) -> None:
    resp = client.post("/api/clinics", json=opening(time_zone=0), headers=operator)  # type: ignore[arg-type]
    assert resp.status_code == 422
    assert [e["field"] for e in resp.json()["errors"]] == ["timeZone"]
