from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from rental.daystatus import Closure, compute_days, day_bounds, merge

LA = ZoneInfo("America/Los_Angeles")


def local(y: int, m: int, d: int, h: int = 0) -> datetime:
    return datetime(y, m, d, h, tzinfo=LA)


def test_day_bounds_follow_dst_changes() -> None:
    spring = day_bounds(date(2026, 3, 8), LA)
    autumn = day_bounds(date(2026, 11, 1), LA)
    normal = day_bounds(date(2026, 3, 9), LA)
    assert spring[1] - spring[0] == timedelta(hours=23)
    assert autumn[1] - autumn[0] == timedelta(hours=25)
    assert normal[1] - normal[0] == timedelta(hours=24)
    assert spring[0] == datetime(2026, 3, 8, 8, tzinfo=UTC)


def test_statuses_available_partial_unavailable_closed() -> None:
    days = [date(2026, 12, d) for d in range(1, 6)]
    busy = {
        1: [(local(2026, 12, 2), local(2026, 12, 3))],  # all of Dec 2
        2: [(local(2026, 12, 2, 9), local(2026, 12, 2, 17)), (local(2026, 12, 3), local(2026, 12, 4))],
    }
    closures = [Closure(local(2026, 12, 5), local(2026, 12, 6), "Holiday")]
    result = compute_days(days, LA, busy, closures)
    assert [(d.status, d.available_units) for d in result] == [
        ("available", 2),
        ("partial", 0),
        ("available", 1),
        ("available", 2),
        ("closed", 0),
    ]
    assert result[4].reason == "Holiday"
    assert all(d.total_units == 2 for d in result)


def test_fully_booked_day_is_unavailable_even_when_23_hours_long() -> None:
    day = date(2026, 3, 8)
    start, end = day_bounds(day, LA)
    result = compute_days([day], LA, {1: [(start, end)]}, [])
    assert result[0].status == "unavailable"
    # the same wall-clock span on a 24h assumption would leave an hour free: it must not
    result = compute_days([day], LA, {1: [(start, start + timedelta(hours=23))]}, [])
    assert result[0].status == "unavailable"


def test_busy_pieces_that_together_cover_the_day_make_it_unavailable() -> None:
    day = date(2026, 6, 1)
    result = compute_days(
        [day], LA, {1: [(local(2026, 5, 30), local(2026, 6, 1, 12)), (local(2026, 6, 1, 12), local(2026, 6, 4))]}, []
    )
    assert result[0].status == "unavailable"


def test_no_units_is_unavailable() -> None:
    assert compute_days([date(2026, 6, 1)], LA, {}, [])[0].status == "unavailable"


# Instants are built in UTC: wall-clock arithmetic in the zone would make times that do not exist.
BASE = local(2026, 3, 5).astimezone(UTC)
intervals = st.lists(
    st.tuples(st.integers(0, 24 * 12), st.integers(1, 24 * 4)).map(
        lambda t: (BASE + timedelta(hours=t[0]), BASE + timedelta(hours=t[0] + t[1]))
    ),
    max_size=8,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.integers(1, 4), intervals, min_size=1, max_size=4))
def test_matches_brute_force_hour_by_hour(busy: dict[int, list[tuple[datetime, datetime]]]) -> None:
    days = [date(2026, 3, 5) + timedelta(days=i) for i in range(12)]  # spans the March DST change
    result = compute_days(days, LA, busy, [])
    for day, status in zip(days, result, strict=True):
        start, end = day_bounds(day, LA)
        free_whole = partly_free = 0
        for unit_busy in busy.values():
            hours = int((end - start).total_seconds() // 3600)
            free_hours = [
                not any(s < start + timedelta(hours=h + 1) and e > start + timedelta(hours=h) for s, e in unit_busy)
                for h in range(hours)
            ]
            free_whole += all(free_hours)
            partly_free += any(free_hours) and not all(free_hours)
        expected = "available" if free_whole else "partial" if partly_free else "unavailable"
        assert status.status == expected, (day, busy)
        assert status.available_units == free_whole


def test_merge_joins_touching_and_overlapping() -> None:
    a, b, c = local(2026, 1, 1), local(2026, 1, 2), local(2026, 1, 3)
    assert merge([(b, c), (a, b)]) == [(a, c)]
    assert merge([(a, c), (a, b)]) == [(a, c)]
