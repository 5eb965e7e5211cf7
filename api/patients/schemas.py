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

from pydantic import AfterValidator, EmailStr, Field, StringConstraints
from pydantic_core import PydanticCustomError

from api.schemas import (
    ApiModel,
    BlankMeansNull,
    InlineText,
    IsoDate,
    JsonBool,
    NotBlank,
    NotNull,
    StrictInput,
    Trim,
)

EARLIEST_BIRTH = date(1900, 1, 1)


PersonName = Annotated[
    str, StringConstraints(min_length=1, max_length=100), Trim, NotBlank, InlineText
]


def _not_before_1900(value: date) -> date:
    if value < EARLIEST_BIRTH:
        raise PydanticCustomError(
            "date_too_early",
            "give a date of birth on or after {earliest}",
            {"earliest": EARLIEST_BIRTH.isoformat()},
        )
    return value


# JSON Schema has no minimum for dates; a year of 1900 or later is a pattern.
BirthDate = Annotated[
    IsoDate,
    AfterValidator(_not_before_1900),
    Field(examples=["1985-04-12"], json_schema_extra={"pattern": r"^(19|[2-9][0-9])[0-9]{2}-"}),
]
# Front-desk forms send "" for an empty input; that means "no email", not an invalid one.
Email = Annotated[EmailStr | None, BlankMeansNull()]
# At least one digit, so "+" or "()" alone is not taken for a number.
# Constraints sit on the inner str: applied to the whole `| None` union they would reject null.
PhoneText = Annotated[
    str, StringConstraints(max_length=40, pattern=r"^[0-9 +()\-]*[0-9][0-9 +()\-]*$"), Trim
]
Phone = Annotated[PhoneText | None, BlankMeansNull()]
ProviderId = Annotated[str | None, BlankMeansNull()]


class PatientCreate(StrictInput):
    first_name: PersonName
    last_name: PersonName
    date_of_birth: BirthDate
    email: Email = None
    phone: Phone = None
    usual_provider_id: ProviderId = None
    provisional: JsonBool = False
    active: JsonBool = True


class PatientUpdate(StrictInput):
    """Partial update: omitted fields are unchanged; null clears email/phone/usualProviderId
    and is refused (422) for the others."""

    first_name: Annotated[PersonName | None, NotNull()] = None
    last_name: Annotated[PersonName | None, NotNull()] = None
    date_of_birth: Annotated[BirthDate | None, NotNull()] = None
    email: Email = None
    phone: Phone = None
    usual_provider_id: ProviderId = None
    provisional: Annotated[JsonBool | None, NotNull()] = None
    active: Annotated[JsonBool | None, NotNull()] = None


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
