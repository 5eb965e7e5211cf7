"""Reading FHIR search parameters: date prefixes, references, tokens and paging."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi import Request

from api.errors import InvalidInput
from api.fhir.responses import DEFAULT_COUNT, MAX_COUNT

PREFIXES = ("ge", "gt", "le", "lt", "eq")


@dataclass(frozen=True)
class Range:
    """[lower, upper) as instants; either end may be open."""

    lower: datetime | None = None
    upper: datetime | None = None

    def contains(self, moment: datetime) -> bool:
        return (self.lower is None or moment >= self.lower) and (
            self.upper is None or moment < self.upper
        )


def _parse(name: str, text: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants a FHIR date/dateTime value covers, as [first, after): a date without a time
    is the clinic-local day (23 or 25 hours on a DST change), a dateTime its exact instant."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            first = datetime.combine(day, time(), zone)
            after = datetime.combine(day + timedelta(days=1), time(), zone)
            return first, after
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput(
            name,
            f"'{text}' is not a FHIR date or dateTime; use 2026-03-29 or "
            "2026-03-29T09:00:00Z (with a time zone).",
        ) from exc
    if moment.tzinfo is None:
        raise InvalidInput(name, f"'{text}' has no time zone; add Z or an offset such as +01:00.")
    return moment, moment


def date_range(name: str, values: list[str], zone: ZoneInfo) -> Range:
    """ANDs every `ge`/`gt`/`le`/`lt`/`eq` value into one range. Starts are whole seconds, so
    "after the instant X" is "from X plus a second"."""
    lower: datetime | None = None
    upper: datetime | None = None

    def raise_lower(bound: datetime) -> None:
        nonlocal lower
        lower = bound if lower is None else max(lower, bound)

    def drop_upper(bound: datetime) -> None:
        nonlocal upper
        upper = bound if upper is None else min(upper, bound)

    for raw in values:
        prefix, text = (raw[:2], raw[2:]) if raw[:2] in PREFIXES else ("eq", raw)
        first, after = _parse(name, text, zone)
        if first == after:
            after = first + timedelta(seconds=1)
        if prefix in ("ge", "eq"):
            raise_lower(first)
        if prefix == "gt":
            raise_lower(after)
        if prefix == "lt":
            drop_upper(first)
        if prefix in ("le", "eq"):
            drop_upper(after)
    return Range(lower, upper)


def reference_id(name: str, value: str, resource_type: str) -> str:
    """`Schedule/abc`, a full URL ending in it, or a bare `abc`: the id."""
    head, _, tail = value.rstrip("/").rpartition("/")
    if head and not head.endswith(resource_type):
        raise InvalidInput(name, f"'{value}' is not a {resource_type} reference.")
    return tail or value


@dataclass(frozen=True)
class Paging:
    count: int
    offset: int


def paging(request: Request) -> Paging:
    def number(name: str, default: int, lowest: int, highest: int) -> int:
        raw = request.query_params.get(name)
        if raw is None:
            return default
        if not raw.isdigit() or not lowest <= int(raw) <= highest:
            raise InvalidInput(name, f"{name} must be a whole number from {lowest} to {highest}.")
        return int(raw)

    return Paging(
        count=number("_count", DEFAULT_COUNT, 1, MAX_COUNT),
        offset=number("_offset", 0, 0, 10_000_000),
    )


def all_values(request: Request, name: str) -> list[str]:
    """Repeated parameters AND, comma-separated values OR: here, the flat list of values."""
    return [v for raw in request.query_params.getlist(name) for v in raw.split(",") if v]
