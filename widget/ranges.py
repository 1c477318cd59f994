"""Pickup-to-return range rules, pure (no I/O).

A range is a pair of local dates in the company's zone, both inclusive. The booking runs from the
opening time on the pickup date to the closing time on the return date; each wall-clock time is
turned into an instant on its own date with zoneinfo, so a DST change inside the range (a 23- or
25-hour day) moves nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_OPENING = time(8, 0)
DEFAULT_CLOSING = time(17, 0)
MAX_DAYS = 90
MAX_AHEAD_DAYS = 3 * 366
BLOCKING = ("unavailable", "closed")
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Hours = tuple[time, time]


class RangeError(ValueError):
    """A range the rules refuse; `code` names the message in widget.i18n, `day` the offending date."""

    def __init__(self, code: str, day: date | None = None) -> None:
        super().__init__(code if day is None else f"{code}: {day}")
        self.code = code
        self.day = day


@dataclass(frozen=True)
class Selection:
    pickup: date
    return_date: date

    @property
    def days(self) -> int:
        return (self.return_date - self.pickup).days + 1


def parse_selection(pickup: str, return_date: str) -> Selection:
    try:
        first, last = date.fromisoformat(pickup.strip()), date.fromisoformat(return_date.strip())
    except ValueError:
        raise RangeError("choose_dates") from None
    return Selection(first, last)


def check_selection(selection: Selection, today: date, max_days: int = MAX_DAYS) -> None:
    """Rules that need no availability data: order, not in the past, not too long."""
    if selection.return_date < selection.pickup:
        raise RangeError("return_before_pickup")
    if selection.pickup < today:
        raise RangeError("in_past", selection.pickup)
    if selection.days > max_days:
        raise RangeError("too_long")
    if (selection.return_date - today).days > MAX_AHEAD_DAYS:
        raise RangeError("too_far", selection.return_date)


def blocking_day(selection: Selection, statuses: Mapping[date, str]) -> tuple[date, str] | None:
    """The first day of the range that is unavailable or closed (or unknown), with its status."""
    day = selection.pickup
    while day <= selection.return_date:
        status = statuses.get(day, "unknown")
        if status not in ("available", "partial"):
            return day, status
        day += timedelta(days=1)
    return None


def check_days(selection: Selection, statuses: Mapping[date, str]) -> None:
    found = blocking_day(selection, statuses)
    if found is not None:
        day, status = found
        raise RangeError("crosses_closed" if status == "closed" else "crosses_unavailable", day)


def _parse_hours(value: object) -> Hours | None:
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        return None
    try:
        opening, closing = time.fromisoformat(str(value[0])), time.fromisoformat(str(value[1]))
    except ValueError:
        return None
    return (opening, closing) if opening < closing else None


def hours_on(day: date, business_hours: Mapping[str, object] | None) -> Hours | None:
    """Opening and closing time on `day`; None when the company is closed that weekday.

    A company without any business hours is taken to be open 08:00-17:00 every day.
    """
    if not business_hours:
        return DEFAULT_OPENING, DEFAULT_CLOSING
    return _parse_hours(business_hours.get(WEEKDAY_KEYS[day.weekday()]))


def local_instant(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """`wall` on `day` in `tz` as UTC. A time skipped by a DST gap lands just after the gap
    (fold=0 takes the offset before the change); a repeated time means its first occurrence."""
    return datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)


def pickup_and_return(
    selection: Selection, tz: ZoneInfo, business_hours: Mapping[str, object] | None
) -> tuple[datetime, datetime]:
    opening = hours_on(selection.pickup, business_hours)
    if opening is None:
        raise RangeError("no_pickup_that_day", selection.pickup)
    closing = hours_on(selection.return_date, business_hours)
    if closing is None:
        raise RangeError("no_return_that_day", selection.return_date)
    return local_instant(selection.pickup, opening[0], tz), local_instant(selection.return_date, closing[1], tz)
