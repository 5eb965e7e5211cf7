"""GET /api/schedule/hours lists assistants (kind "assistant") with the hours and exceptions
the template gives them, as the engine books against them; template slots never reserve them."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.models import Assistant
from tests.api.schedule.conftest import (
    MONDAY,
    Setup,
    day_of,
    every_day,
    get_hours,
    local,
    spans,
    template,
    utc,
)


def test_assistants_appear_with_their_hours_and_exceptions(
    client: TestClient, setup: Setup, db: Session
) -> None:
    maya = Assistant(clinic_id=setup.world.clinic.id, name="Maya Lee")
    gone = Assistant(clinic_id=setup.world.clinic.id, name="Former", active=False)
    db.add_all([maya, gone])
    db.commit()
    tuesday = MONDAY + timedelta(days=1)
    template(
        client,
        setup,
        workingHours=every_day("assistant", maya.id, ("08:00", "16:00"))
        + every_day("chair", setup.chair1, ("08:00", "18:00")),
        exceptions=[
            {
                "resourceType": "assistant",
                "resourceId": maya.id,
                "date": tuesday.isoformat(),
                "blocks": [{"start": "08:00", "end": "12:00"}],
                "reason": "Dentist",
            }
        ],
        templateSlots=[
            {
                "name": "Adjustments",
                "weekday": 0,
                "start": "08:00",
                "end": "10:00",
                "appointmentTypeIds": [setup.adjust],
            }
        ],
    )
    res = get_hours(client, setup, local(MONDAY, 0), local(tuesday + timedelta(days=1), 0))
    assert res.status_code == 200, res.text
    body = res.json()
    kinds = {r["resourceId"]: r["resourceType"] for r in body["resources"]}
    assert kinds[maya.id] == "assistant"
    assert gone.id not in kinds  # inactive: not bookable, not shown
    assert spans(day_of(body, maya.id, MONDAY)["hours"]) == [(utc(MONDAY, 8), utc(MONDAY, 16))]
    tue = day_of(body, maya.id, tuesday)
    assert spans(tue["hours"]) == [(utc(tuesday, 8), utc(tuesday, 12))]
    assert tue["exception"] == {"reason": "Dentist"}
    # A clinic-wide slot reserves chairs and providers, never an assistant.
    [slot] = body["templateSlots"]
    assert {r["resourceType"] for r in slot["appliesTo"]} == {"chair", "provider"}
