"""Edge cases of reading a feed: each unusable event is skipped with a reason a person can act on,
each unusable feed is refused as a whole, and RFC 5545's defaults for a missing end are applied."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from calendars.ical.imports import read_feed
from calendars.ical.models import FeedError, FeedReading
from tests.unit.ical.samples import ics, vevent

MARCH = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
BERLIN_MIDNIGHT_2 = datetime(2026, 3, 1, 23, tzinfo=UTC)  # 2 March 00:00 in Berlin


def read(data: Any, **limits: int) -> FeedReading:
    return read_feed(data, *MARCH, default_tz="Europe/Berlin", **limits)


def one(*lines: str) -> bytes:
    return ics(*vevent("a@x", *lines))


def zone_with(*rule_lines: str) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", "BEGIN:VTIMEZONE", "TZID:Custom/Zone"]
    lines += ["BEGIN:STANDARD", *rule_lines, "TZOFFSETFROM:+0100", "TZOFFSETTO:+0100", "END:STANDARD"]
    lines += ["END:VTIMEZONE", "END:VCALENDAR", ""]
    return "\r\n".join(lines).encode()


@pytest.mark.parametrize(
    ("lines", "limits", "reason"),
    [
        (("DTSTART:20260302T090000Z", "DURATION:PT1H", "RRULE:FREQ=FORTNIGHTLY"), {}, "RRULE is not valid"),
        (("DTSTART:20260302T090000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY;INTERVAL=0"), {}, "invalid INTERVAL 0"),
        (("DTSTART:20200302T090000Z", "DURATION:PT1S", "RRULE:FREQ=SECONDLY"), {}, "repeats too often to expand"),
        (
            ("DTSTART:20260302T090000Z", "DURATION:PT1M", "RRULE:FREQ=MINUTELY;BYSECOND=1,2,3"),
            {"max_events": 50},
            "more than the limit of 50",
        ),
        (("DTSTART;VALUE=DATE:20260302", "DTEND:20260303T100000Z"), {}, "mixes a date and a date-time"),
        (("DTSTART:20260302T100000Z", "DTEND:20260302T090000Z"), {}, "ends before it starts"),
        (("DTSTART:20260302T100000Z", "DURATION:-PT1H"), {}, "negative duration"),
        (("SUMMARY:Lunch",), {}, "no start (DTSTART)"),
    ],
)
def test_an_unusable_event_is_skipped_with_its_reason(
    lines: tuple[str, ...], limits: dict[str, int], reason: str
) -> None:
    reading = read(one(*lines), **limits)
    assert reading.events == []
    assert len(reading.skipped) == 1 and reason in reading.skipped[0].reason


@pytest.mark.parametrize(
    ("data", "limits", "message"),
    [
        (b"   ", {}, "The feed is empty."),
        (b"x" * 200, {"max_bytes": 100}, "more than the limit of 100 bytes"),
        ("BEGIN:VCALENDAR", {}, "must be bytes, got str"),
        (zone_with("DTSTART:19700101T000000", "RRULE:FREQ=SECONDLY"), {}, "time-zone rules must be small yearly"),
        (zone_with("DTSTART:19700101T000000", "RRULE:FREQ=YEARLY;BYMONTH=abc"), {}, "has an invalid RRULE"),
        (zone_with("DTSTART:notadate"), {}, "not valid iCalendar"),
        (
            ics(*(line for uid in "abc" for line in vevent(f"{uid}@x", "DTSTART:20260302T100000Z"))),
            {"max_events": 2},
            "3 events, more than the limit of 2",
        ),
    ],
)
def test_an_unusable_feed_is_refused_as_a_whole(data: Any, limits: dict[str, int], message: str) -> None:
    with pytest.raises(FeedError) as refused:
        read(data, **limits)
    assert message in refused.value.message


def test_missing_ends_follow_rfc_5545() -> None:
    all_day = read(one("DTSTART;VALUE=DATE:20260302")).events
    assert [(e.starts_at, e.ends_at, e.all_day) for e in all_day] == [
        (BERLIN_MIDNIGHT_2, datetime(2026, 3, 2, 23, tzinfo=UTC), True)
    ]
    two_days = read(one("DTSTART;VALUE=DATE:20260302", "DURATION:P2D")).events
    assert [e.ends_at for e in two_days] == [datetime(2026, 3, 3, 23, tzinfo=UTC)]
    # DTEND equal to DTSTART on dates: read as the usual one day, as calendar clients show it
    same_day = read(one("DTSTART;VALUE=DATE:20260302", "DTEND;VALUE=DATE:20260302")).events
    assert [(e.starts_at, e.ends_at) for e in same_day] == [(BERLIN_MIDNIGHT_2, datetime(2026, 3, 2, 23, tzinfo=UTC))]
    instant = read(one("DTSTART:20260302T100000Z")).events
    assert [(e.starts_at, e.ends_at) for e in instant] == [(datetime(2026, 3, 2, 10, tzinfo=UTC),) * 2]


def test_free_cancelled_ended_and_non_event_items_are_not_busy_and_the_highest_sequence_wins() -> None:
    assert read(one("DTSTART:20260302T100000Z", "DTEND:20260302T110000Z", "STATUS:CANCELLED")).events == []
    assert read(one("DTSTART:20260302T100000Z", "DTEND:20260302T110000Z", "TRANSP:TRANSPARENT")).events == []
    ended = read(one("DTSTART:20260302T090000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY;UNTIL=20250101T000000Z"))
    assert ended.events == [] and ended.skipped == []
    todo = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTODO\r\nUID:t\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
    assert read(todo).events == []
    versions = ics(
        *vevent("a@x", "DTSTART:20260302T100000Z", "DTEND:20260302T110000Z", "SEQUENCE:2"),
        *vevent("a@x", "DTSTART:20260303T100000Z", "DTEND:20260303T110000Z", "SEQUENCE:1"),
    )
    assert [e.starts_at for e in read(versions).events] == [datetime(2026, 3, 2, 10, tzinfo=UTC)]
