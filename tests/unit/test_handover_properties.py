"""The rental rules as properties (hypothesis) over random zones, business hours, closures and bookings.

The widget offers a return day only when the same rules the API applies accept the rental, day
statuses call a day closed exactly when no pickup or return can happen on it, and a rental may run
over closed days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from rental.daystatus import compute_days, days_between
from rental.handover import (
    WEEKDAY_KEYS,
    Closure,
    Limits,
    OpeningHours,
    closed_reason,
    local_instant,
    pickup_refusal,
    return_options,
    some_unit_free,
    widget_window,
    window_refusal,
)

# Half-hour and 45-minute offsets, both hemispheres, DST rules of every shape, no DST at all.
ZONES = [
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "America/Los_Angeles",
    "Europe/Berlin",
    "America/St_Johns",
    "Asia/Kolkata",
    "America/Santiago",
    "Pacific/Auckland",
    "Asia/Kathmandu",
    "UTC",
]
# Near DST changes in both hemispheres: early April and early October, late March and early November.
STARTS = [date(2027, 3, 26), date(2027, 4, 1), date(2027, 9, 24), date(2027, 10, 29)]
SPAN = 21

quarter_hours = st.integers(min_value=0, max_value=95).map(lambda q: time(q // 4, q % 4 * 15))


@st.composite
def business_hours(draw: st.DrawFn) -> dict[str, list[str]]:
    if draw(st.booleans()) and draw(st.booleans()):
        return {}  # not set: open every day
    hours: dict[str, list[str]] = {}
    for key in WEEKDAY_KEYS:
        if draw(st.integers(0, 5)) == 0:
            continue  # closed that weekday
        a, b = sorted(draw(st.lists(quarter_hours, min_size=2, max_size=2, unique=True)))
        hours[key] = [f"{a:%H:%M}", f"{b:%H:%M}"]
    return hours


@st.composite
def scenario(draw: st.DrawFn) -> dict[str, object]:
    tz = ZoneInfo(draw(st.sampled_from(ZONES)))
    first = draw(st.sampled_from(STARTS))
    hours = OpeningHours(draw(business_hours()))

    def instant(day_offset: int, minutes: int) -> datetime:
        day = first + timedelta(days=day_offset)
        return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC) + timedelta(minutes=minutes)

    closures = []
    for _ in range(draw(st.integers(0, 4))):
        offset, length = draw(st.integers(0, SPAN)), draw(st.integers(1, 3))
        if draw(st.booleans()):  # whole local days
            start = local_instant(first + timedelta(days=offset), time(0), tz)
            end = local_instant(first + timedelta(days=offset + length), time(0), tz)
        else:  # a few hours somewhere
            start = instant(offset, draw(st.integers(0, 24 * 60)))
            end = start + timedelta(minutes=draw(st.integers(15, 36 * 60)))
        closures.append(Closure(start, end, draw(st.sampled_from(["Holiday", "Stocktaking", ""]))))
    units = draw(st.integers(1, 3))
    busy: dict[int, list[tuple[datetime, datetime]]] = {}
    for unit in range(units):
        intervals = []
        for _ in range(draw(st.integers(0, 3))):
            start = instant(draw(st.integers(0, SPAN)), draw(st.integers(0, 24 * 60)))
            intervals.append((start, start + timedelta(minutes=draw(st.integers(30, 5 * 24 * 60)))))
        busy[unit] = intervals
    pickup = first + timedelta(days=draw(st.integers(0, 7)))
    earliest = instant(draw(st.integers(-2, 4)), draw(st.integers(0, 24 * 60)))
    limits = Limits(earliest=earliest, min_days=draw(st.integers(1, 3)), max_days=draw(st.integers(3, SPAN)))
    return {
        "tz": tz,
        "hours": hours,
        "closures": sorted(closures, key=lambda c: c.starts_at),
        "busy": busy,
        "pickup": pickup,
        "limits": limits,
        "first": first,
    }


@settings(max_examples=400, deadline=None)
@given(scenario())
def test_every_offered_return_day_can_be_booked_and_every_refused_one_cannot(case: dict[str, object]) -> None:
    tz, hours, closures, busy = case["tz"], case["hours"], case["closures"], case["busy"]
    pickup, limits = case["pickup"], case["limits"]
    assert isinstance(tz, ZoneInfo) and isinstance(hours, OpeningHours) and isinstance(pickup, date)
    assert isinstance(limits, Limits) and isinstance(closures, list) and isinstance(busy, dict)
    refusal = pickup_refusal(pickup, tz, hours, closures, limits, busy)
    window = widget_window(pickup, pickup, tz, hours)
    if refusal is not None:
        # A refused pickup day is closed, its opening has passed (or is within the lead time), or
        # every unit is busy at opening time.
        if refusal.code == "no_unit_free":
            assert window is not None and not some_unit_free(busy, window[0], window[0] + timedelta(microseconds=1))
        else:
            closed = closed_reason(pickup, tz, hours, closures) is not None
            assert closed or window is None or window[0] < limits.earliest
        return
    last = pickup + timedelta(days=SPAN)
    options = return_options(pickup, last, tz, hours, closures, busy, limits)
    assert [o.day for o in options] == days_between(pickup, last)
    for option in options:
        window = widget_window(pickup, option.day, tz, hours)
        length = (option.day - pickup).days + 1
        if option.ok:
            assert window is not None and window[0] >= limits.earliest
            assert window_refusal(window[0], window[1], tz, hours, closures) is None
            assert some_unit_free(busy, window[0], window[1])
            assert limits.min_days <= length <= limits.max_days
        elif option.code == "no_return_that_day":
            assert closed_reason(option.day, tz, hours, closures) is not None
        elif option.code == "no_unit_free":
            assert window is not None and not some_unit_free(busy, window[0], window[1])
        else:
            assert option.code in ("too_short", "too_long")
            assert not limits.min_days <= length <= limits.max_days


@settings(max_examples=300, deadline=None)
@given(scenario())
def test_day_statuses_call_a_day_closed_exactly_when_there_is_no_handover(case: dict[str, object]) -> None:
    tz, hours, closures, busy, first = case["tz"], case["hours"], case["closures"], case["busy"], case["first"]
    assert isinstance(tz, ZoneInfo) and isinstance(hours, OpeningHours) and isinstance(first, date)
    assert isinstance(closures, list) and isinstance(busy, dict)
    days = days_between(first, first + timedelta(days=SPAN))
    statuses = compute_days(days, tz, busy, closures, hours)
    for status in statuses:
        reason = closed_reason(status.day, tz, hours, closures)
        assert (status.status == "closed") == (reason is not None)
        window = widget_window(status.day, status.day, tz, hours)
        if status.status != "closed" and window is not None:
            # an open day accepts the widget's pickup and return times on it
            assert window_refusal(window[0], window[1], tz, hours, closures) is None
        if status.status == "available":
            day_start = local_instant(status.day, time(0), tz)
            day_end = local_instant(status.day + timedelta(days=1), time(0), tz)
            assert some_unit_free(busy, day_start, day_end)


def test_a_rental_may_span_closed_days() -> None:
    tz = ZoneInfo("Europe/Berlin")
    hours = OpeningHours({k: ["08:00", "18:00"] for k in WEEKDAY_KEYS[:5]})
    saturday = date(2027, 1, 9)
    closures = [
        Closure(
            local_instant(saturday, time(0), tz), local_instant(saturday, time(0), tz) + timedelta(days=1), "Winter"
        )
    ]
    friday, monday = saturday - timedelta(days=1), saturday + timedelta(days=2)
    start, end = local_instant(friday, time(8), tz), local_instant(monday, time(18), tz)
    assert window_refusal(start, end, tz, hours, closures) is None
    refused = window_refusal(start, local_instant(saturday, time(12), tz), tz, hours, closures)
    assert refused is not None and (refused.code, refused.reason) == ("no_return_that_day", "Winter")
    sunday = window_refusal(local_instant(saturday + timedelta(days=1), time(9), tz), end, tz, hours, closures)
    assert sunday is not None and (sunday.code, sunday.reason) == ("no_pickup_that_day", "Closed")
    early = window_refusal(local_instant(friday, time(7, 59), tz), end, tz, hours, closures)
    assert early is not None and early.code == "pickup_outside_hours"
    earliest = datetime(2027, 1, 1, tzinfo=UTC)
    options = return_options(friday, monday, tz, hours, closures, {1: []}, Limits(earliest))
    assert [(o.day.weekday(), o.ok) for o in options] == [(4, True), (5, False), (6, False), (0, True)]
