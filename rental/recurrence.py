"""Expansion of recurring block-outs (RFC 5545 RRULE) in the company's local time.

Block-out rules are a safe subset of RFC 5545, so that expanding one is cheap whatever it says:

- FREQ is DAILY, WEEKLY, MONTHLY or YEARLY (a block-out shorter than a day repeating every
  minute makes no sense and would cost hundreds of thousands of steps a year);
- the parts are INTERVAL, UNTIL, BYDAY, BYMONTHDAY, BYMONTH and WKST (no COUNT: occurrences
  would have to be counted from DTSTART; use UNTIL);
- the rule must match a date every few years (no "30 February"), because dateutil walks
  period by period until it finds the next match, up to the year 9999.

Expansion starts at the requested window, not at DTSTART: DTSTART is moved forward by whole
periods of the rule (which changes none of its occurrences), so a rule that began decades
ago costs what one starting today costs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, rrulestr

from rental.errors import InvalidInput

log = logging.getLogger("rentcal.recurrence")

MAX_OCCURRENCES = 5000
MAX_INTERVAL = 100
FREQUENCIES = {"DAILY": DAILY, "WEEKLY": WEEKLY, "MONTHLY": MONTHLY, "YEARLY": YEARLY}
PARTS = frozenset({"FREQ", "INTERVAL", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "WKST"})
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _parts(rule: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for item in rule.split(";"):
        name, sep, value = item.partition("=")
        name = name.strip().upper()
        if not sep or not name or name in parts:
            raise InvalidInput(f"rrule is not a valid RFC 5545 recurrence rule: {item!r} is not NAME=VALUE once")
        parts[name] = value.strip().upper()
    return parts


def _ints(parts: dict[str, str], name: str, low: int, high: int) -> list[int]:
    try:
        values = [int(v) for v in parts[name].split(",")] if name in parts else []
    except ValueError:
        raise InvalidInput(f"rrule: {name} must be a list of whole numbers") from None
    if any(not low <= abs(v) <= high for v in values):
        raise InvalidInput(f"rrule: {name} values must lie between {low} and {high} (or -{high} and -{low})")
    return values


def _check_subset(parts: dict[str, str]) -> None:
    frequency = parts.get("FREQ")
    if frequency not in FREQUENCIES:
        raise InvalidInput(
            "rrule: a block-out repeats DAILY, WEEKLY, MONTHLY or YEARLY (FREQ="
            f"{frequency or 'missing'} is not allowed for block-outs)"
        )
    unknown = sorted(set(parts) - PARTS)
    if unknown:
        hint = " (use UNTIL instead of COUNT)" if "COUNT" in unknown else ""
        raise InvalidInput(f"rrule: {', '.join(unknown)} is not supported for block-outs{hint}")
    interval = _ints(parts, "INTERVAL", 1, MAX_INTERVAL)
    if any(v < 1 for v in interval):
        raise InvalidInput(f"rrule: INTERVAL must lie between 1 and {MAX_INTERVAL}")
    months = _ints(parts, "BYMONTH", 1, 12)
    if any(v < 1 for v in months):
        raise InvalidInput("rrule: BYMONTH values must lie between 1 and 12")
    monthdays = _ints(parts, "BYMONTHDAY", 1, 31)
    days = [d for d in parts.get("BYDAY", "").split(",") if d]
    for day in days:
        ordinal = day[:-2]
        if day[-2:] not in _WEEKDAYS or (ordinal and ordinal.lstrip("+-").isdigit() is False):
            raise InvalidInput(f"rrule: BYDAY value {day!r} is not a weekday like MO, 1MO or -1FR")
        if ordinal and (frequency not in ("MONTHLY", "YEARLY") or not 1 <= abs(int(ordinal)) <= 4):
            raise InvalidInput("rrule: numbered weekdays (like 2MO) are allowed from 1 to 4, monthly or yearly")
    if days and monthdays:
        raise InvalidInput("rrule: give BYDAY or BYMONTHDAY, not both")
    if frequency == "DAILY" and (days or monthdays or months) and interval not in ([], [1]):
        raise InvalidInput("rrule: a daily rule with BYDAY, BYMONTHDAY or BYMONTH must have INTERVAL=1")
    if monthdays and months and not any(abs(d) <= _MONTH_DAYS[m - 1] for d in monthdays for m in months):
        raise InvalidInput("rrule: no month in BYMONTH has any of the BYMONTHDAY days, so the rule never repeats")
    if "WKST" in parts and parts["WKST"] not in _WEEKDAYS:
        raise InvalidInput("rrule: WKST must be a weekday like MO")


def _local_until(rule: str, tz: ZoneInfo) -> str:
    """The rule with a UTC ``UNTIL=...Z`` (RFC 5545 3.3.10, what Google, Outlook and Apple write when
    DTSTART has a zone) turned into the same instant's wall-clock time in ``tz``, as the block-out's
    local, floating DTSTART needs; a floating or date UNTIL is kept."""
    parts = _parts(rule)
    until = parts.get("UNTIL", "")
    if not until.endswith("Z"):
        return rule
    try:
        instant = datetime.strptime(until, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput(f"rrule: UNTIL {until!r} is not a UTC date-time like 20261231T230000Z") from None
    parts["UNTIL"] = instant.astimezone(tz).strftime("%Y%m%dT%H%M%S")
    return ";".join(f"{name}={value}" for name, value in parts.items())


def validate_rrule(rule: str) -> str:
    """The rule without an "RRULE:" prefix; InvalidInput when it is not an allowed block-out rule."""
    rule = rule.strip().removeprefix("RRULE:")
    _check_subset(_parts(rule))
    try:
        rrulestr(_local_until(rule, ZoneInfo("UTC")), dtstart=datetime(2000, 1, 1))
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"rrule is not a valid RFC 5545 recurrence rule: {exc}") from None
    return rule


def _from_window(recurrence: rrule, local_start: datetime, lower: datetime) -> rrule:
    """The same rule with DTSTART moved forward by whole periods to just before `lower`."""
    if lower <= local_start:
        return recurrence
    freq, interval = recurrence._freq, recurrence._interval  # type: ignore[attr-defined]
    original = recurrence._original_rule  # type: ignore[attr-defined]
    explicit: dict[str, Any] = {}
    # dateutil derives these from DTSTART when the rule leaves them out: keep the original's.
    if not any(original.get(k) is not None for k in ("byweekday", "bymonthday", "byyearday", "byweekno")):
        if freq == YEARLY:
            explicit = {"bymonth": original.get("bymonth") or local_start.month, "bymonthday": local_start.day}
        elif freq == MONTHLY:
            explicit = {"bymonthday": local_start.day}
        elif freq == WEEKLY:
            explicit = {"byweekday": local_start.weekday()}
    if freq in (DAILY, WEEKLY):
        unit = 1 if freq == DAILY else 7
        periods = (lower - local_start).days // (unit * interval) - 1
        shifted = local_start + timedelta(days=periods * unit * interval)
    else:
        months = (lower.year - local_start.year) * 12 + lower.month - local_start.month
        unit = 1 if freq == MONTHLY else 12
        periods = months // (unit * interval) - 1
        shifted = local_start + relativedelta(months=periods * unit * interval)
    if periods <= 0:
        return recurrence
    return recurrence.replace(dtstart=shifted, **explicit)


def occurrences(
    starts_at: datetime,
    ends_at: datetime,
    rule: str | None,
    tz: ZoneInfo,
    window_start: datetime,
    window_end: datetime,
    all_day: bool | None = None,
) -> Iterator[tuple[datetime, datetime]]:
    """Occurrences overlapping [window_start, window_end); wall-clock start kept across DST.

    All-day blocks (``all_day``; by default: blocks from a local midnight to a local midnight)
    repeat whole local days, 23 or 25 hours long around a DST change.  Timed blocks keep their
    exact duration (RFC 5545 3.8.5.3), also on the day their start falls in the spring-forward
    gap, where the start is read with the offset before the gap (RFC 5545 3.3.5).

    A stored rule outside the allowed subset (saved before it was enforced) fails closed: it
    blocks the whole window, and the log says which rule it was.
    """
    if not rule:
        if starts_at < window_end and ends_at > window_start:
            yield starts_at, ends_at
        return
    try:
        validate_rrule(rule)
    except InvalidInput as exc:
        log.warning("block-out rule %r cannot be expanded safely (%s); treating it as blocked", rule, exc.detail)
        if starts_at < window_end:
            yield max(starts_at, window_start), window_end
        return
    local_start = starts_at.astimezone(tz).replace(tzinfo=None)
    local_end = ends_at.astimezone(tz).replace(tzinfo=None)
    duration = local_end - local_start
    if all_day is None:
        all_day = local_start.time() == local_end.time() == time(0)
    exact = ends_at - starts_at
    lower = (window_start.astimezone(tz) - max(duration, exact)).replace(tzinfo=None)
    upper = window_end.astimezone(tz).replace(tzinfo=None)
    local_rule = _local_until(rule, tz)
    recurrence = _from_window(rrulestr(local_rule, dtstart=local_start), local_start, lower)  # type: ignore[arg-type]
    for count, occurrence in enumerate(recurrence.xafter(lower, inc=True)):
        if occurrence >= upper or count >= MAX_OCCURRENCES:
            return
        # Wall-clock in the zone, then UTC: same-zone datetime arithmetic ignores DST.
        start = occurrence.replace(tzinfo=tz).astimezone(UTC)
        end = (occurrence + duration).replace(tzinfo=tz).astimezone(UTC) if all_day else start + exact
        if start < window_end and end > window_start:
            yield start, end
