"""Feeds as real producers write them: the quirks other clients accept are read, not refused."""

from __future__ import annotations

from datetime import UTC, date, datetime

from calendars.ical.imports import read_feed
from calendars.ical.models import FeedReading
from tests.unit.ical.samples import ics, vevent

MARCH = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))


def read(data: bytes) -> FeedReading:
    return read_feed(data, *MARCH, default_tz="Europe/Berlin")


def test_exchange_byday_with_spaces_expands_like_the_plain_rule() -> None:
    spaced = read(
        ics(*vevent("x@x", "DTSTART:20260302T090000Z", "DURATION:PT1H", "RRULE:FREQ=WEEKLY;BYDAY=MO, TU, WE"))
    )
    plain = read(ics(*vevent("x@x", "DTSTART:20260302T090000Z", "DURATION:PT1H", "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE")))
    assert spaced.skipped == []
    assert [e.starts_at for e in spaced.events] == [e.starts_at for e in plain.events]
    assert len(spaced.events) == 14  # Mondays to Wednesdays of March 2026 from the 2nd


def test_google_empty_exdate_is_ignored() -> None:
    reading = read(
        ics(*vevent("g@x", "DTSTART;VALUE=DATE:20260302", "RRULE:FREQ=WEEKLY;COUNT=3", "EXDATE;VALUE=DATE:"))
    )
    assert reading.skipped == []
    assert [e.start_date for e in reading.events] == [date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16)]


def test_text_after_end_vcalendar_is_ignored() -> None:
    body = ics(*vevent("t@x", "DTSTART:20260310T090000Z", "DTEND:20260310T100000Z"))
    reading = read(body + b"\r\n<!-- served by FooCal 2.1 -->\r\ntrailing junk\r\n")
    assert [e.uid for e in reading.events] == ["t@x"] and reading.skipped == []


def test_an_event_without_uid_is_imported_with_a_stable_uid() -> None:
    lines = vevent("gone@x", "DTSTART:20260310T090000Z", "DTEND:20260310T100000Z", "SUMMARY:No UID")
    body = ics(*[line for line in lines if not line.startswith("UID:")])
    first = read(body)
    assert [e.starts_at for e in first.events] == [datetime(2026, 3, 10, 9, tzinfo=UTC)]
    assert first.skipped == []
    # Producers without UIDs often write DTSTAMP as "now": the derived UID does not follow it.
    again = read(body.replace(b"DTSTAMP:20260101T000000Z", b"DTSTAMP:20260201T120000Z"))
    assert first.events[0].uid.startswith("no-uid-") and first.events[0].uid == again.events[0].uid


def test_all_quirks_and_a_broken_event_in_one_feed() -> None:
    body = (
        ics(
            *vevent(
                "a@x", "SUMMARY:Weekly", "DTSTART:20260302T090000Z", "DURATION:PT1H", "RRULE:FREQ=WEEKLY;BYDAY=MO, WE"
            ),
            *vevent("b@x", "SUMMARY:Holiday", "DTSTART;VALUE=DATE:20260320", "EXDATE;VALUE=DATE:"),
            *vevent("c@x", "SUMMARY:Broken", "DTSTART:20260311T090000Z", "DTEND:20260310T090000Z"),
        )
        + b"garbage after the calendar"
    )
    reading = read(body)
    assert {e.uid for e in reading.events} == {"a@x", "b@x"}
    assert [(s.event, s.reason) for s in reading.skipped] == [("'Broken' (11 Mar 2026)", "it ends before it starts")]


def test_a_cut_off_download_is_still_refused() -> None:
    body = ics(*vevent("t@x", "DTSTART:20260310T090000Z"))
    try:
        read(body[:-30])
    except Exception as exc:
        assert "END:VCALENDAR" in str(exc)
    else:
        raise AssertionError("a feed without END:VCALENDAR was accepted")
