"""The Graph ``event`` resource: what a write may set, how times are read, how an event is rendered."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

from . import zones
from .errors import GraphError, bad_request

DEFAULTS: dict[str, Any] = {
    "subject": "",
    "body": {"contentType": "html", "content": ""},
    "categories": [],
    "showAs": "busy",
    "importance": "normal",
    "sensitivity": "normal",
    "isReminderOn": True,
    "reminderMinutesBeforeStart": 15,
    "location": {"displayName": "", "locationType": "default", "uniqueIdType": "unknown", "address": {},
                 "coordinates": {}},
    "locations": [],
    "attendees": [],
    "responseRequested": True,
    "allowNewTimeProposals": True,
    "hideAttendees": False,
    "isOnlineMeeting": False,
    "onlineMeetingProvider": "unknown",
    "transactionId": None,
}  # fmt: skip
TIMING = ("start", "end", "isAllDay", "originalStartTimeZone", "originalEndTimeZone")
# Properties Graph computes; a client sending them back (e.g. a GET-modify-PATCH) is not an error.
IGNORED = {
    "id", "createdDateTime", "lastModifiedDateTime", "changeKey", "iCalUId", "webLink", "bodyPreview",
    "hasAttachments", "isOrganizer", "isCancelled", "seriesMasterId", "type", "responseStatus", "organizer",
    "onlineMeeting", "onlineMeetingUrl", "calendar", "instances", "attachments", "extensions",
    "multiValueExtendedProperties", "exceptionOccurrences", "cancelledOccurrences", "originalStart", "isDraft",
    "@odata.type",
}  # fmt: skip
EXTENDED_ID = re.compile(
    r"^(String|Integer|Boolean|SystemTime|Double|Binary|Guid|Long|Short|Currency|Float)"
    r" \{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}"
    r" (Name [^\s]+|Id 0x[0-9a-fA-F]{1,4})$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Timing:
    """Start and end as local wall times in the zones they were written in (Outlook keeps the zone)."""

    start_local: datetime
    start_zone: zones.Zone
    end_local: datetime
    end_zone: zones.Zone
    all_day: bool

    @property
    def start(self) -> datetime:
        return zones.to_instant(self.start_local, self.start_zone)

    @property
    def end(self) -> datetime:
        return zones.to_instant(self.end_local, self.end_zone)

    def shifted(self, start_local: datetime) -> Timing:
        """The same duration starting at ``start_local`` (for occurrences of a series)."""
        if self.all_day:
            return replace(self, start_local=start_local, end_local=start_local + (self.end_local - self.start_local))
        end = zones.to_instant(start_local, self.start_zone) + (self.end - self.start)
        return replace(self, start_local=start_local, end_local=end.astimezone(self.end_zone.tz).replace(tzinfo=None))

    def render(self, view: zones.Zone) -> tuple[dict[str, str], dict[str, str]]:
        if self.all_day:  # all-day events are floating dates: midnight in whatever zone they are read in
            return (
                {"dateTime": zones.format_floating(self.start_local.date()), "timeZone": view.name},
                {"dateTime": zones.format_floating(self.end_local.date()), "timeZone": view.name},
            )
        return (
            {"dateTime": zones.format_local(self.start, view), "timeZone": view.name},
            {"dateTime": zones.format_local(self.end, view), "timeZone": view.name},
        )


def _when(value: Any, field_name: str) -> tuple[datetime, zones.Zone]:
    if not isinstance(value, dict) or not value.get("dateTime") or not value.get("timeZone"):
        raise bad_request(f"'{field_name}' needs both dateTime and timeZone.", code="ErrorInvalidRequest")
    return zones.parse_local(value["dateTime"], field_name), zones.resolve(value["timeZone"])


def timing_from(body: dict[str, Any], current: Timing | None) -> Timing | None:
    """New timing after a write (``None`` when the body touches no time field and there was none)."""
    if current is None and ("start" not in body or "end" not in body):
        raise bad_request("An event must have both start and end.", code="ErrorInvalidRequest")
    if current is not None and not any(body.get(key) is not None for key in TIMING):
        return current
    start_local, start_zone = _when(body["start"], "start") if body.get("start") is not None else (
        current.start_local, current.start_zone)  # type: ignore[union-attr]  # fmt: skip
    end_local, end_zone = _when(body["end"], "end") if body.get("end") is not None else (
        current.end_local, current.end_zone)  # type: ignore[union-attr]  # fmt: skip
    all_day = body["isAllDay"] if body.get("isAllDay") is not None else (current.all_day if current else False)
    timing = Timing(start_local, start_zone, end_local, end_zone, bool(all_day))
    if all_day:
        if start_local.time() != time(0) or end_local.time() != time(0):
            raise bad_request(
                "Your request can't be completed. If you set an event as all day, the start and end time need to "
                "be set to midnight.",
                code="ErrorPropertyValidationFailure",
            )
        if end_local.date() <= start_local.date():
            raise bad_request("The end date of an all-day event must be after its start date.")
    elif timing.end < timing.start:
        raise bad_request("The end time of the event must not be before its start time.")
    return timing


def extended_properties(value: Any) -> dict[str, dict[str, str]]:
    """singleValueExtendedProperties → {lower-case id: {id, value}}; Graph keeps values as strings."""
    found: dict[str, dict[str, str]] = {}
    for item in value or []:
        prop_id, prop_value = item.get("id"), item.get("value")
        if not isinstance(prop_id, str) or not EXTENDED_ID.match(prop_id):
            raise GraphError(400, "ErrorInvalidProperty", f"The extended property id '{prop_id}' is not valid.")
        if not isinstance(prop_value, str):
            raise GraphError(400, "ErrorInvalidProperty", f"The value of extended property '{prop_id}' is missing.")
        found[prop_id.lower()] = {"id": prop_id, "value": prop_value}
    return found


def merged_props(current: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """Writable, non-time properties after a write: top-level properties replace, ``null`` resets."""
    props = copy.deepcopy(current)
    for key, value in body.items():
        if key in IGNORED or key in TIMING or key.startswith("@") or key in ("recurrence",):
            continue
        if key == "singleValueExtendedProperties":
            continue
        props[key] = copy.deepcopy(DEFAULTS.get(key)) if value is None else copy.deepcopy(value)
    minutes = props.get("reminderMinutesBeforeStart")
    if not isinstance(minutes, int) or minutes < 0:
        raise bad_request("reminderMinutesBeforeStart must be zero or more.")
    if not all(isinstance(c, str) and c.strip() for c in props.get("categories") or []):
        raise bad_request("A category name must not be empty.")
    return props


def body_preview(body: dict[str, Any]) -> str:
    text = re.sub(r"<[^>]+>", " ", str(body.get("content") or ""))
    return re.sub(r"\s+", " ", text).strip()[:255]


@dataclass
class Occurrence:
    """One instance of a series: its day key, timing and (for exceptions) overridden properties."""

    id: str
    day: str
    timing: Timing
    props: dict[str, Any] = field(default_factory=dict)
    exception: bool = False
    change_key: str | None = None


def utc_now() -> datetime:
    return datetime.now(UTC)


def window_overlaps(timing: Timing, start: datetime, end: datetime) -> bool:
    """calendarView semantics: the event overlaps [start, end); zero-length events at start count."""
    ev_start, ev_end = timing.start, timing.end
    if ev_end == ev_start:
        return start <= ev_start < end
    return ev_start < end and ev_end > start


def day_key(local: datetime) -> str:
    return local.strftime("%Y%m%d")


ONE_DAY = timedelta(days=1)
