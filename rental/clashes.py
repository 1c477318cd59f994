"""Pure clash detection over timeline entries: no I/O, checked against a brute-force model.

- double_booked: one person in two assignments at once (a delivery of the person's own booking is not a clash)
- away: an assignment inside the person's block-out (vacation; recurring ones arrive expanded)
- external_busy: an assignment over busy time from the person's connected calendars
- calendar_unknown: an assignment of a person whose calendar could not be read (unknown, never free)
- closed: a closure on the local day of an active booking's pickup or return (a block-out that stops handover:
  a rental may run over closed days, as the booking rules allow), or a block-out that takes the booking's unit out
  of service during the rental
Unit double bookings cannot exist (the database guard refuses them), so they are not computed here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

import msgspec

from rental.daystatus import Interval, merge
from rental.handover import day_bounds, handover_day
from rental.timeline import Entry

ClashKind = Literal["double_booked", "away", "external_busy", "calendar_unknown", "closed"]


class Clash(msgspec.Struct, frozen=True):
    kind: ClashKind
    keys: tuple[str, ...]  # the entries involved, "booking:12"
    staff_id: int | None
    starts_at: datetime
    ends_at: datetime


def _pairs(left: Sequence[Entry], right: Sequence[Entry]) -> Iterable[tuple[Entry, Entry]]:
    """Overlapping (l, r) pairs by a sweep over both lists sorted by start."""
    events = sorted(
        [(e.starts_at, 0, i) for i, e in enumerate(left)] + [(e.starts_at, 1, i) for i, e in enumerate(right)]
    )
    open_left: list[Entry] = []
    open_right: list[Entry] = []
    for at, side, index in events:
        open_left = [e for e in open_left if e.ends_at > at]
        open_right = [e for e in open_right if e.ends_at > at]
        if side == 0:
            entry = left[index]
            yield from ((entry, r) for r in open_right)
            open_left.append(entry)
        else:
            entry = right[index]
            yield from ((lft, entry) for lft in open_left)
            open_right.append(entry)


def _own_delivery(a: Entry, b: Entry) -> bool:
    return ((a.kind, b.kind) == ("delivery", "booking") and a.booking_id == b.id) or (
        (b.kind, a.kind) == ("delivery", "booking") and b.booking_id == a.id
    )


def _clash(kind: ClashKind, a: Entry, b: Entry, staff_id: int | None) -> Clash:
    first, second = sorted((a, b), key=lambda e: (e.kind, e.id, e.starts_at))
    keys = (first.key, second.key)
    return Clash(kind, keys, staff_id, max(a.starts_at, b.starts_at), min(a.ends_at, b.ends_at))


def _covers(closure: Entry, booking: Entry) -> bool:
    return closure.unit_id == booking.unit_id or (
        closure.unit_id is None and closure.product_id in (None, booking.product_id)
    )


def _handover_days(booking: Entry, tz: ZoneInfo) -> list[Interval]:
    pickup = handover_day(booking.starts_at, tz, "pickup")
    back = handover_day(booking.ends_at, tz, "return")
    return [day_bounds(day, tz) for day in sorted({pickup, back})]


def find_clashes(
    entries: Iterable[Entry], external_busy: Mapping[int, Sequence[Interval]], unknown: Collection[int], tz: ZoneInfo
) -> list[Clash]:
    """Every clash among `entries`; `tz` is the company's zone, whose local days closures close."""
    work: dict[int, list[Entry]] = defaultdict(list)
    away: dict[int, list[Entry]] = defaultdict(list)
    bookings: list[Entry] = []
    closures: list[Entry] = []
    for e in entries:
        if e.is_work and e.staff_id is not None:
            work[e.staff_id].append(e)
        if e.kind == "block" and e.staff_id is not None:
            away[e.staff_id].append(e)
        if e.kind == "booking" and e.is_work:
            bookings.append(e)
        if e.is_closure:
            closures.append(e)
    out: list[Clash] = []
    for person, assigned in work.items():
        for a, b in _pairs(assigned, assigned):
            if a is not b and a.key < b.key and not _own_delivery(a, b):
                out.append(_clash("double_booked", a, b, person))
        out += [_clash("away", a, v, person) for a, v in _pairs(assigned, away.get(person, []))]
        busy = merge(external_busy.get(person, ()))
        for a in assigned:
            hits = [(max(s, a.starts_at), min(e, a.ends_at)) for s, e in busy if s < a.ends_at and e > a.starts_at]
            if hits:
                out.append(Clash("external_busy", (a.key,), person, hits[0][0], hits[-1][1]))
            if person in unknown:
                out.append(Clash("calendar_unknown", (a.key,), person, a.starts_at, a.ends_at))
    equipment = [c for c in closures if c.blocks != "handover"]
    for b, c in _pairs(bookings, equipment):
        if _covers(c, b):
            out.append(_clash("closed", b, c, None))
    handover = [c for c in closures if c.blocks == "handover"]
    for b in bookings if handover else ():
        days = _handover_days(b, tz)
        for c in handover:
            hits = [(max(c.starts_at, s), min(c.ends_at, e)) for s, e in days if c.starts_at < e and c.ends_at > s]
            if hits and _covers(c, b):
                keys = (c.key, b.key)
                out.append(Clash("closed", keys, None, hits[0][0], hits[-1][1]))
    return sorted(out, key=lambda c: (c.starts_at, c.kind, c.keys))


def clashing_keys(clashes: Iterable[Clash]) -> dict[str, list[Clash]]:
    """The clashes each entry takes part in, for highlighting."""
    by_key: dict[str, list[Clash]] = defaultdict(list)
    for clash in clashes:
        for key in clash.keys:
            by_key[key].append(clash)
    return by_key
