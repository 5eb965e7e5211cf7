"""Assistant columns on the staff calendar, in a real browser against a real server: a clinic
with assistants can lay the day out one column per assistant, each appointment in the column of
the assistant it holds; dragging a block to another assistant's column reassigns it. A clinic
without assistants is offered no such view."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from playwright.sync_api import expect
from sqlalchemy import select

from api.models import Appointment
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
)
from tests.conftest import sqlite_only

pytestmark = pytest.mark.browser


def _assistants(
    site: str, clinic: Clinic, *names: str, until: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """The clinic's assistants, set up as an administrator would: each working from 08:00 to
    18:00 (or ``until[name]``) every day in the active template, and the Adjustment needing one."""
    with api(site, clinic, "admin") as http:
        made = []
        for name in names:
            resp = http.post("/api/assistants", json={"name": name})
            assert resp.status_code == 201, resp.text
            made.append(resp.json())
        template = http.get("/api/schedule-templates/active").json()
        hours = template["workingHours"] + [
            {
                "resourceType": "assistant",
                "resourceId": a["id"],
                "weekday": day,
                "start": "08:00",
                "end": (until or {}).get(a["name"], "18:00"),
            }
            for a in made
            for day in range(7)
        ]
        resp = http.put(f"/api/schedule-templates/{template['id']}", json={"workingHours": hours})
        assert resp.status_code == 200, resp.text
        resp = http.put(f"/api/appointment-types/{clinic.adj.id}", json={"needsAssistant": True})
        assert resp.status_code == 200, resp.text
    return made


def _column_of(page: Any, appointment_id: str) -> str:
    """The header text of the column a block is drawn in (the header above its middle)."""
    box = laid_out_box(block_of(page, appointment_id))
    middle = box["x"] + box["width"] / 2
    for head in page.locator(".ec-col-head").all():
        h = laid_out_box(head)
        if h["x"] <= middle < h["x"] + h["width"]:
            return str(head.inner_text()).strip()
    raise AssertionError(f"no column under the block of {appointment_id}")


@sqlite_only
def test_a_clinic_without_assistants_is_offered_no_assistant_columns(
    browser: Any, site: str, clinic: Clinic
) -> None:
    page = open_calendar(browser, site, clinic, query="&columns=assistant")
    option = page.locator('#resource-mode option[value="assistant"]')
    assert option.evaluate("o => o.hidden && o.disabled") is True
    # Asked for by the address anyway, the calendar opens on its usual chair columns.
    assert page.locator("#resource-mode").input_value() == "chair"
    assert page.locator(".ec-col-head").all_inner_texts()[-2:] == ["Chair 1", "Chair 2"]
    page.context.close()


def test_the_assistant_view_puts_each_block_in_its_assistants_column(
    browser: Any, site: str, clinic: Clinic
) -> None:
    maya, ana = _assistants(site, clinic, "Maya", "Ana", until={"Ana": "16:00"})
    first = book(site, clinic, assistantId=maya["id"])  # 14:00-14:30, Chair 2
    second = book(
        site,
        clinic,
        patientId=clinic.patients[1].id,
        chairId=clinic.chairs[0].id,
        providerId=clinic.providers[1].id,
        assistantId=ana["id"],
    )  # the same time in Chair 1, another doctor
    assert (first["assistantId"], second["assistantId"]) == (maya["id"], ana["id"])
    page = open_calendar(browser, site, clinic)
    block_of(page, first["id"]).wait_for()
    assert _column_of(page, first["id"]) == "Chair 2"

    option = page.locator('#resource-mode option[value="assistant"]')
    assert option.evaluate("o => !o.hidden && !o.disabled") is True
    page.select_option("#resource-mode", "assistant")
    heads = page.locator(".ec-col-head")
    expect(heads.filter(has_text="Maya")).to_have_count(1)
    assert set(heads.all_inner_texts()[-2:]) == {"Maya", "Ana"}
    # The doctors' bar stays beside the assistants: one doctor still moves between them.
    expect(page.locator(".bar-head")).to_have_count(2)
    block_of(page, second["id"]).wait_for()
    assert _column_of(page, first["id"]) == "Maya"
    assert _column_of(page, second["id"]) == "Ana"
    # Each column is shaded by its assistant's own hours: Ana goes home at 16:00, Maya at 18:00.
    per_minute = px_per_minute(page, first["id"], 30)
    four_pm = laid_out_box(block_of(page, first["id"]))["y"] + 120 * per_minute
    closed = page.evaluate(
        """() => [...document.querySelectorAll('.ec-bg-event.bg-closed')].map((e) => {
            const r = e.getBoundingClientRect();
            return {x: r.x + r.width / 2, y: r.y};
        })"""
    )
    tops = {
        name: sorted(round(c["y"]) for c in closed if _inside(page, name, c["x"]))
        for name in ("Maya", "Ana")
    }
    assert any(abs(y - four_pm) <= 3 for y in tops["Ana"]), tops
    assert not any(abs(y - four_pm) <= 3 for y in tops["Maya"]), tops
    page.context.close()


def _inside(page: Any, column: str, x: float) -> bool:
    head = laid_out_box(page.locator(".ec-col-head", has_text=column))
    return bool(head["x"] <= x < head["x"] + head["width"])


def test_dragging_a_block_to_another_assistant_reassigns_it(
    browser: Any, site: str, app: FastAPI, clinic: Clinic
) -> None:
    maya, ana = _assistants(site, clinic, "Maya", "Ana")
    appt = book(site, clinic, assistantId=maya["id"])  # 14:00-14:30
    page = open_calendar(browser, site, clinic, query="&columns=assistant")
    assert page.locator("#resource-mode").input_value() == "assistant"
    block_of(page, appt["id"]).wait_for()
    assert _column_of(page, appt["id"]) == "Maya"
    ana_head = laid_out_box(page.locator(".ec-col-head", has_text="Ana"))
    x, y = grab_point(page, appt["id"])
    drag(page, x, y, ana_head["x"] + ana_head["width"] / 2 - x, 0)
    expect(page.locator("#toast")).to_contain_text("Moved", timeout=10000)
    row = stored(app, appt["id"])
    assert row.assistant_id == ana["id"]
    assert row.start_time == clinic.at(14) and row.chair_id == clinic.chairs[1].id
    expect(page.locator(".ec-event", has_text="14:00")).to_have_count(1)
    assert _column_of(page, appt["id"]) == "Ana"
    page.context.close()


def test_booking_on_empty_time_in_an_assistants_column_pins_that_assistant(
    browser: Any, site: str, app: FastAPI, clinic: Clinic
) -> None:
    """Both assistants are free and qualified, so the engine could choose either: each column
    must book its own (one of the two is not the engine's own choice)."""
    maya, ana = _assistants(site, clinic, "Maya", "Ana")
    ruler = book(site, clinic, assistantId=maya["id"])  # 14:00-14:30 in Maya's column
    page = open_calendar(browser, site, clinic, query="&columns=assistant")
    patient = clinic.patients[1]
    page.fill("#patient-search", patient.first_name)
    page.locator(".patient-result", has_text=f"{patient.first_name} {patient.last_name}").click()
    page.wait_for_selector("#patient-detail:not([hidden])")
    per_minute = px_per_minute(page, ruler["id"], 30)
    _, y = grab_point(page, ruler["id"])
    for assistant, hour in ((ana, 16), (maya, 15)):
        head = laid_out_box(page.locator(".ec-col-head", has_text=assistant["name"]))
        x = head["x"] + head["width"] / 2
        top = y - 6 + ((hour - 14) * 60 + 30) * per_minute + 2  # hour:30
        drag(page, x, top, 0, 30 * per_minute - 4)  # select hour:30 to the next hour
        page.locator("#create-dialog").wait_for()
        form = page.locator("#create-form")
        assert form.locator("select[name=assistant]").input_value() == assistant["id"]
        form.locator("select[name=type]").select_option(clinic.adj.id)
        form.locator("input[name=duration]").fill("30")
        form.locator("select[name=chair]").select_option(clinic.chairs[0].id)
        page.wait_for_selector("#create-check[data-state=ok]")
        form.locator("button[type=submit]").click()
        expect(page.locator("#toast")).to_contain_text(f"{hour}:30", timeout=10000)
    with app.state.db.read() as session:
        rows = session.scalars(
            select(Appointment)
            .where(Appointment.patient_id == patient.id)
            .order_by(Appointment.start_time)
        ).all()
    assert [(r.start_time, r.assistant_id) for r in rows] == [
        (clinic.at(15, 30), maya["id"]),
        (clinic.at(16, 30), ana["id"]),
    ]
    for row in rows:
        block_of(page, row.id).wait_for()
    assert [_column_of(page, r.id) for r in rows] == ["Maya", "Ana"]
    page.context.close()
