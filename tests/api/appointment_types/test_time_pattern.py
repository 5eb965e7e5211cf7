"""timePattern on appointment types (issue 13): stored, read back, cleared, and refused with a
message naming what to fix, on create and whenever the default duration it must fit changes."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

from tests.api.appointment_types.test_appointment_types import URL, make_type, type_body
from tests.conftest import ClinicWorld


def _error(res: httpx.Response) -> dict[str, str]:
    assert res.status_code == 422, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    errors = res.json()["errors"]
    assert len(errors) == 1
    return dict(errors[0])


def test_pattern_is_stored_read_and_cleared(client: TestClient, world: ClinicWorld) -> None:
    h = world.headers("admin")
    created = make_type(client, world, timePattern="AADA")
    assert created["timePattern"] == "AADA"
    assert client.get(f"{URL}/{created['id']}", headers=h).json()["timePattern"] == "AADA"

    # A PUT without the field leaves it alone; null clears it.
    kept = client.put(f"{URL}/{created['id']}", json={"name": "Wire change"}, headers=h)
    assert kept.status_code == 200 and kept.json()["timePattern"] == "AADA"
    cleared = client.put(f"{URL}/{created['id']}", json={"timePattern": None}, headers=h)
    assert cleared.status_code == 200 and cleared.json()["timePattern"] is None


def test_type_without_pattern_reads_null(client: TestClient, world: ClinicWorld) -> None:
    assert make_type(client, world)["timePattern"] is None


def test_assistant_only_pattern_is_accepted(client: TestClient, world: ClinicWorld) -> None:
    # No D on a type that needs a provider means "assistant only": recorded, not held.
    assert make_type(client, world, timePattern="AAAA")["timePattern"] == "AAAA"


def test_wrong_characters_are_named(client: TestClient, world: ClinicWorld) -> None:
    res = client.post(URL, json=type_body(timePattern="XX/D"), headers=world.headers("admin"))
    assert _error(res) == {
        "field": "timePattern",
        "message": "timePattern: use only 'D' (provider time) and 'A' (assistant time), one per "
        "5 minutes; found '/', 'X'",
    }


def test_length_must_match_the_default_duration(client: TestClient, world: ClinicWorld) -> None:
    res = client.post(URL, json=type_body(timePattern="AAD"), headers=world.headers("admin"))
    assert _error(res) == {
        "field": "timePattern",
        "message": "timePattern: has 3 steps but the default duration of 20 minutes needs 4 "
        "(one per 5 minutes)",
    }


def test_empty_pattern_is_refused(client: TestClient, world: ClinicWorld) -> None:
    res = client.post(URL, json=type_body(timePattern=""), headers=world.headers("admin"))
    assert _error(res)["field"] == "timePattern"


def test_update_checks_the_pattern_against_the_stored_duration(
    client: TestClient, world: ClinicWorld
) -> None:
    created = make_type(client, world, timePattern="AADA")
    res = client.put(
        f"{URL}/{created['id']}", json={"timePattern": "AADAA"}, headers=world.headers("admin")
    )
    assert _error(res)["field"] == "timePattern"


def test_changing_the_default_duration_rechecks_the_pattern(
    client: TestClient, world: ClinicWorld
) -> None:
    h = world.headers("admin")
    created = make_type(client, world, timePattern="AADA")
    res = client.put(f"{URL}/{created['id']}", json={"defaultDuration": 25}, headers=h)
    assert _error(res) == {
        "field": "defaultDuration",
        "message": "defaultDuration 25 does not fit timePattern 'AADA': timePattern: has 4 "
        "steps but the default duration of 25 minutes needs 5 (one per 5 minutes); send a "
        "timePattern for the new duration too",
    }
    assert client.get(f"{URL}/{created['id']}", headers=h).json()["defaultDuration"] == 20

    both = client.put(
        f"{URL}/{created['id']}", json={"defaultDuration": 25, "timePattern": "AADAA"}, headers=h
    )
    assert both.status_code == 200, both.text
    assert (both.json()["defaultDuration"], both.json()["timePattern"]) == (25, "AADAA")


def test_pattern_longer_than_any_type_is_refused_by_the_schema(
    client: TestClient, world: ClinicWorld
) -> None:
    res = client.post(URL, json=type_body(timePattern="A" * 97), headers=world.headers("admin"))
    assert _error(res)["field"] == "timePattern"
