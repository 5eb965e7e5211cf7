"""A platform operator beside the clinic world, and the body that opens a clinic."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.api.booking.conftest import clinic  # noqa: F401  (fixture re-export)
from tests.conftest import ClinicWorld

ADMIN_PASSWORD = "a long first password"


def opening(name: str = "Harbour Dental", time_zone: str = "Europe/London", **over: Any) -> Any:
    body: dict[str, Any] = {
        "name": name,
        "timeZone": time_zone,
        "firstAdmin": {
            "email": f"owner@{name.lower().replace(' ', '-')}.example",
            "password": ADMIN_PASSWORD,
            "fullName": "Ada Owner",
        },
    }
    body.update(over)
    return body


@pytest.fixture
def operator(db: Session, world: ClinicWorld) -> dict[str, str]:
    """The Smile Clinic admin, also marked as the platform's operator."""
    user = world.users["admin"]
    user.platform_operator = True
    db.merge(user)
    db.commit()
    return world.headers("admin")
