"""The invitation's event stored on a real CalDAV server (Radicale) and read back (RFC 4791)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import quote

import httpx
import pytest
from icalendar import Calendar

from calendars.ical.caldav import to_caldav_object
from calendars.ical.invites import build_invite
from tests.unit.ical.samples import invite

MKCALENDAR_BODY = b"""<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop>
    <D:displayname>Rentcal bookings</D:displayname>
    <C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>
  </D:prop></D:set>
</C:mkcalendar>"""
CALENDAR_TYPE = "text/calendar; charset=utf-8"


@pytest.fixture
def collection(radicale_server: str) -> Iterator[tuple[httpx.Client, str]]:
    with httpx.Client(base_url=radicale_server, auth=("rentcal", "unused"), timeout=10) as client:
        path = f"/rentcal/bookings-{uuid.uuid4().hex}/"
        response = client.request(
            "MKCALENDAR", path, content=MKCALENDAR_BODY, headers={"Content-Type": "application/xml"}
        )
        assert response.status_code == 201, response.text
        yield client, path


def test_to_caldav_object_strips_only_method() -> None:
    ics = build_invite(invite(), "REQUEST")
    stored = Calendar.from_ical(to_caldav_object(ics))
    original = Calendar.from_ical(ics)
    assert "METHOD" in original and "METHOD" not in stored
    assert stored.walk("VEVENT")[0].to_ical() == original.walk("VEVENT")[0].to_ical()
    assert [tz.to_ical() for tz in stored.walk("VTIMEZONE")] == [tz.to_ical() for tz in original.walk("VTIMEZONE")]
    with pytest.raises(ValueError):
        to_caldav_object(b"BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n")


def test_invite_event_survives_a_caldav_round_trip(collection: tuple[httpx.Client, str]) -> None:
    client, path = collection
    source = invite()
    body = to_caldav_object(build_invite(source, "REQUEST"))
    href = f"{path}{quote(source.uid, safe='@')}.ics"

    created = client.put(href, content=body, headers={"Content-Type": CALENDAR_TYPE, "If-None-Match": "*"})
    assert created.status_code == 201, created.text
    etag = created.headers["ETag"]

    fetched = client.get(href)
    assert fetched.status_code == 200
    assert fetched.headers["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(fetched.content)
    assert "METHOD" not in calendar
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == source.uid
    assert int(event["SEQUENCE"]) == 0
    assert event["DTSTART"].dt == source.starts_at
    assert event["DTEND"].dt == source.ends_at
    assert event["DTSTART"].params["TZID"] == "America/Los_Angeles"
    assert str(event["SUMMARY"]) == source.summary
    assert str(event["LOCATION"]) == source.location
    assert str(event["DESCRIPTION"]) == source.description
    assert str(event["ORGANIZER"]) == "mailto:bookings@acme.example"
    assert event["ORGANIZER"].params["CN"] == "Acme Rentals, Inc."
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:john.doe@example.com"
    assert attendee.params["CN"] == 'Jöhn "JJ" Doe'
    assert (attendee.params["ROLE"], attendee.params["PARTSTAT"], attendee.params["RSVP"]) == (
        "REQ-PARTICIPANT",
        "NEEDS-ACTION",
        "FALSE",
    )
    alarms = event.walk("VALARM")
    assert [alarm["TRIGGER"].dt for alarm in alarms] == [timedelta(days=-1), timedelta(hours=-1)]
    assert {str(alarm["ACTION"]) for alarm in alarms} == {"DISPLAY"}
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["America/Los_Angeles"]

    # creating it again must not overwrite it
    again = client.put(href, content=body, headers={"Content-Type": CALENDAR_TYPE, "If-None-Match": "*"})
    assert again.status_code == 412

    # an update guarded by the ETag works, and the higher SEQUENCE is stored
    moved = source.starts_at + timedelta(hours=2)
    update = to_caldav_object(build_invite(invite(sequence=1, starts_at=moved), "REQUEST"))
    updated = client.put(href, content=update, headers={"Content-Type": CALENDAR_TYPE, "If-Match": etag})
    assert updated.status_code in (200, 204), updated.text
    [event] = Calendar.from_ical(client.get(href).content).walk("VEVENT")
    assert int(event["SEQUENCE"]) == 1
    assert event["DTSTART"].dt == moved
    stale = client.put(href, content=update, headers={"Content-Type": CALENDAR_TYPE, "If-Match": etag})
    assert stale.status_code == 412
