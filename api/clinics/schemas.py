from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo, available_timezones

from pydantic import AfterValidator, EmailStr, Field, HttpUrl, field_validator

from api.schemas import ApiModel, AsJsonInt, InlineText, JsonBool, StrictInput

_ZONES = frozenset(available_timezones())


def _check_zone(value: str) -> str:
    if value not in _ZONES:
        raise ValueError(f"'{value}' is not an IANA time zone name; use one like 'Europe/London'")
    ZoneInfo(value)
    return value


# Slot lengths that divide an hour, so every hour starts on the grid.
GRANULARITIES = [n for n in range(1, 61) if 60 % n == 0]


def _check_granularity(value: int) -> int:
    if 60 % value:
        raise ValueError("slot granularity must divide an hour (1, 5, 10, 15, 20, 30, 60)")
    return value


def _origin(value: HttpUrl) -> str:
    if value.path not in (None, "", "/") or value.query or value.fragment:
        raise ValueError("a website origin is scheme://host[:port], without a path")
    port = f":{value.port}" if value.port and value.port not in (80, 443) else ""
    return f"{value.scheme}://{value.host}{port}"


def _check_origins(values: list[HttpUrl] | None) -> list[HttpUrl] | None:
    # Checked here, so a path is a 422 naming the field rather than an error in the service.
    for value in values or []:
        _origin(value)
    return values


# The policy's numbers, as sent; each is also a ClinicUpdate field.
LeadTime = Annotated[int, Field(ge=0, le=60 * 24 * 60), AsJsonInt]
CancelWindow = Annotated[int, Field(ge=0, le=24 * 30), AsJsonInt]
Granularity = Annotated[
    int,
    Field(ge=1, le=60, json_schema_extra={"enum": GRANULARITIES}),
    AfterValidator(_check_granularity),
    AsJsonInt,
]
Horizon = Annotated[int, Field(ge=1, le=730), AsJsonInt]


class BookingPolicy(ApiModel):
    min_lead_time_minutes: LeadTime = 120
    late_cancel_window_hours: CancelWindow = 24
    late_cancel_fee_amount: Decimal = Field(Decimal("0"), ge=0, max_digits=10, decimal_places=2)
    late_cancel_fee_currency: str = Field("GBP", pattern=r"^[A-Z]{3}$")
    slot_granularity_minutes: Granularity = 5
    max_horizon_days: Horizon = 90


class ClinicFields(StrictInput):
    name: Annotated[str, InlineText] = Field(min_length=1, max_length=200)
    time_zone: str = Field(examples=["Europe/London"])
    website_origins: list[HttpUrl] = Field(default_factory=list, max_length=20)
    active: JsonBool = True

    _zone = field_validator("time_zone")(_check_zone)
    _origins = field_validator("website_origins")(_check_origins)


class FirstAdmin(StrictInput):
    email: EmailStr
    password: str = Field(min_length=10, max_length=200)
    full_name: Annotated[str, InlineText] = Field("", max_length=200)


class ClinicCreate(ClinicFields, BookingPolicy):
    """A new clinic and its first administrator, who signs in to set the clinic up."""

    first_admin: FirstAdmin


class ClinicUpdate(StrictInput):
    """Partial update: only the fields sent change."""

    name: Annotated[str, InlineText] | None = Field(None, min_length=1, max_length=200)
    time_zone: str | None = None
    website_origins: list[HttpUrl] | None = Field(None, max_length=20)
    active: JsonBool | None = None
    min_lead_time_minutes: LeadTime | None = None
    late_cancel_window_hours: CancelWindow | None = None
    late_cancel_fee_amount: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)
    late_cancel_fee_currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    slot_granularity_minutes: Granularity | None = None
    max_horizon_days: Horizon | None = None

    _origins = field_validator("website_origins")(_check_origins)

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, v: str | None) -> str | None:
        return None if v is None else _check_zone(v)


class ClinicRead(BookingPolicy):
    id: str
    name: str
    time_zone: str
    website_origins: list[str]
    active: bool
    created_at: datetime
    updated_at: datetime


def origins_to_strings(origins: list[HttpUrl]) -> list[str]:
    return sorted({_origin(o) for o in origins})
