"""Doctor time on the staff calendar, in a real browser against a real server: chair columns as
the clinic's first view, a band inside each block where its provider is needed, and the provider
bar (one narrow column per provider) showing that time and flagging time needed twice."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from playwright.sync_api import expect

from tests.api.booking.conftest import Clinic
from tests.browser.calendar_pages import (
    api,
    block_of,
    book,
    drag,
    grab_point,
    laid_out_box,
    open_calendar,
    stored,
)
from tests.conftest import sqlite_only

pytestmark = pytest.mark.browser


def _bar_selector(clinic: Clinic, provider: int = 0) -> str:
    """The provider bar's stretches of one provider (each names them in its title)."""
    return f'.ec-bg-event.bar-time:has([title^="{clinic.providers[provider].name} needed"])'


def _bar(page: Any, clinic: Clinic, provider: int = 0) -> Any:
    return page.locator(_bar_selector(clinic, provider))


def _block_selector(appointment_id: str) -> str:
    return f'.ec-event:has([data-appointment-id="{appointment_id}"])'


def _boxes(page: Any, *selectors: str) -> list[dict[str, float]]:
    """Boxes of several elements measured at one moment: a redraw between two measurements
    (the live channel reloads the day once it connects) would move one and not the other."""
    boxes: list[dict[str, float]] = page.evaluate(
        """(selectors) => selectors.map((s) => {
            const r = document.querySelector(s).getBoundingClientRect();
            return {x: r.x, y: r.y, width: r.width, height: r.height};
        })""",
        list(selectors),
    )
    return boxes


def _name(clinic: Clinic, patient: int) -> str:
    p = clinic.patients[patient]
    return f"{p.first_name} {p.last_name}"


@sqlite_only
def test_a_clinic_with_chairs_opens_on_chair_columns_with_a_bar_per_provider(
    browser: Any, site: str, clinic: Clinic
) -> None:
    page = open_calendar(browser, site, clinic)
    heads = page.locator(".ec-col-head")
    expect(page.locator(".bar-head")).to_have_count(2)
    assert page.locator("#resource-mode").input_value() == "chair"
    texts = heads.all_inner_texts()
    assert texts[-2:] == ["Chair 1", "Chair 2"]
    # The bar's headers are the providers' initials, their names for whoever hovers.
    titles = {h.get_attribute("title") for h in page.locator(".bar-head").all()}
    assert titles == {f"{p.name}: where they are needed" for p in clinic.providers}
    # Narrow: the bar is a stripe beside full chair columns.
    bar, chair = laid_out_box(page.locator(".bar-head").first), laid_out_box(heads.last)
    assert bar["width"] < chair["width"] / 3

    # Provider columns: the providers are the columns, so no bar is needed beside them.
    page.select_option("#resource-mode", "provider")
    expect(page.locator(".bar-head")).to_have_count(0)
    assert set(heads.all_inner_texts()[-2:]) == {p.name for p in clinic.providers}
    page.select_option("#resource-mode", "chair")
    expect(page.locator(".bar-head")).to_have_count(2)
    page.context.close()


def test_the_provider_bar_shows_where_the_doctor_is_needed(
    browser: Any, site: str, clinic: Clinic
) -> None:
    appt = book(site, clinic)  # Adjustment 14:00-14:30, the first provider, Chair 2
    page = open_calendar(browser, site, clinic)
    block = block_of(page, appt["id"])
    block.wait_for()
    stretch = _bar(page, clinic)
    expect(stretch).to_have_count(1)
    expect(_bar(page, clinic, provider=1)).to_have_count(0)  # the other doctor is free all day
    # The stretch lies level with the block it is for, in the provider's own bar column.
    got, want = _boxes(page, _bar_selector(clinic), _block_selector(appt["id"]))
    assert got["y"] == pytest.approx(want["y"], abs=2)
    assert got["height"] == pytest.approx(want["height"], abs=2)
    assert got["x"] + got["width"] <= want["x"]
    title = stretch.locator("[title]").get_attribute("title")
    assert title is not None
    assert title.startswith(f"{clinic.providers[0].name} needed 14:00\u201314:30")
    assert f"Adjustment, {_name(clinic, 0)} (Chair 2)" in title
    # Inside the block, the provider's time is a band: here the whole appointment.
    band = block.locator(".provider-band")
    expect(band).to_have_count(1)
    assert "band-overlap" not in (band.get_attribute("class") or "")
    assert laid_out_box(band)["height"] == pytest.approx(want["height"], abs=4)
    page.context.close()


def test_provider_time_needed_twice_is_flagged_naming_both_appointments(
    browser: Any, site: str, clinic: Clinic
) -> None:
    first = book(site, clinic)  # 14:00-14:30, Chair 2
    second = book(
        site,
        clinic,
        patientId=clinic.patients[1].id,
        chairId=clinic.chairs[0].id,
        startTime=clinic.iso(14, 15),
        override=True,
        overrideReason="Emergency: broken bracket",
    )
    assert second["conflictOverride"] is True
    page = open_calendar(browser, site, clinic)
    block_of(page, second["id"]).wait_for()

    clash = page.locator(".ec-event.bar-overlap")
    expect(clash).to_have_count(1)
    label = clash.locator(".bar-clash").get_attribute("title")
    assert label == (
        f"{clinic.providers[0].name} is needed twice 14:15\u201314:30: "
        f"Adjustment, {_name(clinic, 0)} (Chair 2) and Adjustment, {_name(clinic, 1)} (Chair 1)"
        " (booked with an override)"
    )
    # At 14:15 for a quarter of an hour, in the doctor's bar.
    expect(_bar(page, clinic)).to_have_count(1)
    got, top, stretch = _boxes(
        page, ".ec-event.bar-overlap", _block_selector(first["id"]), _bar_selector(clinic)
    )
    per_minute = top["height"] / 30
    assert got["y"] == pytest.approx(top["y"] + 15 * per_minute, abs=2)
    assert got["height"] == pytest.approx(15 * per_minute, abs=2)
    # The bar's stretch is the union: 14:00 to 14:45 in one piece.
    assert stretch["height"] == pytest.approx(45 * per_minute, abs=2)
    # Both blocks say so too: their bands are red.
    for appt in (first, second):
        expect(block_of(page, appt["id"]).locator(".provider-band.band-overlap")).to_have_count(1)
    page.context.close()


def test_a_block_dropped_on_the_provider_bar_stays_where_it_was(
    browser: Any, site: str, app: FastAPI, clinic: Clinic
) -> None:
    """The bar shows doctor time; nothing is booked into it."""
    appt = book(site, clinic)
    page = open_calendar(browser, site, clinic)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    block_of(page, appt["id"]).wait_for()
    x, y = grab_point(page, appt["id"])
    bar = laid_out_box(page.locator(".bar-head").first)
    drag(page, x, y, bar["x"] + bar["width"] / 2 - x, 0)
    page.wait_for_timeout(500)
    assert not any("/reschedule" in url for url in asked)
    assert stored(app, appt["id"]).version == 1
    # Dragging over empty time in the bar opens no booking dialog either.
    stretch = laid_out_box(page.locator(".bar-head").last)
    drag(page, stretch["x"] + stretch["width"] / 2, y + 200, 0, 60)
    assert page.locator("#create-dialog").is_visible() is False
    page.context.close()


def test_suggested_times_show_where_the_provider_would_be_needed(
    browser: Any, site: str, clinic: Clinic
) -> None:
    page = open_calendar(browser, site, clinic)
    page.select_option("#suggest-type", clinic.adj.id)
    page.click("#suggest")
    suggestions = page.locator(".ec-event.suggestion")
    expect(suggestions.first).to_be_visible(timeout=10000)
    for suggestion in suggestions.all():
        band = suggestion.locator(".provider-band")
        expect(band).to_have_count(1)
        assert band.get_attribute("title", timeout=1000) is not None
        # An adjustment without a pattern needs its provider throughout.
        assert laid_out_box(band)["height"] == pytest.approx(
            laid_out_box(suggestion)["height"], abs=6
        )
    page.context.close()


def _pattern(site: str, clinic: Clinic, pattern: str) -> None:
    """The Adjustment (30 minutes) gets a time pattern, one letter per 5 minutes."""
    with api(site, clinic, "admin") as http:
        resp = http.put(f"/api/appointment-types/{clinic.adj.id}", json={"timePattern": pattern})
    assert resp.status_code == 200, resp.text


def test_a_patterned_appointment_shows_its_doctor_time_and_one_doctor_runs_two_chairs(
    browser: Any, site: str, app: FastAPI, clinic: Clinic
) -> None:
    """AADDAA: the doctor is needed from 0:10 to 0:20 of each adjustment. Two adjustments ten
    minutes apart in two chairs need the same doctor one after the other, not at once."""
    _pattern(site, clinic, "AADDAA")
    first = book(site, clinic)  # 14:00-14:30 in Chair 2: doctor 14:10-14:20
    assert [(p["startTime"], p["endTime"]) for p in first["providerTime"]] == [
        (clinic.iso(14, 10), clinic.iso(14, 20))
    ]
    second = book(
        site,
        clinic,
        patientId=clinic.patients[1].id,
        chairId=clinic.chairs[0].id,
        startTime=clinic.iso(14, 10),
    )  # no override needed: doctor 14:20-14:30
    assert second["conflictOverride"] is False
    page = open_calendar(browser, site, clinic)
    band = block_of(page, first["id"]).locator(".provider-band")
    expect(band).to_have_count(1)
    assert band.get_attribute("title") == f"{clinic.providers[0].name} needed 14:10\u201314:20"

    # The band sits a third of the way down the block, a third of its height.
    got, box = _boxes(
        page, f"{_block_selector(first['id'])} .provider-band", _block_selector(first["id"])
    )
    assert got["y"] - box["y"] == pytest.approx(box["height"] / 3, abs=3)
    assert got["height"] == pytest.approx(box["height"] / 3, abs=3)
    # The bar: the doctor 14:10 to 14:30 without a break, in two chairs, nothing needed twice.
    stretch = _bar(page, clinic)
    expect(stretch).to_have_count(1)
    title = stretch.locator("[title]").get_attribute("title") or ""
    assert title.splitlines() == [
        f"{clinic.providers[0].name} needed 14:10\u201314:30",
        f"14:10\u201314:20 Adjustment, {_name(clinic, 0)} (Chair 2)",
        f"14:20\u201314:30 Adjustment, {_name(clinic, 1)} (Chair 1)",
    ]
    [bar] = _boxes(page, _bar_selector(clinic))
    assert bar["y"] == pytest.approx(got["y"], abs=2)
    assert bar["height"] == pytest.approx(2 * got["height"], abs=3)
    expect(page.locator(".ec-event.bar-overlap")).to_have_count(0)

    # Dragged five minutes earlier, the second would need the doctor while the first does: the
    # server's probe says so before the drop and the move is refused.
    per_minute = box["height"] / 30
    x, y = grab_point(page, second["id"])
    drag(page, x, y, 0, -5 * per_minute, release=False)
    page.wait_for_selector("#calendar.drag-conflict", timeout=5000)
    assert clinic.providers[0].name in page.locator("#probe-tip").inner_text()
    # Ten minutes later instead (doctor 14:30-14:40): free, and moved.
    page.mouse.move(x, y + 10 * per_minute, steps=6)
    page.wait_for_selector("#calendar.drag-ok", timeout=5000)
    page.mouse.up()
    expect(page.locator("#toast")).to_contain_text("Moved", timeout=10000)
    assert stored(app, second["id"]).start_time == clinic.at(14, 20)
    expect(block_of(page, second["id"]).locator(".provider-band")).to_have_attribute(
        "title", f"{clinic.providers[0].name} needed 14:30\u201314:40"
    )
    page.context.close()
