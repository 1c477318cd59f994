from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from rental.errors import InvalidInput
from rental.recurrence import occurrences, validate_rrule

LA = ZoneInfo("America/Los_Angeles")


def test_weekly_sunday_closure_keeps_local_midnight_across_dst() -> None:
    first = datetime(2026, 1, 4, tzinfo=LA)  # a Sunday
    found = list(
        occurrences(
            first,
            first + timedelta(days=1),
            "FREQ=WEEKLY;BYDAY=SU",
            LA,
            datetime(2026, 3, 1, tzinfo=LA),
            datetime(2026, 3, 16, tzinfo=LA),
        )
    )
    assert [s.astimezone(LA).strftime("%Y-%m-%d %H:%M") for s, _ in found] == [
        "2026-03-01 00:00",
        "2026-03-08 00:00",
        "2026-03-15 00:00",
    ]
    # March 8 is the spring-forward day: the block still ends at local midnight (23 hours later)
    start, end = found[1]
    assert end.astimezone(LA).strftime("%Y-%m-%d %H:%M") == "2026-03-09 00:00"
    assert end - start == timedelta(hours=23)


def test_yearly_christmas_block() -> None:
    first = datetime(2025, 12, 24, tzinfo=LA)
    found = list(
        occurrences(
            first,
            first + timedelta(days=3),
            "FREQ=YEARLY",
            LA,
            datetime(2027, 1, 1, tzinfo=LA),
            datetime(2028, 1, 1, tzinfo=LA),
        )
    )
    assert [(s.date().isoformat(), e.date().isoformat()) for s, e in found] == [("2027-12-24", "2027-12-27")]


def test_occurrence_started_before_window_is_included() -> None:
    first = datetime(2026, 1, 1, 20, tzinfo=LA)
    found = list(
        occurrences(
            first,
            first + timedelta(hours=10),
            "FREQ=DAILY",
            LA,
            datetime(2026, 2, 1, 2, tzinfo=LA),
            datetime(2026, 2, 1, 3, tzinfo=LA),
        )
    )
    assert len(found) == 1 and found[0][0].astimezone(LA).day == 31


def test_single_block_without_rule() -> None:
    s, e = datetime(2026, 5, 1, tzinfo=LA), datetime(2026, 5, 2, tzinfo=LA)
    assert list(occurrences(s, e, None, LA, datetime(2026, 4, 1, tzinfo=LA), datetime(2026, 6, 1, tzinfo=LA))) == [
        (s, e)
    ]
    assert list(occurrences(s, e, None, LA, datetime(2026, 6, 1, tzinfo=LA), datetime(2026, 7, 1, tzinfo=LA))) == []


@pytest.mark.parametrize("rule", ["FREQ=SOMETIMES", "BYDAY=XX;FREQ=WEEKLY", "nonsense"])
def test_invalid_rules_are_rejected_clearly(rule: str) -> None:
    with pytest.raises(InvalidInput, match="rrule"):
        validate_rrule(rule)


def test_rrule_prefix_is_accepted() -> None:
    assert validate_rrule("RRULE:FREQ=WEEKLY;BYDAY=SU") == "FREQ=WEEKLY;BYDAY=SU"
