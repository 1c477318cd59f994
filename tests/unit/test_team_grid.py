"""The team calendar's pure layout: DST-correct columns, lanes for overlaps, clashes on the rows they concern."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from portal.schedule import Row, Schedule
from portal.web.team_grid import Bar, build_grid, position, stack, window_for
from rental.clashes import find_clashes
from rental.timeline import Entry

LA = ZoneInfo("America/Los_Angeles")


def test_positions_are_local_days_even_when_a_day_has_23_hours() -> None:
    days = [date(2027, 3, 13), date(2027, 3, 14), date(2027, 3, 15)]  # clocks go forward on the 14th
    assert position(datetime(2027, 3, 14, 0, tzinfo=LA), days, LA) == 1.0
    assert position(datetime(2027, 3, 15, 0, tzinfo=LA), days, LA) == 2.0
    # noon on the short day is past its middle (11.5 h of 23 h... 12:00 PDT is 11 real hours after midnight PST)
    assert position(datetime(2027, 3, 14, 12, tzinfo=LA), days, LA) == 1 + 11 / 23
    assert position(datetime(2027, 3, 1, tzinfo=LA), days, LA) == 0.0
    assert position(datetime(2027, 4, 1, tzinfo=LA), days, LA) == 3.0


def test_week_starts_on_monday_and_month_spans_the_month() -> None:
    assert window_for("week", date(2027, 3, 17)) == (
        date(2027, 3, 15),
        date(2027, 3, 21),
        date(2027, 3, 8),
        date(2027, 3, 22),
    )
    assert window_for("month", date(2027, 2, 10)) == (
        date(2027, 2, 1),
        date(2027, 2, 28),
        date(2027, 1, 1),
        date(2027, 3, 1),
    )


def test_overlapping_bars_get_their_own_lanes() -> None:
    bars = [Bar(0, 30, "", "", "", ""), Bar(20, 30, "", "", "", ""), Bar(50, 10, "", "", "", "")]
    assert stack(bars) == 2
    assert [b.lane for b in bars] == [0, 1, 0]


def test_a_closure_is_marked_as_a_clash_only_on_the_unit_whose_booking_it_covers() -> None:
    day = datetime(2027, 3, 16, tzinfo=LA)
    booking = Entry(
        kind="booking",
        id=1,
        starts_at=day.replace(hour=9),
        ends_at=day.replace(hour=17),
        status="confirmed",
        label="Ada",
        unit_id=10,
        product_id=1,
        unit_name="A",
        product_name="P",
    )
    closure = Entry(kind="block", id=7, starts_at=day, ends_at=day.replace(hour=23), status="closed", label="Closed")
    entries = [booking, closure]
    data = Schedule(
        "America/Los_Angeles",
        date(2027, 3, 15),
        date(2027, 3, 21),
        "unit",
        [Row(10, "A", "P"), Row(11, "B", "P")],
        entries,
        find_clashes(entries, {}, set(), LA),
        [],
        {},
        [],
    )
    grid = build_grid(
        data,
        "week",
        date(2027, 3, 16),
        date(2027, 3, 16),
        datetime(2027, 3, 16, 20, tzinfo=UTC),
        {"confirmed": "#0b8043"},
        {10: 1, 11: 1},
        {},
    )
    by_row = {row.id: {b.entry.key: b.clashes for b in row.bars if b.entry} for row in grid.rows}
    assert by_row[10] == {"booking:1": ["Booked while closed"], "block:7": ["Booked while closed"]}
    assert by_row[11] == {"block:7": []}
    assert grid.now_left is not None and 14 < grid.now_left < 28  # Tuesday, in the second column
