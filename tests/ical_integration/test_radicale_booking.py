"""A real booking's invitation stored on Radicale (CalDAV) keeps its meaning, also after a move."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
from icalendar import Calendar

from calendars.ical import build_invite, to_caldav_object
from calendars.mail.invitations import booking_uid, invite_event
from rental import bookings
from rental.schemas import BookingUpdate
from rentcal.settings import get_settings
from tests.factories import make_product, make_tenant
from tests.ical_integration.helpers import LA, quiet_booking, unique_email

MKCALENDAR = b"""<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop><D:displayname>Customer</D:displayname></D:prop></D:set>
</C:mkcalendar>"""
CALENDAR_TYPE = "text/calendar; charset=utf-8"


def stored_event(body: bytes) -> Any:
    [event] = Calendar.from_ical(body).walk("VEVENT")
    return event


def hours(event: Any) -> float:
    return (event["DTEND"].dt.astimezone(UTC) - event["DTSTART"].dt.astimezone(UTC)) / timedelta(hours=1)


async def test_invite_from_a_booking_survives_radicale(radicale_server: str) -> None:
    tenant = await make_tenant(name="Acme Rentals")
    product, units = await make_product(tenant, units=2, name="Scissor lift 10 m")
    email = unique_email()
    start, end = datetime(2027, 11, 6, 10, tzinfo=LA), datetime(2027, 11, 8, 10, tzinfo=LA)  # fall back inside
    booking = await quiet_booking(tenant, product, units[0], start, end, email=email, name="Jöhn Doe")
    sent = invite_event(booking, tenant, datetime.now(UTC))

    async with httpx.AsyncClient(base_url=radicale_server, auth=("customer", "x"), timeout=10) as client:
        path = f"/customer/{uuid.uuid4().hex}/"
        made = await client.request("MKCALENDAR", path, content=MKCALENDAR, headers={"Content-Type": "application/xml"})
        assert made.status_code == 201, made.text
        href = f"{path}{quote(sent.uid, safe='@')}.ics"
        body = to_caldav_object(build_invite(sent, "REQUEST"))
        created = await client.put(href, content=body, headers={"Content-Type": CALENDAR_TYPE, "If-None-Match": "*"})
        assert created.status_code == 201, created.text

        event = stored_event((await client.get(href)).content)
        assert str(event["UID"]) == booking_uid(booking.id) == sent.uid
        assert int(event["SEQUENCE"]) == 0
        assert event["DTSTART"].dt == start and event["DTEND"].dt == end
        assert hours(event) == 49  # a 25-hour day inside
        assert str(event["SUMMARY"]) == "Scissor lift 10 m rental · Acme Rentals"
        assert str(event["ORGANIZER"]) == f"mailto:{get_settings().mail_from}"
        assert str(event["ATTENDEE"]) == f"mailto:{email}" and event["ATTENDEE"].params["CN"] == "Jöhn Doe"
        assert str(event["LOCATION"]) == booking.pickup_location
        assert str(event["DESCRIPTION"]) == sent.description
        assert sorted(a["TRIGGER"].dt for a in event.walk("VALARM")) == [timedelta(days=-1), timedelta(hours=-1)]

        moved = await bookings.update_booking(
            tenant, booking.id, BookingUpdate(starts_at=start + timedelta(days=1), ends_at=end + timedelta(days=1))
        )
        update = to_caldav_object(build_invite(invite_event(moved, tenant, datetime.now(UTC)), "REQUEST"))
        put = await client.put(
            href, content=update, headers={"Content-Type": CALENDAR_TYPE, "If-Match": created.headers["ETag"]}
        )
        assert put.status_code in (200, 201, 204), put.text
        event = stored_event((await client.get(href)).content)
        assert int(event["SEQUENCE"]) == moved.sequence == 1
        assert event["DTSTART"].dt == start + timedelta(days=1)
        assert hours(event) == 48
