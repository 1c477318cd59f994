"""Block-out rules as RFC 5545 writes them: UTC UNTIL (3.3.10) and the spring-forward gap (3.8.5.3)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rental.errors import InvalidInput
from rental.recurrence import occurrences, validate_rrule

LA = ZoneInfo("America/Los_Angeles")
ZONES = ["America/Los_Angeles", "Europe/Berlin", "Australia/Lord_Howe", "Pacific/Chatham", "America/Santiago"]


def test_utc_until_is_accepted_and_ends_the_series_at_that_instant() -> None:
    first = datetime(2026, 1, 5, 9, tzinfo=LA)  # a Monday, 17:00 UTC
    # 2026-01-26 17:00 UTC is the fourth Monday's start in Los Angeles: it is included, the fifth is not.
    rule = validate_rrule("FREQ=WEEKLY;BYDAY=MO;UNTIL=20260126T170000Z")
    assert rule == "FREQ=WEEKLY;BYDAY=MO;UNTIL=20260126T170000Z"
    window = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))
    found = list(occurrences(first, first + timedelta(hours=2), rule, LA, *window))
    assert [s.astimezone(LA).date().isoformat() for s, _ in found] == [
        "2026-01-05",
        "2026-01-12",
        "2026-01-19",
        "2026-01-26",
    ]


def test_utc_until_one_second_earlier_drops_the_last_occurrence() -> None:
    first = datetime(2026, 1, 5, 9, tzinfo=LA)
    window = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))
    found = list(occurrences(first, first + timedelta(hours=2), "FREQ=WEEKLY;UNTIL=20260126T165959Z", LA, *window))
    assert len(found) == 3


def test_floating_until_is_kept() -> None:
    first = datetime(2026, 1, 5, 9, tzinfo=LA)
    window = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))
    rule = "FREQ=WEEKLY;UNTIL=20260126T090000"  # local wall-clock time, as the portal writes it
    assert validate_rrule(rule) == rule
    assert len(list(occurrences(first, first + timedelta(hours=2), rule, LA, *window))) == 4


def test_malformed_utc_until_is_refused_clearly() -> None:
    with pytest.raises(InvalidInput, match="UNTIL"):
        validate_rrule("FREQ=WEEKLY;UNTIL=2026-01-26Z")


def test_weekly_block_in_the_spring_forward_gap_keeps_its_duration() -> None:
    # Sundays 02:00-03:00 in Los Angeles; on 2026-03-08 02:00-03:00 does not exist.
    first = datetime(2026, 3, 1, 2, tzinfo=LA)
    window = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 20, tzinfo=UTC))
    found = list(occurrences(first, first + timedelta(hours=1), "FREQ=WEEKLY", LA, *window))
    assert [e - s for s, e in found] == [timedelta(hours=1)] * 3
    # RFC 5545 3.3.5: a time in the gap is read with the offset before it: 02:00 PST is 03:00 PDT.
    assert found[1][0].astimezone(LA).strftime("%m-%d %H:%M") == "03-08 03:00"


@settings(max_examples=60, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    day=st.dates(min_value=datetime(2026, 1, 1).date(), max_value=datetime(2027, 12, 31).date()),
    minute=st.integers(min_value=0, max_value=24 * 60 - 1),
    length=st.integers(min_value=1, max_value=12 * 60),
    freq=st.sampled_from(["DAILY", "WEEKLY"]),
)
def test_timed_occurrences_always_keep_their_exact_duration(
    zone: str, day: datetime, minute: int, length: int, freq: str
) -> None:
    tz = ZoneInfo(zone)
    first = datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(minutes=minute)
    first = first.astimezone(UTC).astimezone(tz)  # a real instant
    duration = timedelta(minutes=length)
    window = (first.astimezone(UTC), first.astimezone(UTC) + timedelta(days=400))
    for start, end in occurrences(first, first + duration, f"FREQ={freq}", tz, *window):
        assert end - start == duration, (zone, start)
