"""Expansion of recurring block-outs (RFC 5545 RRULE) in the company's local time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from rental.errors import InvalidInput

MAX_OCCURRENCES = 5000


def validate_rrule(rule: str) -> str:
    rule = rule.strip().removeprefix("RRULE:")
    try:
        rrulestr(rule, dtstart=datetime(2000, 1, 1))
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"rrule is not a valid RFC 5545 recurrence rule: {exc}") from None
    return rule


def occurrences(
    starts_at: datetime,
    ends_at: datetime,
    rule: str | None,
    tz: ZoneInfo,
    window_start: datetime,
    window_end: datetime,
) -> Iterator[tuple[datetime, datetime]]:
    """Occurrences overlapping [window_start, window_end); wall-clock kept across DST."""
    if not rule:
        if starts_at < window_end and ends_at > window_start:
            yield starts_at, ends_at
        return
    local_start = starts_at.astimezone(tz).replace(tzinfo=None)
    local_end = ends_at.astimezone(tz).replace(tzinfo=None)
    duration = local_end - local_start
    recurrence = rrulestr(rule, dtstart=local_start)
    lower = (window_start.astimezone(tz) - duration).replace(tzinfo=None)
    upper = window_end.astimezone(tz).replace(tzinfo=None)
    for count, occurrence in enumerate(recurrence.xafter(lower, inc=True)):  # type: ignore[union-attr]
        if occurrence >= upper or count >= MAX_OCCURRENCES:
            return
        # Wall-clock in the zone, then UTC: same-zone datetime arithmetic ignores DST.
        start = occurrence.replace(tzinfo=tz).astimezone(UTC)
        end = (occurrence + duration).replace(tzinfo=tz).astimezone(UTC)
        if start < window_end and end > window_start:
            yield start, end
