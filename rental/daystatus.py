"""Pure day-status computation: no I/O, so it can be tested exhaustively.

A local calendar day in the company's zone is [local midnight, next local midnight), which
is 23 or 25 hours long across DST changes; converting each boundary separately keeps it right.
A day is `closed` when there can be no pickup or return that day (rental.handover); equipment
block-outs count as busy time of the units they cover.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from rental.handover import Closure, OpeningHours, closed_reason, day_bounds, merge

Interval = tuple[datetime, datetime]
__all__ = ["Closure", "DayStatus", "Interval", "compute_days", "day_bounds", "days_between", "merge"]


@dataclass(frozen=True)
class DayStatus:
    day: date
    status: str  # available | partial | unavailable | closed
    available_units: int
    total_units: int
    reason: str | None = None


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _coverage(busy: Sequence[Interval], start: datetime, end: datetime, from_index: int) -> tuple[str, int]:
    """'free', 'partial' or 'full' for one unit over [start, end); busy is merged and sorted."""
    i = from_index
    while i < len(busy) and busy[i][1] <= start:
        i += 1
    first = i
    touched = False
    cursor = start
    while i < len(busy) and busy[i][0] < end:
        touched = True
        if busy[i][0] > cursor:
            return "partial", first
        cursor = max(cursor, busy[i][1])
        if cursor >= end:
            return "full", first
        i += 1
    return ("partial" if touched else "free"), first


def compute_days(
    days: Sequence[date],
    tz: ZoneInfo,
    busy_by_unit: Mapping[int, Iterable[Interval]],
    closures: Sequence[Closure],
    hours: OpeningHours | None = None,
) -> list[DayStatus]:
    """Status of each day for a product whose units are the keys of busy_by_unit.

    `closures` are handover closures; `hours` the business hours (None: not set, open every day).
    """
    hours = hours or OpeningHours({})
    merged = {unit: merge(intervals) for unit, intervals in busy_by_unit.items()}
    cursors = dict.fromkeys(merged, 0)
    total = len(merged)
    out: list[DayStatus] = []
    for day in days:
        start, end = day_bounds(day, tz)
        reason = closed_reason(day, tz, hours, closures)
        if reason is not None:
            out.append(DayStatus(day, "closed", 0, total, reason))
            continue
        free = partial = 0
        for unit, busy in merged.items():
            state, cursors[unit] = _coverage(busy, start, end, cursors[unit])
            free += state == "free"
            partial += state == "partial"
        status = "available" if free else "partial" if partial else "unavailable"
        out.append(DayStatus(day, status, free, total))
    return out
