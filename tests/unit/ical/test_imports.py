"""Reading external feeds: expansion, time handling, and refusing malformed input."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from calendars.ical.imports import parse_feed, read_feed
from calendars.ical.models import FeedError, ImportedEvent
from tests.unit.ical.samples import BERLIN, LA, SIMPLE_FEED, ics, vevent

MARCH = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC))


def read(
    data: bytes, window: tuple[datetime, datetime] = MARCH, tz: str = "Europe/Berlin", **kw: int
) -> list[ImportedEvent]:
    return parse_feed(data, window[0], window[1], default_tz=tz, **kw)


def by_uid(events: list[ImportedEvent], uid: str) -> list[ImportedEvent]:
    return [event for event in events if event.uid == uid]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# --- what comes out --------------------------------------------------------------------------


def test_timed_event() -> None:
    [event] = by_uid(read(SIMPLE_FEED), "timed@x")
    assert (event.starts_at, event.ends_at) == (utc(2026, 3, 10, 10), utc(2026, 3, 10, 12))
    assert event.summary == "Timed"
    assert not event.all_day and event.start_date is None and event.end_date is None
    assert event.recurrence_id is None and event.key == "timed@x"
    assert event.starts_at.tzinfo == UTC


def test_all_day_events_are_dates_spanning_local_midnights() -> None:
    [event] = by_uid(read(SIMPLE_FEED), "allday@x")
    assert event.all_day
    assert (event.start_date, event.end_date) == (date(2026, 3, 12), date(2026, 3, 14))
    # midnight in Berlin (CET, UTC+1) on both ends
    assert (event.starts_at, event.ends_at) == (utc(2026, 3, 11, 23), utc(2026, 3, 13, 23))

    [event] = by_uid(read(SIMPLE_FEED, tz="America/Los_Angeles"), "allday@x")
    assert (event.start_date, event.end_date) == (date(2026, 3, 12), date(2026, 3, 14))
    assert (event.starts_at, event.ends_at) == (utc(2026, 3, 12, 7), utc(2026, 3, 14, 7))  # PDT

    across_dst = ics(*vevent("weekend@x", "DTSTART;VALUE=DATE:20260307", "DTEND;VALUE=DATE:20260309"))
    [event] = read(across_dst, tz="America/Los_Angeles")
    assert (event.start_date, event.end_date) == (date(2026, 3, 7), date(2026, 3, 9))
    assert (event.starts_at, event.ends_at) == (utc(2026, 3, 7, 8), utc(2026, 3, 9, 7))  # PST, then PDT
    assert event.ends_at - event.starts_at == timedelta(hours=47)


def test_weekly_rule_with_exdate_gives_the_right_instances() -> None:
    events = by_uid(read(SIMPLE_FEED), "weekly@x")
    # COUNT=6 from Monday 2 March 09:00 Berlin; 16 March excluded; Berlin switches to CEST on 29 March
    assert [e.starts_at for e in events] == [
        utc(2026, 3, 2, 8),
        utc(2026, 3, 9, 8),
        utc(2026, 3, 23, 8),
        utc(2026, 3, 30, 7),
        utc(2026, 4, 6, 7),
    ]
    assert all(e.ends_at - e.starts_at == timedelta(hours=1) for e in events)
    assert all(e.starts_at.astimezone(BERLIN).hour == 9 for e in events)
    assert [e.recurrence_id for e in events] == [e.starts_at for e in events]
    assert len({e.key for e in events}) == 5


def test_only_occurrences_overlapping_the_window_are_returned() -> None:
    events = read(SIMPLE_FEED, window=(utc(2026, 3, 10, 11), utc(2026, 3, 20)))
    assert [e.uid for e in events] == ["timed@x", "allday@x"]  # sorted by start; 16 March excluded
    events = read(SIMPLE_FEED, window=(utc(2026, 3, 10, 12), utc(2026, 3, 11, 23)))
    assert events == []  # timed ends exactly at the window start; all-day starts exactly at its end


def test_weekly_rule_until_and_interval() -> None:
    data = ics(
        *vevent(
            "biweekly@x",
            "DTSTART:20260303T150000Z",
            "DTEND:20260303T160000Z",
            "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;UNTIL=20260331T235959Z",
        )
    )
    starts = [e.starts_at.date() for e in read(data)]
    assert starts == [date(2026, 3, d) for d in (3, 5, 17, 19, 31)]


def test_overridden_and_cancelled_instances() -> None:
    data = ics(
        *vevent("series@x", "DTSTART:20260302T090000Z", "DTEND:20260302T100000Z", "RRULE:FREQ=DAILY;COUNT=4"),
        *vevent(
            "series@x",
            "RECURRENCE-ID:20260303T090000Z",
            "DTSTART:20260303T140000Z",
            "DTEND:20260303T153000Z",
            "SUMMARY:Moved",
        ),
        *vevent(
            "series@x",
            "RECURRENCE-ID:20260304T090000Z",
            "DTSTART:20260304T090000Z",
            "DTEND:20260304T100000Z",
            "STATUS:CANCELLED",
        ),
    )
    events = read(data)
    assert [(e.starts_at, e.ends_at, e.summary) for e in events] == [
        (utc(2026, 3, 2, 9), utc(2026, 3, 2, 10), ""),
        (utc(2026, 3, 3, 14), utc(2026, 3, 3, 15, 30), "Moved"),
        (utc(2026, 3, 5, 9), utc(2026, 3, 5, 10), ""),
    ]
    assert events[1].recurrence_id == utc(2026, 3, 3, 9)


def test_floating_times_use_the_default_zone() -> None:
    data = ics(*vevent("float@x", "DTSTART:20260310T090000", "DTEND:20260310T100000"))
    [event] = read(data, tz="America/Los_Angeles")
    assert event.starts_at == datetime(2026, 3, 10, 9, tzinfo=LA)
    [event] = read(data, tz="Europe/Berlin")
    assert event.starts_at == datetime(2026, 3, 10, 9, tzinfo=BERLIN)


def test_floating_times_use_the_feed_x_wr_timezone_when_known() -> None:
    body = vevent("float@x", "DTSTART:20260310T090000", "DTEND:20260310T100000")
    [event] = read(ics(*body, calendar_lines=("X-WR-TIMEZONE:Asia/Tokyo",)), tz="Europe/Berlin")
    assert event.starts_at == utc(2026, 3, 10, 0)
    [event] = read(ics(*body, calendar_lines=("X-WR-TIMEZONE:Not/AZone",)), tz="Europe/Berlin")
    assert event.starts_at == datetime(2026, 3, 10, 9, tzinfo=BERLIN)


def test_tzid_times_honour_the_zone_and_custom_vtimezones() -> None:
    data = ics(
        "BEGIN:VTIMEZONE",
        "TZID:Rentcal Test Custom Zone",
        "BEGIN:STANDARD",
        "DTSTART:19700101T000000",
        "TZOFFSETFROM:+0530",
        "TZOFFSETTO:+0530",
        "END:STANDARD",
        "END:VTIMEZONE",
        *vevent(
            "custom@x",
            "DTSTART;TZID=Rentcal Test Custom Zone:20260310T090000",
            "DTEND;TZID=Rentcal Test Custom Zone:20260310T100000",
        ),
        *vevent("iana@x", "DTSTART;TZID=Asia/Tokyo:20260310T090000", "DTEND;TZID=Asia/Tokyo:20260310T100000"),
        *vevent("unknown@x", "DTSTART;TZID=Nowhere/Special:20260310T090000", "DURATION:PT1H"),
    )
    events = {e.uid: e for e in read(data, tz="Europe/Berlin")}
    assert events["custom@x"].starts_at == utc(2026, 3, 10, 3, 30)
    assert events["iana@x"].starts_at == utc(2026, 3, 10, 0)
    assert events["unknown@x"].starts_at == datetime(2026, 3, 10, 9, tzinfo=BERLIN)  # floating
    assert events["unknown@x"].ends_at == datetime(2026, 3, 10, 10, tzinfo=BERLIN)


def test_missing_dtend_follows_rfc_5545() -> None:
    data = ics(
        *vevent("date@x", "DTSTART;VALUE=DATE:20260310"),
        *vevent("datetime@x", "DTSTART:20260310T090000Z"),
        *vevent("duration@x", "DTSTART:20260310T090000Z", "DURATION:PT2H30M"),
        *vevent("dateduration@x", "DTSTART;VALUE=DATE:20260310", "DURATION:P3D"),
    )
    events = {e.uid: e for e in read(data, tz="Europe/Berlin")}
    assert (events["date@x"].start_date, events["date@x"].end_date) == (date(2026, 3, 10), date(2026, 3, 11))
    assert events["datetime@x"].ends_at == events["datetime@x"].starts_at == utc(2026, 3, 10, 9)
    assert events["duration@x"].ends_at == utc(2026, 3, 10, 11, 30)
    assert events["dateduration@x"].end_date == date(2026, 3, 13)


def test_cancelled_and_transparent_events_are_skipped() -> None:
    data = ics(
        *vevent("busy@x", "DTSTART:20260310T090000Z", "DTEND:20260310T100000Z", "STATUS:TENTATIVE"),
        *vevent("cancelled@x", "DTSTART:20260310T090000Z", "DTEND:20260310T100000Z", "STATUS:CANCELLED"),
        *vevent("free@x", "DTSTART:20260310T090000Z", "DTEND:20260310T100000Z", "TRANSP:TRANSPARENT"),
    )
    [event] = read(data)
    assert (event.uid, event.status) == ("busy@x", "TENTATIVE")


def test_text_fields_and_tolerated_variants() -> None:
    body = vevent(
        "text@x",
        "DTSTART:20260310T090000Z",
        "DTEND:20260310T100000Z",
        "SUMMARY:Crane\\, 50t\\; with operator",
        "LOCATION:Site 4",
        "DESCRIPTION:Line 1\\nLine 2",
        "X-UNKNOWN-THING;FOO=bar:whatever",
    )
    data = ics(*body)
    [event] = read(data)
    assert (event.summary, event.location, event.description) == (
        "Crane, 50t; with operator",
        "Site 4",
        "Line 1\nLine 2",
    )
    # BOM, LF-only line endings and trailing blank lines are fine
    assert read(b"\xef\xbb\xbf" + data) == [event]
    assert read(data.replace(b"\r\n", b"\n") + b"\n\n") == [event]
    assert read(ics()) == []


def test_duplicate_uids_keep_the_highest_sequence() -> None:
    data = ics(
        *vevent("dup@x", "SEQUENCE:1", "DTSTART:20260310T090000Z", "DTEND:20260310T100000Z", "SUMMARY:Old"),
        *vevent("dup@x", "SEQUENCE:2", "DTSTART:20260310T090000Z", "DTEND:20260310T100000Z", "SUMMARY:New"),
    )
    assert [e.summary for e in read(data)] == ["New"]


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_feed(SIMPLE_FEED, datetime(2026, 3, 1), MARCH[1], default_tz="UTC")
    with pytest.raises(ValueError, match="after"):
        parse_feed(SIMPLE_FEED, MARCH[1], MARCH[0], default_tz="UTC")
    with pytest.raises(ValueError, match="IANA"):
        parse_feed(SIMPLE_FEED, *MARCH, default_tz="Nope/Nope")


# --- what is refused -------------------------------------------------------------------------

GOOD = ics(*vevent("a@x", "DTSTART:20260310T090000Z", "DTEND:20260310T100000Z", "SUMMARY:ok"))


def event_with(*lines: str) -> bytes:
    return ics(*vevent("bad@x", *lines))


MALFORMED: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "empty"),
    "whitespace": (b"  \r\n\r\n ", "empty"),
    "truncated": (GOOD[: len(GOOD) // 2], "END:VCALENDAR"),
    "missing END:VCALENDAR": (GOOD.replace(b"END:VCALENDAR\r\n", b""), "END:VCALENDAR"),
    "unterminated VEVENT": (GOOD.replace(b"END:VEVENT\r\n", b""), "not valid iCalendar"),
    "END without BEGIN": (GOOD.replace(b"BEGIN:VEVENT\r\n", b""), "not valid iCalendar"),
    "VTIMEZONE rule bomb": (
        ics(
            "BEGIN:VTIMEZONE",
            "TZID:Bomb",
            "BEGIN:STANDARD",
            "DTSTART:19700101T000000",
            "RRULE:FREQ=MINUTELY",
            "TZOFFSETFROM:+0100",
            "TZOFFSETTO:+0000",
            "END:STANDARD",
            "END:VTIMEZONE",
            *vevent("a@x", "DTSTART;TZID=Bomb:20260310T090000"),
        ),
        "time zone",
    ),
    "1 MB single line": (ics("X-JUNK:" + "a" * 1_000_000), "line of"),
    "binary garbage": (bytes(range(256)) * 40, "UTF-8"),
    "NUL bytes": (GOOD.replace(b"SUMMARY:ok", b"SUMMARY:o\x00k"), "NUL"),
    "latin-1 text": (GOOD.replace(b"SUMMARY:ok", "SUMMARY:Bagger für Baustelle".encode("latin-1")), "UTF-8"),
    "HTML error page": (
        b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body>Not found</body></html>",
        "web page",
    ),
    "HTML login page with BOM": (b"\xef\xbb\xbf\n  <html><body>Please sign in</body></html>", "web page"),
    "JSON error": (b'{"error": "unauthorized"}', "BEGIN:VCALENDAR"),
    "plain text": (b"Service temporarily unavailable", "BEGIN:VCALENDAR"),
    "two calendars": (GOOD + GOOD, "not valid iCalendar"),
    "garbage line in calendar": (GOOD.replace(b"VERSION:2.0", b"VERSION:2.0\r\n%%% junk %%%"), "not valid"),
}


# One unusable event is skipped, with its reason; the feed's other events still count.


def bad_event(*lines: str) -> tuple[str, ...]:
    return vevent("bad@x", "SUMMARY:Broken one", *lines)


BAD_EVENTS: dict[str, tuple[tuple[str, ...], str]] = {
    "bad DTSTART": (bad_event("DTSTART:2026-03-10 09:00", "DTEND:20260310T100000Z"), "DTSTART"),
    "impossible date": (bad_event("DTSTART:20261310T090000Z"), "DTSTART"),
    "bad DURATION": (bad_event("DTSTART:20260310T090000Z", "DURATION:soon"), "DURATION"),
    "negative DURATION": (bad_event("DTSTART:20260310T090000Z", "DURATION:-PT1H"), "negative"),
    "DTEND before DTSTART": (bad_event("DTSTART:20260310T090000Z", "DTEND:20260309T090000Z"), "before"),
    "date mixed with date-time": (bad_event("DTSTART;VALUE=DATE:20260310", "DTEND:20260311T090000Z"), "mixes"),
    "no DTSTART": (bad_event(), "DTSTART"),
    "two DTSTARTs": (bad_event("DTSTART:20260310T090000Z", "DTSTART:20260311T090000Z"), "more than one DTSTART"),
    "broken RRULE": (bad_event("DTSTART:20260310T090000Z", "RRULE:FREQ=SOMETIMES;COUNT=x"), "RRULE"),
    "RRULE bad weekday": (bad_event("DTSTART:20260310T090000Z", "RRULE:FREQ=WEEKLY;BYDAY=XX"), "RRULE"),
    "RRULE too frequent": (bad_event("DTSTART:20260310T090000Z", "RRULE:FREQ=SECONDLY"), "too often"),
    "RRULE from long ago": (bad_event("DTSTART:19000101T090000Z", "RRULE:FREQ=HOURLY"), "too often"),
    "RRULE exploding BY parts": (
        bad_event(
            "DTSTART:20260101T000000Z",
            "RRULE:FREQ=DAILY;BYHOUR=" + ",".join(map(str, range(24))) + ";BYMINUTE=" + ",".join(map(str, range(60))),
        ),
        "occurrences",
    ),
    "content line without colon": (bad_event("DTSTART:20260310T090000Z", "LOCATION here"), "not valid iCalendar"),
}


@pytest.mark.parametrize("name", list(BAD_EVENTS))
def test_one_bad_event_is_skipped_with_its_reason(name: str) -> None:
    lines, fragment = BAD_EVENTS[name]
    good = vevent("a@x", "DTSTART:20260310T090000Z", "DTEND:20260310T100000Z", "SUMMARY:ok")
    reading = read_feed(ics(*good, *lines), *MARCH, default_tz="Europe/Berlin")
    assert [(e.uid, e.starts_at) for e in reading.events] == [("a@x", utc(2026, 3, 10, 9))]
    assert len(reading.skipped) == 1, reading.skipped
    skipped = reading.skipped[0]
    assert skipped.event.startswith("'Broken one'")
    assert fragment.lower() in skipped.reason.lower(), skipped.reason
    assert len(skipped.reason) < 300 and "\n" not in skipped.reason


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_feeds_raise_feed_error(name: str) -> None:
    data, fragment = MALFORMED[name]
    with pytest.raises(FeedError) as caught:
        read(data)
    message = str(caught.value)
    assert fragment.lower() in message.lower(), message
    assert len(message) < 400 and "\n" not in message


def test_size_and_count_limits() -> None:
    many = ics(*[line for i in range(30) for line in vevent(f"e{i}@x", "DTSTART:20260310T090000Z")])
    assert len(read(many)) == 30
    with pytest.raises(FeedError, match="limit of 29"):
        read(many, max_events=29)
    with pytest.raises(FeedError, match="more than the limit of 1,000 bytes"):
        read(many, max_bytes=1000)
    with pytest.raises(FeedError, match="line of"):
        read(ics("X-LONG:" + "b" * 200), max_line_length=100)
    daily = event_with("DTSTART:20260301T090000Z", "RRULE:FREQ=DAILY")
    assert len(read(daily)) == 61
    too_many = read_feed(daily, *MARCH, default_tz="Europe/Berlin", max_events=50)
    assert too_many.events == [] and "occurrences" in too_many.skipped[0].reason


def test_huge_input_is_refused_before_parsing() -> None:
    huge = ics(*[line for i in range(25_000) for line in vevent(f"e{i}@x", "DTSTART:20260310T090000Z")])
    with pytest.raises(FeedError, match="events, more than the limit"):
        read(huge)
    with pytest.raises(FeedError, match="bytes, more than the limit"):
        read(huge + b" " * (11 * 1024 * 1024))
