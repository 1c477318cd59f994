"""Event resources: id rules, field normalisation and the semantic checks Google applies on write."""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from . import timeutil
from .errors import GoogleError, bad_request, time_range_empty

_ID_RE = re.compile(r"^[a-v0-9]{5,1024}$")
_BASE32HEX = "0123456789abcdefghijklmnopqrstuv"

# Fields Google computes itself; clients may send them back (get -> modify -> update); they are ignored.
READ_ONLY = frozenset(
    {"kind", "etag", "htmlLink", "created", "updated", "creator", "hangoutLink", "privateCopy", "locked"}
)
# The order in which Google lays out an event resource.
FIELD_ORDER = (
    "kind", "etag", "id", "status", "htmlLink", "created", "updated", "summary", "description",
    "location", "colorId", "creator", "organizer", "start", "end", "endTimeUnspecified", "recurrence",
    "recurringEventId", "originalStartTime", "transparency", "visibility", "iCalUID", "sequence",
    "attendees", "extendedProperties", "hangoutLink", "conferenceData", "anyoneCanAddSelf",
    "guestsCanInviteOthers", "guestsCanModify", "guestsCanSeeOtherGuests", "privateCopy", "reminders",
    "source", "attachments", "eventType",
)  # fmt: skip
_ENUMS = {
    "status": ("confirmed", "tentative", "cancelled"),
    "transparency": ("opaque", "transparent"),
    "visibility": ("default", "public", "private", "confidential"),
}
MATERIAL = ("start", "end", "recurrence", "location", "summary", "description", "status")


def is_valid_event_id(event_id: str) -> bool:
    return bool(_ID_RE.match(event_id))


def new_event_id() -> str:
    return "".join(secrets.choice(_BASE32HEX) for _ in range(26))


def html_link(base_url: str, calendar_id: str, event_id: str) -> str:
    eid = base64.urlsafe_b64encode(f"{event_id} {calendar_id}".encode()).decode().rstrip("=")
    return f"{base_url}/calendar/event?eid={eid}"


def decode_eid(eid: str) -> tuple[str, str] | None:
    try:
        raw = base64.urlsafe_b64decode(eid + "=" * (-len(eid) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    event_id, _, calendar_id = raw.partition(" ")
    return (event_id, calendar_id) if calendar_id else None


@dataclass(frozen=True)
class Span:
    """An event's time range in UTC; ``all_day`` when given as dates."""

    start: datetime
    end: datetime
    all_day: bool


def _when(value: Any, which: str, calendar_tz: tzinfo) -> tuple[dict[str, Any], datetime, bool]:
    if not isinstance(value, dict) or not (value.get("date") or value.get("dateTime")):
        raise GoogleError(400, "required", f"Missing {which} time.")
    tz_name = value.get("timeZone")
    tz = calendar_tz
    if tz_name:
        found = timeutil.zone(tz_name)
        if found is None:
            raise bad_request(f"Invalid time zone definition for {which} time.")
        tz = found
    if value.get("date") and value.get("dateTime"):
        raise bad_request(f"Invalid {which} time.")
    if value.get("date"):
        day = timeutil.parse_date(str(value["date"]))
        if day is None:
            raise bad_request(f"Invalid {which} time.")
        out: dict[str, Any] = {"date": day.isoformat()}
        if tz_name:
            out["timeZone"] = tz_name
        return out, timeutil.day_start(day, tz).astimezone(UTC), True
    moment = timeutil.parse_rfc3339(str(value["dateTime"]), require_offset=False)
    if moment is None:
        raise bad_request(f"Invalid {which} time.")
    if moment.tzinfo is None:
        if not tz_name:
            raise GoogleError(400, "required", f"Missing time zone definition for {which} time.")
        moment = moment.replace(tzinfo=tz)
    out = {"dateTime": timeutil.format_offset(moment.astimezone(tz))}
    if tz_name:
        out["timeZone"] = tz_name
    return out, moment.astimezone(UTC), False


def normalise_times(resource: dict[str, Any], calendar_tz: tzinfo) -> Span:
    """Validate ``start``/``end`` in place (rewriting dateTimes like Google does) and return the span."""
    start, start_at, start_day = _when(resource.get("start"), "start", calendar_tz)
    end, end_at, end_day = _when(resource.get("end"), "end", calendar_tz)
    if start_day != end_day:
        raise bad_request("Start and end times must either both be date or both be dateTime.")
    if end_at < start_at or (start_day and end_at == start_at):
        raise time_range_empty()
    resource["start"], resource["end"] = start, end
    return Span(start_at, end_at, start_day)


def check_fields(resource: dict[str, Any]) -> None:
    """Semantic checks beyond the discovery schema."""
    for name, allowed in _ENUMS.items():
        if name in resource and resource[name] not in allowed:
            raise bad_request(f"Invalid value for: {name}")
    color = resource.get("colorId")
    if color is not None and color not in {str(n) for n in range(1, 12)}:
        raise bad_request("Invalid value for: colorId")
    reminders = resource.get("reminders")
    if isinstance(reminders, dict):
        overrides = reminders.get("overrides") or []
        if reminders.get("useDefault") and overrides:
            raise bad_request(
                "Cannot specify both default reminders and overrides at the same time.",
                reason="cannotUseDefaultRemindersAndSpecifyOverride",
            )
        if len(overrides) > 5:
            raise bad_request("The maximum number of override reminders is 5.", reason="tooManyReminders")
        for item in overrides:
            if item.get("method") not in ("email", "popup"):
                raise GoogleError(400, "required", "Missing reminder method.")
            minutes = item.get("minutes")
            if minutes is None or not 0 <= int(minutes) <= 40320:
                raise bad_request("Invalid reminder minutes.")
    for attendee in resource.get("attendees") or []:
        if not attendee.get("email") or "@" not in str(attendee.get("email")):
            raise bad_request("Invalid attendee email.")
        attendee.setdefault("responseStatus", "needsAction")


def strip_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value]
    return value


def merge_patch(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Google's patch semantics: objects merge recursively, arrays and scalars replace, null clears."""
    result = dict(target)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge_patch(result[key], value)
        else:
            result[key] = value
    return result


def ordered(resource: dict[str, Any]) -> dict[str, Any]:
    out = {key: resource[key] for key in FIELD_ORDER if key in resource}
    out.update({key: value for key, value in resource.items() if key not in out})
    return out


def minimal_cancelled(resource: dict[str, Any]) -> dict[str, Any]:
    """What list returns for a deleted event when details are not requested."""
    keep = ("kind", "etag", "id", "status", "recurringEventId", "originalStartTime")
    return {key: resource[key] for key in keep if key in resource}


def localise(resource: dict[str, Any], tz: tzinfo) -> dict[str, Any]:
    """Re-express dateTimes in another zone (the ``timeZone`` query parameter of get/list)."""
    out = dict(resource)
    for key in ("start", "end", "originalStartTime"):
        value = out.get(key)
        if isinstance(value, dict) and value.get("dateTime") and not value.get("timeZone"):
            moment = timeutil.parse_rfc3339(value["dateTime"])
            if moment is not None:
                out[key] = {**value, "dateTime": timeutil.format_offset(moment.astimezone(tz))}
    return out
