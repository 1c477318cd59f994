"""patternedRecurrence → occurrence start times (dateutil's rrule does the calendar arithmetic)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from dateutil import rrule

from .errors import bad_request

_DAYS = {"monday": rrule.MO, "tuesday": rrule.TU, "wednesday": rrule.WE, "thursday": rrule.TH,
         "friday": rrule.FR, "saturday": rrule.SA, "sunday": rrule.SU}  # fmt: skip
_INDEX = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
HORIZON = timedelta(days=3 * 366)
MAX_OCCURRENCES = 2000


def _fail(message: str) -> Exception:
    return bad_request(message, code="ErrorPropertyValidationFailure")


def check(recurrence: dict[str, Any]) -> None:
    """Refuse patterns Graph refuses: missing type or range, weekly without days, an end before the start."""
    pattern, span = recurrence.get("pattern") or {}, recurrence.get("range") or {}
    kind = pattern.get("type")
    if not kind or not span.get("type") or not span.get("startDate"):
        raise _fail("A recurrence needs pattern.type, range.type and range.startDate.")
    if int(pattern.get("interval") or 0) < 1:
        raise _fail("The recurrence pattern's interval must be at least 1.")
    if kind in ("weekly", "relativeMonthly", "relativeYearly") and not pattern.get("daysOfWeek"):
        raise _fail(f"A {kind} recurrence pattern needs daysOfWeek.")
    if kind in ("absoluteMonthly", "absoluteYearly") and not pattern.get("dayOfMonth"):
        raise _fail(f"An {kind} recurrence pattern needs dayOfMonth.")
    if kind in ("absoluteYearly", "relativeYearly") and not pattern.get("month"):
        raise _fail(f"A {kind} recurrence pattern needs month.")
    if span["type"] == "endDate":
        if not span.get("endDate") or date.fromisoformat(span["endDate"]) < date.fromisoformat(span["startDate"]):
            raise _fail("The recurrence range's endDate must be on or after its startDate.")
    if span["type"] == "numbered" and int(span.get("numberOfOccurrences") or 0) < 1:
        raise _fail("A numbered recurrence range needs numberOfOccurrences of at least 1.")


def _rule(recurrence: dict[str, Any], dtstart: datetime) -> rrule.rrule:
    pattern, span = recurrence["pattern"], recurrence["range"]
    kind = pattern["type"]
    freq: Any = {"daily": rrule.DAILY, "weekly": rrule.WEEKLY, "absoluteMonthly": rrule.MONTHLY,
            "relativeMonthly": rrule.MONTHLY, "absoluteYearly": rrule.YEARLY,
            "relativeYearly": rrule.YEARLY}[kind]  # fmt: skip
    options: dict[str, Any] = {"interval": int(pattern.get("interval") or 1), "dtstart": dtstart}
    days = [_DAYS[d] for d in pattern.get("daysOfWeek") or []]
    if kind == "weekly":
        options["byweekday"] = days
        options["wkst"] = _DAYS[pattern.get("firstDayOfWeek") or "sunday"]
    elif kind.startswith("relative"):
        options["byweekday"] = [d(_INDEX[pattern.get("index") or "first"]) for d in days]
    elif kind.startswith("absolute"):
        options["bymonthday"] = int(pattern["dayOfMonth"])
    if kind.endswith("Yearly"):
        options["bymonth"] = int(pattern["month"])
    if span["type"] == "numbered":
        options["count"] = int(span["numberOfOccurrences"])
    elif span["type"] == "endDate":
        options["until"] = datetime.combine(date.fromisoformat(span["endDate"]), datetime.max.time())
    return rrule.rrule(freq, **options)


def starts(recurrence: dict[str, Any], first_local: datetime) -> Iterator[datetime]:
    """Local start times of every occurrence, from range.startDate at the series' time of day."""
    start_day = date.fromisoformat(recurrence["range"]["startDate"])
    dtstart = datetime.combine(start_day, first_local.time())
    horizon = dtstart + HORIZON
    for n, moment in enumerate(_rule(recurrence, dtstart)):
        if moment > horizon or n >= MAX_OCCURRENCES:
            return
        yield moment
