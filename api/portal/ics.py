"""One appointment as an iCalendar (RFC 5545) file: a VEVENT in UTC, CRLF lines, folded at 75.

Built with the `icalendar` library rather than by hand: it escapes every text value (commas,
semicolons, backslashes and every line break, a lone CR included, which a hand-written
escape missed and which some readers take as the end of a line, letting text from a name or a
note start a property of its own) and folds long lines without splitting a character.
"""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar, Event


def event(
    *,
    uid: str,
    start: datetime,
    end: datetime,
    summary: str,
    description: str,
    location: str,
    stamp: datetime,
    tentative: bool = False,
) -> str:
    calendar = Calendar()
    calendar.add("prodid", "-//Slotwise//Patient portal//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    vevent = Event()
    vevent.add("uid", uid)
    vevent.add("dtstamp", stamp.astimezone(UTC))
    vevent.add("dtstart", start.astimezone(UTC))
    vevent.add("dtend", end.astimezone(UTC))
    vevent.add("summary", summary)
    vevent.add("description", description)
    vevent.add("location", location)
    vevent.add("status", "TENTATIVE" if tentative else "CONFIRMED")
    calendar.add_component(vevent)
    return calendar.to_ical().decode()
