"""Subscribable feeds (RFC 5545 + RFC 7986): content, round trip, DST, ETag, speed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar, Event
from icalendar.parser import Contentline
from icalendar.prop import vDatetime, vText

from calendars.ical.feeds import _local, _utc, clear_event_cache, escape_text, feed_etag, fold_ascii, render_feed
from calendars.ical.models import FeedEvent
from tests.unit.ical.samples import LA, feed_event


def parse(body: bytes) -> Calendar:
    calendar = Calendar.from_ical(body)
    assert isinstance(calendar, Calendar)
    return calendar


def test_calendar_properties() -> None:
    body = render_feed(
        "Acme Rentals – all units",
        "America/Los_Angeles",
        [feed_event(0)],
        color="DarkOrange",
        description="Every booking, live",
    )
    calendar = parse(body)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert "PRODID" in calendar
    assert "METHOD" not in calendar
    assert str(calendar["X-WR-CALNAME"]) == "Acme Rentals – all units"
    assert str(calendar["NAME"]) == "Acme Rentals – all units"
    assert str(calendar["X-WR-TIMEZONE"]) == "America/Los_Angeles"
    assert str(calendar["X-WR-CALDESC"]) == "Every booking, live"
    assert str(calendar["DESCRIPTION"]) == "Every booking, live"
    assert str(calendar["COLOR"]) == "darkorange"
    assert calendar.refresh_interval == timedelta(minutes=15)
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT15M\r\n" in body
    assert b"X-PUBLISHED-TTL:PT15M\r\n" in body
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["America/Los_Angeles"]
    assert calendar.get_missing_tzids() == set()


def test_refresh_interval_and_optional_properties() -> None:
    body = render_feed("X", "Europe/Berlin", [], refresh_interval=timedelta(hours=1))
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in body
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in body
    calendar = parse(body)
    assert "COLOR" not in calendar and "X-WR-CALDESC" not in calendar
    assert calendar.walk("VEVENT") == [] and calendar.walk("VTIMEZONE") == []
    with pytest.raises(ValueError, match="CSS3"):
        render_feed("X", "Europe/Berlin", [], color="#ff0000")
    with pytest.raises(ValueError, match="IANA"):
        render_feed("X", "Not/AZone", [])
    with pytest.raises(ValueError, match="positive"):
        render_feed("X", "Europe/Berlin", [], refresh_interval=timedelta(0))


def test_round_trip_keeps_every_event_property() -> None:
    events = [feed_event(i) for i in range(50)]
    calendar = parse(render_feed("Acme", "America/Los_Angeles", events))
    parsed = calendar.walk("VEVENT")
    assert len(parsed) == 50
    for source, vevent in zip(events, parsed, strict=True):
        assert str(vevent["UID"]) == source.uid
        assert str(vevent["SUMMARY"]) == source.summary
        assert str(vevent["DESCRIPTION"]) == source.description
        assert str(vevent["LOCATION"]) == source.location
        assert vevent["DTSTART"].dt == source.starts_at
        assert vevent["DTEND"].dt == source.ends_at
        assert vevent["DTSTART"].params["TZID"] == "America/Los_Angeles"
        assert vevent["DTSTAMP"].dt == source.last_modified
        assert vevent["LAST-MODIFIED"].dt == source.last_modified
        assert int(vevent["SEQUENCE"]) == source.sequence
        assert str(vevent["STATUS"]) == "CONFIRMED"
        assert str(vevent["TRANSP"]) == "OPAQUE"
        assert str(vevent["COLOR"]) == "steelblue"
        assert vevent.categories == ["Excavators", "Heavy, tracked"]


def test_awkward_text_survives() -> None:
    text = 'Semi;colon, comma \\ backslash\nnew line "quotes" ü€😀 ' + "long " * 40
    event = feed_event(1, summary=text, description=text, location=text, categories=("a;b", "c\\d"))
    body = render_feed("Acme", "America/Los_Angeles", [event])
    [vevent] = parse(body).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == text
    assert str(vevent["DESCRIPTION"]) == text
    assert str(vevent["LOCATION"]) == text
    assert vevent.categories == ["a;b", "c\\d"]
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))


def test_times_keep_their_wall_clock_across_dst_changes() -> None:
    days = [datetime(2026, 3, d, 9, 0, tzinfo=LA) for d in (7, 8, 9)] + [
        datetime(2026, 10, 31, 9, 0, tzinfo=LA),
        datetime(2026, 11, 1, 9, 0, tzinfo=LA),
        datetime(2026, 11, 2, 9, 0, tzinfo=LA),
    ]
    events = [feed_event(i, starts_at=start, ends_at=start + timedelta(hours=8)) for i, start in enumerate(days)]
    body = render_feed("Acme", "America/Los_Angeles", events)
    for start in days:
        assert f"DTSTART;TZID=America/Los_Angeles:{start:%Y%m%d}T090000\r\n".encode() in body
        assert f"DTEND;TZID=America/Los_Angeles:{start:%Y%m%d}T170000\r\n".encode() in body
    parsed = parse(body).walk("VEVENT")
    for start, vevent in zip(days, parsed, strict=True):
        local = vevent["DTSTART"].dt.astimezone(LA)
        assert (local.date(), local.hour, local.minute) == (start.date(), 9, 0)
        assert vevent["DTSTART"].dt == start
    # the UTC offsets really differ: PST before, PDT after the spring change and vice versa
    offsets = [vevent["DTSTART"].dt.utcoffset() for vevent in parsed]
    assert offsets == [timedelta(hours=h) for h in (-8, -7, -7, -7, -8, -8)]


def test_events_in_other_zones_get_their_own_vtimezone_and_utc_needs_none() -> None:
    berlin = feed_event(1, timezone="Europe/Berlin")
    utc = feed_event(2, timezone="UTC")
    body = render_feed("Acme", "America/Los_Angeles", [feed_event(0), berlin, utc])
    calendar = parse(body)
    assert sorted(str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")) == ["America/Los_Angeles", "Europe/Berlin"]
    assert calendar.get_missing_tzids() == set()
    assert b"DTSTART;TZID=Europe/Berlin:20260102T010000\r\n" in body
    assert b"DTSTART:20260102T070000Z\r\n" in body
    [_, vberlin, vutc] = calendar.walk("VEVENT")
    assert vberlin["DTSTART"].dt == berlin.starts_at
    assert vutc["DTSTART"].dt == utc.starts_at


def test_cancelled_events_are_published_as_cancelled_and_free() -> None:
    body = render_feed("Acme", "America/Los_Angeles", [feed_event(0, status="CANCELLED", color=None)])
    [vevent] = parse(body).walk("VEVENT")
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert str(vevent["TRANSP"]) == "TRANSPARENT"
    assert "COLOR" not in vevent


def test_output_is_deterministic_and_etag_follows_content() -> None:
    events = [feed_event(i) for i in range(20)]
    first = render_feed("Acme", "America/Los_Angeles", events)
    clear_event_cache()
    second = render_feed("Acme", "America/Los_Angeles", [feed_event(i) for i in range(20)])
    assert first == second
    etag = feed_etag(first)
    assert re.fullmatch(r'"[0-9a-f]{64}"', etag)
    assert feed_etag(second) == etag

    changed = [*events[:-1], feed_event(19, summary="Moved", sequence=1)]
    assert feed_etag(render_feed("Acme", "America/Los_Angeles", changed)) != etag


def test_feed_event_validation() -> None:
    assert feed_event(0, color="RED").color == "red"
    with pytest.raises(ValueError, match="CSS3"):
        feed_event(0, color="reddish")
    with pytest.raises(ValueError, match="timezone-aware"):
        feed_event(0, last_modified=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="categories"):
        feed_event(0, categories=["a"])


def test_ten_thousand_events_render_once_and_then_come_from_the_cache() -> None:
    """Timing lives in bench/ical.py; here: the output and that a second render reuses every VEVENT."""
    from calendars.ical import feeds as ical_feeds

    events = [feed_event(i) for i in range(10_000)]
    clear_event_cache()
    body = render_feed("Acme", "America/Los_Angeles", events, color="red")
    hits = ical_feeds._event_ical.cache_info().hits
    again = render_feed("Acme", "America/Los_Angeles", events, color="red")
    assert body == again
    assert body.count(b"BEGIN:VEVENT\r\n") == 10_000
    assert ical_feeds._event_ical.cache_info().hits - hits == 10_000


def test_many_events_parse_back() -> None:
    events = [feed_event(i) for i in range(500)]
    calendar = parse(render_feed("Acme", "America/Los_Angeles", events))
    starts = [vevent["DTSTART"].dt for vevent in calendar.walk("VEVENT")]
    assert starts == [event.starts_at for event in events]


ascii_text = st.text(alphabet=st.sampled_from(list('ab\\^;:," xyz')), min_size=0, max_size=400)


@settings(max_examples=300, deadline=None, database=None)
@given(ascii_text)
def test_fold_ascii_matches_icalendar(value: str) -> None:
    line = "DESCRIPTION:" + value
    if len(line) < 75:
        return
    assert fold_ascii(line.encode()) == Contentline(line).to_ical()


@settings(max_examples=500, deadline=None, database=None)
@given(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=200)
    | st.text(alphabet=st.sampled_from(list("\\N;,\r\nab")), max_size=60)
)
def test_text_escaping_reads_back_through_icalendar_and_matches_its_writer(value: str) -> None:
    component = Event.from_ical(b"BEGIN:VEVENT\r\nSUMMARY:" + escape_text(value) + b"\r\nEND:VEVENT\r\n")
    assert str(component["SUMMARY"]) == value.replace("\r\n", "\n").replace("\r", "\n")
    if r"\N" not in value:  # icalendar's writer turns a backslash before N into a line break: text lost
        assert escape_text(value) == vText(value).to_ical()


def test_a_backslash_before_n_stays_a_backslash() -> None:
    assert escape_text("C:\\New, Depot") == b"C:\\\\New\\, Depot"


@settings(max_examples=300, deadline=None, database=None)
@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)))
def test_date_times_are_written_as_icalendar_writes_them(moment: datetime) -> None:
    local = moment.replace(microsecond=0)
    assert _local(local) == vDatetime(local).to_ical()
    aware = local.replace(tzinfo=UTC)
    assert _utc(aware) == vDatetime(aware).to_ical()


def test_feed_event_is_hashable_for_the_cache() -> None:
    event = feed_event(0)
    assert hash(event) == hash(feed_event(0))
    same_instant = FeedEvent(
        uid=event.uid,
        summary=event.summary,
        starts_at=event.starts_at.astimezone(UTC),
        ends_at=event.ends_at.astimezone(UTC),
        timezone=event.timezone,
        last_modified=event.last_modified,
        description=event.description,
        location=event.location,
        color=event.color,
        categories=event.categories,
        sequence=event.sequence,
    )
    one = render_feed("Acme", "America/Los_Angeles", [event])
    clear_event_cache()
    assert render_feed("Acme", "America/Los_Angeles", [same_instant]) == one
