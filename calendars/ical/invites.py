"""iTIP invitations (RFC 5545 + RFC 5546) and "add to calendar" links for one booking."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import quote, urlencode

from icalendar import Alarm, Calendar, Event, vCalAddress, vText

from calendars.ical.models import InviteEvent, InviteMethod
from calendars.ical.text import clean_text, text_value
from calendars.ical.zones import is_utc, load_zone, unambiguous, vtimezone

PRODID = "-//Rentcal//Rentcal Calendar Integration 1.0//EN"
GOOGLE_TEMPLATE_URL = "https://calendar.google.com/calendar/render"
OUTLOOK_COMPOSE_URL = "https://outlook.live.com/calendar/0/deeplink/compose"


def build_invite(event: InviteEvent, method: InviteMethod) -> bytes:
    """Serialise ``event`` as an iTIP ``REQUEST`` or ``CANCEL`` (one VEVENT plus its VTIMEZONE).

    ``REQUEST`` carries the event's STATUS (CONFIRMED or TENTATIVE) and one DISPLAY alarm per
    ``event.alarms`` offset.  ``CANCEL`` keeps the UID, uses the SEQUENCE given (the caller must
    raise it), sets STATUS:CANCELLED and carries no alarms.
    """
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"method must be 'REQUEST' or 'CANCEL', got {method!r}")
    if method == "REQUEST" and event.status == "CANCELLED":
        raise ValueError("a cancelled event is sent with method='CANCEL', not 'REQUEST'")

    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", method)

    zone = load_zone(event.timezone)
    starts_local = event.starts_at.astimezone(zone)
    ends_local = event.ends_at.astimezone(zone)
    if not is_utc(event.timezone):
        calendar.add_component(vtimezone(event.timezone, starts_local.year, ends_local.year))

    vevent = Event()
    vevent.add("UID", event.uid)
    vevent.add("DTSTAMP", event.dtstamp.astimezone(UTC))
    vevent.add("SEQUENCE", event.sequence)
    vevent.add("DTSTART", unambiguous(starts_local))
    vevent.add("DTEND", unambiguous(ends_local))
    vevent.add("SUMMARY", text_value(event.summary))
    vevent.add("ORGANIZER", _address(event.organizer_email, event.organizer_name))
    vevent.add(
        "ATTENDEE",
        _address(
            event.attendee_email,
            event.attendee_name,
            CUTYPE="INDIVIDUAL",
            ROLE="REQ-PARTICIPANT",
            PARTSTAT="NEEDS-ACTION",
            # No inbound address reads iMIP REPLYs, so no reply is asked for: changes go through the company.
            RSVP="FALSE",
        ),
    )
    if event.location:
        vevent.add("LOCATION", text_value(event.location))
    if event.description:
        vevent.add("DESCRIPTION", text_value(event.description))
    if method == "CANCEL":
        vevent.add("STATUS", "CANCELLED")
        vevent.add("TRANSP", "TRANSPARENT")
    else:
        vevent.add("STATUS", event.status)
        vevent.add("TRANSP", "OPAQUE")
        for offset in event.alarms:
            alarm = Alarm()
            alarm.add("ACTION", "DISPLAY")
            alarm.add("TRIGGER", -offset)
            alarm.add("DESCRIPTION", text_value(f"Reminder: {event.summary}"))
            vevent.add_component(alarm)
    calendar.add_component(vevent)
    return bytes(calendar.to_ical())


def _address(email: str, name: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = vText(clean_text(name))
    for key, value in params.items():
        address.params[key] = value
    return address


class LinkableEvent(Protocol):
    """What :func:`calendar_links` needs (``InviteEvent`` and ``FeedEvent`` both qualify)."""

    @property
    def summary(self) -> str: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def timezone(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def location(self) -> str | None: ...


def calendar_links(event: LinkableEvent) -> dict[str, str]:
    """URLs that open a pre-filled "new event" form: ``{"google": ..., "outlook": ...}``.

    Times are given as UTC instants, so the event lands at the right moment whatever zone the
    person's calendar uses; all values are percent-encoded.
    """
    starts_at = event.starts_at.astimezone(UTC)
    ends_at = event.ends_at.astimezone(UTC)
    location = event.location or ""
    google = {
        "action": "TEMPLATE",
        "text": event.summary,
        "dates": f"{starts_at:%Y%m%dT%H%M%SZ}/{ends_at:%Y%m%dT%H%M%SZ}",
        "details": event.description,
        "location": location,
        "ctz": event.timezone,
    }
    outlook = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": event.summary,
        "startdt": f"{starts_at:%Y-%m-%dT%H:%M:%SZ}",
        "enddt": f"{ends_at:%Y-%m-%dT%H:%M:%SZ}",
        "body": event.description,
        "location": location,
    }
    return {
        "google": f"{GOOGLE_TEMPLATE_URL}?{urlencode(google, quote_via=quote, safe='/')}",
        "outlook": f"{OUTLOOK_COMPOSE_URL}?{urlencode(outlook, quote_via=quote, safe='/')}",
    }
