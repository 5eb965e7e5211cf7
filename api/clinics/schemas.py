from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, available_timezones

from pydantic import EmailStr, Field, HttpUrl, field_validator

from api.schemas import ApiModel, StrictInput

_ZONES = frozenset(available_timezones())


def _check_zone(value: str) -> str:
    if value not in _ZONES:
        raise ValueError(f"'{value}' is not an IANA time zone name; use one like 'Europe/London'")
    ZoneInfo(value)
    return value


def _check_granularity(value: int) -> int:
    if 60 % value:
        raise ValueError("slot granularity must divide an hour (1, 5, 10, 15, 20, 30, 60)")
    return value


def _origin(value: HttpUrl) -> str:
    if value.path not in (None, "", "/") or value.query or value.fragment:
        raise ValueError("a website origin is scheme://host[:port], without a path")
    port = f":{value.port}" if value.port and value.port not in (80, 443) else ""
    return f"{value.scheme}://{value.host}{port}"


class BookingPolicy(ApiModel):
    min_lead_time_minutes: int = Field(120, ge=0, le=60 * 24 * 60)
    late_cancel_window_hours: int = Field(24, ge=0, le=24 * 30)
    late_cancel_fee_amount: Decimal = Field(Decimal("0"), ge=0, max_digits=10, decimal_places=2)
    late_cancel_fee_currency: str = Field("GBP", pattern=r"^[A-Z]{3}$")
    slot_granularity_minutes: int = Field(5, ge=1, le=60)
    max_horizon_days: int = Field(90, ge=1, le=730)

    _granularity = field_validator("slot_granularity_minutes")(_check_granularity)


class ClinicFields(StrictInput):
    name: str = Field(min_length=1, max_length=200)
    time_zone: str = Field(examples=["Europe/London"])
    website_origins: list[HttpUrl] = Field(default_factory=list, max_length=20)
    active: bool = True

    _zone = field_validator("time_zone")(_check_zone)


class FirstAdmin(StrictInput):
    email: EmailStr
    password: str = Field(min_length=10, max_length=200)
    full_name: str = Field("", max_length=200)


class ClinicCreate(ClinicFields, BookingPolicy):
    """A new clinic and its first administrator, who signs in to set the clinic up."""

    first_admin: FirstAdmin


class ClinicUpdate(StrictInput):
    """Partial update: only the fields sent change."""

    name: str | None = Field(None, min_length=1, max_length=200)
    time_zone: str | None = None
    website_origins: list[HttpUrl] | None = Field(None, max_length=20)
    active: bool | None = None
    min_lead_time_minutes: int | None = Field(None, ge=0, le=60 * 24 * 60)
    late_cancel_window_hours: int | None = Field(None, ge=0, le=24 * 30)
    late_cancel_fee_amount: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)
    late_cancel_fee_currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    slot_granularity_minutes: int | None = Field(None, ge=1, le=60)
    max_horizon_days: int | None = Field(None, ge=1, le=730)

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, v: str | None) -> str | None:
        return None if v is None else _check_zone(v)

    @field_validator("slot_granularity_minutes")
    @classmethod
    def _granularity(cls, v: int | None) -> int | None:
        return None if v is None else _check_granularity(v)


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
