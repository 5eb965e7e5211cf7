"""Duplicating an appointment pins an assistant with `assistantId`, checked as the booking body
checks it (issue 13, slice 7); without one the copy keeps the source's assistant while free
(test_assistants.py)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.booking.test_assistants import (  # noqa: F401  (fixture re-export)
    APPOINTMENTS,
    Ortho,
    _book,
    _second_chair,
    ortho,
)


def _copy(client: TestClient, ortho: Ortho, appointment_id: str, **body: Any) -> Any:  # noqa: F811
    return client.post(
        f"{APPOINTMENTS}/{appointment_id}/duplicate", json=body, headers=ortho.clinic.headers()
    )


def test_a_copy_takes_the_pinned_assistant(client: TestClient, ortho: Ortho) -> None:  # noqa: F811
    source = _book(client, ortho, assistantId=ortho.ana.id).json()
    copy = _copy(
        client, ortho, source["id"], startTime=ortho.clinic.iso(16), assistantId=ortho.maya.id
    )
    assert copy.status_code == 201, copy.text
    assert copy.json()["assistantId"] == ortho.maya.id


def test_a_copy_to_the_next_free_time_takes_the_pinned_assistant(
    client: TestClient,
    ortho: Ortho,  # noqa: F811
) -> None:
    source = _book(client, ortho, assistantId=ortho.ana.id).json()
    # Unpinned, the copy would keep Ana (free at every time Maya is).
    copy = _copy(client, ortho, source["id"], assistantId=ortho.maya.id)
    assert copy.status_code == 201, copy.text
    assert copy.json()["assistantId"] == ortho.maya.id


def test_a_pinned_assistant_is_checked_as_the_booking_body_checks_it(
    client: TestClient,
    ortho: Ortho,  # noqa: F811
) -> None:
    c = ortho.clinic
    bond = _book(client, ortho, appointmentTypeId=ortho.bond.id, duration=60).json()
    for start in ({"startTime": c.iso(16)}, {}):  # to a time, and to the next free one
        unqualified = _copy(client, ortho, bond["id"], assistantId=ortho.ana.id, **start)
        assert unqualified.status_code == 422, unqualified.text
        assert unqualified.json()["errors"][0]["field"] == "assistantId"
        assert "Ana Ruiz may not assist a Bond; only Maya Lee may" in unqualified.json()["detail"]
        unknown = _copy(client, ortho, bond["id"], assistantId="nobody", **start)
        assert unknown.status_code == 422, unknown.text
        assert unknown.json()["detail"] == "No assistant with id 'nobody' in your clinic."
    # A type that needs no assistant takes none.
    plain = client.post(
        APPOINTMENTS,
        json=c.booking(startTime=c.iso(9, 0), chairId=c.chairs[1].id),
        headers=c.headers(),
    )
    assert plain.status_code == 201, plain.text
    extra = _copy(client, ortho, plain.json()["id"], startTime=c.iso(16), assistantId=ortho.ana.id)
    assert extra.status_code == 422, extra.text
    assert extra.json()["errors"][0]["field"] == "assistantId"


def test_a_busy_pinned_assistant_is_a_409_saying_whom_they_are_with(
    client: TestClient,
    ortho: Ortho,  # noqa: F811
) -> None:
    c = ortho.clinic
    source = _book(client, ortho, assistantId=ortho.ana.id).json()
    with_maya = _book(
        client, ortho, assistantId=ortho.maya.id, **{**_second_chair(ortho), "startTime": c.iso(16)}
    )
    assert with_maya.status_code == 201, with_maya.text
    clash = _copy(client, ortho, source["id"], startTime=c.iso(16), assistantId=ortho.maya.id)
    assert clash.status_code == 409, clash.text
    patient = c.patients[1]
    assert (
        f"Assistant Maya Lee is with {patient.first_name} {patient.last_name}"
        in clash.json()["detail"]
    )
