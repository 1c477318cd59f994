"""Sample bookings and feeds shared by the iCalendar unit and integration tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from calendars.ical.models import FeedEvent, InviteEvent

LA = ZoneInfo("America/Los_Angeles")
BERLIN = ZoneInfo("Europe/Berlin")


def invite(**changes: Any) -> InviteEvent:
    """A two-day excavator rental in Los Angeles spanning the 2026 spring-forward weekend."""
    event = InviteEvent(
        uid="booking-42@rentcal.example",
        sequence=0,
        summary="Excavator CAT 305, pickup; bring trailer",
        starts_at=datetime(2026, 3, 7, 9, 0, tzinfo=LA),
        ends_at=datetime(2026, 3, 9, 17, 30, tzinfo=LA),
        timezone="America/Los_Angeles",
        organizer_name="Acme Rentals, Inc.",
        organizer_email="bookings@acme.example",
        attendee_name='Jöhn "JJ" Doe',
        attendee_email="john.doe@example.com",
        dtstamp=datetime(2026, 2, 1, 12, 0, tzinfo=UTC),
        location="Yard 3; Gate B, 100 Industrial Way",
        description="Pickup with ID.\nDeposit: $500 — paid.",
    )
    return replace(event, **changes)


def feed_event(index: int, **changes: Any) -> FeedEvent:
    """Booking ``index``: every 7 hours from 2026-01-01 09:00 Los Angeles, 26 hours long."""
    start = datetime(2026, 1, 1, 9, 0, tzinfo=LA) + timedelta(hours=7 * index)
    event = FeedEvent(
        uid=f"booking-{index}@rentcal.example",
        summary=f"Mini excavator #{index}, pickup",
        starts_at=start,
        ends_at=start + timedelta(hours=26),
        timezone="America/Los_Angeles",
        last_modified=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=index),
        description="Customer: Jane Doe\nPhone: +1 555 0100\nNotes: trailer hitch, deposit paid",
        location="Main yard, 123 Industrial Way, Springfield",
        color="SteelBlue",
        categories=("Excavators", "Heavy, tracked"),
        sequence=index % 3,
    )
    return replace(event, **changes)


def ics(*body_lines: str, calendar_lines: tuple[str, ...] = ()) -> bytes:
    """A VCALENDAR around ``body_lines`` (CRLF line endings, as on the wire)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//Samples//EN", *calendar_lines, *body_lines]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def vevent(uid: str, *lines: str) -> tuple[str, ...]:
    return ("BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260101T000000Z", *lines, "END:VEVENT")


SIMPLE_FEED = ics(
    *vevent("timed@x", "DTSTART:20260310T100000Z", "DTEND:20260310T120000Z", "SUMMARY:Timed"),
    *vevent("allday@x", "DTSTART;VALUE=DATE:20260312", "DTEND;VALUE=DATE:20260314", "SUMMARY:All day"),
    *vevent(
        "weekly@x",
        "DTSTART;TZID=Europe/Berlin:20260302T090000",
        "DTEND;TZID=Europe/Berlin:20260302T100000",
        "RRULE:FREQ=WEEKLY;COUNT=6",
        "EXDATE;TZID=Europe/Berlin:20260316T090000",
        "SUMMARY:Weekly",
    ),
)
