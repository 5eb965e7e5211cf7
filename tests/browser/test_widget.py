"""The booking widget on the demo practice page, in Chromium against a real server: the
new-patient flow, the signed-in flow, and a time taken by staff between listing and booking.
Each step is saved as a screenshot (test-artifacts/widget-*.png); one goes into the README."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import Appointment, AppointmentSource, AppointmentType, Patient
from api.models import Clinic as ClinicRow
from tests.api.booking.conftest import Clinic
from tests.browser_support import screenshot_path, update_docs
from tests.conftest import PASSWORD
from tests.support.server import running_server

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parent.parent.parent / "docs"


@pytest.fixture
def site(app: FastAPI, db: Session, clinic: Clinic) -> Iterator[str]:
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
    db.commit()
    with running_server(app) as base:
        yield base


def _open(browser: Any, site: str, clinic: Clinic, width: int = 1100) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{site}/demo/practice-site?clinic={clinic.world.clinic.id}")
    _step(page, "type")
    return page


def _step(page: Any, name: str) -> Any:
    step = page.locator(f'.sw-step[data-step="{name}"]')
    step.wait_for(timeout=20000)
    return step


def _shot(page: Any, name: str) -> None:
    page.locator("#slotwise-booking").screenshot(path=str(screenshot_path(name)))


def _focused_tag(page: Any) -> str:
    """What has focus inside the widget's shadow root."""
    return str(
        page.evaluate(
            "() => { const a = document.querySelector('#slotwise-booking').shadowRoot"
            ".activeElement; return a ? a.tagName : ''; }"
        )
    )


def _appointment(app: FastAPI, appointment_id: str) -> tuple[Appointment, Patient]:
    with app.state.db.read() as session:
        row = session.get(Appointment, appointment_id)
        assert row is not None
        patient = session.get(Patient, row.patient_id)
        assert patient is not None
        session.expunge_all()
        return row, patient


def _reference(page: Any) -> str:
    text = page.locator(".sw-step[data-step=done]").inner_text()
    match = re.search(r"Reference: ([0-9a-f]{32})", text)
    assert match, text
    return match.group(1)


def test_new_patient_books_a_consultation(
    browser: Any, site: str, clinic: Clinic, app: FastAPI
) -> None:
    page = _open(browser, site, clinic)
    # The host page's loud button styles do not reach the widget (Shadow DOM).
    assert (
        page.locator("section#about button").evaluate("b => getComputedStyle(b).borderStyle")
        == "dashed"
    )
    _shot(page, "widget-new-1-type")
    consult = page.get_by_role("button", name=re.compile("New Patient Consult"))
    assert consult.evaluate("b => getComputedStyle(b).borderStyle") == "solid"
    consult.focus()
    page.keyboard.press("Enter")  # keyboard works: real buttons
    _step(page, "day")
    assert _focused_tag(page) == "H2"  # focus moves to the new step's heading
    _shot(page, "widget-new-2-day")

    page.locator(f'.sw-step[data-step=day] [data-date="{clinic.day.isoformat()}"]').click()
    times = _step(page, "time")
    assert "Europe/London" in times.locator(".sw-zone").inner_text()
    _shot(page, "widget-new-3-time")
    if update_docs():
        shutil.copyfile(screenshot_path("widget-new-3-time"), DOCS / "widget.png")
    page.locator(f'.sw-step[data-step=time] [data-start="{clinic.iso(11)}"]').click()

    who = _step(page, "who")
    assert "holding this time" in who.inner_text()
    _shot(page, "widget-new-4-who")
    page.get_by_role("button", name="I am new: enter my details").click()
    _step(page, "details")
    page.get_by_label("First name").fill("Nia")
    page.get_by_label("Last name").fill("Okoro")
    page.get_by_label("Date of birth").fill("2012-03-04")
    page.get_by_label("Email").fill("nia.parent@example.com")
    page.get_by_label("Phone").fill("07700 900111")
    _shot(page, "widget-new-5-details")
    page.get_by_role("button", name="Continue").click()

    _step(page, "confirm")
    page.get_by_label("Anything we should know? (optional)").fill("First visit, a bit nervous")
    _shot(page, "widget-new-6-confirm")
    page.get_by_role("button", name="Confirm booking").click()

    done = _step(page, "done")
    assert "Booking received" in done.inner_text()
    assert "11:00 (Europe/London)" in done.inner_text()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Add to calendar (.ics)").click()
    download = download_info.value
    assert download.suggested_filename == "appointment.ics"
    ics = Path(download.path()).read_bytes()
    assert ics.startswith(b"BEGIN:VCALENDAR\r\n") and b"STATUS:TENTATIVE\r\n" in ics
    _shot(page, "widget-new-7-done")

    row, patient = _appointment(app, _reference(page))
    assert row.source == AppointmentSource.ONLINE and row.needs_confirmation
    assert row.patient_notes == "First visit, a bit nervous"
    assert row.start_time.isoformat().replace("+00:00", "Z") == clinic.iso(11)
    assert patient.provisional and patient.email == "nia.parent@example.com"
    page.context.close()


def test_signed_in_patient_books_on_a_phone(
    browser: Any, site: str, clinic: Clinic, app: FastAPI
) -> None:
    page = _open(browser, site, clinic, width=390)  # a phone-sized viewport
    page.get_by_role("button", name=re.compile("Adjustment")).click()
    _step(page, "signin")
    _shot(page, "widget-patient-1-signin")
    page.get_by_label("Email").fill(clinic.world.users["patient"].email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    _step(page, "day")
    page.locator(f'.sw-step[data-step=day] [data-date="{clinic.day.isoformat()}"]').click()
    _step(page, "time")
    # Mobile friendly: the page does not scroll sideways.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    _shot(page, "widget-patient-2-time")
    page.locator(f'.sw-step[data-step=time] [data-start="{clinic.iso(15, 30)}"]').click()
    _step(page, "confirm")  # signed in: straight to confirmation
    _shot(page, "widget-patient-3-confirm")
    page.get_by_role("button", name="Confirm booking").click()
    done = _step(page, "done")
    assert "You are booked" in done.inner_text()
    _shot(page, "widget-patient-4-done")
    row, _ = _appointment(app, _reference(page))
    assert row.source == AppointmentSource.ONLINE and not row.needs_confirmation
    assert row.patient_id == clinic.world.patient.id
    assert row.appointment_type_id == clinic.adj.id
    page.context.close()


def test_time_taken_by_staff_shows_conflict_and_new_times(
    browser: Any, site: str, clinic: Clinic, app: FastAPI
) -> None:
    page = _open(browser, site, clinic)
    page.get_by_role("button", name=re.compile("Adjustment")).click()
    _step(page, "signin")
    page.get_by_label("Email").fill(clinic.world.users["patient"].email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    _step(page, "day")
    page.locator(f'.sw-step[data-step=day] [data-date="{clinic.day.isoformat()}"]').click()
    _step(page, "time")

    # Meanwhile, front desk books exactly the listed time on the resources the widget was given.
    wanted = clinic.iso(12)
    with httpx.Client(base_url=site, timeout=20) as http:
        listed = http.get(
            "/api/patient-portal/available-slots",
            params={"appointmentTypeId": clinic.adj.id},
            headers=clinic.headers("patient"),
        ).json()
        slot = next(s for d in listed["days"] for s in d["slots"] if s["startTime"] == wanted)
        taken = http.post(
            "/api/booking/appointments",
            json=clinic.booking(
                patientId=clinic.patients[2].id,
                startTime=wanted,
                providerId=slot["providerId"],
                chairId=slot["chairId"],
            ),
            headers=clinic.headers(),
        )
        assert taken.status_code == 201, taken.text

    page.locator(f'.sw-step[data-step=time] [data-start="{wanted}"]').first.click()
    conflict = page.locator(".sw-conflict[role=alert]")
    conflict.wait_for(timeout=20000)
    assert "just been taken" in conflict.inner_text()
    alternatives = conflict.locator(".sw-alternatives button")
    assert alternatives.count() >= 1
    _shot(page, "widget-conflict-1-taken")
    alternatives.first.click()
    _step(page, "confirm")
    _shot(page, "widget-conflict-2-confirm")
    page.get_by_role("button", name="Confirm booking").click()
    _step(page, "done")
    _shot(page, "widget-conflict-3-done")
    row, _ = _appointment(app, _reference(page))
    assert row.source == AppointmentSource.ONLINE
    with app.state.db.read() as session:
        ids = set(session.scalars(select(Appointment.id)))
    assert len(ids) == 2  # the staff booking and the patient's, nothing lost or doubled
    page.context.close()


def test_patient_cancels_seeing_the_late_fee_first(
    browser: Any, site: str, clinic: Clinic, app: FastAPI
) -> None:
    with app.state.db.write() as session:
        row = session.get(ClinicRow, clinic.world.clinic.id)
        assert row is not None
        row.late_cancel_window_hours = 24 * 7  # the test day is three days away: a late cancel
        session.commit()
    with httpx.Client(base_url=site, timeout=20) as http:
        booked = http.post(
            "/api/booking/appointments", json=clinic.booking(), headers=clinic.headers()
        )
        assert booked.status_code == 201, booked.text
    appointment_id = booked.json()["id"]

    page = _open(browser, site, clinic)
    page.get_by_role("button", name="Manage my appointments").click()
    _step(page, "signin")
    page.get_by_label("Email").fill(clinic.world.users["patient"].email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    manage = _step(page, "manage")
    assert "Adjustment" in manage.inner_text() and "14:00 (Europe/London)" in manage.inner_text()
    _shot(page, "widget-manage-1-list")
    manage.get_by_role("button", name=re.compile("^Cancel Adjustment")).click()
    confirm = _step(page, "cancel")
    assert "cancelling now costs £25.00" in confirm.inner_text()  # shown before confirming
    _shot(page, "widget-manage-2-fee")
    page.get_by_role("button", name="Cancel and pay £25.00").click()
    done = _step(page, "manage")
    done.locator(".sw-notice").wait_for()
    assert "is cancelled" in done.inner_text() and "no upcoming appointments" in done.inner_text()
    _shot(page, "widget-manage-3-cancelled")
    row_after, _ = _appointment(app, appointment_id)
    assert row_after.status.value == "CANCELLED"
    assert str(row_after.cancellation_fee_amount) == "25.00"
    page.context.close()
