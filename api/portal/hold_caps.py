"""What one caller may hold: the caps that keep guests from blocking a clinic's day with holds.

A hold makes a time busy for everyone else for a few minutes, and anyone can open a guest
session, so without caps 22 sessions emptied two doctors' day in under a second. Three caps,
all kept in the `slot_holds` rows themselves (shared by every worker, atomic with the hold,
because hold placement is serialised per clinic by `holds.lock_clinic`):

- **a clinic's day**: guests together may reserve at most `guestSharePercent` (10 %) of a
  clinic-local day's provider working time at once, in holds and in new patients' bookings not
  yet confirmed by email (at least one a day, so a short day still takes online bookings);
- **a network**: at most `GUEST_HOLDS_PER_NETWORK` guest holds at once per caller network (an
  IPv4 address, an IPv6 /64: `api.core.network`);
- **renewals**: one owner, or a guest's network, keeps the same time at most
  `1 + HOLD_RENEWALS` hold lengths in all (15 minutes by default), however often it is chosen
  again; then it is free for others, and a booking is the way to keep it.

Signed-in patients are capped by their account (one hold, `maxActiveOnlineBookings`), so only
the renewal cap applies to them. Staff book over guest holds (`checks.Context.over_guest_holds`).
The reasoning and the bound are in docs/security-holds.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from api.booking.checks import PlannedPart
from api.booking.clinic_config import clinic_config
from api.core.ratelimit import RateLimited
from api.errors import Conflict
from api.models import Clinic
from api.portal import repository
from api.portal.identity import PortalCaller
from api.portal.offer import portal_settings
from solver.problem import WeeklyHours
from solver.schedule import resource_days

# The default of the clinic's `guestSharePercent` portal setting.
GUEST_HOLD_SHARE = 0.10
GUEST_HOLDS_PER_NETWORK = 2
HOLD_RENEWALS = 2


class DayHoldsFull(Conflict):
    slug = "holds-full"
    title = "Too many times held online for this day"

    def __init__(self, detail: str, retry_after: float) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__(detail, retryAfter=seconds, alternatives=[])
        self.headers = {"Retry-After": str(seconds)}


class HoldTooLong(Conflict):
    slug = "hold-too-long"
    title = "This time has been held as long as it can be"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, alternatives=[])


@dataclass(frozen=True)
class HoldRequest:
    """One caller asking, at `now` and from `network`, to hold the time of one planned part."""

    clinic: Clinic
    caller: PortalCaller
    network: str
    part: PlannedPart
    now: datetime


@dataclass(frozen=True)
class HoldSpan:
    held_since: datetime
    expires_at: datetime


def _minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60


def local_day(clinic: Clinic, instant: datetime) -> tuple[datetime, datetime]:
    """The clinic-local day an instant falls on, as [start, end) in UTC."""
    zone = ZoneInfo(clinic.time_zone)
    day = instant.astimezone(zone).date()
    start = datetime.combine(day, time(0), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
    return start, end


def provider_minutes(session: Session, clinic: Clinic, instant: datetime) -> float:
    """The clinic's provider working time on the local day of `instant`, as the engine books it."""
    config = clinic_config(session, clinic.id)
    day = instant.astimezone(ZoneInfo(clinic.time_zone)).date()
    empty = WeeklyHours()
    total = 0.0
    for provider in config.providers:
        hours = config.hours.get(("provider", provider.id), empty)
        for resource_day in resource_days(hours, clinic.time_zone, [day]):
            total += sum(_minutes(span.end - span.start) for span in resource_day.hours)
    return total


def check_guest_caps(session: Session, ask: HoldRequest) -> None:
    """429 over the network's cap, 409 over the day's share; nothing for signed-in patients."""
    clinic, caller, network, part, now = ask.clinic, ask.caller, ask.network, ask.part, ask.now
    if not caller.is_guest:
        return
    # Every other guest's unexpired hold from here; the caller's own is about to be replaced.
    from_network = repository.network_hold_expiries(session, clinic.id, caller.owner, network, now)
    if len(from_network) >= GUEST_HOLDS_PER_NETWORK:
        retry = (min(from_network) - now).total_seconds()
        raise RateLimited(
            f"Your network already holds {len(from_network)} times at this clinic, the most "
            f"it may hold at once ({GUEST_HOLDS_PER_NETWORK}); book one of them, or choose "
            f"again in {max(1, math.ceil(retry))} seconds.",
            retry,
            rule="guest-holds-per-network",
        )
    occupied_start, occupied_end = part.occupied
    check_day_share(session, clinic, caller, part.start, occupied_end - occupied_start, now)


def check_day_share(
    session: Session,
    clinic: Clinic,
    caller: PortalCaller,
    start: datetime,
    wanted: timedelta,
    now: datetime,
) -> None:
    """409 when this guest reservation would take guests past their share of the day.

    Guests reserve time in two ways, and both count against one budget: holds, and new
    patients' bookings that still wait for email confirmation (they hold their time for the
    provisional window only, api/models/email_confirmation.py). The caller's own hold is left
    out: their booking replaces it.
    """
    day_start, day_end = local_day(clinic, start)
    reserved = repository.guest_reservations(
        session, clinic.id, caller.owner, day_start, day_end, now
    )
    if not reserved:
        return  # one guest reservation a day always fits, however short the day
    capacity = provider_minutes(session, clinic, start)
    taken = sum(_minutes(r.occupied_end - r.occupied_start) for r in reserved)
    share = portal_settings(session, clinic.id).guest_share_percent / 100
    if taken + _minutes(wanted) > share * capacity:
        retry = (min(r.until for r in reserved) - now).total_seconds()
        local = start.astimezone(ZoneInfo(clinic.time_zone))
        raise DayHoldsFull(
            f"Many people are choosing times on {local:%A %d %B} online right now; choose "
            f"another day, try this one again in {max(1, math.ceil(retry / 60))} minutes, or "
            "call us.",
            retry,
        )


def hold_span(session: Session, ask: HoldRequest, hold_minutes: int) -> HoldSpan:
    """How long this hold lasts: a renewal keeps counting from when the time was first held."""
    clinic, caller, network, part, now = ask.clinic, ask.caller, ask.network, ask.part, ask.now
    length = timedelta(minutes=hold_minutes)
    # A fresh guest session from the same network is the same holder.
    same_holder = repository.holder(caller.owner, network if caller.is_guest else None)
    since = repository.first_held_since(
        session,
        clinic.id,
        part.start,
        part.provider_id,
        same_holder,
        # A time let go for a whole hold length starts afresh.
        now - length,
    )
    held_since = since or now
    latest = held_since + length * (1 + HOLD_RENEWALS)
    if latest <= now:
        raise HoldTooLong(
            f"This time has been held for you for {_minutes(latest - held_since):g} minutes, "
            "as long as we keep a time for one person; book it now if it is still free, or "
            "choose another time."
        )
    return HoldSpan(held_since=held_since, expires_at=min(now + length, latest))
