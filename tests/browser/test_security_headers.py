"""The pages' security headers in Chromium: the calendar and the widget work under their CSP with
no violation, another site cannot frame the calendar, and a practice's site on another origin
still embeds the widget by script tag."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from api.models import AppointmentType
from api.models import Clinic as ClinicRow
from tests.api.booking.conftest import Clinic
from tests.conftest import PASSWORD, sqlite_only
from tests.support.server import running_server

# Headers and CSP are the app's, not the database's: see sqlite_only.
pytestmark = [pytest.mark.browser, sqlite_only]


# Collects every CSP violation the page reports, from the first script on.
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


class Practice:
    """A practice's own website: another origin (another port) serving one page we write."""

    def __init__(self) -> None:
        self.html = ""
        self.app = FastAPI()
        self.app.get("/")(lambda: HTMLResponse(self.html))
        self.origin = ""


@pytest.fixture
def practice() -> Iterator[Practice]:
    site = Practice()
    with running_server(site.app) as origin:
        site.origin = origin
        yield site


@pytest.fixture
def site(app: FastAPI, db: Session, clinic: Clinic, practice: Practice) -> Iterator[str]:
    db.add(
        AppointmentType(
            clinic_id=clinic.world.clinic.id,
            name="New Patient Consult",
            code="NPC",
            color="#27ae60",
            default_duration=45,
            min_duration=30,
            max_duration=60,
            online_bookable=True,
            new_patient_bookable=True,
        )
    )
    row = db.get(ClinicRow, clinic.world.clinic.id)
    assert row is not None
    row.website_origins = [practice.origin]
    db.commit()
    with running_server(app) as base:
        yield base


class Watched:
    """A page whose CSP violations and console errors are recorded."""

    def __init__(self, browser: Any) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 1200})
        self.context.add_init_script(WATCH_CSP)
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.page.on(
            "console", lambda m: self.console.append(m.text) if m.type == "error" else None
        )

    def violations(self) -> list[str]:
        reported = [str(v) for v in self.page.evaluate("() => window.__csp")]
        return reported + [m for m in self.console if "Content Security Policy" in m]


def test_calendar_works_under_its_csp_without_a_violation(
    browser: Any, site: str, clinic: Clinic
) -> None:
    with httpx.Client(base_url=site, headers=clinic.headers(), timeout=20) as http:
        booked = http.post("/api/booking/appointments", json=clinic.booking())
        assert booked.status_code == 201, booked.text
        page_resp = http.get("/calendar")
    assert "script-src 'self'" in page_resp.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page_resp.headers["content-security-policy"]
    watched = Watched(browser)
    page = watched.page
    page.goto(f"{site}/calendar?date={clinic.day.isoformat()}&view=day")
    page.fill("input[name=email]", clinic.world.users["frontdesk"].email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    # The live channel (a WebSocket, allowed by connect-src 'self') and the booked block.
    page.wait_for_selector("#live-status[data-state=live]", timeout=15000)
    page.locator(f'[data-appointment-id="{booked.json()["id"]}"]').wait_for(timeout=10000)
    # A click opens the appointment's menu, positioned through the CSSOM.
    page.locator(f'[data-appointment-id="{booked.json()["id"]}"]').click()
    page.locator("#menu").wait_for(state="visible", timeout=5000)
    assert watched.violations() == []
    watched.context.close()


def test_another_site_cannot_frame_the_calendar(
    browser: Any, site: str, practice: Practice
) -> None:
    # Even a site the clinic lists for its widget: framing is how clickjacking starts.
    practice.html = f'<!doctype html><title>x</title><iframe id="f" src="{site}/calendar"></iframe>'
    watched = Watched(browser)
    page = watched.page
    with page.expect_console_message(lambda m: "frame-ancestors" in m.text, timeout=60000):
        page.goto(practice.origin)
    # Chromium shows its own error page in the frame instead of the calendar.
    framed = [f for f in page.frames if f is not page.main_frame]
    assert len(framed) == 1
    assert not framed[0].url.startswith(site)
    assert page.frame_locator("#f").locator("#login-form").count() == 0
    watched.context.close()


def test_a_practice_site_on_another_origin_embeds_the_widget(
    browser: Any, site: str, clinic: Clinic, practice: Practice
) -> None:
    practice.html = (
        "<!doctype html><title>Practice</title>"
        f'<div id="slotwise-booking" data-clinic="{clinic.world.clinic.id}"></div>'
        f'<script type="module" src="{site}/widget/slotwise-widget.js"></script>'
    )
    watched = Watched(browser)
    page = watched.page
    page.goto(practice.origin)
    types = page.locator('.sw-step[data-step="type"]')
    types.wait_for(timeout=20000)
    assert "New Patient Consult" in types.inner_text()
    assert watched.violations() == []
    watched.context.close()


def test_the_demo_practice_site_runs_the_widget_under_a_csp(
    browser: Any, site: str, clinic: Clinic
) -> None:
    watched = Watched(browser)
    page = watched.page
    response = page.goto(f"{site}/demo/practice-site?clinic={clinic.world.clinic.id}")
    assert response is not None
    assert "style-src 'self'" in response.headers["content-security-policy"]
    types = page.locator('.sw-step[data-step="type"]')
    types.wait_for(timeout=20000)
    # The practice's own styles came from their file (the page's buttons are hot pink).
    host_button = page.locator("#about button")
    assert host_button.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(255, 105, 180)"
    # The type swatches are coloured (set through the CSSOM, which a CSP allows).
    swatch = page.locator("#slotwise-booking .sw-swatch").first
    assert swatch.evaluate("s => getComputedStyle(s).backgroundColor") != "rgba(0, 0, 0, 0)"
    assert watched.violations() == []
    watched.context.close()
