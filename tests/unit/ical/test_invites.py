"""iTIP invitations (RFC 5545/5546) and "add to calendar" links."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Event

from calendars.ical.invites import PRODID, build_invite, calendar_links
from tests.unit.ical.samples import LA, invite


def parse(ics: bytes) -> tuple[Calendar, Event]:
    calendar = Calendar.from_ical(ics)
    assert isinstance(calendar, Calendar)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def test_request_carries_every_required_property() -> None:
    source = invite()
    calendar, event = parse(build_invite(source, "REQUEST"))

    assert str(calendar["PRODID"]) == PRODID
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["METHOD"]) == "REQUEST"

    assert str(event["UID"]) == "booking-42@rentcal.example"
    assert event["DTSTAMP"].dt == datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
    assert int(event["SEQUENCE"]) == 0
    assert str(event["SUMMARY"]) == "Excavator CAT 305, pickup; bring trailer"
    assert str(event["LOCATION"]) == "Yard 3; Gate B, 100 Industrial Way"
    assert str(event["DESCRIPTION"]) == "Pickup with ID.\nDeposit: $500 — paid."
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["TRANSP"]) == "OPAQUE"

    organizer = event["ORGANIZER"]
    assert str(organizer) == "mailto:bookings@acme.example"
    assert organizer.params["CN"] == "Acme Rentals, Inc."
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:john.doe@example.com"
    assert attendee.params["CN"] == 'Jöhn "JJ" Doe'
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
    assert attendee.params["RSVP"] == "FALSE"


def test_start_and_end_use_the_company_zone() -> None:
    ics = build_invite(invite(), "REQUEST")
    _, event = parse(ics)

    assert event["DTSTART"].params["TZID"] == "America/Los_Angeles"
    assert event["DTEND"].params["TZID"] == "America/Los_Angeles"
    assert b"DTSTART;TZID=America/Los_Angeles:20260307T090000\r\n" in ics
    # 17:30 on the Monday after the spring-forward Sunday is PDT (UTC-7)
    assert b"DTEND;TZID=America/Los_Angeles:20260309T173000\r\n" in ics
    assert event["DTSTART"].dt == datetime(2026, 3, 7, 17, 0, tzinfo=UTC)
    assert event["DTEND"].dt == datetime(2026, 3, 10, 0, 30, tzinfo=UTC)


def test_times_given_in_another_zone_are_converted_to_the_company_zone() -> None:
    starts_at = datetime(2026, 7, 1, 18, 0, tzinfo=UTC)
    ics = build_invite(invite(starts_at=starts_at, ends_at=starts_at + timedelta(hours=3)), "REQUEST")
    assert b"DTSTART;TZID=America/Los_Angeles:20260701T110000\r\n" in ics
    assert b"DTEND;TZID=America/Los_Angeles:20260701T140000\r\n" in ics


def test_vtimezone_carries_the_zone_dst_transitions() -> None:
    calendar, _ = parse(build_invite(invite(), "REQUEST"))
    [timezone] = calendar.walk("VTIMEZONE")
    assert str(timezone["TZID"]) == "America/Los_Angeles"
    assert calendar.get_missing_tzids() == set()

    def onsets(kind: str) -> dict[date, tuple[timedelta, timedelta]]:
        result = {}
        for observance in timezone.walk(kind):
            rdates = observance.get("RDATE", [])
            rdates = rdates if isinstance(rdates, list) else [rdates]
            starts = [observance.DTSTART, *(period.dt for rdate in rdates for period in rdate.dts)]
            for start in starts:
                result[start.date()] = (observance.TZOFFSETFROM, observance.TZOFFSETTO)
        return result

    pst, pdt = timedelta(hours=-8), timedelta(hours=-7)
    assert onsets("DAYLIGHT")[date(2026, 3, 8)] == (pst, pdt)
    assert onsets("STANDARD")[date(2026, 11, 1)] == (pdt, pst)
    names = {str(o["TZNAME"]) for o in timezone.walk() if "TZNAME" in o}
    assert {"PST", "PDT"} <= names


def test_vtimezone_covers_every_year_of_the_event() -> None:
    long_rental = invite(ends_at=datetime(2028, 2, 1, 12, 0, tzinfo=LA))
    calendar, _ = parse(build_invite(long_rental, "REQUEST"))
    [timezone] = calendar.walk("VTIMEZONE")
    text = timezone.to_ical()
    for spring in (b"20260308", b"20270314"):
        assert spring in text
    assert b"20261101" in text and b"20271107" in text


def test_utc_events_need_no_vtimezone() -> None:
    ics = build_invite(invite(timezone="UTC"), "REQUEST")
    calendar, event = parse(ics)
    assert calendar.walk("VTIMEZONE") == []
    assert b"DTSTART:20260307T170000Z\r\n" in ics
    assert event["DTSTART"].dt == datetime(2026, 3, 7, 17, 0, tzinfo=UTC)


def test_request_has_one_display_alarm_per_offset() -> None:
    _, event = parse(build_invite(invite(), "REQUEST"))
    alarms = event.walk("VALARM")
    assert [alarm["TRIGGER"].dt for alarm in alarms] == [timedelta(days=-1), timedelta(hours=-1)]
    for alarm in alarms:
        assert str(alarm["ACTION"]) == "DISPLAY"
        assert str(alarm["DESCRIPTION"]) == "Reminder: Excavator CAT 305, pickup; bring trailer"
    ics = build_invite(invite(), "REQUEST")
    assert b"TRIGGER:-P1D\r\n" in ics and b"TRIGGER:-PT1H\r\n" in ics


def test_alarms_are_configurable() -> None:
    _, event = parse(build_invite(invite(alarms=(timedelta(minutes=30),)), "REQUEST"))
    assert [alarm["TRIGGER"].dt for alarm in event.walk("VALARM")] == [timedelta(minutes=-30)]
    _, event = parse(build_invite(invite(alarms=()), "REQUEST"))
    assert event.walk("VALARM") == []


def test_cancel_keeps_uid_uses_given_sequence_and_drops_alarms() -> None:
    calendar, event = parse(build_invite(invite(sequence=3), "CANCEL"))
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["UID"]) == "booking-42@rentcal.example"
    assert int(event["SEQUENCE"]) == 3
    assert str(event["STATUS"]) == "CANCELLED"
    assert event.walk("VALARM") == []
    # RFC 5546 3.2.5: CANCEL still names organizer and attendee
    assert str(event["ORGANIZER"]) == "mailto:bookings@acme.example"
    assert str(event["ATTENDEE"]) == "mailto:john.doe@example.com"


def test_tentative_request_and_invalid_combinations() -> None:
    _, event = parse(build_invite(invite(status="TENTATIVE", sequence=1), "REQUEST"))
    assert str(event["STATUS"]) == "TENTATIVE"
    with pytest.raises(ValueError, match="CANCEL"):
        build_invite(invite(status="CANCELLED"), "REQUEST")
    with pytest.raises(ValueError, match="method"):
        build_invite(invite(), "PUBLISH")  # type: ignore[arg-type]


def test_without_location_or_description_there_are_no_such_properties() -> None:
    _, event = parse(build_invite(invite(location=None, description=""), "REQUEST"))
    assert "LOCATION" not in event
    assert "DESCRIPTION" not in event


def test_control_characters_are_removed_and_long_lines_folded() -> None:
    ics = build_invite(invite(summary="Bad\x07 bell\x00", description="x" * 500), "REQUEST")
    _, event = parse(ics)
    assert str(event["SUMMARY"]) == "Bad bell"
    assert str(event["DESCRIPTION"]) == "x" * 500
    assert all(len(line) <= 75 for line in ics.split(b"\r\n"))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"starts_at": datetime(2026, 3, 7, 9, 0)}, "timezone-aware"),
        ({"ends_at": datetime(2026, 3, 1, 9, 0, tzinfo=LA)}, "before"),
        ({"timezone": "Mars/Olympus"}, "IANA"),
        ({"sequence": -1}, "sequence"),
        ({"attendee_email": "John <john@example.com>"}, "e-mail"),
        ({"organizer_name": "Evil\r\nBCC: x"}, "single line"),
        ({"uid": ""}, "uid"),
        ({"status": "MAYBE"}, "status"),
        ({"alarms": (timedelta(hours=-1),)}, "alarms"),
    ],
)
def test_invite_event_rejects_nonsense(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        invite(**changes)


def test_links_are_well_formed_and_encoded() -> None:
    links = calendar_links(invite())
    assert set(links) == {"google", "outlook"}

    google = urlsplit(links["google"])
    assert (google.scheme, google.netloc, google.path) == ("https", "calendar.google.com", "/calendar/render")
    query = parse_qs(google.query, strict_parsing=True)
    assert query["action"] == ["TEMPLATE"]
    assert query["text"] == ["Excavator CAT 305, pickup; bring trailer"]
    assert query["dates"] == ["20260307T170000Z/20260310T003000Z"]
    assert query["details"] == ["Pickup with ID.\nDeposit: $500 — paid."]
    assert query["location"] == ["Yard 3; Gate B, 100 Industrial Way"]
    assert query["ctz"] == ["America/Los_Angeles"]

    outlook = urlsplit(links["outlook"])
    assert (outlook.scheme, outlook.netloc) == ("https", "outlook.live.com")
    assert outlook.path == "/calendar/0/deeplink/compose"
    query = parse_qs(outlook.query, strict_parsing=True)
    assert query["subject"] == ["Excavator CAT 305, pickup; bring trailer"]
    assert query["startdt"] == ["2026-03-07T17:00:00Z"]
    assert query["enddt"] == ["2026-03-10T00:30:00Z"]
    assert query["body"] == ["Pickup with ID.\nDeposit: $500 — paid."]
    assert query["location"] == ["Yard 3; Gate B, 100 Industrial Way"]

    for url in links.values():
        # nothing that would break the query string or an HTML attribute is left raw
        query_string = urlsplit(url).query
        assert not any(ch in query_string for ch in ' \n"<>;,#+')
        assert query_string.isascii()


def test_link_times_are_utc_whatever_zone_the_event_is_in() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    starts_at = datetime(2026, 5, 1, 9, 0, tzinfo=tokyo)
    links = calendar_links(invite(starts_at=starts_at, ends_at=starts_at + timedelta(hours=1), location=None))
    query = parse_qs(urlsplit(links["google"]).query, keep_blank_values=True)
    assert query["dates"] == ["20260501T000000Z/20260501T010000Z"]
    assert query["location"] == [""]
