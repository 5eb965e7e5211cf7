"""The small page a new patient's confirmation link opens: what happened, in plain words.

Server-rendered with every value escaped, no script and no styles of its own, so it works
under any content security policy and with any screen reader.
"""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from api.portal.new_patients import Confirmation, Outcome

HEADINGS = {
    Outcome.CONFIRMED: "Your appointment is confirmed",
    Outcome.ALREADY_CONFIRMED: "Your appointment is confirmed",
    Outcome.REBOOKED: "Your appointment is confirmed",
    Outcome.TAKEN: "That time is no longer available",
    Outcome.CANCELLED: "This booking was cancelled",
    Outcome.FULL: "We could not confirm this booking",
}


def _page(title: str, *paragraphs: str, extra: str = "") -> str:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{html.escape(title)}</title></head>"
        f'<body><main><h1 id="outcome">{html.escape(title)}</h1>{body}{extra}</main></body>'
        "</html>\n"
    )


def _when(start: datetime, zone: str) -> str:
    local = start.astimezone(ZoneInfo(zone))
    return f"{local:%A %d %B %Y} at {local:%H:%M} ({zone})"


def render(done: Confirmation) -> str:
    appt, clinic = done.appointment, done.clinic
    when = _when(appt.start_time, clinic.time_zone)
    if done.stands:
        return _page(
            HEADINGS[done.outcome],
            done.message,
            f"We look forward to seeing you at {clinic.name} on {when}.",
            "As a new patient, the clinic may still contact you to complete your details.",
        )
    extra = ""
    if done.alternatives:
        items = "".join(
            "<li>"
            + html.escape(_when(datetime.fromisoformat(str(a["startTime"])), clinic.time_zone))
            + "</li>"
            for a in done.alternatives
        )
        extra = (
            "<h2>Free times nearby</h2>"
            f"<ul>{items}</ul>"
            "<p>Book one of them on the clinic's website, or call us.</p>"
        )
    return _page(
        HEADINGS[done.outcome],
        f"Your booking for {when} at {clinic.name}: {done.message}",
        extra=extra,
    )


def invalid(detail: str) -> str:
    return _page("This link cannot be used", detail)
