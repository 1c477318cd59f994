"""Pickup-to-return range rules, pure (no I/O).

A range is a pair of local dates in the company's zone, both inclusive. The booking runs from the
opening time on the pickup date to the closing time on the return date; each wall-clock time is
turned into an instant on its own date with zoneinfo, so a DST change inside the range (a 23- or
25-hour day) moves nothing. Which ranges can be booked is the domain's rule (rental.handover);
this module only turns its answers into the widget's messages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from rental.handover import Hours as Hours
from rental.handover import OpeningHours, Refusal, ReturnOption, widget_window
from rental.handover import local_instant as local_instant

MAX_AHEAD_DAYS = 3 * 366  # the widget answers for at most three years ahead

MAX_DAYS = 90


class RangeError(ValueError):
    """A range the rules refuse; `code` names the message in widget.i18n, `day` the offending date."""

    def __init__(self, code: str, day: date | None = None, reason: str = "") -> None:
        super().__init__(code if day is None else f"{code}: {day}")
        self.code = code
        self.day = day
        self.reason = reason  # the company's words for a closure, or the minimum length


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


def hours_on(day: date, business_hours: Mapping[str, object] | None) -> Hours | None:
    """Opening and closing time on `day`; None when the company is closed that weekday.

    A company without any business hours is taken to be open 08:00-17:00 every day.
    """
    return OpeningHours(business_hours or {}).on(day)


def pickup_and_return(
    selection: Selection, tz: ZoneInfo, business_hours: Mapping[str, object] | None
) -> tuple[datetime, datetime]:
    hours = OpeningHours(business_hours or {})
    if hours.on(selection.pickup) is None:
        raise RangeError("no_pickup_that_day", selection.pickup)
    window = widget_window(selection.pickup, selection.return_date, tz, hours)
    if window is None:
        raise RangeError("no_return_that_day", selection.return_date)
    return window


def refusal_error(refusal: Refusal) -> RangeError:
    """A domain refusal of the pickup day as the widget's message."""
    codes = {"no_pickup_that_day": "no_pickup_that_day", "no_unit_free": "pickup_unavailable"}
    code = codes.get(refusal.code, "pickup_too_soon")
    return RangeError(code, refusal.day, refusal.reason)


def check_return(options: Sequence[ReturnOption], selection: Selection) -> None:
    """The chosen return day against the options the domain computed for the pickup day."""
    option = next((o for o in options if o.day == selection.return_date), None)
    if option is None:
        raise RangeError("too_long", reason=str(len(options)))  # the options run to the longest rental
    if not option.ok:
        raise RangeError(option.code or "no_unit_free", option.day, option.reason)
