"""The rental rules for pickup and return (pure, no I/O): the one place portal, API and widget share.

A block-out either stops **handover** (no pickup or return on any local day it touches: company
closures, holidays) or makes the **equipment** unavailable (repairs, inspections). A rental may run
over closed days; only its pickup and its return must fall on open days, within business hours when
the company has set them. Equipment is free for a range when one single unit is free all along it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]
Hours = tuple[time, time]
BlockKind = Literal["handover", "equipment"]

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Times the widget offers when a company has not set business hours.
DEFAULT_OPENING = time(8, 0)
DEFAULT_CLOSING = time(17, 0)
CLOSED_REASON = "Closed"
_MOMENT = timedelta(microseconds=1)


@dataclass(frozen=True)
class Closure:
    """One occurrence of a handover block-out."""

    starts_at: datetime
    ends_at: datetime
    reason: str


def day_bounds(day: date, tz: ZoneInfo) -> Interval:
    """[local midnight, next local midnight) in UTC: 23 or 25 hours across DST changes."""
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def local_instant(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """`wall` on `day` in `tz` as UTC. A time skipped by a DST gap lands just after the gap
    (fold=0 takes the offset before the change); a repeated time means its first occurrence."""
    return datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)


def _parse_hours(value: object) -> Hours | None:
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        return None
    try:
        opening, closing = time.fromisoformat(str(value[0])), time.fromisoformat(str(value[1]))
    except ValueError:
        return None
    return (opening, closing) if opening < closing else None


@dataclass(frozen=True)
class OpeningHours:
    """Business hours per weekday ({"mon": ["08:00", "18:00"], ...}; a missing day is closed).

    A company that has set no hours at all hands over at any time of any day; the widget then
    offers 08:00 to 17:00.
    """

    by_weekday: Mapping[str, object]

    @property
    def configured(self) -> bool:
        return bool(self.by_weekday)

    def on(self, day: date) -> Hours | None:
        """Opening and closing on `day`, None when closed that weekday (defaults when unset)."""
        if not self.configured:
            return DEFAULT_OPENING, DEFAULT_CLOSING
        return _parse_hours(self.by_weekday.get(WEEKDAY_KEYS[day.weekday()]))


def closed_reason(day: date, tz: ZoneInfo, hours: OpeningHours, closures: Sequence[Closure]) -> str | None:
    """Why there is no pickup or return on `day`; None when the day is open for handover."""
    start, end = day_bounds(day, tz)
    closure = next((c for c in closures if c.starts_at < end and c.ends_at > start), None)
    if closure is not None:
        return closure.reason or CLOSED_REASON
    if hours.on(day) is None:
        return CLOSED_REASON
    return None


def handover_day(instant: datetime, tz: ZoneInfo, kind: Literal["pickup", "return"]) -> date:
    """The local day of a handover; a return at local midnight counts for the day before."""
    local = instant.astimezone(tz)
    if kind == "return" and local.time() == time(0):
        return local.date() - timedelta(days=1)
    return local.date()


@dataclass(frozen=True)
class Refusal:
    """Why a pickup or return cannot happen: code names the rule, day the local date, reason the closure."""

    code: Literal[
        "no_pickup_that_day", "no_return_that_day", "pickup_outside_hours", "return_outside_hours", "no_unit_free"
    ]
    day: date
    reason: str = ""


def handover_refusal(
    instant: datetime,
    kind: Literal["pickup", "return"],
    tz: ZoneInfo,
    hours: OpeningHours,
    closures: Sequence[Closure],
) -> Refusal | None:
    day = handover_day(instant, tz, kind)
    reason = closed_reason(day, tz, hours, closures)
    if reason is not None:
        return Refusal("no_pickup_that_day" if kind == "pickup" else "no_return_that_day", day, reason)
    if not hours.configured:
        return None
    opening, closing = hours.on(day) or (DEFAULT_OPENING, DEFAULT_CLOSING)
    lower, upper = local_instant(day, opening, tz), local_instant(day, closing, tz)
    if not lower <= instant <= upper:
        return Refusal("pickup_outside_hours" if kind == "pickup" else "return_outside_hours", day)
    return None


def window_refusal(
    start: datetime, end: datetime, tz: ZoneInfo, hours: OpeningHours, closures: Sequence[Closure]
) -> Refusal | None:
    """The first broken handover rule of a rental [start, end), or None."""
    return handover_refusal(start, "pickup", tz, hours, closures) or handover_refusal(
        end, "return", tz, hours, closures
    )


def widget_window(pickup: date, return_date: date, tz: ZoneInfo, hours: OpeningHours) -> Interval | None:
    """Opening on the pickup day to closing on the return day; None when either weekday is closed."""
    first, last = hours.on(pickup), hours.on(return_date)
    if first is None or last is None:
        return None
    return local_instant(pickup, first[0], tz), local_instant(return_date, last[1], tz)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def free_until(busy: Sequence[Interval], start: datetime) -> datetime | None:
    """How long a unit with these busy intervals stays free from `start` (None: for ever)."""
    if any(s <= start < e for s, e in busy):
        return start
    later = [s for s, _ in busy if s > start]
    return min(later) if later else None


def some_unit_free(busy_by_unit: Mapping[int, Sequence[Interval]], start: datetime, end: datetime) -> list[int]:
    """Units free for the whole of [start, end)."""
    return [u for u, busy in busy_by_unit.items() if not any(s < end and e > start for s, e in busy)]


@dataclass(frozen=True)
class ReturnOption:
    day: date
    ok: bool
    code: str | None = None  # why not: no_return_that_day | too_short | too_long | no_unit_free
    reason: str = ""


@dataclass(frozen=True)
class Limits:
    """Earliest pickup instant and rental length in days (inclusive of pickup and return day)."""

    earliest: datetime
    min_days: int = 1
    max_days: int = 90


def pickup_refusal(
    pickup: date,
    tz: ZoneInfo,
    hours: OpeningHours,
    closures: Sequence[Closure],
    limits: Limits,
    busy_by_unit: Mapping[int, Sequence[Interval]] | None = None,
) -> Refusal | None:
    """Why `pickup` cannot be the pickup day the widget offers (at opening time); None when it can."""
    reason = closed_reason(pickup, tz, hours, closures)
    if reason is not None:
        return Refusal("no_pickup_that_day", pickup, reason)
    window = widget_window(pickup, pickup, tz, hours)
    if window is None or window[0] < limits.earliest:
        return Refusal("pickup_outside_hours", pickup)
    if busy_by_unit is not None and not some_unit_free(busy_by_unit, window[0], window[0] + _MOMENT):
        return Refusal("no_unit_free", pickup)
    return None


def return_options(
    pickup: date,
    last: date,
    tz: ZoneInfo,
    hours: OpeningHours,
    closures: Sequence[Closure],
    busy_by_unit: Mapping[int, Sequence[Interval]],
    limits: Limits,
) -> list[ReturnOption]:
    """For a pickup day the widget offers, which return days in [pickup, last] can be booked."""
    opening = hours.on(pickup)
    assert opening is not None, "call pickup_refusal first"
    start = local_instant(pickup, opening[0], tz)
    reach: list[datetime | None] = [free_until(merge(list(b)), start) for b in busy_by_unit.values()]
    out: list[ReturnOption] = []
    day = pickup
    while day <= last:
        length = (day - pickup).days + 1
        reason = closed_reason(day, tz, hours, closures)
        window = widget_window(pickup, day, tz, hours)
        if reason is not None or window is None:
            out.append(ReturnOption(day, False, "no_return_that_day", reason or CLOSED_REASON))
        elif length < limits.min_days:
            out.append(ReturnOption(day, False, "too_short", str(limits.min_days)))
        elif length > limits.max_days:
            out.append(ReturnOption(day, False, "too_long"))
        elif not any(r is None or r >= window[1] for r in reach):
            out.append(ReturnOption(day, False, "no_unit_free"))
        else:
            out.append(ReturnOption(day, True))
        day += timedelta(days=1)
    return out
