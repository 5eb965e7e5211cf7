"""What the calendar's browser tests share: booking through the API, signing in, finding a block
and the grid's pixels. The `site` fixture (a server for the booking clinic) is in conftest.py."""

from __future__ import annotations

import time
from typing import Any

import httpx
from fastapi import FastAPI

from api.models import Appointment
from tests.api.booking.conftest import Clinic
from tests.conftest import PASSWORD


def times(start: str, end: str) -> str:
    """How a block shows its times: start, an en dash, end."""
    return f"{start}\u2013{end}"


def api(site: str, clinic: Clinic, role: str = "frontdesk") -> httpx.Client:
    return httpx.Client(base_url=site, headers=clinic.headers(role), timeout=20)


def book(site: str, clinic: Clinic, **overrides: Any) -> dict[str, Any]:
    with api(site, clinic) as http:
        resp = http.post("/api/booking/appointments", json=clinic.booking(**overrides))
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def stored(app: FastAPI, appointment_id: str) -> Appointment:
    with app.state.db.read() as session:
        found = session.get(Appointment, appointment_id)
        assert found is not None
        session.expunge(found)
        return found


def open_calendar(
    browser: Any, site: str, clinic: Clinic, view: str = "day", query: str = ""
) -> Any:
    """Signs the front desk in on the test day; `query` adds to the address (`&columns=…`)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1500})
    page = context.new_page()
    page.goto(f"{site}/calendar?date={clinic.day.isoformat()}&view={view}{query}")
    page.fill("input[name=email]", clinic.world.users["frontdesk"].email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#live-status[data-state=live]", timeout=15000)
    return page


def block_of(page: Any, appointment_id: str) -> Any:
    """The calendar block of one appointment (its content carries the id)."""
    return page.locator(".ec-event", has=page.locator(f'[data-appointment-id="{appointment_id}"]'))


def laid_out_box(locator: Any) -> dict[str, float]:
    """The element's box once it is laid out. The live channel redraws the day when it connects,
    replacing every block, so a box asked for at that moment is None: ask again, briefly."""
    for _ in range(50):
        locator.wait_for(state="visible")
        box = locator.bounding_box()
        if box is not None:
            return dict(box)
        time.sleep(0.1)
    raise AssertionError(f"{locator} was never laid out")


def px_per_minute(page: Any, appointment_id: str, minutes: int) -> float:
    return float(laid_out_box(block_of(page, appointment_id))["height"]) / minutes


def drag(page: Any, x: float, y: float, dx: float, dy: float, *, release: bool = True) -> None:
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx / 2, y + dy / 2, steps=8)
    page.mouse.move(x + dx, y + dy, steps=8)
    if release:
        page.mouse.up()


def grab_point(page: Any, appointment_id: str) -> tuple[float, float]:
    box = laid_out_box(block_of(page, appointment_id))
    # Near the top: the bottom edge is the resize handle.
    return box["x"] + box["width"] / 2, box["y"] + 6
