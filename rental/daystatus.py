"""Pure day-status computation: no I/O, so it can be tested exhaustively.

A local calendar day in the company's zone is [local midnight, next local midnight), which
is 23 or 25 hours long across DST changes; converting each boundary separately keeps it right.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Closure:
    starts_at: datetime
    ends_at: datetime
    reason: str


@dataclass(frozen=True)
class DayStatus:
    day: date
    status: str  # available | partial | unavailable | closed
    available_units: int
    total_units: int
    reason: str | None = None


def day_bounds(day: date, tz: ZoneInfo) -> Interval:
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


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
) -> list[DayStatus]:
    """Status of each day for a product whose units are the keys of busy_by_unit."""
    merged = {unit: merge(intervals) for unit, intervals in busy_by_unit.items()}
    cursors = dict.fromkeys(merged, 0)
    total = len(merged)
    out: list[DayStatus] = []
    for day in days:
        start, end = day_bounds(day, tz)
        closure = next((c for c in closures if c.starts_at < end and c.ends_at > start), None)
        if closure is not None:
            out.append(DayStatus(day, "closed", 0, total, closure.reason or "Closed"))
            continue
        free = partial = 0
        for unit, busy in merged.items():
            state, cursors[unit] = _coverage(busy, start, end, cursors[unit])
            free += state == "free"
            partial += state == "partial"
        status = "available" if free else "partial" if partial else "unavailable"
        out.append(DayStatus(day, status, free, total))
    return out
