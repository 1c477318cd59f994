"""Turning iTIP messages into CalDAV calendar object resources (RFC 4791)."""

from __future__ import annotations

from icalendar import Calendar


def to_caldav_object(ics: bytes) -> bytes:
    """The calendar object resource for an iTIP message: the same VCALENDAR without METHOD.

    RFC 4791 section 4.1: calendar object resources MUST NOT specify the METHOD property.
    Everything else (VTIMEZONE, VEVENT with ORGANIZER/ATTENDEE, VALARMs) is kept.  Raises
    ``ValueError`` if ``ics`` is not a single VCALENDAR.
    """
    calendar = Calendar.from_ical(ics)
    if not isinstance(calendar, Calendar) or calendar.name != "VCALENDAR":
        raise ValueError("expected a VCALENDAR")
    calendar.pop("METHOD", None)
    return bytes(calendar.to_ical())
