"""The repeated hour (RFC 5545 3.3.5): a time in its second pass must denote that instant.

A ``TZID`` value in the repeated hour means its *first* pass, so feeds, invitations and CalDAV
storage objects write such a time as UTC.  Each output is read back by icalendar and by ``ics``
(an independent parser with its own VTIMEZONE handling through dateutil), in several zones
including Lord Howe (a 30-minute change) and Chatham (+12:45/+13:45).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import ics
import pytest
from icalendar import Calendar

from calendars.ical.feeds import render_feed
from calendars.ical.invites import build_invite
from calendars.ical.vevent import StorageEvent, build_storage_object
from tests.unit.ical.samples import feed_event, invite

ZONES = [
    "America/Los_Angeles",
    "Europe/Berlin",
    "Europe/London",
    "America/Santiago",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "America/St_Johns",
]
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def fall_back(zone: str, year: int = 2030) -> tuple[datetime, timedelta]:
    """The instant (UTC) the clocks go back in ``year``, and by how much."""
    tz = ZoneInfo(zone)
    at = datetime(year, 1, 1, tzinfo=UTC)
    while at.year == year:
        before, after = (at - timedelta(minutes=15)).astimezone(tz), at.astimezone(tz)
        shift = before.utcoffset() - after.utcoffset()  # type: ignore[operator]
        if shift > timedelta(0):
            return at, shift
        at += timedelta(minutes=15)
    raise AssertionError(f"{zone} has no fall-back in {year}")


def windows(zone: str) -> list[tuple[datetime, datetime]]:
    """Windows starting, ending, or both, in the second pass of the repeated period."""
    change, shift = fall_back(zone)
    inside = change + shift / 3  # in the second pass
    assert inside.astimezone(ZoneInfo(zone)).fold == 1
    return [
        (inside, inside + timedelta(hours=2)),  # starts in the second pass
        (change - timedelta(hours=2), inside),  # ends in it
        (inside, inside + shift / 3),  # both
    ]


def feed_ics(zone: str, start: datetime, end: datetime) -> bytes:
    return render_feed("Repeated hour", zone, [feed_event(0, starts_at=start, ends_at=end, timezone=zone)])


def invite_ics(zone: str, start: datetime, end: datetime) -> bytes:
    return build_invite(invite(starts_at=start, ends_at=end, timezone=zone), "REQUEST")


def storage_ics(zone: str, start: datetime, end: datetime) -> bytes:
    event = StorageEvent(key="booking:1", summary="Excavator", starts_at=start, ends_at=end, timezone=zone)
    return build_storage_object(event, now=NOW)


WRITERS: dict[str, Callable[[str, datetime, datetime], bytes]] = {
    "feed": feed_ics,
    "invitation": invite_ics,
    "caldav": storage_ics,
}


def read_with_icalendar(body: bytes) -> tuple[datetime, datetime]:
    event = Calendar.from_ical(body).walk("VEVENT")[0]
    return event["DTSTART"].dt.astimezone(UTC), event["DTEND"].dt.astimezone(UTC)


def read_with_ics(body: bytes) -> tuple[datetime, datetime]:
    (event,) = ics.Calendar(body.decode("utf-8")).events
    return event.begin.datetime.astimezone(UTC), event.end.datetime.astimezone(UTC)


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("writer", list(WRITERS))
def test_second_pass_times_denote_the_right_instant(writer: str, zone: str) -> None:
    for start, end in windows(zone):
        body = WRITERS[writer](zone, start, end)
        assert read_with_icalendar(body) == (start, end), (writer, zone, start)
        assert read_with_ics(body) == (start, end), (writer, zone, start)


@pytest.mark.parametrize("writer", list(WRITERS))
def test_first_pass_and_ordinary_times_keep_their_tzid(writer: str) -> None:
    zone = "Europe/Berlin"
    change, _ = fall_back(zone)
    first_pass = change - timedelta(minutes=30)
    body = WRITERS[writer](zone, first_pass, first_pass + timedelta(hours=3))
    assert b"DTSTART;TZID=Europe/Berlin:20301027T023000" in body
    assert read_with_icalendar(body)[0] == read_with_ics(body)[0] == first_pass
