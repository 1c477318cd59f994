"""freeBusy.query: merged busy blocks of opaque, non-cancelled events (recurrences expanded)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from . import recurrence, timeutil
from .errors import GoogleError, time_range_empty
from .store import Calendar, Store

CALENDAR_EXPANSION_MAX = 50  # Google's calendarExpansionMax
MAX_RANGE = timedelta(days=90)  # Google refuses longer free/busy windows


def _bound(body: dict[str, Any], name: str) -> datetime:
    raw = body.get(name)
    if not raw:
        raise GoogleError(400, "required", f"Missing {name} parameter.")
    moment = timeutil.parse_rfc3339(str(raw))
    if moment is None:
        raise GoogleError(400, "badRequest", "Bad Request")
    return moment


def busy_blocks(store: Store, cal: Calendar, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    events, _ = store.snapshot(cal)
    spans: list[tuple[datetime, datetime]] = []
    for stored in events:
        resource = stored.resource
        if stored.cancelled or resource.get("transparency") == "transparent":
            continue
        if resource.get("recurrence"):
            found = [span for _, span in recurrence.instances(resource, stored.span, cal.tz, start, end)]
        else:
            found = [stored.span]
        spans.extend((max(s.start, start), min(s.end, end)) for s in found if s.end > start and s.start < end)
    merged: list[tuple[datetime, datetime]] = []
    for block_start, block_end in sorted(spans):
        if merged and block_start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], block_end))
        else:
            merged.append((block_start, block_end))
    return merged


def query(store: Store, email: str, body: dict[str, Any]) -> dict[str, Any]:
    start, end = _bound(body, "timeMin"), _bound(body, "timeMax")
    if end <= start:
        raise time_range_empty()
    if end - start > MAX_RANGE:
        raise GoogleError(400, "timeRangeTooLong", "The requested time range is too long.", domain="calendar")
    if len(body.get("items") or []) > CALENDAR_EXPANSION_MAX:
        raise GoogleError(
            400, "tooManyCalendarsRequested", "Too many calendars requested (at most 50).", domain="calendar"
        )
    tz: tzinfo = timeutil.zone(body.get("timeZone") or "UTC") or UTC
    calendars: dict[str, Any] = {}
    for item in body.get("items") or []:
        requested = str(item.get("id", ""))
        cid = email if requested == "primary" else requested
        cal = store.calendars.get(cid)
        if cal is None or cal.owner != email:
            calendars[requested] = {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}
            continue
        calendars[requested] = {
            "busy": [
                {
                    "start": timeutil.format_offset(s.astimezone(tz)),
                    "end": timeutil.format_offset(e.astimezone(tz)),
                }
                for s, e in busy_blocks(store, cal, start, end)
            ]
        }
    return {
        "kind": "calendar#freeBusy",
        "timeMin": timeutil.format_utc_ms(start),
        "timeMax": timeutil.format_utc_ms(end),
        "calendars": calendars,
    }
