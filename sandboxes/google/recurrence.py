"""Read-only expansion of recurring events into instances (``singleEvents=true``, freeBusy, instances)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from dateutil.rrule import rrulestr

from . import event_model as em
from . import timeutil
from .errors import bad_request

MAX_INSTANCES = 1000
HORIZON = timedelta(days=3 * 366)


def _event_tz(resource: dict[str, Any], calendar_tz: tzinfo) -> tzinfo:
    name = (resource.get("start") or {}).get("timeZone")
    return (timeutil.zone(name) if name else None) or calendar_tz


def _ruleset(lines: list[str], dtstart: datetime) -> Any:
    rules = [line for line in lines if line.split(":", 1)[0].split(";", 1)[0].upper() != "DTSTART"]
    return rrulestr("\n".join(rules), dtstart=dtstart, forceset=True)


def check(resource: dict[str, Any], span: em.Span, calendar_tz: tzinfo) -> None:
    """Reject recurrence lines dateutil cannot read, the way Google rejects bad RRULEs."""
    lines = resource.get("recurrence")
    if not lines:
        return
    prefixes = ("RRULE", "EXRULE", "RDATE", "EXDATE")
    if not all(isinstance(line, str) and line.upper().startswith(prefixes) for line in lines):
        raise bad_request("Invalid recurrence rule.")
    try:
        _ruleset(lines, _local_start(resource, span, calendar_tz))
    except (ValueError, TypeError) as exc:
        raise bad_request("Invalid recurrence rule.") from exc


def _local_start(resource: dict[str, Any], span: em.Span, calendar_tz: tzinfo) -> datetime:
    tz = _event_tz(resource, calendar_tz)
    local = span.start.astimezone(tz)
    return local.replace(tzinfo=None) if span.all_day else local


def instances(
    resource: dict[str, Any],
    span: em.Span,
    calendar_tz: tzinfo,
    window_start: datetime | None,
    window_end: datetime | None,
) -> Iterator[tuple[dict[str, Any], em.Span]]:
    """Instances of a recurring master overlapping the window (UTC datetimes), as event resources."""
    tz = _event_tz(resource, calendar_tz)
    duration = span.end - span.start
    dtstart = _local_start(resource, span, calendar_tz)
    try:
        rules = _ruleset(resource["recurrence"], dtstart)
    except (ValueError, TypeError):
        return
    stop = window_end or span.start + HORIZON
    count = 0
    for occurrence in rules:
        start = (occurrence.replace(tzinfo=tz) if span.all_day else occurrence).astimezone(UTC)
        if start >= stop or count >= MAX_INSTANCES:
            break
        end = start + duration
        if window_start is not None and end <= window_start:
            continue
        count += 1
        yield _instance(resource, start, end, tz, span.all_day), em.Span(start, end, span.all_day)


def _instance(master: dict[str, Any], start: datetime, end: datetime, tz: tzinfo, all_day: bool) -> dict[str, Any]:
    out = {k: v for k, v in master.items() if k != "recurrence"}
    zone_name = (master.get("start") or {}).get("timeZone")
    extra = {"timeZone": zone_name} if zone_name else {}
    if all_day:
        suffix = start.astimezone(tz).strftime("%Y%m%d")
        out["start"] = {"date": start.astimezone(tz).date().isoformat(), **extra}
        out["end"] = {"date": end.astimezone(tz).date().isoformat(), **extra}
    else:
        suffix = start.strftime("%Y%m%dT%H%M%SZ")
        out["start"] = {"dateTime": timeutil.format_offset(start.astimezone(tz)), **extra}
        out["end"] = {"dateTime": timeutil.format_offset(end.astimezone(tz)), **extra}
    out["id"] = f"{master['id']}_{suffix}"
    out["recurringEventId"] = master["id"]
    out["originalStartTime"] = dict(out["start"])
    return em.ordered(out)
