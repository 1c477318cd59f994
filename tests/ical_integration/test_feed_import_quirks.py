"""Issue 10: a real-world feed with quirks and one broken event is imported; the skipped event is reported."""

from __future__ import annotations

from datetime import datetime
from html import unescape

from calendars.feeds import imports
from rental.tables import AvailabilityBlock
from tests.factories import make_staff, make_tenant
from tests.ical_integration.helpers import LA
from tests.ical_integration.test_feed_import import FeedServer, member, server  # noqa: F401
from tests.security.conftest import portal_client

QUIRKY = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r
BEGIN:VEVENT\r
UID:standup@exchange.test\r
DTSTAMP:20260101T000000Z\r
DTSTART;TZID=America/Los_Angeles:20261207T090000\r
DTEND;TZID=America/Los_Angeles:20261207T100000\r
RRULE:FREQ=WEEKLY;UNTIL=20261212T000000Z;BYDAY=MO, TU, WE\r
SUMMARY:Stand-up\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:holiday@google.test\r
DTSTAMP:20260101T000000Z\r
DTSTART;VALUE=DATE:20261224\r
DTEND;VALUE=DATE:20261225\r
EXDATE;VALUE=DATE:\r
SUMMARY:Christmas Eve\r
END:VEVENT\r
BEGIN:VEVENT\r
DTSTAMP:20260101T000000Z\r
DTSTART;TZID=America/Los_Angeles:20261214T130000\r
DTEND;TZID=America/Los_Angeles:20261214T140000\r
SUMMARY:No UID here\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:broken@google.test\r
DTSTAMP:20260101T000000Z\r
DTSTART;TZID=America/Los_Angeles:20261215T130000\r
DTEND;TZID=America/Los_Angeles:20261214T130000\r
SUMMARY:Backwards <meeting>\r
END:VEVENT\r
END:VCALENDAR\r
Served by CalendarHost 3.1\r
"""


async def test_quirky_feed_is_imported_and_the_broken_event_skipped(server: FeedServer) -> None:  # noqa: F811
    tenant = await make_tenant()
    manager = await member(tenant, "manager")
    url = server.serve("/quirky.ics", QUIRKY)
    added = await imports.add_import(tenant, manager, "Office", url, personal=False)
    view = await imports.refresh_for(tenant, manager, added.id)
    assert view.last_error == ""
    assert view.event_count == 5  # three stand-ups, Christmas Eve, the event without UID
    assert [(s.event, s.reason) for s in view.skipped] == [
        ("'Backwards <meeting>' (15 Dec 2026)", "it ends before it starts")
    ]
    rows = (
        await AvailabilityBlock.select()
        .where(AvailabilityBlock.source == f"feed:{added.id}")
        .order_by(AvailabilityBlock.blocked_from)
    )
    assert [(r["blocked_from"].astimezone(LA), r["all_day"]) for r in rows] == [
        (datetime(2026, 12, 7, 9, tzinfo=LA), False),
        (datetime(2026, 12, 8, 9, tzinfo=LA), False),
        (datetime(2026, 12, 9, 9, tzinfo=LA), False),
        (datetime(2026, 12, 14, 13, tzinfo=LA), False),
        (datetime(2026, 12, 24, tzinfo=LA), True),
    ]

    fixed_feed = QUIRKY.replace(b"20261214T130000\r\nSUMMARY:Back", b"20261215T140000\r\nSUMMARY:Back")
    server.serve("/quirky.ics", fixed_feed)
    fixed = await imports.refresh_for(tenant, manager, added.id)
    assert fixed.skipped == [] and fixed.event_count == 6


async def test_the_feeds_page_lists_the_skipped_events(server: FeedServer, live_server: str) -> None:  # noqa: F811
    tenant = await make_tenant()
    manager = await member(tenant, "manager")
    added = await imports.add_import(tenant, manager, "Office", server.serve("/quirky-page.ics", QUIRKY), False)
    await imports.refresh_for(tenant, manager, added.id)
    _, email = await make_staff(tenant, "manager")
    async with portal_client(live_server, email) as client:
        page = await client.get("/portal/feeds")
    assert page.status_code == 200
    text = unescape(page.text)
    assert "1 event skipped" in text
    assert "'Backwards <meeting>' (15 Dec 2026): it ends before it starts" in text
    assert "<meeting>" not in page.text  # escaped, not markup
