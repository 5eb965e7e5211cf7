"""The waitlist as staff and patients use it, in Chromium against a real server: a cancellation in
the calendar shows who on the waitlist fits and books one in two clicks; an offer mailed to two
waiting patients is taken by the first to open the link and accept, and the second is told it
was taken; a patient joins the waitlist from the widget and leaves it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.config import Settings
from api.models import Appointment, AppointmentSource, AppointmentStatus, Patient
from api.models.waitlist import WaitlistEntry, WaitlistSource, WaitlistStatus
from tests.api.booking.conftest import Clinic
from tests.browser.calendar_pages import (
    api,
    block_of,
    book,
    drag,
    grab_point,
    open_calendar,
    px_per_minute,
    stored,
)
from tests.conftest import PASSWORD
from tests.support.server import running_server
from tests.support.smtp import Inbox, smtp, text_of  # noqa: F401

pytestmark = pytest.mark.browser

OFFER_LINK = re.compile(r"https?://\S+/widget/waitlist-offer\.html\?token=[\w.\-%]+")


@pytest.fixture
def settings(settings: Settings, smtp: Inbox) -> Settings:  # noqa: F811
    return settings.model_copy(
        update={
            "mail_sender": "smtp",
            "smtp_host": smtp.host,
            "smtp_port": smtp.port,
            "smtp_security": "none",
            "mail_from": "Smile Clinic <bookings@smile.example>",
        }
    )


@pytest.fixture
def site(app: FastAPI, db: Session, clinic: Clinic) -> Iterator[str]:
    for i, patient in enumerate(clinic.patients):
        patient.email = f"patient{i}@example.org"
    db.commit()
    with running_server(app) as base:
        yield base


def _waiting(site: str, clinic: Clinic, patient: Patient, later_days: int) -> dict[str, Any]:
    """A patient with an adjustment some days after the test day who would rather come sooner."""
    later = book(
        site,
        clinic,
        patientId=patient.id,
        startTime=clinic.iso(11, days=later_days),
        chairId=clinic.chairs[0].id,
    )
    with api(site, clinic) as http:
        resp = http.post(
            "/api/booking/waitlist",
            json={
                "patientId": patient.id,
                "replacesAppointmentId": later["id"],
                "notes": "Any time",
            },
        )
    assert resp.status_code == 201, resp.text
    return {"entry": resp.json(), "later": later}


def _cancel_in_calendar(page: Any, appointment_id: str) -> None:
    block_of(page, appointment_id).click()
    page.click("#menu [data-action=cancel]")
    page.fill("#cancel-form input[name=reason]", "Patient unwell")
    page.click("#cancel-form button[type=submit]")
    block_of(page, appointment_id).wait_for(state="detached")


def test_a_cancellation_shows_who_fits_and_books_one_in_two_clicks(
    browser: Any, site: str, app: FastAPI, clinic: Clinic
) -> None:
    freed = book(site, clinic, startTime=clinic.iso(15))
    waiting = _waiting(site, clinic, clinic.patients[1], later_days=9)
    page = open_calendar(browser, site, clinic)
    _cancel_in_calendar(page, freed["id"])

    chip = page.locator(".waitlist-chip")
    expect(chip).to_have_text("1 on the waitlist fits", timeout=10000)
    expect(page.locator("#toast")).to_contain_text("1 on the waitlist fits")
    chip.click()  # first click: who fits, and why
    match = page.locator(f'.waitlist-match[data-entry-id="{waiting["entry"]["id"]}"]')
    expect(match).to_contain_text("P0 Test")
    expect(match).to_contain_text("days earlier")
    match.locator("button", has_text="Book").click()  # second click: booked
    expect(page.locator("#toast")).to_contain_text("from the waitlist", timeout=10000)
    expect(chip).to_have_count(0)

    with app.state.db.read() as session:
        booked = session.scalars(
            select(Appointment).where(
                Appointment.patient_id == clinic.patients[1].id,
                Appointment.start_time == clinic.at(15),
                Appointment.status == AppointmentStatus.SCHEDULED,
            )
        ).all()
    assert [a.source for a in booked] == [AppointmentSource.WAITLIST]
    assert stored(app, waiting["later"]["id"]).status == AppointmentStatus.CANCELLED
    block_of(page, booked[0].id).wait_for()  # the calendar shows the waitlist booking
    page.context.close()


def test_time_freed_by_moving_an_appointment_away_shows_who_fits(
    browser: Any, site: str, app: FastAPI, clinic: Clinic
) -> None:
    moved = book(site, clinic, startTime=clinic.iso(15))  # 15:00-15:30, Chair 2
    waiting = _waiting(site, clinic, clinic.patients[1], later_days=9)
    page = open_calendar(browser, site, clinic)
    per_minute = px_per_minute(page, moved["id"], 30)
    x, y = grab_point(page, moved["id"])
    drag(page, x, y, 0, 120 * per_minute)  # to 17:00: 15:00-15:30 on Chair 2 is free now
    expect(page.locator("#toast")).to_contain_text("the time this freed", timeout=10000)
    assert stored(app, moved["id"]).start_time == clinic.at(17)
    page.locator(".waitlist-chip", has_text="1 on the waitlist fits").click()
    match = page.locator(f'.waitlist-match[data-entry-id="{waiting["entry"]["id"]}"]')
    match.locator("button", has_text="Book").click()
    expect(page.locator("#toast")).to_contain_text("from the waitlist", timeout=10000)
    with app.state.db.read() as session:
        [taken] = session.scalars(
            select(Appointment).where(Appointment.source == AppointmentSource.WAITLIST)
        ).all()
    assert (taken.patient_id, taken.start_time) == (clinic.patients[1].id, clinic.at(15))
    assert taken.chair_id == clinic.chairs[1].id
    page.context.close()


def test_an_offer_goes_to_the_first_patient_who_accepts_and_the_second_is_told(
    browser: Any,
    site: str,
    app: FastAPI,
    clinic: Clinic,
    smtp: Inbox,  # noqa: F811
) -> None:
    freed = book(site, clinic, startTime=clinic.iso(15))
    first = _waiting(site, clinic, clinic.patients[1], later_days=9)
    second = _waiting(site, clinic, clinic.patients[2], later_days=10)
    page = open_calendar(browser, site, clinic)
    _cancel_in_calendar(page, freed["id"])
    page.locator(".waitlist-chip").click()
    expect(page.locator(".waitlist-match")).to_have_count(2)
    page.click("#waitlist-offer")
    expect(page.locator("#toast")).to_contain_text("Offered to 2 patients", timeout=10000)

    mails = smtp.wait_for(2)
    links = {m["To"]: OFFER_LINK.search(text_of(m)) for m in mails}
    assert all(links.values()), [text_of(m) for m in mails]

    def offer_page(address: str) -> Any:
        link = links[address]
        assert link is not None
        token = parse_qs(urlsplit(link.group(0)).query)["token"][0]
        patient_page = browser.new_context().new_page()
        # The link's host is the configured public URL; the page is the same on this server.
        patient_page.goto(f"{site}/widget/waitlist-offer.html?token={token}")
        expect(patient_page.locator("#offer-actions")).to_be_visible(timeout=10000)
        return patient_page

    one, two = offer_page("patient1@example.org"), offer_page("patient2@example.org")
    expect(one.locator("#offer-type")).to_have_text("Adjustment")
    assert "token" not in one.url  # the credential leaves the address bar once read
    one.click("#offer-accept")
    expect(one.locator("body")).to_have_attribute("data-status", "accepted", timeout=10000)
    expect(one.locator("#offer-message")).to_contain_text("you are booked")
    two.click("#offer-accept")
    expect(two.locator("body")).to_have_attribute("data-status", "taken", timeout=10000)
    expect(two.locator("#offer-message")).to_contain_text("still on the waitlist")

    with app.state.db.read() as session:
        taken = session.scalars(
            select(Appointment).where(Appointment.source == AppointmentSource.WAITLIST)
        ).all()
    assert [a.patient_id for a in taken] == [clinic.patients[1].id]
    assert stored(app, first["later"]["id"]).status == AppointmentStatus.CANCELLED
    assert stored(app, second["later"]["id"]).status == AppointmentStatus.SCHEDULED
    with api(site, clinic) as http:
        entry = http.get(f"/api/booking/waitlist/{second['entry']['id']}").json()
    assert entry["status"] == "waiting"
    for p in (page, one, two):
        p.context.close()


def test_a_patient_joins_the_waitlist_from_the_widget_and_leaves_it(
    browser: Any, site: str, app: FastAPI, clinic: Clinic
) -> None:
    page = browser.new_context(viewport={"width": 390, "height": 900}).new_page()
    page.goto(f"{site}/demo/practice-site?clinic={clinic.world.clinic.id}")
    widget = page.locator("#slotwise-booking")
    widget.get_by_role("button", name=re.compile("Adjustment")).click()
    widget.get_by_label("Email").fill(clinic.world.users["patient"].email)
    widget.get_by_label("Password").fill(PASSWORD)
    widget.get_by_role("button", name="Sign in").click()
    widget.locator(f'.sw-step[data-step=day] [data-date="{clinic.day.isoformat()}"]').click()
    widget.locator(f'.sw-step[data-step=time] [data-start="{clinic.iso(15, 30)}"]').click()
    widget.get_by_role("button", name="Confirm booking").click()
    expect(widget.locator(".sw-step[data-step=done]")).to_contain_text("You are booked")
    widget.get_by_role("button", name="Tell me if an earlier time frees up").click()
    expect(widget.locator(".sw-notice")).to_contain_text("You are on the waitlist")

    def entries() -> list[WaitlistEntry]:
        with app.state.db.read() as session:
            return list(
                session.scalars(
                    select(WaitlistEntry).where(WaitlistEntry.patient_id == clinic.world.patient.id)
                )
            )

    [entry] = entries()
    assert (entry.status, entry.source) == (WaitlistStatus.WAITING, WaitlistSource.PORTAL)
    booked = stored(app, str(entry.replaces_appointment_id))
    assert booked.start_time == clinic.at(15, 30) and booked.patient_id == entry.patient_id

    widget.get_by_role("button", name="Book another").click()
    widget.get_by_role("button", name="Manage my appointments").click()
    item = widget.locator(f'.sw-appointment[data-appointment-id="{booked.id}"]')
    expect(item).to_contain_text("On the waitlist for an earlier time")
    item.get_by_role("button", name=re.compile("Leave the waitlist")).click()
    expect(widget.locator(".sw-notice")).to_contain_text("You have left the waitlist")
    expect(item).not_to_contain_text("On the waitlist")
    [entry] = entries()
    assert entry.status == WaitlistStatus.WITHDRAWN
    assert stored(app, booked.id).status == AppointmentStatus.SCHEDULED  # the booking stays
    page.context.close()
