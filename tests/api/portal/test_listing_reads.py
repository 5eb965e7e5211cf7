"""A repeated portal listing reads only the clinic's row (its versions with it); everything else
it checks comes from a per-config_version copy that every change through the API replaces at
once (api/portal/availability_config.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import update
from sqlalchemy.orm import Session

from api.models import Clinic as ClinicRow
from tests.api.portal.conftest import Portal

SLOTS = "/api/patient-portal/available-slots"


@contextmanager
def statements(db: Session) -> Iterator[list[str]]:
    engine = db.get_bind()
    assert isinstance(engine, sa.Engine)
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        # Round trips that read or write rows (SQLite's driver also sends BEGIN on its own).
        if statement.lstrip().split(None, 1)[0].upper() in {"SELECT", "INSERT", "UPDATE", "DELETE"}:
            seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def _listing(portal: Portal, headers: dict[str, str]) -> Any:
    return portal.client.get(
        SLOTS,
        params={
            "appointmentTypeId": portal.npc.id,
            "from": portal.clinic.iso(0),
            "to": portal.clinic.iso(0, days=1),
        },
        headers=headers,
    )


def test_a_repeated_guest_listing_reads_only_the_clinic_row(portal: Portal, db: Session) -> None:
    guest = portal.guest()
    first = _listing(portal, guest)
    assert first.status_code == 200, first.text
    with statements(db) as seen:
        again = _listing(portal, guest)
    assert again.json() == first.json()
    assert len(seen) == 1, seen
    assert "FROM clinics" in seen[0]


def test_a_repeated_patient_listing_adds_only_the_user_read(portal: Portal, db: Session) -> None:
    assert _listing(portal, portal.patient).status_code == 200
    with statements(db) as seen:
        assert _listing(portal, portal.patient).status_code == 200
    assert len(seen) == 2, seen
    assert sum("FROM users" in s for s in seen) == 1


def test_type_and_settings_changes_reach_a_cached_listing_at_once(portal: Portal) -> None:
    admin = portal.clinic.headers("admin")
    guest = portal.guest()
    listed = _listing(portal, guest).json()
    assert listed["days"] and all(
        s["providerName"] is None for d in listed["days"] for s in d["slots"]
    )
    # Names shown: the next listing names the providers.
    resp = portal.client.put(
        "/api/patient-portal/settings", json={"showProviderNames": True}, headers=admin
    )
    assert resp.status_code == 200, resp.text
    names = {p.name for p in portal.clinic.providers}
    shown = {s["providerName"] for d in _listing(portal, guest).json()["days"] for s in d["slots"]}
    assert shown and shown <= names
    # A renamed provider is listed under the new name.
    provider = portal.clinic.providers[0]
    resp = portal.client.put(
        f"/api/providers/{provider.id}", json={"name": "Dr Renamed"}, headers=admin
    )
    assert resp.status_code == 200, resp.text
    shown = {s["providerName"] for d in _listing(portal, guest).json()["days"] for s in d["slots"]}
    assert provider.name not in shown
    # The type taken off the portal: refused at once, as the uncached check refuses it.
    resp = portal.client.put(
        f"/api/appointment-types/{portal.npc.id}", json={"onlineBookable": False}, headers=admin
    )
    assert resp.status_code == 200, resp.text
    refused = _listing(portal, guest)
    assert refused.status_code == 422
    assert "cannot be booked online" in refused.json()["detail"]


def test_clinic_columns_are_read_fresh(portal: Portal, db: Session) -> None:
    guest = portal.guest()
    assert _listing(portal, guest).status_code == 200
    # Not configuration (no config_version bump): a clinic closed by a script is closed at once.
    db.execute(
        update(ClinicRow).where(ClinicRow.id == portal.clinic.world.clinic.id).values(active=False)
    )
    db.commit()
    assert _listing(portal, guest).status_code == 404
