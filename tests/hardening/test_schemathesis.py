"""Schemathesis against the app's own OpenAPI schema, in process (ASGI), with valid tokens:
every operation, every built-in check, a bounded number of examples each. Zero 5xx and zero
schema violations; the number of cases run is printed at the end of the module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
)

from api.config import Settings
from api.main import create_app
from tests.conftest import ClinicWorld

CASES: list[str] = []
# Every other built-in check runs (server errors, status codes, content types, headers, response
# schemas, Allow on 405, missing auth). Left out, on purpose:
# - positive_data_acceptance: it expects 2xx for any schema-valid body, but many 422s here are
#   rules no JSON schema can state (an id that is not in your clinic, overrideReason required
#   when override is true, "to" after "from").
# - negative_data_rejection: pydantic's lax mode accepts `0`/`1` for booleans and a number as a
#   Unix time for datetimes; tightening that is a change to api/schemas.py for every endpoint,
#   reported rather than made here. (Naive datetimes are refused: test_hostile_input.py.)
EXCLUDED: list[Any] = [positive_data_acceptance, negative_data_rejection]


@pytest.fixture(scope="module", autouse=True)
def _report_case_count() -> Iterator[None]:
    yield
    print(f"\nschemathesis: {len(CASES)} cases over {len(set(CASES))} operations")


# The schema is the app's own; each generated case then runs against the test's app, which has
# its own migrated database (SQLite and PostgreSQL) with a clinic and a user of every role.
_schema_app = create_app(Settings(DATABASE_URL="sqlite://", SLOTWISE_JWT_SECRET="schema-only"))
schema = schemathesis.openapi.from_dict(_schema_app.openapi())
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
    case.call_and_validate(
        headers=world.headers(role),
        app=app,
        additional_checks=[ignored_auth],
        excluded_checks=EXCLUDED,
    )
