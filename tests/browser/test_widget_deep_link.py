"""A published Slot's booking deep link opens the widget holding that time (SMART Scheduling
Links), and a link to a time taken since says so and lists the days."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from api.models import AppointmentType
from tests.api.booking.conftest import Clinic
from tests.support.server import running_server

pytestmark = pytest.mark.browser


@pytest.fixture
def site(app: FastAPI, db: Session, clinic: Clinic) -> Iterator[str]:
    db.add(
        AppointmentType(
            clinic_id=clinic.world.clinic.id, name="New Patient Consult", code="NPC",
            default_duration=45, min_duration=30, max_duration=60,
            online_bookable=True, new_patient_bookable=True,
        )
    )  # fmt: skip
    db.commit()
    with running_server(app) as base:
        yield base


def _published_link(site: str, clinic: Clinic, start: str) -> str:
    headers = clinic.headers()
    manifest = httpx.get(f"{site}/fhir/$bulk-publish", headers=headers, timeout=60).json()
    url = next(o["url"] for o in manifest["output"] if o["type"] == "Slot")
    slots = [
        json.loads(line) for line in httpx.get(url, headers=headers, timeout=60).text.splitlines()
    ]
    npc = next(s for s in slots if s["start"] == start and "NPC" in json.dumps(s["serviceType"]))
    return str(npc["extension"][0]["valueUrl"])


def _step(page: Any, name: str) -> Any:
    step = page.locator(f'.sw-step[data-step="{name}"]')
    step.wait_for(timeout=20000)
    return step


def test_deep_link_holds_the_linked_time(browser: Any, site: str, clinic: Clinic) -> None:
    link = _published_link(site, clinic, clinic.iso(11))
    page = browser.new_context(viewport={"width": 1100, "height": 1000}).new_page()
    page.goto(link)
    who = _step(page, "who")
    assert "holding this time" in who.inner_text()
    assert "11:00" in who.inner_text()

    # The same link after staff booked every chair at that time: the days, and why.
    for i in (0, 1):
        resp = httpx.post(
            f"{site}/api/booking/appointments",
            headers=clinic.headers("admin"),
            json={**clinic.booking(startTime=clinic.iso(11), providerId=clinic.providers[i].id,
                                   chairId=clinic.chairs[i].id, patientId=clinic.patients[i].id)},
            timeout=60,
        )  # fmt: skip
        assert resp.status_code == 201, resp.text
    again = browser.new_context(viewport={"width": 1100, "height": 1000}).new_page()
    again.goto(link)
    days = _step(again, "day")
    assert "no longer free" in days.inner_text()
    page.context.close()
    again.context.close()
