"""A new patient confirms their online booking through a link emailed to them (issue 12, finding 3).

The mail is read from a real SMTP server on 127.0.0.1; the clock is moved past the provisional
window to see unconfirmed bookings free their time. Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.config import Settings
from api.core import clock
from api.models import (
    Appointment,
    AppointmentStatus,
    AuditEntry,
    EmailConfirmation,
    OutboxMail,
    Patient,
)
from api.models.email_confirmation import RELEASE_REASON
from api.portal import new_patients
from tests.api.portal.conftest import NEW_PATIENT, Portal
from tests.support.smtp import Inbox, html_of, link_in, text_of

URL = "/api/patient-portal/new-patient-bookings"
CONFIRM = URL + "/confirm"
# The page the emailed link opens.
CONFIRM_PAGE = "/api/patient-portal/confirm-booking"


@pytest.fixture
def settings(settings: Settings, smtp: Inbox) -> Settings:
    return settings.model_copy(
        update={
            "mail_sender": "smtp",
            "smtp_host": smtp.host,
            "smtp_port": smtp.port,
            "smtp_security": "none",
            "public_url": "http://testserver",
            "mail_from": "Smile Clinic <bookings@smile.example>",
        }
    )


@pytest.fixture
def later(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[int], None]]:
    """Moves the API's clock forward by some minutes."""
    offset = [timedelta(0)]
    real = clock.now

    def now() -> datetime:
        return real() + offset[0]

    def advance(minutes: int) -> None:
        offset[0] += timedelta(minutes=minutes)

    monkeypatch.setattr(clock, "now", now)
    yield advance


def _body(portal: Portal, hour: int, minute: int = 0, **patient: Any) -> dict[str, Any]:
    return {**portal.choice(portal.npc.id, hour, minute), "patient": {**NEW_PATIENT, **patient}}


def _book(portal: Portal, hour: int, minute: int = 0, **patient: Any) -> Any:
    return portal.client.post(
        URL, json=_body(portal, hour, minute, **patient), headers=portal.guest()
    )


def _from(portal: Portal, app: FastAPI, address: str) -> Portal:
    """The same portal seen from another network address (each has its own rate limits)."""
    return Portal(portal.clinic, TestClient(app, client=(address, 50000)), portal.npc)


def _settings(portal: Portal, **changes: int) -> None:
    resp = portal.client.put(
        "/api/patient-portal/settings", json=changes, headers=portal.clinic.headers("admin")
    )
    assert resp.status_code == 200, resp.text


def _token(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def _free_starts(portal: Portal, days: int = 0) -> set[str]:
    """Free starts offered to new patients with the first provider on a day of the test."""
    clinic = portal.clinic
    day = (clinic.day + timedelta(days=days)).isoformat()
    found = portal.slots(
        portal.guest(),
        portal.npc.id,
        **{"from": clinic.iso(8, days=days), "to": clinic.iso(18, days=days)},
    )
    return {
        s["startTime"].replace("+00:00", "Z")
        for d in found["days"]
        if d["date"] == day
        for s in d["slots"]
        if s["providerId"] == portal.clinic.providers[0].id
    }


def _staff_book(portal: Portal, hour: int) -> Any:
    return portal.client.post(
        "/api/booking/appointments",
        json=portal.clinic.booking(
            appointmentTypeId=portal.npc.id,
            patientId=portal.clinic.patients[1].id,
            startTime=portal.clinic.iso(hour),
            duration=45,
        ),
        headers=portal.clinic.headers(),
    )


class TestTheMailAndTheLink:
    def test_booking_mails_a_link_that_confirms_it_and_counts_toward_the_cap(
        self,
        portal: Portal,
        smtp: Inbox,
        db: Session,
    ) -> None:
        _settings(portal, newPatientDailyCap=1)
        resp = _book(portal, 11)
        assert resp.status_code == 201, resp.text
        data = resp.json()
        assert data["emailConfirmMinutes"] == 15 and data["emailConfirmBy"]

        [mail] = smtp.wait_for(1)
        assert mail["To"] == "nia.parent@example.com"
        assert mail["From"] == "Smile Clinic <bookings@smile.example>"
        assert "Please confirm your New Patient Consult" in mail["Subject"]
        text = text_of(mail)
        assert "within 15 minutes" in text and "Hello Nia" in text
        link = link_in(mail)
        assert link in html_of(mail).replace("&amp;", "&")

        # Unconfirmed, it does not count: another new patient still gets the one place.
        other = _book(portal, 14, email="second@example.com")
        assert other.status_code == 201, other.text

        page = portal.client.get(link)
        assert page.status_code == 200, page.text
        assert page.headers["content-type"].startswith("text/html")
        assert "Your appointment is confirmed" in page.text
        row = db.scalar(
            select(EmailConfirmation).where(EmailConfirmation.appointment_id == data["id"])
        )
        assert row is not None and row.confirmed_at is not None

        # Confirmed, it fills the cap: the next new patient is told to call, and so is the
        # second booking when its patient confirms after the place has gone.
        third = _book(portal, 16, email="third@example.com")
        assert third.status_code == 409 and "call us" in third.json()["detail"]
        [_, second_mail] = smtp.wait_for(2)
        late = portal.client.post(CONFIRM, json={"token": _token(link_in(second_mail))})
        assert late.status_code == 409 and late.json()["outcome"] == "full"
        assert portal.clinic.iso(14) in _free_starts(portal)

    def test_confirming_again_changes_nothing(
        self,
        portal: Portal,
        smtp: Inbox,
        db: Session,
    ) -> None:
        appointment_id = _book(portal, 11).json()["id"]
        token = _token(link_in(smtp.wait_for(1)[0]))
        first = portal.client.post(CONFIRM, json={"token": token})
        assert first.status_code == 200 and first.json()["outcome"] == "confirmed"
        again = portal.client.get(CONFIRM_PAGE, params={"token": token})
        assert again.status_code == 200 and "already confirmed" in again.text
        audits = db.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_id == appointment_id)
        ).all()
        assert audits.count("confirm_email") == 1

    def test_the_mail_is_written_with_the_booking_or_not_at_all(
        self,
        portal: Portal,
        smtp: Inbox,
        db: Session,
    ) -> None:
        assert _staff_book(portal, 11).status_code == 201
        refused = _book(portal, 11)
        assert refused.status_code == 409
        assert db.scalars(select(OutboxMail)).all() == []
        booked = _book(portal, 14).json()
        smtp.wait_for(1)
        deadline = time.monotonic() + 10
        while True:  # the dispatcher records the send just after the server took the mail
            db.rollback()  # a fresh snapshot: see what the dispatcher committed
            [row] = db.scalars(select(OutboxMail)).all()
            if row.sent_at is not None or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert row.kind == "new_patient_confirmation" and row.sent_at is not None
        assert row.related == {"appointmentId": booked["id"], "patientId": row.related["patientId"]}
        assert row.attempts == 1 and row.last_error is None

    def test_forged_tampered_and_expired_links_are_refused(
        self,
        portal: Portal,
        smtp: Inbox,
        db: Session,
        settings: Settings,
    ) -> None:
        _book(portal, 11)
        token = _token(link_in(smtp.wait_for(1)[0]))
        tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
        for bad in (tampered, portal.guest()["Authorization"].split()[1], "not-a-token-at-all"):
            page = portal.client.get(CONFIRM_PAGE, params={"token": bad})
            assert page.status_code == 400 and "not valid" in page.text
            api = portal.client.post(CONFIRM, json={"token": bad})
            assert api.status_code == 422
            assert api.headers["content-type"].startswith("application/problem+json")
        row = db.scalars(select(EmailConfirmation)).one()
        row.link_expires_at = datetime.now(row.created_at.tzinfo) - timedelta(seconds=5)
        expired = new_patients.link_token(settings, row)
        page = portal.client.get(CONFIRM_PAGE, params={"token": expired})
        assert page.status_code == 400 and "expired" in page.text
        db.rollback()
        assert db.scalars(select(EmailConfirmation)).one().confirmed_at is None


class TestTheProvisionalWindow:
    def test_a_flood_of_unconfirmed_bookings_neither_drains_the_cap_nor_keeps_the_time(
        self,
        portal: Portal,
        app: FastAPI,
        smtp: Inbox,
        db: Session,
        later: Callable[[int], None],
    ) -> None:
        # The finding: 18 bookings with made-up emails from a few addresses filled the 20-a-day
        # cap. Let all 18 past the per-day limit to see that they take no place and keep no
        # time: nine a day with the first provider, 08:00 to 16:00, on two days (a tenth place
        # on the first day is left for a real new patient).
        _settings(
            portal, newPatientDailyCap=20, newPatientUnconfirmedDailyCap=10, guestSharePercent=100
        )
        attackers = [_from(portal, app, f"198.51.100.{n}") for n in range(1, 5)]
        flood = [(i // 9, 8 + i % 9) for i in range(18)]
        for i, (days, hour) in enumerate(flood):
            attacker = attackers[i % len(attackers)]
            body = _body(portal, hour, email=f"made-up-{i}@example.com")
            body["startTime"] = portal.clinic.iso(hour, days=days)
            resp = attacker.client.post(URL, json=body, headers=attacker.guest())
            assert resp.status_code == 201, resp.text
        held = {(days, portal.clinic.iso(hour, days=days)) for days, hour in flood}
        for days in (0, 1):
            assert not {start for d, start in held if d == days} & _free_starts(portal, days)

        # A real new patient still books and confirms: the cap counts 1 of 20, not 19.
        other_provider = {
            "providerId": portal.clinic.providers[1].id,
            "chairId": portal.clinic.chairs[0].id,
        }
        real = portal.client.post(
            URL,
            json={**_body(portal, 14, email="real.parent@example.com"), **other_provider},
            headers=portal.guest(),
        )
        assert real.status_code == 201, real.text
        smtp.wait_for(19)
        [mail] = smtp.to("real.parent@example.com")
        confirmed = portal.client.post(CONFIRM, json={"token": _token(link_in(mail))})
        assert confirmed.status_code == 200
        assert new_patients.confirmed_today(db, portal.clinic.world.clinic, clock.now()) == 1

        later(16)  # past the 15-minute window: every flooded time is offered again
        for days in (0, 1):
            assert {start for d, start in held if d == days} <= _free_starts(portal, days)
        listed = portal.client.get(
            "/api/booking/appointments",
            params={"from": portal.clinic.iso(7), "to": portal.clinic.iso(19, days=1)},
            headers=portal.clinic.headers(),
        ).json()
        assert [a["id"] for a in listed["items"]] == [real.json()["id"]]

    def test_staff_and_guests_book_over_a_lapsed_booking(
        self,
        portal: Portal,
        smtp: Inbox,
        db: Session,
        later: Callable[[int], None],
    ) -> None:
        pending = _book(portal, 11).json()
        assert _staff_book(portal, 11).status_code == 409  # held while the window runs
        later(16)
        # On PostgreSQL the exclusion constraint still sees the lapsed row until it is
        # cancelled in the same transaction as this booking.
        staff = _staff_book(portal, 11)
        assert staff.status_code == 201, staff.text
        db.rollback()  # a fresh snapshot: see what the requests committed
        lapsed = db.get(Appointment, pending["id"])
        assert lapsed is not None and lapsed.status == AppointmentStatus.CANCELLED
        assert lapsed.cancellation_reason == RELEASE_REASON
        row = db.scalars(select(EmailConfirmation)).one()
        assert row.released_at is not None and row.confirmed_at is None

    def test_confirming_late_books_the_time_again_while_it_is_free(
        self,
        portal: Portal,
        smtp: Inbox,
        db: Session,
        later: Callable[[int], None],
    ) -> None:
        pending = _book(portal, 11).json()
        token = _token(link_in(smtp.wait_for(1)[0]))
        later(40)
        assert _staff_book(portal, 15).status_code == 201  # cancels the lapsed row meanwhile
        db.rollback()  # a fresh snapshot: see what the requests committed
        assert db.get(Appointment, pending["id"]).status == AppointmentStatus.CANCELLED  # type: ignore[union-attr]
        page = portal.client.get(CONFIRM_PAGE, params={"token": token})
        assert page.status_code == 200 and "Your appointment is confirmed" in page.text
        assert "still free" in page.text
        db.rollback()  # a fresh snapshot: see what the requests committed
        appt = db.get(Appointment, pending["id"])
        assert appt is not None and appt.status == AppointmentStatus.SCHEDULED
        assert appt.deleted_at is None and portal.clinic.iso(11) not in _free_starts(portal)

    def test_confirming_late_after_the_time_was_taken_offers_other_times(
        self,
        portal: Portal,
        smtp: Inbox,
        db: Session,
        later: Callable[[int], None],
    ) -> None:
        pending = _book(portal, 11).json()
        token = _token(link_in(smtp.wait_for(1)[0]))
        later(20)
        assert _staff_book(portal, 11).status_code == 201
        resp = portal.client.post(CONFIRM, json={"token": token})
        assert resp.status_code == 409
        data = resp.json()
        assert data["outcome"] == "taken" and not data["confirmed"]
        taken = (portal.clinic.iso(11), portal.clinic.providers[0].id)
        offered = [(a["startTime"], a["providerId"]) for a in data["alternatives"]]
        assert offered and taken not in offered
        page = portal.client.get(CONFIRM_PAGE, params={"token": token})
        assert "That time is no longer available" in page.text and "Free times nearby" in page.text
        db.rollback()  # a fresh snapshot: see what the requests committed
        assert db.get(Appointment, pending["id"]).status == AppointmentStatus.CANCELLED  # type: ignore[union-attr]

    def test_unconfirmed_bookings_per_day_are_capped(
        self,
        portal: Portal,
        app: FastAPI,
        smtp: Inbox,
        later: Callable[[int], None],
    ) -> None:
        assert _book(portal, 9, email="a@example.com").status_code == 201
        assert _book(portal, 10, email="b@example.com").status_code == 201
        third = _book(portal, 14, email="c@example.com")
        assert third.status_code == 409
        assert "confirming bookings" in third.json()["detail"]
        assert third.json()["retryAfter"] == 15 * 60
        # Another day is another day's share; and once confirmed, a booking stops waiting.
        other_day = {**_body(portal, 14, email="c@example.com")}
        other_day["startTime"] = portal.clinic.iso(14, days=1)
        assert portal.client.post(URL, json=other_day, headers=portal.guest()).status_code == 201
        first = smtp.wait_for(3)
        token = _token(link_in(next(m for m in first if m["To"] == "a@example.com")))
        assert portal.client.post(CONFIRM, json={"token": token}).status_code == 200
        second_address = _from(portal, app, "203.0.113.7")  # past the 5-an-hour address limit
        assert _book(second_address, 15, email="d@example.com").status_code == 201
        assert _book(second_address, 16, email="e@example.com").status_code == 409
        later(16)  # the window over, the day's unconfirmed places are free again
        assert _book(second_address, 16, email="e@example.com").status_code == 201

    def test_the_same_email_may_book_again_once_its_booking_lapsed(
        self,
        portal: Portal,
        smtp: Inbox,
        db: Session,
        later: Callable[[int], None],
    ) -> None:
        assert _book(portal, 11).status_code == 201
        assert _book(portal, 14).status_code == 409  # one standing booking per email per day
        later(16)
        again = _book(portal, 14)
        assert again.status_code == 201, again.text
        assert len(db.scalars(select(Patient).where(Patient.provisional)).all()) == 2
