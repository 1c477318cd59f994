"""Range rules of the widget: local dates in the company's zone, instants via zoneinfo, DST-safe."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from widget.ranges import (
    MAX_DAYS,
    RangeError,
    Selection,
    check_selection,
    hours_on,
    local_instant,
    parse_selection,
    pickup_and_return,
)

LA = ZoneInfo("America/Los_Angeles")
WEEKDAYS = {d: ["08:00", "17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_range_across_the_spring_dst_change_keeps_wall_clock_times() -> None:
    # 2027-03-14: clocks go 02:00 -> 03:00 in Los Angeles, so that day has 23 hours.
    start, end = pickup_and_return(Selection(date(2027, 3, 13), date(2027, 3, 15)), LA, None)
    assert start == utc(2027, 3, 13, 16)  # 08:00 PST (-8)
    assert end == utc(2027, 3, 16, 0)  # 17:00 PDT (-7)
    assert end - start == timedelta(hours=2 * 24 + 9 - 1)
    assert start.astimezone(LA).time() == time(8) and end.astimezone(LA).time() == time(17)


def test_range_across_the_autumn_dst_change_keeps_wall_clock_times() -> None:
    # 2027-11-07: clocks go 02:00 -> 01:00, so that day has 25 hours.
    start, end = pickup_and_return(Selection(date(2027, 11, 6), date(2027, 11, 8)), LA, None)
    assert start == utc(2027, 11, 6, 15)  # 08:00 PDT (-7)
    assert end == utc(2027, 11, 9, 1)  # 17:00 PST (-8)
    assert end - start == timedelta(hours=2 * 24 + 9 + 1)


@pytest.mark.parametrize("day", [date(2027, 3, 14), date(2027, 11, 7)])
def test_one_day_range_on_the_change_day_is_opening_to_closing(day: date) -> None:
    start, end = pickup_and_return(Selection(day, day), LA, None)
    assert (start.astimezone(LA).time(), end.astimezone(LA).time()) == (time(8), time(17))
    assert start.astimezone(LA).date() == end.astimezone(LA).date() == day
    assert end - start == timedelta(hours=9)  # the change happens before opening


def test_wall_times_inside_the_gap_and_the_overlap() -> None:
    # 02:30 does not exist on 2027-03-14: fold=0 reads it with the old offset, i.e. 03:30 PDT.
    assert local_instant(date(2027, 3, 14), time(2, 30), LA) == utc(2027, 3, 14, 10, 30)
    # 01:30 happens twice on 2027-11-07: the first one (PDT) is meant.
    assert local_instant(date(2027, 11, 7), time(1, 30), LA) == utc(2027, 11, 7, 8, 30)


def test_business_hours_per_weekday_and_the_default() -> None:
    hours = {**WEEKDAYS, "sat": ["09:00", "13:00"]}
    assert hours_on(date(2027, 3, 13), hours) == (time(9), time(13))  # a Saturday
    assert hours_on(date(2027, 3, 14), hours) is None  # Sunday: closed
    assert hours_on(date(2027, 3, 14), {}) == (time(8), time(17))  # no hours at all: the default
    assert hours_on(date(2027, 3, 15), {"mon": ["17:00", "08:00"]}) is None  # nonsense counts as closed
    start, end = pickup_and_return(Selection(date(2027, 3, 13), date(2027, 3, 15)), LA, hours)
    assert start.astimezone(LA).replace(tzinfo=None) == datetime(2027, 3, 13, 9)
    assert end.astimezone(LA).replace(tzinfo=None) == datetime(2027, 3, 15, 17)


@pytest.mark.parametrize(
    ("selection", "code", "day"),
    [
        (Selection(date(2027, 3, 14), date(2027, 3, 16)), "no_pickup_that_day", date(2027, 3, 14)),
        (Selection(date(2027, 3, 12), date(2027, 3, 14)), "no_return_that_day", date(2027, 3, 14)),
    ],
)
def test_no_pickup_or_return_on_a_closed_weekday(selection: Selection, code: str, day: date) -> None:
    with pytest.raises(RangeError) as caught:
        pickup_and_return(selection, LA, WEEKDAYS)
    assert (caught.value.code, caught.value.day) == (code, day)


def test_a_closed_weekday_inside_the_range_is_fine() -> None:
    start, end = pickup_and_return(Selection(date(2027, 3, 12), date(2027, 3, 15)), LA, WEEKDAYS)
    assert (start.astimezone(LA).day, end.astimezone(LA).day) == (12, 15)


def test_check_selection_order_past_and_length() -> None:
    today = date(2027, 3, 1)
    check_selection(Selection(today, today), today)
    check_selection(Selection(today, today + timedelta(days=MAX_DAYS - 1)), today)
    cases = [
        (Selection(date(2027, 3, 5), date(2027, 3, 4)), "return_before_pickup"),
        (Selection(date(2027, 2, 28), date(2027, 3, 4)), "in_past"),
        (Selection(today, today + timedelta(days=MAX_DAYS)), "too_long"),
    ]
    for selection, code in cases:
        with pytest.raises(RangeError) as caught:
            check_selection(selection, today)
        assert caught.value.code == code


def test_parse_selection() -> None:
    assert parse_selection(" 2027-03-13", "2027-03-15 ") == Selection(date(2027, 3, 13), date(2027, 3, 15))
    assert Selection(date(2027, 3, 13), date(2027, 3, 15)).days == 3
    for pickup, return_date in (("", "2027-03-15"), ("2027-02-30", "2027-03-01"), ("13.03.2027", "2027-03-15")):
        with pytest.raises(RangeError) as caught:
            parse_selection(pickup, return_date)
        assert caught.value.code == "choose_dates"
