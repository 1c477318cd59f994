"""Storage VEVENTs for CalDAV writes and remote objects read back (calendars/ical/vevent.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from calendars.ical.vevent import (
    KEY_PROPERTY,
    StorageAlarm,
    StorageEvent,
    build_storage_object,
    content_hash,
    parse_remote_object,
    uid_for,
    written_object,
)

WINDOW = (datetime(2029, 1, 1, tzinfo=UTC), datetime(2032, 1, 1, tzinfo=UTC))
NOW = datetime(2029, 6, 1, 12, 0, tzinfo=UTC)

# 30 IANA zones: both hemispheres, half-hour and 45-minute offsets, zones without DST, and zones
# whose DST change happens at midnight or at unusual hours.
ZONES = [
    "Europe/Berlin",
    "Europe/London",
    "Europe/Lisbon",
    "Europe/Helsinki",
    "Europe/Paris",
    "Europe/Dublin",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "America/St_Johns",
    "America/Havana",
    "America/Santiago",
    "America/Halifax",
    "America/Nuuk",
    "Pacific/Honolulu",
    "Pacific/Auckland",
    "Pacific/Chatham",
    "Australia/Sydney",
    "Australia/Adelaide",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Beirut",
    "Asia/Jerusalem",
    "Asia/Tokyo",
    "Africa/Cairo",
    "Atlantic/Azores",
]


def event(**changes: object) -> StorageEvent:
    values: dict[str, object] = {
        "key": "booking:42",
        "summary": "Mini excavator 1.8 t — Baufirma Müller",
        "starts_at": datetime(2030, 7, 1, 7, 0, tzinfo=UTC),
        "ends_at": datetime(2030, 7, 1, 9, 0, tzinfo=UTC),
        "timezone": "Europe/Berlin",
        "description": "Booking 42, delivery to site",
        "location": "Hauptstraße 1, 10115 Berlin",
        "color": "gold",
        "alarms": (StorageAlarm(30, "popup"), StorageAlarm(24 * 60, "email")),
    }
    values.update(changes)
    return StorageEvent(**values)  # type: ignore[arg-type]


def vevent_of(ics: bytes) -> Any:
    calendar = Calendar.from_ical(ics)
    (only,) = calendar.walk("VEVENT")
    return only


def read(ics: bytes, zone: str = "Europe/Berlin", addresses: frozenset[str] = frozenset()):  # type: ignore[no-untyped-def]
    return parse_remote_object(ics, zone=zone, window=WINDOW, account_addresses=addresses)


def remote(body: str) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Someone else//EN", *body.strip().splitlines()]
    return ("\r\n".join([*(line.strip() for line in lines), "END:VCALENDAR"]) + "\r\n").encode()


# ---- writing ---------------------------------------------------------------------------------------------


def test_storage_object_has_no_scheduling_properties_and_carries_our_key() -> None:
    ics = build_storage_object(event(), now=NOW)
    calendar = Calendar.from_ical(ics)
    assert "METHOD" not in calendar
    vevent = vevent_of(ics)
    for name in ("ORGANIZER", "ATTENDEE"):
        assert name not in vevent
        assert f"\n{name}".encode() not in ics
    assert str(vevent["UID"]) == uid_for("booking:42")
    assert str(vevent[KEY_PROPERTY]) == "booking:42"
    assert str(vevent["COLOR"]) == "gold"
    assert str(vevent["TRANSP"]) == "OPAQUE"
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert vevent["DTSTAMP"].dt == NOW and vevent["LAST-MODIFIED"].dt == NOW
    assert int(vevent["SEQUENCE"]) == 0
    assert vevent["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert vevent["DTSTART"].dt == datetime(2030, 7, 1, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    alarms = vevent.walk("VALARM")
    assert [(str(a["ACTION"]), a["TRIGGER"].dt) for a in alarms] == [
        ("DISPLAY", timedelta(minutes=-30)),
        ("DISPLAY", timedelta(days=-1)),
    ]


def test_uid_is_stable_and_url_safe() -> None:
    assert uid_for("booking:42") == uid_for("booking:42") != uid_for("booking:43")
    assert uid_for("7:booking:42:0") == "rentcal-" + uid_for("7:booking:42:0").removeprefix("rentcal-")
    assert uid_for("booking:42").replace("-", "").isalnum()
    assert build_storage_object(event(uid="given-uid"), now=NOW).count(b"UID:given-uid") == 1


def test_round_trip_of_everything_we_write() -> None:
    wanted = event(status="TENTATIVE", sequence=7)
    got = read(build_storage_object(wanted, now=NOW))
    assert got.key == "booking:42"
    assert got.summary == wanted.summary and got.description == wanted.description
    assert got.location == wanted.location
    assert (got.starts_at, got.ends_at) == (wanted.starts_at, wanted.ends_at)
    assert got.all_day is None
    assert got.status == "TENTATIVE" and got.busy and not got.transparent
    assert got.color == "gold"
    assert got.alarms == wanted.alarms
    assert got.sequence == 7
    assert got.content_hash == content_hash(wanted)
    assert [(o.starts_at, o.ends_at, o.busy) for o in got.occurrences] == [(wanted.starts_at, wanted.ends_at, True)]


def test_content_hash_moves_with_content_but_not_with_stamps_or_sequence() -> None:
    first = read(build_storage_object(event(), now=NOW))
    later = read(build_storage_object(event(sequence=3), now=NOW + timedelta(days=1)))
    moved = read(build_storage_object(event(starts_at=datetime(2030, 7, 1, 8, 0, tzinfo=UTC)), now=NOW))
    renamed = read(build_storage_object(event(summary="Other"), now=NOW))
    recoloured = read(build_storage_object(event(color="tomato"), now=NOW))
    assert first.content_hash == later.content_hash
    assert len({first.content_hash, moved.content_hash, renamed.content_hash, recoloured.content_hash}) == 4


SPECIAL = [
    'Bagger; "Müller", a\\b',
    "Zeile 1\nZeile 2\r\nZeile 3",
    "Emoji 🚜 and CJK 挖掘机 and RTL حفار",
    "a" * 300 + "ü" * 100,  # folded over many lines, multi-byte characters split across folds
    "Tabs\tand <xml> & 'quotes' :colons: ;semi; ,comma,",
]


@pytest.mark.parametrize("text", SPECIAL)
def test_special_characters_survive_and_parse_with_icalendar(text: str) -> None:
    ics = build_storage_object(event(summary=text, description=text, location=text, key=f"booking:{text}"), now=NOW)
    assert all(len(line) <= 75 for line in ics.split(b"\r\n"))
    vevent = vevent_of(ics)
    expected = text.replace("\r\n", "\n")
    assert str(vevent["SUMMARY"]) == expected
    got = read(ics)
    assert (got.summary, got.description, got.location) == (expected, expected, expected)
    assert got.key == f"booking:{expected}"


def test_control_characters_are_dropped() -> None:
    got = read(build_storage_object(event(summary="bell\x07 null\x00 ok"), now=NOW))
    assert got.summary == "bell null ok"


@given(st.text(min_size=1, max_size=80))
@example("\\N")
@example("C:\\New folder\\notes; a, b")
def test_any_text_round_trips(text: str) -> None:
    got = read(build_storage_object(event(summary=text, location=text), now=NOW))
    kept = "".join(c for c in text if c in "\t\n\r" or (ord(c) >= 0x20 and ord(c) != 0x7F))
    cleaned = kept.replace("\r\n", "\n").replace("\r", "\n")
    assert got.summary == cleaned
    assert got.location == cleaned


@settings(deadline=None)  # no timing in tests: the machine may be busy
@given(
    text=st.text(max_size=40),
    zone=st.sampled_from(ZONES),
    start=st.datetimes(datetime(2028, 1, 1), datetime(2033, 1, 1)),
    minutes=st.integers(1, 60 * 24 * 9),
    all_day=st.booleans(),
    color=st.sampled_from([None, "gold", "Tomato", " SteelBlue "]),
    alarms=st.lists(st.builds(StorageAlarm, st.integers(0, 60 * 24 * 7), st.sampled_from(["email", "popup"]))),
)
def test_what_we_wrote_is_known_without_reading_it_back(
    text: str, zone: str, start: datetime, minutes: int, all_day: bool, color: str | None, alarms: list[StorageAlarm]
) -> None:
    tz = ZoneInfo(zone)
    starts_at = start.replace(microsecond=0, tzinfo=tz)
    ends_at = starts_at + timedelta(minutes=minutes)
    days = (starts_at.date(), starts_at.date() + timedelta(days=1 + minutes // (60 * 24))) if all_day else None
    wanted = event(
        key=f"booking:{text}", summary=text or "x", description=text, location=text, origin=text, color=color,
        starts_at=starts_at, ends_at=ends_at, timezone=zone, all_day=days, alarms=tuple(alarms), sequence=minutes,
    )  # fmt: skip
    calendar_zone = "America/Chicago"
    parsed = parse_remote_object(build_storage_object(wanted, now=NOW), zone=calendar_zone, window=WINDOW)
    written = written_object(wanted, zone=calendar_zone, window=WINDOW, now=NOW)
    near_an_edge = any(
        abs(edge - instant) < timedelta(days=2) for edge in WINDOW for instant in (parsed.starts_at, parsed.ends_at)
    )
    if written is None:  # left to the parser only where the reader's expansion decides the overlap
        assert near_an_edge
    else:
        assert written == parsed


def test_sub_second_and_empty_events_are_left_to_the_parser() -> None:
    start = datetime(2030, 7, 1, 7, 0, 0, 500, tzinfo=UTC)
    assert written_object(event(starts_at=start), zone="UTC", window=WINDOW, now=NOW) is None
    instant = datetime(2030, 7, 1, 7, 0, tzinfo=UTC)
    assert written_object(event(starts_at=instant, ends_at=instant), zone="UTC", window=WINDOW, now=NOW) is None


@pytest.mark.parametrize("zone", ZONES)
def test_dst_both_changes_same_instant_in_30_zones(zone: str) -> None:
    tz = ZoneInfo(zone)
    instants = []
    for year in (2030, 2031):
        # every day around both changes, to catch the gap and the repeated hour wherever they fall
        for month in (1, 3, 4, 9, 10, 11):
            for day in (1, 15, 28):
                instants.append(datetime(year, month, day, 0, 30, tzinfo=tz).astimezone(UTC))
    transitions = [
        moment
        for moment in (datetime(2030, 1, 1, tzinfo=UTC) + timedelta(hours=h) for h in range(0, 24 * 730, 1))
        if (moment - timedelta(hours=1)).astimezone(tz).utcoffset() != moment.astimezone(tz).utcoffset()
    ]
    for change in transitions:  # crossing the change, and starting in a repeated hour's second pass
        instants.append(change - timedelta(minutes=90))
        instants.append(change + timedelta(minutes=30))
    for start in instants:
        wanted = event(starts_at=start, ends_at=start + timedelta(hours=3), timezone=zone)
        ics = build_storage_object(wanted, now=NOW)
        vevent = vevent_of(ics)
        repeated = start.astimezone(tz).fold == 1  # the second pass of a repeated hour is written as UTC
        assert vevent["DTSTART"].params.get("TZID") == (None if repeated else zone)
        got = read(ics, zone="UTC")
        assert (got.starts_at, got.ends_at) == (wanted.starts_at, wanted.ends_at), (zone, start)
    if zone not in ("America/Phoenix", "Asia/Kolkata", "Asia/Tokyo", "Asia/Kathmandu", "Pacific/Honolulu"):
        assert transitions, f"{zone} should change its offset in 2030/2031"


def test_utc_events_need_no_vtimezone() -> None:
    ics = build_storage_object(event(timezone="UTC"), now=NOW)
    assert b"VTIMEZONE" not in ics
    assert b"DTSTART:20300701T070000Z" in ics


def test_all_day_blocks_stay_date_values() -> None:
    wanted = event(all_day=(date(2030, 3, 30), date(2030, 4, 1)))
    ics = build_storage_object(wanted, now=NOW)
    vevent = vevent_of(ics)
    assert b"DTSTART;VALUE=DATE:20300330" in ics
    assert vevent["DTSTART"].dt == date(2030, 3, 30) and vevent["DTEND"].dt == date(2030, 4, 1)
    got = read(ics, zone="Europe/Berlin")
    assert got.all_day == (date(2030, 3, 30), date(2030, 4, 1))
    # busy in the calendar's zone, across the spring-forward night: 47 hours
    assert got.starts_at == datetime(2030, 3, 29, 23, 0, tzinfo=UTC)
    assert got.ends_at == datetime(2030, 3, 31, 22, 0, tzinfo=UTC)
    assert got.busy and got.content_hash == content_hash(wanted)


def test_invalid_input_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        build_storage_object(event(starts_at=datetime(2030, 1, 1)))
    with pytest.raises(ValueError, match="before"):
        build_storage_object(event(ends_at=datetime(2030, 6, 1, tzinfo=UTC)))
    with pytest.raises(ValueError, match="CSS3"):
        build_storage_object(event(color="banana-ish"))
    with pytest.raises(ValueError, match="IANA"):
        build_storage_object(event(timezone="Mars/Olympus"))
    with pytest.raises(ValueError, match="key"):
        build_storage_object(event(key=""))


# ---- reading what other clients wrote ----------------------------------------------------------------------


def test_transparent_cancelled_and_declined_events_are_not_busy() -> None:
    base = "UID:x\nDTSTART:20300701T070000Z\nDTEND:20300701T080000Z\nSUMMARY:s\n"
    me = frozenset({"mailto:Driver@Demo.test"})
    cases = {
        "": True,
        "TRANSP:TRANSPARENT\n": False,
        "STATUS:CANCELLED\n": False,
        "STATUS:TENTATIVE\n": True,
        "ATTENDEE;PARTSTAT=DECLINED:mailto:driver@demo.test\n": False,
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:driver@demo.test\n": True,
        "ATTENDEE;PARTSTAT=DECLINED:mailto:someone@else.test\n": True,  # someone else declining changes nothing
        "ORGANIZER:mailto:boss@demo.test\nATTENDEE;PARTSTAT=DECLINED:MAILTO:DRIVER@DEMO.TEST\n": False,
    }
    for extra, busy in cases.items():
        got = read(remote(f"BEGIN:VEVENT\n{base}{extra}END:VEVENT"), addresses=me)
        assert got.busy is busy, extra
        assert [o.busy for o in got.occurrences] == [busy], extra
        assert got.key is None


def test_recurring_series_expands_with_exceptions_and_overrides() -> None:
    ics = remote(
        """
        BEGIN:VEVENT
        UID:series-1
        DTSTART;TZID=Europe/Berlin:20300301T090000
        DTEND;TZID=Europe/Berlin:20300301T100000
        RRULE:FREQ=WEEKLY;COUNT=6
        EXDATE;TZID=Europe/Berlin:20300308T090000
        SUMMARY:Weekly yard check
        END:VEVENT
        BEGIN:VEVENT
        UID:series-1
        RECURRENCE-ID;TZID=Europe/Berlin:20300315T090000
        DTSTART;TZID=Europe/Berlin:20300315T120000
        DTEND;TZID=Europe/Berlin:20300315T130000
        SUMMARY:Moved this week
        END:VEVENT
        BEGIN:VEVENT
        UID:series-1
        RECURRENCE-ID;TZID=Europe/Berlin:20300322T090000
        DTSTART;TZID=Europe/Berlin:20300322T090000
        DTEND;TZID=Europe/Berlin:20300322T100000
        STATUS:CANCELLED
        SUMMARY:Not this week
        END:VEVENT
        """
    )
    got = read(ics)
    assert got.summary == "Weekly yard check"
    assert got.recurrence == ("RRULE:FREQ=WEEKLY;COUNT=6", "EXDATE;TZID=Europe/Berlin:20300308T090000")
    berlin = ZoneInfo("Europe/Berlin")
    assert [(o.starts_at.astimezone(berlin).strftime("%m-%d %H:%M"), o.busy) for o in got.occurrences] == [
        ("03-01 09:00", True),
        ("03-15 12:00", True),
        ("03-22 09:00", False),
        ("03-29 09:00", True),  # the day after this, Berlin is on summer time: still 09:00 local
        ("04-05 09:00", True),
    ]
    assert got.occurrences[-1].starts_at == datetime(2030, 4, 5, 7, 0, tzinfo=UTC)


def test_expansion_stays_inside_the_window() -> None:
    ics = remote("BEGIN:VEVENT\nUID:d\nDTSTART:20290101T080000Z\nDTEND:20290101T090000Z\nRRULE:FREQ=DAILY\nEND:VEVENT")
    got = parse_remote_object(
        ics, zone="UTC", window=(datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 1, 4, tzinfo=UTC))
    )
    assert [o.starts_at.day for o in got.occurrences] == [1, 2, 3]
    assert got.starts_at == datetime(2029, 1, 1, 8, 0, tzinfo=UTC)


def test_all_day_and_floating_events_are_placed_in_the_calendar_zone() -> None:
    all_day = read(remote("BEGIN:VEVENT\nUID:a\nDTSTART;VALUE=DATE:20300803\nEND:VEVENT"), zone="America/New_York")
    assert all_day.all_day == (date(2030, 8, 3), date(2030, 8, 4))
    assert all_day.starts_at == datetime(2030, 8, 3, 4, 0, tzinfo=UTC)
    assert all_day.occurrences[0].all_day == (date(2030, 8, 3), date(2030, 8, 4))
    assert all_day.busy
    floating = read(
        remote("BEGIN:VEVENT\nUID:f\nDTSTART:20300803T100000\nDURATION:PT2H\nEND:VEVENT"), zone="Asia/Tokyo"
    )
    assert (floating.starts_at, floating.ends_at) == (
        datetime(2030, 8, 3, 1, 0, tzinfo=UTC),
        datetime(2030, 8, 3, 3, 0, tzinfo=UTC),
    )


def test_reminders_written_by_other_clients() -> None:
    ics = remote(
        """
        BEGIN:VEVENT
        UID:r
        DTSTART:20300701T070000Z
        DTEND:20300701T080000Z
        BEGIN:VALARM
        ACTION:EMAIL
        TRIGGER:-PT2H
        END:VALARM
        BEGIN:VALARM
        ACTION:AUDIO
        TRIGGER;VALUE=DATE-TIME:20300701T060000Z
        END:VALARM
        END:VEVENT
        """
    )
    assert read(ics).alarms == (StorageAlarm(120, "email"),)


def test_garbage_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        read(b"not a calendar")
    with pytest.raises(ValueError, match="no VEVENT"):
        read(remote("BEGIN:VTODO\nUID:t\nEND:VTODO"))


# ---- the quick paths of reading (bench.caldav: incremental reads) ------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    edge=st.sampled_from([0, 1]),
    offset_hours=st.integers(-24 * 5, 24 * 5),
    minutes=st.integers(0, 24 * 60 * 4),
    all_day=st.booleans(),
)
def test_events_that_do_not_repeat_get_the_occurrences_expansion_would_give(
    zone: str, edge: int, offset_hours: int, minutes: int, all_day: bool
) -> None:
    from calendars.ical.vevent import _occurrences
    from calendars.ical.zones import load_zone

    start = WINDOW[edge] + timedelta(hours=offset_hours)
    if all_day:
        first = start.astimezone(ZoneInfo(zone)).date()
        body = (
            f"DTSTART;VALUE=DATE:{first:%Y%m%d}\nDTEND;VALUE=DATE:{first + timedelta(days=1 + minutes // 1440):%Y%m%d}"
        )
    else:
        local = start.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
        body = f"DTSTART;TZID={zone}:{local:%Y%m%dT%H%M%S}\nDURATION:PT{minutes}M"
    ics = remote(f"BEGIN:VEVENT\nUID:one\n{body}\nEND:VEVENT")
    calendar = Calendar.from_ical(ics)
    (master,) = calendar.walk("VEVENT")
    expanded = _occurrences(calendar, master, load_zone(zone), WINDOW, frozenset())
    assert read(ics, zone=zone).occurrences == expanded


def test_vtimezones_of_named_zones_are_not_parsed_and_others_still_are() -> None:
    from calendars.ical.vevent import without_known_zones

    ours = build_storage_object(event(timezone="America/Los_Angeles"), now=NOW)
    assert b"BEGIN:VTIMEZONE" in ours and b"BEGIN:VTIMEZONE" not in without_known_zones(ours)
    assert read(ours) == read(ours.replace(b"TZID:America/Los_Angeles\r\n", b"TZID:America/Los_Angeles \r\n"))
    custom = remote(
        """
        BEGIN:VTIMEZONE
        TZID:Rentcal test zone
         (fixed +0530)
        BEGIN:STANDARD
        DTSTART:19700101T000000
        TZOFFSETFROM:+0530
        TZOFFSETTO:+0530
        END:STANDARD
        END:VTIMEZONE
        BEGIN:VEVENT
        UID:c
        DTSTART;TZID=Rentcal test zone(fixed +0530):20300701T100000
        DTEND;TZID=Rentcal test zone(fixed +0530):20300701T110000
        END:VEVENT
        """
    ).replace(b"zone\r\n(fixed", b"zone\r\n (fixed")  # a folded TZID line
    assert without_known_zones(custom) == custom
    got = read(custom, zone="UTC")
    assert (got.starts_at, got.ends_at) == (
        datetime(2030, 7, 1, 4, 30, tzinfo=UTC),
        datetime(2030, 7, 1, 5, 30, tzinfo=UTC),
    )
