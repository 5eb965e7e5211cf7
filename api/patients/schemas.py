"""Patient bodies.

PUT is a partial update: only the fields sent change. Sending null (or "") clears an optional
field (email, phone, usualProviderId); null for a field that always has a value (names, date of
birth, flags) is a 422 rather than being ignored, so a client bug never looks like a save.

"Not in the future" for the date of birth depends on the clinic's time zone, so the service
checks it; the schema checks only the fixed lower bound.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BeforeValidator, EmailStr, Field, StringConstraints, field_validator

from api.schemas import ApiModel, StrictInput

EARLIEST_BIRTH = date(1900, 1, 1)


def _blank_to_none(value: object) -> object:
    # Front-desk forms send "" for an empty input; that means "no email", not an invalid one.
    if isinstance(value, str) and not value.strip():
        return None
    return value


PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
BirthDate = Annotated[date, Field(ge=EARLIEST_BIRTH, examples=["1985-04-12"])]
Email = Annotated[EmailStr | None, BeforeValidator(_blank_to_none)]
# At least one digit, so "+" or "()" alone is not taken for a number.
# Constraints sit on the inner str: applied to the whole `| None` union they would reject null.
PhoneText = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=40, pattern=r"^[0-9 +()\-]*[0-9][0-9 +()\-]*$"
    ),
]
Phone = Annotated[PhoneText | None, BeforeValidator(_blank_to_none)]
ProviderId = Annotated[str | None, BeforeValidator(_blank_to_none)]


class PatientCreate(StrictInput):
    first_name: PersonName
    last_name: PersonName
    date_of_birth: BirthDate
    email: Email = None
    phone: Phone = None
    usual_provider_id: ProviderId = None
    provisional: bool = False
    active: bool = True


class PatientUpdate(StrictInput):
    """Partial update: omitted fields are unchanged; null clears email/phone/usualProviderId
    and is refused (422) for the others."""

    first_name: PersonName | None = None
    last_name: PersonName | None = None
    date_of_birth: BirthDate | None = None
    email: Email = None
    phone: Phone = None
    usual_provider_id: ProviderId = None
    provisional: bool | None = None
    active: bool | None = None

    @field_validator("first_name", "last_name", "date_of_birth", "provisional", "active")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Only runs for values actually sent, so None here means an explicit null.
        if value is None:
            raise ValueError("cannot be null; omit the field to leave it unchanged")
        return value


class PatientRead(ApiModel):
    id: str
    clinic_id: str
    first_name: str
    last_name: str
    date_of_birth: date
    email: str | None
    phone: str | None
    usual_provider_id: str | None
    provisional: bool
    active: bool
    created_at: datetime
    updated_at: datetime
