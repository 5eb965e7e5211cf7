"""SMART Scheduling Links: the manifest, its NDJSON files, ETags and the booking deep links."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from time_machine import TimeMachineFixture

from api.core import clock
from api.fhir.bulk_publish import PUBLISHED_DAYS
from api.portal.offer import on_grid
from tests.api.booking.conftest import book
from tests.api.fhir.conftest import Clinic, fhir_get, parse_fhir
from tests.conftest import ClinicWorld


def ndjson(client: TestClient, url: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    resp = client.get(url, headers=headers)
    assert resp.status_code == 200, resp.text[:500]
    assert resp.headers["content-type"].startswith("application/fhir+ndjson")
    return [parse_fhir(json.loads(line)) for line in resp.text.splitlines()]


def published(client: TestClient, headers: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    resp = client.get("/fhir/$bulk-publish", headers=headers)
    assert resp.status_code == 200, resp.text[:500]
    manifest = resp.json()
    assert manifest["error"] == []
    return {o["type"]: ndjson(client, o["url"], headers) for o in manifest["output"]}


def test_published_free_slots_are_the_online_bookable_availability(
    client: TestClient, clinic: Clinic, db: Session, frozen_clock: TimeMachineFixture
) -> None:
    assert book(client, clinic, startTime=clinic.iso(11)).status_code == 201
    files = published(client, clinic.headers())
    assert [r["id"] for r in files["Location"]] == [clinic.world.clinic.id]
    # Only the adjustment is bookable online in the fixture clinic.
    assert [r["id"] for r in files["Schedule"]] == [clinic.adj.id]
    now = clock.now()
    resp = client.get(
        "/api/booking/availability",
        headers=clinic.headers(),
        params={
            "appointmentTypeId": clinic.adj.id,
            "from": now.isoformat(),
            "to": (now + timedelta(days=PUBLISHED_DAYS, minutes=40)).isoformat(),
        },
    )
    step = 15  # the portal's default grid
    engine = [
        s["startTime"]
        for s in resp.json()["slots"]
        if on_grid(clinic.world.clinic, step, datetime.fromisoformat(s["startTime"]))
        and datetime.fromisoformat(s["startTime"]) < now + timedelta(days=PUBLISHED_DAYS)
    ]
    slots = files["Slot"]
    assert [s["start"] for s in slots] == [e.replace("+00:00", "Z") for e in engine]
    assert {s["status"] for s in slots} == {"free"}
    link = slots[0]["extension"][0]
    assert link["url"].endswith("/booking-deep-link")
    query = parse_qs(urlsplit(link["valueUrl"]).query)
    assert query["slotwise-start"] == [slots[0]["start"]]
    assert query["slotwise-type"] == [clinic.adj.id]
    assert query["clinic"] == [clinic.world.clinic.id]


def test_etag_and_since(
    client: TestClient, clinic: Clinic, frozen_clock: TimeMachineFixture
) -> None:
    first = client.get("/fhir/$bulk-publish", headers=clinic.headers())
    etag = first.headers["ETag"]
    again = client.get("/fhir/$bulk-publish", headers={**clinic.headers(), "If-None-Match": etag})
    assert again.status_code == 304
    slot_url = first.json()["output"][2]["url"]
    file_etag = client.get(slot_url, headers=clinic.headers()).headers["ETag"]
    unchanged = client.get(slot_url, headers={**clinic.headers(), "If-None-Match": file_etag})
    assert unchanged.status_code == 304
    # Bookings for both providers take a published time: the Slot file and the manifest change.
    for i in (0, 1):
        resp = book(
            client,
            clinic,
            startTime=clinic.iso(14),
            providerId=clinic.providers[i].id,
            chairId=clinic.chairs[1 - i].id,
            patientId=clinic.patients[i].id,
        )
        assert resp.status_code == 201, resp.text
    changed = client.get(slot_url, headers={**clinic.headers(), "If-None-Match": file_etag})
    assert changed.status_code == 200
    assert clinic.iso(14) not in {json.loads(line)["start"] for line in changed.text.splitlines()}
    assert (
        client.get(
            "/fhir/$bulk-publish", headers={**clinic.headers(), "If-None-Match": etag}
        ).status_code
        == 200
    )
    # _since: what has not changed since then is left out of Location and Schedule.
    later = (clock.now() + timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    since = client.get("/fhir/$bulk-publish", headers=clinic.headers(), params={"_since": later})
    urls = {o["type"]: o["url"] for o in since.json()["output"]}
    assert "_since=" in urls["Schedule"]
    assert ndjson(client, urls["Schedule"], clinic.headers()) == []
    assert ndjson(client, urls["Location"], clinic.headers()) == []


def test_nothing_of_another_clinic_is_published_to_it(
    client: TestClient, clinic: Clinic, other_world: ClinicWorld
) -> None:
    files = published(client, other_world.headers("admin"))
    assert [r["id"] for r in files["Location"]] == [other_world.clinic.id]
    assert files["Schedule"] == [] and files["Slot"] == []
    fhir_get(client, "/fhir/$bulk-publish/Patient.ndjson", clinic.headers(), 404)
