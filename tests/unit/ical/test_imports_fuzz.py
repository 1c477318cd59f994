"""Fuzzing parse_feed: whatever the bytes, the result is a list or a FeedError - nothing else."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calendars.ical.feeds import render_feed
from calendars.ical.imports import parse_feed
from calendars.ical.invites import build_invite
from calendars.ical.models import FeedError, ImportedEvent
from tests.unit.ical.samples import SIMPLE_FEED, feed_event, ics, invite, vevent

WINDOW = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
FUZZ = settings(
    max_examples=250,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SEEDS: list[bytes] = [
    SIMPLE_FEED,
    render_feed("Acme", "America/Los_Angeles", [feed_event(i) for i in range(3)], color="red"),
    build_invite(invite(), "REQUEST"),
    ics(
        *vevent(
            "r@x",
            "DTSTART;TZID=America/New_York:20260105T080000",
            "DURATION:PT90M",
            "RRULE:FREQ=MONTHLY;BYDAY=1MO,-1FR;COUNT=10",
            "EXDATE;TZID=America/New_York:20260202T080000",
            "RDATE;VALUE=PERIOD:20260704T120000Z/PT2H",
        ),
        *vevent(
            "r@x",
            "RECURRENCE-ID;TZID=America/New_York:20260105T080000",
            "DTSTART;TZID=America/New_York:20260106T080000",
            "DURATION:PT1H",
        ),
        *vevent("d@x", "DTSTART;VALUE=DATE:20261224", "RRULE:FREQ=YEARLY", "STATUS:TENTATIVE"),
        calendar_lines=("X-WR-TIMEZONE:Europe/Paris",),
    ),
]

TOKENS = [
    b"BEGIN:VCALENDAR",
    b"END:VCALENDAR",
    b"BEGIN:VEVENT",
    b"END:VEVENT",
    b"BEGIN:VTIMEZONE",
    b"END:VTIMEZONE",
    b"BEGIN:STANDARD",
    b"END:STANDARD",
    b"BEGIN:VALARM",
    b"END:VALARM",
    b"DTSTART:",
    b"DTEND:",
    b"DTSTART;VALUE=DATE:",
    b"DTSTART;TZID=Europe/Berlin:",
    b"TZID=",
    b"UID:",
    b"RRULE:FREQ=DAILY",
    b"RRULE:FREQ=WEEKLY;BYDAY=MO",
    b";COUNT=",
    b";UNTIL=",
    b";INTERVAL=0",
    b"EXDATE:",
    b"RDATE:",
    b"RECURRENCE-ID:",
    b"DURATION:P",
    b"DURATION:-PT",
    b"STATUS:CANCELLED",
    b"TRANSP:TRANSPARENT",
    b"X-WR-TIMEZONE:",
    b"CALSCALE:JULIAN",
    b"20260310",
    b"T090000",
    b"Z",
    b"19700101T000000",
    b"99991231T235959",
    b"00010101",
    b"\r\n",
    b"\r\n ",
    b"\n",
    b":",
    b";",
    b",",
    b"\\",
    b'"',
    b"=",
    b" ",
    b"\t",
    b"\xc3\xa9",
    b"\xff",
    b"\x00",
    b"TZOFFSETFROM:+0100",
    b"TZOFFSETTO:-2400",
]


def check(data: bytes) -> None:
    try:
        result = parse_feed(data, *WINDOW, default_tz="Europe/Berlin")
    except FeedError as error:
        assert str(error).strip()
        return
    assert isinstance(result, list)
    for event in result:
        assert isinstance(event, ImportedEvent)
        assert event.starts_at <= event.ends_at
        assert event.starts_at.utcoffset() is not None


@FUZZ
@given(st.binary(max_size=4000))
def test_random_bytes(data: bytes) -> None:
    check(data)


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes_inside_a_calendar_frame(data: bytes) -> None:
    check(b"BEGIN:VCALENDAR\r\n" + data + b"\r\nEND:VCALENDAR\r\n")


@FUZZ
@given(st.lists(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=6).map(b"".join), max_size=40))
def test_token_soup(lines: list[bytes]) -> None:
    check(b"BEGIN:VCALENDAR\r\n" + b"\r\n".join(lines) + b"\r\nEND:VCALENDAR\r\n")


printable = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=20).map(
    str.encode
)


@st.composite
def mutated_feed(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        position = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["delete", "insert", "token", "flip", "duplicate_line", "truncate", "swap"]))
        if kind == "delete":
            del data[position : position + draw(st.integers(1, 40))]
        elif kind == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=20) | printable)
        elif kind == "token":
            data[position:position] = draw(st.sampled_from(TOKENS))
        elif kind == "flip" and position < len(data):
            data[position] = draw(st.integers(0, 255))
        elif kind == "duplicate_line":
            lines = bytes(data).split(b"\r\n")
            index = draw(st.integers(0, len(lines) - 1))
            lines.insert(index, lines[index])
            data = bytearray(b"\r\n".join(lines))
        elif kind == "swap":
            lines = bytes(data).split(b"\r\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            data = bytearray(b"\r\n".join(lines))
        elif kind == "truncate":
            del data[position:]
    return bytes(data)


@FUZZ
@given(mutated_feed())
def test_mutated_valid_feeds(data: bytes) -> None:
    check(data)


def test_seeds_are_valid() -> None:
    for seed in SEEDS:
        assert isinstance(parse_feed(seed, *WINDOW, default_tz="Europe/Berlin"), list)
