"""The .ics file: one VEVENT, UTC times, UID, DTSTAMP, CRLF line endings, folded lines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

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
