"""The .ics file: one VEVENT, UTC times, UID, DTSTAMP, CRLF line endings, folded lines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from icalendar import Calendar

from api.portal.ics import event


def test_event_is_valid_icalendar() -> None:
    start = datetime(2026, 3, 29, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    text = event(
        uid="abc@slotwise",
        start=start,
        end=start + timedelta(minutes=45),
        summary="New Patient Consult, with; commas",
        description="A long description " * 10 + "\nsecond line",
        location="Brightside Orthodontics",
        stamp=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
        tentative=True,
    )
    assert text.endswith("\r\n")
    lines = text.split("\r\n")[:-1]
    assert "\n" not in "".join(lines)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert lines.count("BEGIN:VEVENT") == 1 and "VERSION:2.0" in lines
    assert "UID:abc@slotwise" in lines
    assert "DTSTAMP:20260301T120000Z" in lines
    assert "DTSTART:20260329T083000Z" in lines  # 09:30 at +01:00 is 08:30 UTC
    assert "DTEND:20260329T091500Z" in lines
    assert "SUMMARY:New Patient Consult\\, with\\; commas" in lines
    assert "STATUS:TENTATIVE" in lines
    assert all(len(line.encode()) <= 75 for line in lines)
    # Unfolding gives back the escaped description.
    unfolded = text.replace("\r\n ", "")
    assert "DESCRIPTION:" + "A long description " * 10 + "\\nsecond line" in unfolded


def test_every_line_break_in_text_is_escaped_and_reads_back_exactly() -> None:
    # A lone CR (or LF) in a clinic or type name must not end the line: a reader that splits
    # on it would take "ATTENDEE:..." as a property of the event.
    sneaky = "Brightside\rATTENDEE:mailto:x@evil.example\nORGANIZER:y\r\nend, with; \\ back"
    start = datetime(2026, 3, 29, 9, 30, tzinfo=UTC)
    text = event(
        uid="abc@slotwise",
        start=start,
        end=start + timedelta(minutes=30),
        summary=sneaky,
        description=sneaky,
        location=sneaky,
        stamp=start,
    )
    # Every CR in the file is part of a CRLF line ending, and every LF ends a line.
    assert text.count("\r") == text.count("\r\n") == text.count("\n")
    lines = text.replace("\r\n ", "").split("\r\n")
    assert not any(line.startswith(("ATTENDEE", "ORGANIZER")) for line in lines)
    parsed = Calendar.from_ical(text)
    (vevent,) = parsed.walk("VEVENT")
    expected = sneaky.replace("\r\n", "\n").replace("\r", "\n")
    assert [str(vevent[name]) for name in ("SUMMARY", "DESCRIPTION", "LOCATION")] == [expected] * 3
    assert vevent.decoded("DTSTART") == start
