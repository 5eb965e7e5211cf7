"""The staff calendar in a real browser against a real server: drag, resize, quick booking, live
updates between two calendars, and a screenshot of the week view for the README."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import expect
from sqlalchemy import select

from api.models import Appointment, AuditEntry
from tests.api.booking.conftest import Clinic
from tests.browser_support import screenshot_path, update_docs
from tests.conftest import PASSWORD
from tests.support.server import running_server

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parent.parent.parent / "docs"
RED = "rgb(217, 48, 37)"


def _times(start: str, end: str) -> str:
    """How a block shows its times: start, an en dash, end."""
    return f"{start}\u2013{end}"


@pytest.fixture
def site(app: FastAPI, clinic: Clinic) -> Iterator[str]:
    with running_server(app) as base:
        yield base


def _api(site: str, clinic: Clinic) -> httpx.Client:
    return httpx.Client(base_url=site, headers=clinic.headers(), timeout=20)


def _book(site: str, clinic: Clinic, **overrides: Any) -> dict[str, Any]:
    with _api(site, clinic) as http:
        resp = http.post("/api/booking/appointments", json=clinic.booking(**overrides))
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def _row(app: FastAPI, appointment_id: str) -> Appointment:
    with app.state.db.read() as session:
        row = session.get(Appointment, appointment_id)
        assert row is not None
        session.expunge(row)
        return row


def _open(browser: Any, site: str, clinic: Clinic, view: str = "day") -> Any:
    context = browser.new_context(viewport={"width": 1400, "height": 1500})
    page = context.new_page()
    page.goto(f"{site}/calendar?date={clinic.day.isoformat()}&view={view}")
    page.fill("input[name=email]", clinic.world.users["frontdesk"].email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#live-status[data-state=live]", timeout=15000)
    return page


def _block(page: Any, appointment_id: str) -> Any:
    """The calendar block of one appointment (its content carries the id)."""
    return page.locator(".ec-event", has=page.locator(f'[data-appointment-id="{appointment_id}"]'))


def _px_per_minute(page: Any, appointment_id: str, minutes: int) -> float:
    box = _block(page, appointment_id).bounding_box()
    assert box is not None
    return float(box["height"]) / minutes


def _drag(page: Any, x: float, y: float, dx: float, dy: float, *, release: bool = True) -> None:
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx / 2, y + dy / 2, steps=8)
    page.mouse.move(x + dx, y + dy, steps=8)
    if release:
        page.mouse.up()


def _grab_point(page: Any, appointment_id: str) -> tuple[float, float]:
    box = _block(page, appointment_id).bounding_box()
    assert box is not None
    # Near the top: the bottom edge is the resize handle.
    return box["x"] + box["width"] / 2, box["y"] + 6


def test_drag_to_a_free_slot_moves_it_in_the_database_with_an_audit_row(
    browser: Any,
    site: str,
    app: FastAPI,
    clinic: Clinic,
) -> None:
    appt = _book(site, clinic)  # 14:00-14:30, Dr Smile Clinic, Chair 2
    page = _open(browser, site, clinic)
    block = _block(page, appt["id"])
    block.wait_for()
    per_minute = _px_per_minute(page, appt["id"], 30)
    x, y = _grab_point(page, appt["id"])
    _drag(page, x, y, 0, 120 * per_minute)  # two hours later: 16:00

    expect(page.locator("#toast")).to_contain_text("Moved", timeout=10000)
    row = _row(app, appt["id"])
    assert row.start_time == clinic.at(16) and row.end_time == clinic.at(16, 30)
    assert row.version == 2
    with app.state.db.read() as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_id == appt["id"])
        ).all()
    assert actions == ["create", "reschedule"]
    assert _block(page, appt["id"]).locator(".appt-time").inner_text() == _times("16:00", "16:30")
    page.context.close()


def test_drag_onto_a_conflict_is_red_before_the_drop_and_rolled_back_after(
    browser: Any,
    site: str,
    app: FastAPI,
    clinic: Clinic,
) -> None:
    appt = _book(site, clinic)  # 14:00, provider 0
    other = _book(
        site,
        clinic,
        patientId=clinic.patients[1].id,
        chairId=clinic.chairs[0].id,
        startTime=clinic.iso(15),
    )
    page = _open(browser, site, clinic)
    _block(page, other["id"]).wait_for()
    per_minute = _px_per_minute(page, appt["id"], 30)
    x, y = _grab_point(page, appt["id"])
    _drag(page, x, y, 0, 60 * per_minute, release=False)  # onto the 15:00 booking

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
    row = _row(app, appt["id"])
    assert row.start_time == clinic.at(14) and row.version == 1
    # Rolled back on screen too: the block is at 14:00 again.
    assert _block(page, appt["id"]).locator(".appt-time").inner_text() == _times("14:00", "14:30")
    assert page.locator("#calendar.drag-conflict").count() == 0
    page.context.close()


def test_resize_past_the_types_maximum_stops_at_the_maximum(
    browser: Any,
    site: str,
    app: FastAPI,
    clinic: Clinic,
) -> None:
    appt = _book(site, clinic)  # Adjustment: 30 minutes, at most 40
    page = _open(browser, site, clinic)
    block = _block(page, appt["id"])
    block.wait_for()
    per_minute = _px_per_minute(page, appt["id"], 30)
    box = block.bounding_box()
    assert box is not None
    block.hover()
    handle = block.locator(".ec-resizer")
    hbox = handle.bounding_box()
    assert hbox is not None
    x, y = hbox["x"] + hbox["width"] / 2, hbox["y"] + hbox["height"] / 2
    _drag(page, x, y, 0, 60 * per_minute)  # asks for 90 minutes

    page.wait_for_selector("#toast[data-kind=ok]", timeout=10000)
    row = _row(app, appt["id"])
    assert row.duration == clinic.adj.max_duration == 40
    assert row.end_time == clinic.at(14, 40)
    assert _block(page, appt["id"]).locator(".appt-time").inner_text() == _times("14:00", "14:40")
    page.context.close()


def test_quick_booking_books_exactly_the_slot_it_showed(
    browser: Any,
    site: str,
    app: FastAPI,
    clinic: Clinic,
) -> None:
    page = _open(browser, site, clinic)
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
    appt = _book(site, clinic)
    mover = _open(browser, site, clinic)
    watcher = _open(browser, site, clinic)
    _block(watcher, appt["id"]).wait_for()
    shown = _block(watcher, appt["id"]).locator(".appt-time").inner_text()
    assert shown == _times("14:00", "14:30")

    per_minute = _px_per_minute(mover, appt["id"], 30)
    x, y = _grab_point(mover, appt["id"])
    _drag(mover, x, y, 0, 90 * per_minute)  # 15:30
    mover.wait_for_selector("#toast[data-kind=ok]", timeout=10000)
    saved = time.monotonic()
    watcher.wait_for_function(
        """([id, text]) => {
            const el = document.querySelector(`[data-appointment-id="${id}"] .appt-time`);
            return el && el.textContent === text;
        }""",
        arg=[appt["id"], _times("15:30", "16:00")],
        timeout=1000,
        polling=20,
    )
    assert time.monotonic() - saved < 1.0

    # A booking made elsewhere (here: the API) appears too, and so does its cancellation.
    booked = _book(site, clinic, patientId=clinic.patients[2].id, startTime=clinic.iso(10))
    _block(watcher, booked["id"]).wait_for(timeout=1000)
    with _api(site, clinic) as http:
        resp = http.delete(f"/api/booking/appointments/{booked['id']}", params={"reason": "test"})
    assert resp.status_code == 200, resp.text
    _block(watcher, booked["id"]).wait_for(state="detached", timeout=1000)
    mover.context.close()
    watcher.context.close()


def test_week_view_screenshot(
    browser: Any, app: FastAPI, database_url_backend: str, tmp_path: Path
) -> None:
    """The demo clinic's week, saved for people to look at (and for the README)."""
    from api.demo import load_demo

    with app.state.db.write() as session:
        load_demo(session)
        session.commit()
    with running_server(app) as base:
        context = browser.new_context(viewport={"width": 1600, "height": 1000})
        page = context.new_page()
        page.goto(f"{base}/calendar?view=week")
        page.fill("input[name=email]", "frontdesk@brightside.example")
        page.fill("input[name=password]", "slotwise-demo")
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("#live-status[data-state=live]", timeout=15000)
        page.click(".ec-next")  # next week: a full week of bookings, none in the past
        page.wait_for_function("() => document.querySelectorAll('.ec-event.appt').length > 50")
        page.locator(".ec-bg-event.bg-break").first.wait_for()
        path = screenshot_path(f"calendar-week-{database_url_backend}")
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
    appt = _book(site, clinic)
    page = _open(browser, site, clinic)
    block = _block(page, appt["id"])
    block.click()
    page.keyboard.press("Control+c")
    expect(page.locator("#toast")).to_contain_text("Copied", timeout=10000)
    page.keyboard.press("Escape")  # close the appointment's menu
    # Paste target: the empty 16:00 slot in the same column (block height = 30 minutes).
    per_minute = _px_per_minute(page, appt["id"], 30)
    x, y = _grab_point(page, appt["id"])
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
    _block(page, appt["id"]).wait_for(state="detached")
    cancelled = _row(app, appt["id"])
    assert cancelled.cancellation_reason == "moved away"
    assert str(cancelled.cancellation_fee_amount) == "25.00"
    page.context.close()


def test_drag_on_empty_time_books_a_new_appointment(
    browser: Any, site: str, app: FastAPI, clinic: Clinic
) -> None:
    anchor = _book(site, clinic)  # 14:00-14:30 in the first provider's column: a ruler
    page = _open(browser, site, clinic)
    patient = clinic.patients[1]
    page.fill("#patient-search", patient.first_name)
    page.locator(".patient-result", has_text=f"{patient.first_name} {patient.last_name}").click()
    page.wait_for_selector("#patient-detail:not([hidden])")
    per_minute = _px_per_minute(page, anchor["id"], 30)
    x, y = _grab_point(page, anchor["id"])
    top = y - 6 + 150 * per_minute + 2  # 16:30
    _drag(page, x, top, 0, 30 * per_minute - 4)  # select 16:30-17:00
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
    _block(page, row.id).wait_for()
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
    with _api(site, clinic) as http:
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
    slot_box, gap_box = slot.bounding_box(), gap.bounding_box()
    assert slot_box is not None and gap_box is not None
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
    appt = _book(site, clinic)  # 14:00-14:30
    page = _open(browser, site, clinic)
    errors = _page_errors(page)
    held: list[Any] = []
    page.route("**/reschedule", lambda route: held.append(route))
    block = _block(page, appt["id"])
    block.wait_for()
    per_minute = _px_per_minute(page, appt["id"], 30)
    x, y = _grab_point(page, appt["id"])
    _drag(page, x, y, 0, 120 * per_minute)  # 16:00

    # Shown at the new time while the server has not answered.
    expect(block.locator(".appt-time")).to_have_text(_times("16:00", "16:30"), timeout=10000)
    page.wait_for_function("() => document.querySelector('#probe-tip').hidden")
    assert len(held) == 1
    held[0].abort("internetdisconnected")

    expect(page.locator("#toast")).to_contain_text("Not moved:", timeout=10000)
    assert "cannot be reached" in page.locator("#toast").inner_text()
    assert page.locator("#toast").get_attribute("data-kind") == "error"
    expect(block.locator(".appt-time")).to_have_text(_times("14:00", "14:30"))
    row = _row(app, appt["id"])
    assert row.start_time == clinic.at(14) and row.version == 1
    # Still movable after the failure: the next drag (network back) saves.
    page.unroute("**/reschedule")
    x, y = _grab_point(page, appt["id"])
    _drag(page, x, y, 0, 60 * per_minute)  # 15:00
    expect(page.locator("#toast")).to_contain_text("Moved", timeout=10000)
    assert _row(app, appt["id"]).start_time == clinic.at(15)
    expect(block.locator(".appt-time")).to_have_text(_times("15:00", "15:30"))
    # The browser logs the aborted request itself; nothing else went wrong in the page.
    assert [e for e in errors if "ERR_INTERNET_DISCONNECTED" not in e] == []
    page.context.close()
