"""Schemathesis against the app's own OpenAPI schema, in process (ASGI), with valid tokens:
every operation, every built-in check, a bounded number of examples each. Zero 5xx, zero
schema violations, schema-invalid input refused and schema-valid input accepted; the number
of cases run is printed at the end of the module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import ignored_auth
from sqlalchemy import update

from api.config import Settings
from api.main import create_app
from api.models import User
from tests.conftest import ClinicWorld

CASES: list[str] = []

# Every built-in check runs, plus ignored_auth. Two of them judge a request by its status:
# - negative_data_rejection (schema-invalid input must be refused) with schemathesis' defaults:
#   400, 401, 403, 404, 405, 406, 409, 415, 422, 428, 429 (and 5xx, which not_a_server_error
#   fails on its own).
# - positive_data_acceptance (schema-valid input must be accepted): besides 2xx, a schema-valid
#   request may get the refusals docs/api.md "Errors" lists for rules no JSON schema can state:
#   401/403 (the role), 404 (an id that is not in your clinic), 409 (a time conflict), 412/428
#   (If-Match), 429 (rate limits); 5xx is again not_a_server_error's to fail. 422 only on the
#   operations below, whose input names other records by id or carries rules on times and
#   field combinations. Anywhere else a 422 for schema-valid input means the schema states less
#   than the validation checks, and the check fails. Allowed everywhere, 422 would leave the
#   check nothing to catch: every input error is a 422.
BUSINESS_RULE_STATUSES = ["2xx", "401", "403", "404", "409", "412", "428", "429", "5xx"]
# Operation -> the rules (beyond the schema) that make a schema-valid request a 422.
RULES_BEYOND_THE_SCHEMA = {
    "GET /api/booking/availability": "type, resource and patient ids; from before to; "
    "minGap <= maxGap; durations within each type's bounds; at most 50 suggestions",
    "POST /api/booking/appointments": "ids; a start on the grid, in hours, after the lead time; "
    "overrideReason when overriding; endTime = startTime + duration; fields or parts; "
    "providerId unless the type needs none; a duration that keeps the type's provider time; "
    "assistantId only on a type that needs one, of its qualified assistants",
    "PUT /api/booking/appointments/{appointment_id}": "ids; duration bounds; overrideReason; "
    "timePattern: D or A, one per 5 minutes of the duration",
    "POST /api/booking/appointments/{appointment_id}/reschedule": "ids; times; overrideReason",
    "POST /api/booking/appointments/{appointment_id}/duplicate": "ids; times; overrideReason",
    "POST /api/clinics": "IANA time zone names; website origins without a path",
    "PUT /api/clinics/{clinic_id}": "IANA time zone names; website origins without a path",
    "POST /api/patients": "a date of birth not in the future (the clinic's today); provider id",
    "PUT /api/patients/{patient_id}": "a date of birth not in the future; provider id",
    "POST /api/appointment-types": "provider and assistant ids; min <= default <= max duration; "
    "timePattern: D or A, one per 5 minutes of defaultDuration",
    "PUT /api/appointment-types/{type_id}": "provider and assistant ids; min <= default <= max "
    "duration; timePattern: D or A, one per 5 minutes of defaultDuration",
    "POST /api/schedule-templates": "resource and type ids; start before end; no overlaps",
    "PUT /api/schedule-templates/{template_id}": "resource and type ids; start before end",
    "POST /api/treatment-plans": "patient and appointment type ids",
    "PUT /api/treatment-plans/{plan_id}": "appointment type ids; procedure ids of this plan",
    "GET /api/patient-portal/available-slots": "an online-bookable type id; the window",
    "POST /api/patient-portal/holds": "ids; a time the widget listed",
    "POST /api/patient-portal/book": "ids; a time the widget listed",
    "POST /api/patient-portal/new-patient-bookings": "ids; a listed time; a past birth date",
    "POST /api/patient-portal/appointments/{appointment_id}/reschedule": "ids; a listed time",
    "POST /api/patient-portal/new-patient-bookings/confirm": "a token we signed and emailed",
    "GET /api/schedule/hours": "resource ids; from before to; a window of at most 42 days",
    "PUT /api/users/{user_id}": "a provider id of this clinic for (only) the provider role",
    "POST /api/booking/waitlist": "patient, type, provider and appointment ids; duration bounds; "
    "a type or parts; the booking replaced is this patient's and upcoming",
    "PUT /api/booking/waitlist/{entry_id}": "type, provider and appointment ids; durations",
    "GET /api/booking/waitlist/matches": "appointment, chair and provider ids; appointmentId "
    "or start and end; end after start, at most a day",
    "POST /api/booking/waitlist/offers": "the freed time as for matches; entry ids that fit",
    "POST /api/booking/waitlist/{entry_id}/book": "the entry's parts; ids; times",
    "GET /api/patient-portal/waitlist-offer": "a token we signed and emailed",
    "POST /api/patient-portal/waitlist-offer/accept": "a token we signed and emailed",
    "POST /api/patient-portal/waitlist-offer/decline": "a token we signed and emailed",
    "POST /api/patient-portal/waitlist": "one of your own upcoming bookings",
}
CONFIG = SchemathesisConfig.from_dict(
    {
        # The app runs in process: the check is conformance, not speed, and on a shared 2-core
        # machine a request can wait seconds for CPU. The 10 s default turned load into failures.
        "request-timeout": 120,
        "checks": {"positive_data_acceptance": {"expected-statuses": BUSINESS_RULE_STATUSES}},
        "operations": [
            {
                "include-name": sorted(RULES_BEYOND_THE_SCHEMA),
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": [*BUSINESS_RULE_STATUSES, "422"]
                    }
                },
            }
        ],
    }
)


@pytest.fixture(scope="module", autouse=True)
def _report_case_count() -> Iterator[None]:
    yield
    print(f"\nschemathesis: {len(CASES)} cases over {len(set(CASES))} operations")


# The schema is the app's own; each generated case then runs against the test's app, which has
# its own migrated database (SQLite and PostgreSQL) with a clinic and a user of every role.
_schema_app = create_app(Settings(DATABASE_URL="sqlite://", SLOTWISE_JWT_SECRET="schema-only"))
schema = schemathesis.openapi.from_dict(_schema_app.openapi(), config=CONFIG)
_schema_app.state.db.dispose()


@schema.parametrize()
@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_schema(
    case: schemathesis.Case, app: FastAPI, world: ClinicWorld
) -> None:
    CASES.append(case.operation.label)
    role = "patient" if case.path.startswith("/api/patient-portal/") else "admin"
    if case.operation.label == "POST /api/clinics":
        # Opening clinics is the platform operator's: without the mark every case is a 403
        # and the operation's own validation is never reached.
        with app.state.db.write() as session:
            session.execute(
                update(User)
                .where(User.id == world.users["admin"].id)
                .values(platform_operator=True)
            )
            session.commit()
    case.call_and_validate(
        headers=world.headers(role),
        app=app,
        additional_checks=[ignored_auth],
    )


def test_each_operation_allowed_a_422_exists() -> None:
    # An include-name that matches nothing would silently leave that operation strict.
    labels = {operation.label for operation in _operations()}
    assert sorted(set(RULES_BEYOND_THE_SCHEMA) - labels) == []
    for operation in _operations():
        expected = schema.config.checks_config_for(operation=operation)
        statuses = expected.positive_data_acceptance.expected_statuses
        assert ("422" in statuses) == (operation.label in RULES_BEYOND_THE_SCHEMA), operation.label


def _operations() -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]
