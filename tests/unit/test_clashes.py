"""Clash detection against a brute-force model: time is whole hours, and the model asks, hour by hour,
who is doing what; the implementation sweeps intervals. They must agree on every generated schedule."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from rental.clashes import Clash, find_clashes
from rental.timeline import Entry, block_entries

T0 = datetime(2026, 6, 1, tzinfo=UTC)
PEOPLE = (1, 2, 3)
UNITS = {10: 100, 11: 100, 12: 200}  # unit -> product
HANDOVER = ["handover", "equipment"]


def at(hour: int) -> datetime:
    return T0 + timedelta(hours=hour)


@st.composite
def schedules(draw: st.DrawFn) -> tuple[list[Entry], dict[int, list[tuple[datetime, datetime]]], set[int]]:
    entries: list[Entry] = []
    booking_ids: list[int] = []
    for i in range(draw(st.integers(0, 7))):
        kind = draw(st.sampled_from(["booking", "maintenance", "delivery", "block"]))
        start = draw(st.integers(0, 40))
        end = start + draw(st.integers(1, 12))
        unit = draw(st.sampled_from(sorted(UNITS)))
        staff = draw(st.sampled_from([None, *PEOPLE]))
        status = draw(st.sampled_from(["pending", "confirmed", "picked_up", "returned"]))
        common = {"id": i + 1, "starts_at": at(start), "ends_at": at(end), "label": "x"}
        if kind == "booking":
            booking_ids.append(i + 1)
            entries.append(Entry(kind="booking", status=status, unit_id=unit, product_id=UNITS[unit], staff_id=staff,
                                 **common))  # fmt: skip
        elif kind == "maintenance":
            entries.append(Entry(kind="maintenance", status="maintenance", unit_id=unit, product_id=UNITS[unit],
                                 staff_id=staff, **common))  # fmt: skip
        elif kind == "delivery":
            served = draw(st.sampled_from([None, *booking_ids]))
            entries.append(Entry(kind="delivery", status=status, unit_id=unit, product_id=UNITS[unit], staff_id=staff,
                                 booking_id=served, **common))  # fmt: skip
        else:
            scope = draw(st.sampled_from(["company", "product", "unit", "staff"]))
            stops = "" if scope == "staff" else "equipment" if scope == "unit" else draw(st.sampled_from(HANDOVER))
            entries.append(Entry(
                kind="block", status="away" if scope == "staff" else "closed",
                unit_id=unit if scope == "unit" else None,
                product_id=UNITS[unit] if scope in ("product", "unit") else None,
                staff_id=draw(st.sampled_from(PEOPLE)) if scope == "staff" else None, blocks=stops, **common,
            ))  # fmt: skip
    busy = {
        p: [(at(s), at(s + d)) for s, d in draw(st.lists(st.tuples(st.integers(0, 50), st.integers(1, 6)), max_size=3))]
        for p in PEOPLE
    }
    unknown = draw(st.sets(st.sampled_from(PEOPLE), max_size=1))
    return entries, busy, unknown


def hours(e: Entry | tuple[datetime, datetime]) -> set[int]:
    s, t = (e.starts_at, e.ends_at) if isinstance(e, Entry) else e
    return {h for h in range(-1, 80) if s <= at(h) < t}


def is_work(e: Entry) -> bool:
    return e.kind == "maintenance" or (e.kind in ("booking", "delivery") and e.status != "returned")


def handover_hours(booking: Entry) -> set[int]:
    """The hours of the (UTC) days of pickup and return; a return at midnight is the day before's."""
    pickup = (booking.starts_at - T0).days
    back = (booking.ends_at - T0).days - (1 if booking.ends_at.hour == 0 else 0)
    return {h for day in {pickup, back} for h in range(24 * day, 24 * day + 24)}


def span(common: set[int]) -> tuple[datetime, datetime]:
    return at(min(common)), at(max(common) + 1)


def model(entries: list[Entry], busy: dict[int, list[tuple[datetime, datetime]]], unknown: set[int]) -> set[tuple]:
    out: set[tuple] = set()
    work = [e for e in entries if is_work(e) and e.staff_id is not None]
    for a in work:
        for b in work:
            own = {a.kind, b.kind} == {"booking", "delivery"} and (a.booking_id == b.id or b.booking_id == a.id)
            common = hours(a) & hours(b)
            if a.key < b.key and a.staff_id == b.staff_id and common and not own:
                out.add(("double_booked", tuple(sorted([a.key, b.key])), a.staff_id, *span(common)))
        for v in entries:
            common = hours(a) & hours(v)
            if v.kind == "block" and v.staff_id == a.staff_id and common:
                out.add(("away", tuple(sorted([a.key, v.key])), a.staff_id, *span(common)))
        taken = hours(a) & set().union(*(hours(i) for i in busy.get(a.staff_id, [])))
        if taken:
            out.add(("external_busy", (a.key,), a.staff_id, *span(taken)))
        if a.staff_id in unknown:
            out.add(("calendar_unknown", (a.key,), a.staff_id, a.starts_at, a.ends_at))
    for b in entries:
        if b.kind != "booking" or b.status == "returned":
            continue
        for c in entries:
            covers = (
                c.kind == "block"
                and c.staff_id is None
                and (c.unit_id == b.unit_id or (c.unit_id is None and c.product_id in (None, b.product_id)))
            )
            common = hours(c) & (handover_hours(b) if c.blocks == "handover" else hours(b))
            if covers and common:
                out.add(("closed", tuple(sorted([b.key, c.key])), None, *span(common)))
    return out


def as_set(clashes: Iterable[Clash]) -> set[tuple]:
    return {(c.kind, tuple(sorted(c.keys)), c.staff_id, c.starts_at, c.ends_at) for c in clashes}


@settings(max_examples=400, deadline=None)
@given(schedules())
def test_find_clashes_agrees_with_hour_by_hour_model(case) -> None:  # type: ignore[no-untyped-def]
    entries, busy, unknown = case
    found = find_clashes(entries, busy, unknown, UTC)
    assert len(found) == len(as_set(found))
    assert as_set(found) == model(entries, busy, unknown)


def test_each_kind_of_clash_is_reported() -> None:
    trip = Entry(kind="booking", id=1, starts_at=at(8), ends_at=at(12), status="confirmed", label="A", unit_id=10,
                 product_id=100, staff_id=1)  # fmt: skip
    other = Entry(kind="maintenance", id=2, starts_at=at(11), ends_at=at(13), status="maintenance", label="M",
                  unit_id=11, product_id=100, staff_id=1)  # fmt: skip
    own_delivery = Entry(kind="delivery", id=3, starts_at=at(8), ends_at=at(9), status="confirmed", label="D",
                         unit_id=10, product_id=100, staff_id=1, booking_id=1)  # fmt: skip
    closure = Entry(kind="block", id=4, starts_at=at(0), ends_at=at(9), status="closed", label="Holiday")
    found = {
        (c.kind, c.keys) for c in find_clashes([trip, other, own_delivery, closure], {1: [(at(9), at(10))]}, {1}, UTC)
    }
    assert ("double_booked", ("booking:1", "maintenance:2")) in found
    assert ("closed", ("block:4", "booking:1")) in found
    assert ("external_busy", ("booking:1",)) in found
    assert ("calendar_unknown", ("maintenance:2",)) in found
    assert not any("delivery:3" in keys and kind == "double_booked" for kind, keys in found)


LA = ZoneInfo("America/Los_Angeles")


@settings(max_examples=200, deadline=None)
@given(
    weekdays=st.sets(st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"]), min_size=1),
    day=st.integers(0, 60),
    hour=st.integers(0, 22),
)
def test_an_assignment_inside_a_recurring_vacation_is_a_clash(weekdays: set[str], day: int, hour: int) -> None:
    """A weekly all-day vacation (local days, across the March DST change) against one hour of work."""
    first = datetime(2026, 2, 1, tzinfo=LA)  # a Sunday
    row = {"id": 9, "staff": 1, "unit": None, "unit_name": None, "product": None, "product_name": None,
           "reason": "Off", "starts_at": first, "ends_at": first + timedelta(days=1), "all_day": True,
           "rrule": f"FREQ=WEEKLY;BYDAY={','.join(sorted(weekdays))}", "company": 1, "updated_at": first,
           "blocks": "equipment"}  # fmt: skip
    local_day = date(2026, 2, 1) + timedelta(days=day)
    starts = datetime(local_day.year, local_day.month, local_day.day, hour, tzinfo=LA)
    job = Entry(kind="maintenance", id=1, starts_at=starts, ends_at=starts + timedelta(hours=1), status="maintenance",
                label="Service", unit_id=10, staff_id=1)  # fmt: skip
    window = (datetime(2026, 1, 25, tzinfo=LA), datetime(2026, 4, 15, tzinfo=LA))
    blocks = list(block_entries(row, LA, *window))
    clashes = find_clashes([job, *blocks], {}, set(), LA)
    expected = local_day.strftime("%a").upper()[:2] in weekdays
    assert bool(clashes) == expected, (local_day, weekdays, clashes)
    assert all(b.ends_at.astimezone(LA).hour == 0 and b.starts_at.astimezone(LA).hour == 0 for b in blocks)


def test_a_closure_that_stops_handover_clashes_only_with_a_pickup_or_return_on_its_days() -> None:
    """The booking rules let a rental run over a closed Sunday; only a handover on it is a clash."""
    sunday = datetime(2026, 12, 6, tzinfo=LA)
    closure = Entry(kind="block", id=5, starts_at=sunday, ends_at=sunday + timedelta(days=1), status="closed",
                    label="Closed on Sundays", blocks="handover")  # fmt: skip

    def rental(start: datetime, end: datetime) -> Entry:
        return Entry(kind="booking", id=1, starts_at=start, ends_at=end, status="confirmed", label="Jo", unit_id=10,
                     product_id=100)  # fmt: skip

    over_sunday = rental(sunday - timedelta(hours=16), sunday + timedelta(days=1, hours=17))  # Sat 08:00 - Mon 17:00
    back_at_midnight = rental(sunday - timedelta(hours=16), sunday)  # returned as Saturday ends
    picked_up_sunday = rental(sunday + timedelta(hours=9), sunday + timedelta(days=2, hours=17))
    returned_sunday = rental(sunday - timedelta(days=2), sunday + timedelta(hours=10))
    assert find_clashes([over_sunday, closure], {}, set(), LA) == []
    assert find_clashes([back_at_midnight, closure], {}, set(), LA) == []
    [pickup] = find_clashes([picked_up_sunday, closure], {}, set(), LA)
    assert (pickup.kind, pickup.keys) == ("closed", ("block:5", "booking:1"))
    assert (pickup.starts_at, pickup.ends_at) == (sunday, sunday + timedelta(days=1))
    assert len(find_clashes([returned_sunday, closure], {}, set(), LA)) == 1
    equipment = msgspec.structs.replace(closure, blocks="equipment")
    assert len(find_clashes([over_sunday, equipment], {}, set(), LA)) == 1  # the unit itself is out that day
