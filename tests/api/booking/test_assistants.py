"""Booking with assistants through HTTP (issue 13, slice 7): a type that needs an assistant holds
one for the whole appointment with its buffers, chosen by booking unless pinned; a busy one is
a 409 that says whom they are with; cancel releases them; a clinic without assistants (every
other test module) books exactly as before."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.models import (
    AppointmentType,
    Assistant,
    Chair,
    Provider,
    ScheduleException,
    ScheduleTemplate,
)
from tests.api.booking.conftest import Clinic, book
from tests.api.booking.test_held_intervals import _insert_raw, held
from tests.support.schedules import open_every_day

APPOINTMENTS = "/api/booking/appointments"


@dataclass
class Ortho:
    clinic: Clinic
    wires: AppointmentType  # needs an assistant, any of them
    bond: AppointmentType  # needs one, only Maya may assist
    ana: Assistant
    maya: Assistant
    chair3: Chair
    doctor3: Provider

    def booking(self, **overrides: Any) -> dict[str, Any]:
        return {"appointmentTypeId": self.wires.id, "duration": 30, **overrides}


@pytest.fixture
def ortho(db: Session, clinic: Clinic) -> Ortho:
    cid = clinic.world.clinic.id
    ana, maya = Assistant(clinic_id=cid, name="Ana Ruiz"), Assistant(clinic_id=cid, name="Maya Lee")
    # A third chair and doctor: two assistants can then be outnumbered.
    chair3, doctor3 = Chair(clinic_id=cid, name="Chair 3"), Provider(clinic_id=cid, name="Dr Third")
    db.add_all([ana, maya, chair3, doctor3])
    db.flush()
    wires = AppointmentType(
        clinic_id=cid, name="Wire Change", code="WIRE", default_duration=30, min_duration=20,
        max_duration=40, needs_assistant=True, buffer_after=10,
    )  # fmt: skip
    bond = AppointmentType(
        clinic_id=cid, name="Bond", code="BOND", default_duration=60, min_duration=60,
        max_duration=90, needs_assistant=True,
    )  # fmt: skip
    bond.assistants = [maya]
    db.add_all([wires, bond])
    template = db.scalars(
        sa.select(ScheduleTemplate).where(ScheduleTemplate.clinic_id == cid)
    ).one()
    open_every_day(
        template,
        [
            ("assistant", ana.id),
            ("assistant", maya.id),
            ("chair", chair3.id),
            ("provider", doctor3.id),
        ],
    )
    db.commit()
    return Ortho(clinic, wires, bond, ana, maya, chair3, doctor3)


def _book(client: TestClient, ortho: Ortho, **overrides: Any) -> Any:
    return book(client, ortho.clinic, **ortho.booking(**overrides))


def _second_chair(ortho: Ortho) -> dict[str, Any]:
    """Another patient, doctor and chair at the same time: only an assistant can clash."""
    c = ortho.clinic
    return {
        "patientId": c.patients[1].id,
        "providerId": c.providers[1].id,
        "chairId": c.chairs[0].id,
    }


class TestBookingChoosesOrHonoursTheAssistant:
    def test_booking_picks_a_free_assistant_and_holds_them_with_the_buffer(
        self, client: TestClient, ortho: Ortho, db: Session
    ) -> None:
        made = _book(client, ortho)
        assert made.status_code == 201, made.text
        assert made.json()["assistantId"] == ortho.ana.id  # the first free one, by name
        c = ortho.clinic
        assert ("assistant", ortho.ana.id, c.at(14), c.at(14, 40)) in held(db, made.json()["id"])
        detail = client.get(f"{APPOINTMENTS}/{made.json()['id']}", headers=c.headers()).json()
        assert detail["assistant"] == {"id": ortho.ana.id, "name": "Ana Ruiz"}

        # The same time in another chair: Ana is with the first patient, so Maya assists.
        second = _book(client, ortho, **_second_chair(ortho))
        assert second.status_code == 201, second.text
        assert second.json()["assistantId"] == ortho.maya.id

    def test_a_pinned_assistant_is_honoured(self, client: TestClient, ortho: Ortho) -> None:
        made = _book(client, ortho, assistantId=ortho.maya.id)
        assert made.status_code == 201, made.text
        assert made.json()["assistantId"] == ortho.maya.id

    def test_a_busy_pinned_assistant_is_a_409_saying_whom_they_are_with(
        self, client: TestClient, ortho: Ortho
    ) -> None:
        first = _book(client, ortho, assistantId=ortho.maya.id)
        assert first.status_code == 201, first.text
        clash = _book(client, ortho, assistantId=ortho.maya.id, **_second_chair(ortho))
        assert clash.status_code == 409, clash.text
        body = clash.json()
        patient = ortho.clinic.patients[0]
        assert (
            f"Assistant Maya Lee is with {patient.first_name} {patient.last_name} in Chair 2"
            in body["detail"]
        )
        assert "(Wire Change)" in body["detail"]
        conflict = body["conflicts"][0]
        assert conflict["resource"] == "assistant" and conflict["resourceId"] == ortho.maya.id
        assert conflict["appointmentId"] == first.json()["id"]

    def test_every_assistant_busy_is_a_409_naming_one_of_them(
        self, client: TestClient, ortho: Ortho
    ) -> None:
        c = ortho.clinic
        assert _book(client, ortho).status_code == 201
        other = {"patientId": c.patients[2].id, "providerId": c.providers[1].id}
        assert _book(client, ortho, chairId=c.chairs[0].id, **other).status_code == 201
        third = _book(
            client,
            ortho,
            patientId=c.patients[3].id,
            providerId=ortho.doctor3.id,
            chairId=ortho.chair3.id,
        )
        assert third.status_code == 409, third.text
        assert "Assistant Ana Ruiz is with" in third.json()["detail"]
        assert [i["resource"] for i in third.json()["conflicts"]] == ["assistant"]

    def test_only_a_qualified_assistant_may_assist(self, client: TestClient, ortho: Ortho) -> None:
        made = _book(client, ortho, appointmentTypeId=ortho.bond.id, duration=60)
        assert made.status_code == 201, made.text
        assert made.json()["assistantId"] == ortho.maya.id  # Ana is first by name, not qualified
        pinned = _book(
            client,
            ortho,
            appointmentTypeId=ortho.bond.id,
            duration=60,
            assistantId=ortho.ana.id,
            startTime=ortho.clinic.iso(16),
        )
        assert pinned.status_code == 422, pinned.text
        assert pinned.json()["errors"][0]["field"] == "assistantId"
        assert pinned.json()["detail"] == (
            "assistantId: Ana Ruiz may not assist a Bond; only Maya Lee may (the type's "
            "assistantIds)."
        )

    def test_an_assistant_on_a_type_that_needs_none_is_refused(
        self, client: TestClient, ortho: Ortho
    ) -> None:
        res = book(client, ortho.clinic, assistantId=ortho.ana.id)  # an Adjustment
        assert res.status_code == 422, res.text
        assert res.json()["errors"][0]["field"] == "assistantId"
        assert "needs no assistant" in res.json()["detail"]

    def test_an_unknown_or_inactive_assistant_is_422_naming_assistant_id(
        self, client: TestClient, ortho: Ortho, db: Session
    ) -> None:
        unknown = _book(client, ortho, assistantId="0" * 32)
        assert unknown.status_code == 422
        assert unknown.json()["errors"][0]["field"] == "assistantId"
        ortho.maya.active = False
        db.commit()
        inactive = _book(client, ortho, assistantId=ortho.maya.id)
        assert inactive.status_code == 422
        assert "inactive" in inactive.json()["detail"]

    def test_an_assistant_off_work_is_not_chosen(
        self, client: TestClient, ortho: Ortho, db: Session
    ) -> None:
        """Ana (first by name) works only the morning of the test day: Maya assists at 14:00."""
        template = db.scalars(
            sa.select(ScheduleTemplate).where(ScheduleTemplate.active.is_(True))
        ).one()
        template.exceptions.append(
            ScheduleException(
                resource_type="assistant",
                resource_id=ortho.ana.id,
                date=ortho.clinic.day,
                blocks=[["08:00", "12:00"]],
                reason="Half day",
            )
        )
        db.commit()
        made = _book(client, ortho)
        assert made.status_code == 201, made.text
        assert made.json()["assistantId"] == ortho.maya.id
        pinned = _book(client, ortho, assistantId=ortho.ana.id, **_second_chair(ortho))
        assert pinned.status_code == 409, pinned.text
        assert "Assistant Ana Ruiz is not working" in pinned.json()["detail"]


class TestAClinicWithoutAssistants:
    def test_a_type_needing_one_is_a_clear_422_and_offers_no_slots(
        self, client: TestClient, clinic: Clinic, db: Session
    ) -> None:
        kind = AppointmentType(
            clinic_id=clinic.world.clinic.id, name="Wire Change", code="WIRE",
            default_duration=30, min_duration=30, max_duration=30, needs_assistant=True,
        )  # fmt: skip
        db.add(kind)
        db.commit()
        res = book(client, clinic, appointmentTypeId=kind.id)
        assert res.status_code == 422, res.text
        assert res.json()["errors"][0]["field"] == "assistantId"
        assert "needs an assistant" in res.json()["detail"]
        slots = client.get(
            "/api/booking/availability",
            params={"appointmentTypeId": kind.id, "from": clinic.iso(8), "to": clinic.iso(18)},
            headers=clinic.headers(),
        )
        assert slots.status_code == 200 and slots.json()["slots"] == []

    def test_appointments_carry_a_null_assistant(self, client: TestClient, clinic: Clinic) -> None:
        made = book(client, clinic)
        assert made.status_code == 201 and made.json()["assistantId"] is None
        detail = client.get(f"{APPOINTMENTS}/{made.json()['id']}", headers=clinic.headers())
        assert detail.json()["assistant"] is None


class TestAvailability:
    def _slots(self, client: TestClient, ortho: Ortho, **params: str) -> list[dict[str, Any]]:
        c = ortho.clinic
        res = client.get(
            "/api/booking/availability",
            params={
                "appointmentTypeId": ortho.wires.id,
                "from": c.iso(14),
                "to": c.iso(14, 30),
                "chairId": c.chairs[1].id,
                **params,
            },
            headers=c.headers(),
        )
        assert res.status_code == 200, res.text
        return list(res.json()["slots"])

    def test_slots_name_the_assistant_and_a_pin_narrows_them(
        self, client: TestClient, ortho: Ortho
    ) -> None:
        free = self._slots(client, ortho)
        assert free and all(
            s["parts"][0]["assistantId"] in (ortho.ana.id, ortho.maya.id) for s in free
        )
        pinned = self._slots(client, ortho, assistantId=ortho.maya.id)
        assert pinned and {s["parts"][0]["assistantId"] for s in pinned} == {ortho.maya.id}

    def test_a_start_is_offered_while_one_assistant_is_free_and_not_after(
        self, client: TestClient, ortho: Ortho
    ) -> None:
        c = ortho.clinic
        two = {"patientId": c.patients[1].id, "providerId": c.providers[1].id}
        # One assistant busy 14:00-14:40 in a chair the query does not ask about: the other
        # is free, so 14:00 in chair 2 is offered.
        assert _book(client, ortho, chairId=c.chairs[0].id, **two).status_code == 201
        assert c.iso(14) in {s["startTime"] for s in self._slots(client, ortho)}
        three = {"patientId": c.patients[2].id, "providerId": ortho.doctor3.id}
        assert _book(client, ortho, chairId=ortho.chair3.id, **three).status_code == 201
        # Chair 2 and a doctor are still free at 14:00, but no assistant is.
        assert c.iso(14) not in {s["startTime"] for s in self._slots(client, ortho)}

    def test_best_fit_suggestions_carry_the_assistant(
        self, client: TestClient, ortho: Ortho
    ) -> None:
        res = client.get(
            "/api/booking/availability",
            params={
                "appointmentTypeId": ortho.bond.id,
                "from": ortho.clinic.iso(9),
                "to": ortho.clinic.iso(12),
                "mode": "best",
                "limit": "3",
            },
            headers=ortho.clinic.headers(),
        )
        assert res.status_code == 200, res.text
        found = res.json()["suggestions"]
        assert found and {s["parts"][0]["assistantId"] for s in found} == {ortho.maya.id}


class TestChangesRewriteTheAssistant:
    def test_cancel_releases_the_assistant(
        self, client: TestClient, ortho: Ortho, db: Session
    ) -> None:
        first = _book(client, ortho, assistantId=ortho.maya.id).json()
        cancelled = client.delete(
            f"{APPOINTMENTS}/{first['id']}",
            params={"reason": "ill"},
            headers=ortho.clinic.headers(),
        )
        assert cancelled.status_code == 200, cancelled.text
        assert held(db, first["id"]) == []
        again = _book(client, ortho, assistantId=ortho.maya.id, **_second_chair(ortho))
        assert again.status_code == 201, again.text

    def test_reschedule_keeps_the_assistant_while_free_else_chooses_another(
        self, client: TestClient, ortho: Ortho, db: Session
    ) -> None:
        c = ortho.clinic
        appt = _book(client, ortho, assistantId=ortho.maya.id).json()
        moved = client.post(
            f"{APPOINTMENTS}/{appt['id']}/reschedule",
            json={"startTime": c.iso(15)},
            headers=c.headers(),
        )
        assert moved.status_code == 200, moved.text
        assert moved.json()["assistantId"] == ortho.maya.id
        assert ("assistant", ortho.maya.id, c.at(15), c.at(15, 40)) in held(db, appt["id"])
        # Maya is then with someone else at 16:00: the move takes Ana.
        busy = _book(
            client, ortho, assistantId=ortho.maya.id, startTime=c.iso(16), **_second_chair(ortho)
        )
        assert busy.status_code == 201, busy.text
        later = client.post(
            f"{APPOINTMENTS}/{appt['id']}/reschedule",
            json={"startTime": c.iso(16)},
            headers=c.headers(),
        )
        assert later.status_code == 200, later.text
        assert later.json()["assistantId"] == ortho.ana.id
        # Pinning a busy one is refused and names them.
        pinned = client.post(
            f"{APPOINTMENTS}/{appt['id']}/reschedule",
            json={"startTime": c.iso(16), "assistantId": ortho.maya.id},
            headers=c.headers(),
        )
        assert pinned.status_code == 409 and "Assistant Maya Lee is with" in pinned.json()["detail"]

    def test_put_changes_the_assistant(self, client: TestClient, ortho: Ortho, db: Session) -> None:
        appt = _book(client, ortho).json()
        assert appt["assistantId"] == ortho.ana.id
        changed = client.put(
            f"{APPOINTMENTS}/{appt['id']}",
            json={"assistantId": ortho.maya.id},
            headers={**ortho.clinic.headers(), "If-Match": f'"{appt["version"]}"'},
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["assistantId"] == ortho.maya.id
        kinds = {(k, r) for k, r, *_ in held(db, appt["id"])}
        assert ("assistant", ortho.maya.id) in kinds and ("assistant", ortho.ana.id) not in kinds


class TestGuarantee:
    def test_a_raw_overlapping_assistant_interval_is_refused_by_postgresql(
        self, client: TestClient, ortho: Ortho, db: Session
    ) -> None:
        if db.get_bind().dialect.name != "postgresql":
            pytest.skip("SQLite has no exclusion constraints; BEGIN IMMEDIATE guards it instead")
        c = ortho.clinic
        first = _book(client, ortho, assistantId=ortho.maya.id).json()
        other = book(client, c, **_second_chair(ortho)).json()  # an Adjustment, no assistant
        db.rollback()
        # Touching is fine: 14:40, right after the first booking and its buffer.
        _insert_raw(db, other["id"], "assistant", ortho.maya.id, (c.at(14, 40), c.at(14, 50)))
        db.rollback()
        with pytest.raises(IntegrityError) as refused:
            _insert_raw(db, other["id"], "assistant", ortho.maya.id, (c.at(14, 35), c.at(14, 45)))
        assert getattr(refused.value.orig, "sqlstate", None) == "23P01"
        db.rollback()
        assert ("assistant", ortho.maya.id, c.at(14), c.at(14, 40)) in held(db, first["id"])


class TestOtherPaths:
    def test_a_visit_names_the_part_whose_assistant_is_wrong(
        self, client: TestClient, ortho: Ortho
    ) -> None:
        c = ortho.clinic
        part = {"providerId": c.providers[0].id, "chairId": c.chairs[1].id}
        body = {
            "patientId": c.patients[0].id,
            "parts": [
                {**part, "appointmentTypeId": ortho.wires.id, "startTime": c.iso(14)},
                {
                    **part,
                    "appointmentTypeId": ortho.bond.id,
                    "startTime": c.iso(14, 40),
                    "assistantId": ortho.ana.id,
                },
            ],
        }
        res = client.post(APPOINTMENTS, json=body, headers=c.headers())
        assert res.status_code == 422, res.text
        assert res.json()["errors"][0]["field"] == "parts.1.assistantId"
        body["parts"][1].pop("assistantId")
        made = client.post(APPOINTMENTS, json=body, headers=c.headers())
        assert made.status_code == 201, made.text
        assistants = [a["assistantId"] for a in made.json()["appointments"]]
        assert assistants == [ortho.ana.id, ortho.maya.id]

    def test_a_copy_keeps_its_assistant_while_free(self, client: TestClient, ortho: Ortho) -> None:
        appt = _book(client, ortho, assistantId=ortho.maya.id).json()
        copy = client.post(
            f"{APPOINTMENTS}/{appt['id']}/duplicate",
            json={"startTime": ortho.clinic.iso(16)},
            headers=ortho.clinic.headers(),
        )
        assert copy.status_code == 201, copy.text
        assert copy.json()["assistantId"] == ortho.maya.id

    def test_the_live_probe_says_whom_a_pinned_assistant_is_with(
        self, client: TestClient, ortho: Ortho
    ) -> None:
        c = ortho.clinic
        _book(client, ortho, assistantId=ortho.maya.id)
        moving = _book(client, ortho, startTime=c.iso(16), **_second_chair(ortho)).json()
        with client.websocket_connect(
            f"/api/booking/events?token={c.world.tokens['frontdesk']}"
        ) as ws:
            ws.receive_json()
            probe = {"type": "probe", "seq": 1, "appointmentId": moving["id"]}
            ws.send_json({**probe, "startTime": c.iso(14), "assistantId": ortho.maya.id})
            pinned = ws.receive_json()
            # Left to booking's choice, Ana is free at 14:00: no conflict.
            ws.send_json({**probe, "startTime": c.iso(14)})
            chosen = ws.receive_json()
        assert pinned["ok"] is False
        [busy] = pinned["conflicts"]
        assert busy["resource"] == "assistant" and busy["kind"] == "conflict"
        assert "Assistant Maya Lee is with" in busy["message"]
        assert chosen["ok"] is True, chosen
