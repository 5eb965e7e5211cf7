"""The staff calendar in a real browser against a real server: drag, resize, quick booking, live
updates between two calendars, and a screenshot of a day for the docs. Doctor time (chair
columns, provider-time bands, the provider bar) is in test_calendar_doctor_time.py."""

from __future__ import annotations

import shutil
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from playwright.sync_api import expect
from sqlalchemy import select

from api.models import Appointment, AuditEntry
from tests.api.booking.conftest import Clinic
from tests.browser.calendar_pages import (
    api,
    block_of,
    book,
    drag,
    grab_point,
    laid_out_box,
    open_calendar,
    px_per_minute,
    stored,
    times,
)
from tests.browser_support import screenshot_path, update_docs
from tests.conftest import PASSWORD, sqlite_only
from tests.support.server import running_server

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parent.parent.parent / "docs"
RED = "rgb(217, 48, 37)"


def test_drag_to_a_free_slot_moves_it_in_the_database_with_an_auditstored(
    browser: Any,
    site: str,
    app: FastAPI,
    clinic: Clinic,
) -> None:
    appt = book(site, clinic)  # 14:00-14:30, Dr Smile Clinic, Chair 2
    page = open_calendar(browser, site, clinic)
    block = block_of(page, appt["id"])
    block.wait_for()
    per_minute = px_per_minute(page, appt["id"], 30)
    x, y = grab_point(page, appt["id"])
    drag(page, x, y, 0, 120 * per_minute)  # two hours later: 16:00

    expect(page.locator("#toast")).to_contain_text("Moved", timeout=10000)
    row = stored(app, appt["id"])
    assert row.start_time == clinic.at(16) and row.end_time == clinic.at(16, 30)
    assert row.version == 2
    with app.state.db.read() as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_id == appt["id"])
        ).all()
    assert actions == ["create", "reschedule"]
    assert block_of(page, appt["id"]).locator(".appt-time").inner_text() == times("16:00", "16:30")
    page.context.close()


def test_drag_onto_a_conflict_is_red_before_the_drop_and_rolled_back_after(
    browser: Any,
    site: str,
    app: FastAPI,
    clinic: Clinic,
) -> None:
    appt = book(site, clinic)  # 14:00, provider 0
    other = book(
        site,
        clinic,
        patientId=clinic.patients[1].id,
        chairId=clinic.chairs[0].id,
        startTime=clinic.iso(15),
    )
    page = open_calendar(browser, site, clinic)
    block_of(page, other["id"]).wait_for()
    per_minute = px_per_minute(page, appt["id"], 30)
    x, y = grab_point(page, appt["id"])
    drag(page, x, y, 0, 60 * per_minute, release=False)  # onto the 15:00 booking

    # Before the drop: the server's probe answer colours the block and names the conflict.
    page.wait_for_selector("#calendar.drag-conflict", timeout=5000)
    tip = page.locator("#probe-tip")
    assert "busy" in tip.inner_text()
    assert clinic.providers[0].name in tip.inner_text()
    preview = page.locator("#calendar .ec-event.ec-preview")
    assert preview.evaluate("el => getComputedStyle(el).backgroundColor") == RED

    page.mouse.up()
    expect(page.locator("#toast")).to_contain_text("Not moved:", timeout=10000)
    message = page.locator("#toast").inner_text()
    assert message.startswith("Not moved:") and clinic.providers[0].name in message
    assert "busy" in message
    row = stored(app, appt["id"])
    assert row.start_time == clinic.at(14) and row.version == 1
    # Rolled back on screen too: the block is at 14:00 again.
    assert block_of(page, appt["id"]).locator(".appt-time").inner_text() == times("14:00", "14:30")
    assert page.locator("#calendar.drag-conflict").count() == 0
    page.context.close()


def test_resize_past_the_types_maximum_stops_at_the_maximum(
    browser: Any,
    site: str,
    app: FastAPI,
    clinic: Clinic,
) -> None:
    appt = book(site, clinic)  # Adjustment: 30 minutes, at most 40
    page = open_calendar(browser, site, clinic)
    block = block_of(page, appt["id"])
    block.wait_for()
    per_minute = px_per_minute(page, appt["id"], 30)
    block.hover()
    handle = block.locator(".ec-resizer")
    hbox = laid_out_box(handle)
    x, y = hbox["x"] + hbox["width"] / 2, hbox["y"] + hbox["height"] / 2
    drag(page, x, y, 0, 60 * per_minute)  # asks for 90 minutes

    page.wait_for_selector("#toast[data-kind=ok]", timeout=10000)
    row = stored(app, appt["id"])
    assert row.duration == clinic.adj.max_duration == 40
    assert row.end_time == clinic.at(14, 40)
    assert block_of(page, appt["id"]).locator(".appt-time").inner_text() == times("14:00", "14:40")
    page.context.close()


def test_quick_booking_books_exactly_the_slot_it_showed(
    browser: Any,
    site: str,
    app: FastAPI,
    clinic: Clinic,
) -> None:
    page = open_calendar(browser, site, clinic)
    patient = clinic.patients[0]
    page.fill("#patient-search", patient.last_name)
    page.locator(".patient-result", has_text=f"{patient.first_name} {patient.last_name}").click()
    page.wait_for_function(
        "() => document.querySelector('#quick-book') && !document.querySelector('#quick-book')"
        ".disabled"
    )
    shown_start = page.locator("#quick-slot").get_attribute("data-start-time")
    shown_text = page.locator("#quick-slot").inner_text()
    assert shown_start and "Intraoral Scan" in shown_text  # the plan's first procedure
    page.click("#quick-book")
    page.wait_for_selector("#toast[data-kind=ok]", timeout=15000)

    with app.state.db.read() as session:
        rows = session.scalars(
            select(Appointment).where(Appointment.patient_id == patient.id)
        ).all()
    assert len(rows) == 1
    row = rows[0]
    assert row.start_time == datetime.fromisoformat(shown_start.replace("Z", "+00:00"))
    assert row.appointment_type_id == clinic.scan.id and row.room_id == clinic.scanner.id
    assert clinic.scanner.name in shown_text
    provider = next(p for p in clinic.providers if p.id == row.provider_id)
    assert provider.name in shown_text
    assert row.treatment_plan_id == clinic.plan.id
    assert [p.id for p in row.procedures] == [clinic.plan.procedures[0].id]
    page.context.close()


def test_a_change_in_one_calendar_appears_in_another_within_a_second(
    browser: Any,
    site: str,
    app: FastAPI,
    clinic: Clinic,
) -> None:
    appt = book(site, clinic)
    mover = open_calendar(browser, site, clinic)
    watcher = open_calendar(browser, site, clinic)
    block_of(watcher, appt["id"]).wait_for()
    shown = block_of(watcher, appt["id"]).locator(".appt-time").inner_text()
    assert shown == times("14:00", "14:30")

    per_minute = px_per_minute(mover, appt["id"], 30)
    x, y = grab_point(mover, appt["id"])
    drag(mover, x, y, 0, 90 * per_minute)  # 15:30
    mover.wait_for_selector("#toast[data-kind=ok]", timeout=10000)
    saved = time.monotonic()
    watcher.wait_for_function(
        """([id, text]) => {
            const el = document.querySelector(`[data-appointment-id="${id}"] .appt-time`);
            return el && el.textContent === text;
        }""",
        arg=[appt["id"], times("15:30", "16:00")],
        timeout=1000,
        polling=20,
    )
    assert time.monotonic() - saved < 1.0

    # A booking made elsewhere (here: the API) appears too, and so does its cancellation.
    booked = book(site, clinic, patientId=clinic.patients[2].id, startTime=clinic.iso(10))
    block_of(watcher, booked["id"]).wait_for(timeout=1000)
    with api(site, clinic) as http:
        resp = http.delete(f"/api/booking/appointments/{booked['id']}", params={"reason": "test"})
    assert resp.status_code == 200, resp.text
    block_of(watcher, booked["id"]).wait_for(state="detached", timeout=1000)
    mover.context.close()
    watcher.context.close()


@sqlite_only
@pytest.mark.demo_clinic
def test_day_view_screenshot(
    browser: Any, app: FastAPI, database_url_backend: str, tmp_path: Path
) -> None:
    """A demo clinic's day in its chair columns with the provider bar, saved for people to look
    at (and for docs/calendar.md)."""
    # A Tuesday of next week: a full day of bookings, none in the past.
    day = datetime.now(ZoneInfo("Europe/London")).date() + timedelta(days=7)
    day += timedelta(days=(1 - day.weekday()) % 7)
    with running_server(app) as base:
        context = browser.new_context(viewport={"width": 1600, "height": 1000})
        page = context.new_page()
        page.goto(f"{base}/calendar?view=day&date={day.isoformat()}")
        page.fill("input[name=email]", "frontdesk@brightside.example")
        page.fill("input[name=password]", "slotwise-demo")
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("#live-status[data-state=live]", timeout=15000)
        page.wait_for_function("() => document.querySelectorAll('.ec-event.appt').length > 15")
        page.locator(".ec-bg-event.bg-break").first.wait_for()
        # Chairs are the columns, after one bar per provider showing where each is needed.
        assert page.locator("#resource-mode").input_value() == "chair"
        assert page.locator(".bar-head").count() == 2  # the demo's two orthodontists
        assert page.locator(".ec-bg-event.bar-time").count() > 10
        assert page.locator(".provider-band").count() >= page.locator(".ec-event.appt").count()
        path = screenshot_path(f"calendar-day-{database_url_backend}")
        page.screenshot(path=str(path))
        context.close()
    assert path.stat().st_size > 20_000
    if database_url_backend == "sqlite" and update_docs():
        shutil.copyfile(path, DOCS / "calendar.png")


def test_cancel_shows_the_late_fee_and_copy_paste_duplicates(
    browser: Any, site: str, app: FastAPI, clinic: Clinic
) -> None:
    """The cancel dialog names the clinic's late fee when it applies; Ctrl+C / Ctrl+V copies."""
    with app.state.db.write() as session:
        from api.models import Clinic as ClinicRow

        row = session.get(ClinicRow, clinic.world.clinic.id)
        assert row is not None
        row.late_cancel_window_hours = 24 * 7  # the test day is three days ahead
        session.commit()
    appt = book(site, clinic)
    page = open_calendar(browser, site, clinic)
    block = block_of(page, appt["id"])
    block.click()
    page.keyboard.press("Control+c")
    expect(page.locator("#toast")).to_contain_text("Copied", timeout=10000)
    page.keyboard.press("Escape")  # close the appointment's menu
    # Paste target: the empty 16:00 slot in the same column (block height = 30 minutes).
    per_minute = px_per_minute(page, appt["id"], 30)
    x, y = grab_point(page, appt["id"])
    page.mouse.click(x, y - 6 + 120 * per_minute + 4)
    page.keyboard.press("Control+v")
    # Wait for this step's own message: the previous toast may still be showing.
    expect(page.locator("#toast")).to_contain_text("Copied to", timeout=10000)
    with app.state.db.read() as session:
        copies = session.scalars(
            select(Appointment).where(Appointment.start_time == clinic.at(16))
        ).all()
    assert len(copies) == 1 and copies[0].patient_id == appt["patientId"]

    block.click()
    page.click("#menu [data-action=cancel]")
    assert page.locator("#cancel-fee").is_visible()
    assert "£25.00" in page.locator("#cancel-fee-text").inner_text()
    page.fill("#cancel-form input[name=reason]", "moved away")
    page.click("#cancel-form button[type=submit]")
    expect(page.locator("#toast")).to_contain_text("£25.00 recorded", timeout=10000)
    block_of(page, appt["id"]).wait_for(state="detached")
    cancelled = stored(app, appt["id"])
    assert cancelled.cancellation_reason == "moved away"
    assert str(cancelled.cancellation_fee_amount) == "25.00"
    page.context.close()


def test_drag_on_empty_time_books_a_new_appointment(
    browser: Any, site: str, app: FastAPI, clinic: Clinic
) -> None:
    anchor = book(site, clinic)  # 14:00-14:30 in the first provider's column: a ruler
    # Provider columns (with chairs the page opens on chairs): the column names the provider.
    page = open_calendar(browser, site, clinic, query="&columns=provider")
    patient = clinic.patients[1]
    page.fill("#patient-search", patient.first_name)
    page.locator(".patient-result", has_text=f"{patient.first_name} {patient.last_name}").click()
    page.wait_for_selector("#patient-detail:not([hidden])")
    per_minute = px_per_minute(page, anchor["id"], 30)
    x, y = grab_point(page, anchor["id"])
    top = y - 6 + 150 * per_minute + 2  # 16:30
    drag(page, x, top, 0, 30 * per_minute - 4)  # select 16:30-17:00
    dialog = page.locator("#create-dialog")
    dialog.wait_for()
    form = page.locator("#create-form")
    assert form.locator("input[name=start]").input_value().endswith("T16:30")
    form.locator("select[name=type]").select_option(clinic.adj.id)
    form.locator("input[name=duration]").fill("30")
    # The dialog probes as it is filled in: Chair 2 is taken at 14:00, free at 16:30.
    form.locator("input[name=start]").fill(f"{clinic.day.isoformat()}T14:00")
    form.locator("select[name=chair]").select_option(clinic.chairs[1].id)
    page.wait_for_function(
        "() => document.querySelector('#create-check').textContent.includes('Chair 2 is busy')"
    )
    assert page.locator("#create-check").get_attribute("data-state") == "conflict"
    form.locator("input[name=start]").fill(f"{clinic.day.isoformat()}T16:30")
    form.locator("input[name=start]").dispatch_event("change")
    page.wait_for_selector("#create-check[data-state=ok]")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#toast[data-kind=ok]", timeout=10000)
    with app.state.db.read() as session:
        rows = session.scalars(
            select(Appointment).where(Appointment.patient_id == patient.id)
        ).all()
    assert len(rows) == 1
    row = rows[0]
    assert row.start_time == clinic.at(16, 30) and row.duration == 30
    assert row.provider_id == anchor["providerId"] and row.chair_id == clinic.chairs[1].id
    block_of(page, row.id).wait_for()
    page.context.close()


def _page_errors(page: Any) -> list[str]:
    """Uncaught errors in the page's scripts and errors it logs (a blocked script or style under
    the page's Content-Security-Policy among them), collected as they happen."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    return errors


def test_background_shows_the_servers_hours_break_labels_and_template_slots(
    browser: Any, site: str, clinic: Clinic
) -> None:
    """Chair 1 has a dated exception with a midday gap and the template's adjustments-only
    slot: the calendar shades both exactly as GET /api/schedule/hours lists them, with the
    template's words, instead of guessing a "Lunch" from the clock."""
    with api(site, clinic) as http:
        resp = http.put(
            f"/api/schedule-templates/{clinic.adj_slot.template_id}",
            json={
                "exceptions": [
                    {
                        "resourceType": "chair",
                        "resourceId": clinic.chairs[0].id,
                        "date": clinic.day.isoformat(),
                        "blocks": [
                            {"start": "08:00", "end": "12:00"},
                            {"start": "13:00", "end": "18:00"},
                        ],
                        "reason": "Team training",
                    }
                ]
            },
            headers=clinic.headers("admin"),
        )
    assert resp.status_code == 200, resp.text
    context = browser.new_context(viewport={"width": 1400, "height": 1500})
    page = context.new_page()
    errors = _page_errors(page)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(f"{site}/calendar?date={clinic.day.isoformat()}&view=day&columns=chair")
    page.fill("input[name=email]", clinic.world.users["frontdesk"].email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#live-status[data-state=live]", timeout=15000)

    gap = page.locator(".ec-bg-event.bg-break")
    expect(gap).to_have_count(1, timeout=10000)  # only chair 1 has a gap that day
    assert gap.inner_text() == "Team training"
    labels = page.locator(".ec-bg-event .bg-label").all_inner_texts()
    assert "Lunch" not in labels
    slot = page.locator(".ec-bg-event.bg-reserved")
    expect(slot).to_have_count(1)  # the slot is chair 1's; chair 2's time is not reserved
    assert slot.inner_text() == "Adjustments AM: Adjustment"
    # 08:00-10:00 and 12:00-13:00 in the same column: twice the height, four hours apart.
    # The live channel redraws the day when it connects: measure each once it is laid out.
    slot_box, gap_box = laid_out_box(slot), laid_out_box(gap)
    assert slot_box["x"] == gap_box["x"]
    hour = gap_box["height"]
    assert slot_box["height"] == pytest.approx(2 * hour, abs=2)
    assert gap_box["y"] - slot_box["y"] == pytest.approx(4 * hour, abs=2)
    # The page asked the server for the hours rather than reading the template's rules.
    assert any("/api/schedule/hours?" in url for url in asked)
    assert not any("/api/schedule-templates" in url for url in asked)
    assert errors == []
    context.close()


def test_a_drag_that_fails_shows_at_once_then_goes_back_with_the_reason(
    browser: Any, site: str, app: FastAPI, clinic: Clinic
) -> None:
    """The network drops while a move is being saved: the block sits at the new time until the
    request fails, then returns to where the server still has it and the message says why."""
    appt = book(site, clinic)  # 14:00-14:30
    page = open_calendar(browser, site, clinic)
    errors = _page_errors(page)
    held: list[Any] = []
    page.route("**/reschedule", lambda route: held.append(route))
    block = block_of(page, appt["id"])
    block.wait_for()
    per_minute = px_per_minute(page, appt["id"], 30)
    x, y = grab_point(page, appt["id"])
    drag(page, x, y, 0, 120 * per_minute)  # 16:00

    # Shown at the new time while the server has not answered.
    expect(block.locator(".appt-time")).to_have_text(times("16:00", "16:30"), timeout=10000)
    page.wait_for_function("() => document.querySelector('#probe-tip').hidden")
    assert len(held) == 1
    held[0].abort("internetdisconnected")

    expect(page.locator("#toast")).to_contain_text("Not moved:", timeout=10000)
    assert "cannot be reached" in page.locator("#toast").inner_text()
    assert page.locator("#toast").get_attribute("data-kind") == "error"
    expect(block.locator(".appt-time")).to_have_text(times("14:00", "14:30"))
    row = stored(app, appt["id"])
    assert row.start_time == clinic.at(14) and row.version == 1
    # Still movable after the failure: the next drag (network back) saves.
    page.unroute("**/reschedule")
    x, y = grab_point(page, appt["id"])
    drag(page, x, y, 0, 60 * per_minute)  # 15:00
    expect(page.locator("#toast")).to_contain_text("Moved", timeout=10000)
    assert stored(app, appt["id"]).start_time == clinic.at(15)
    expect(block.locator(".appt-time")).to_have_text(times("15:00", "15:30"))
    # The browser logs the aborted request itself; nothing else went wrong in the page.
    assert [e for e in errors if "ERR_INTERNET_DISCONNECTED" not in e] == []
    page.context.close()
