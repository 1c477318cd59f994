"""Microsoft Graph's wire format for calendar events, with no I/O: bodies we send, events we read.

Decisions where Graph differs from our neutral types (docs/providers.md has the longer story):

* Identity: a create carries ``transactionId`` = a UUIDv5 of the idempotency key (Graph answers a second POST
  with the same transactionId with the first event). Our item key and origin travel in
  ``singleValueExtendedProperties`` (``KEY_PROPERTY``, ``ORIGIN_PROPERTY``); Graph returns them only when asked
  with ``$expand`` and never in delta rows, so the adapter looks them up for delta rows that carry a
  transactionId (ours always do; other people's events rarely do).
* Times: written as the company's wall-clock time with the Windows zone name CLDR's windowsZones maps the IANA
  zone to (as shipped by tzlocal), when that Windows zone gives the same instants; otherwise as UTC. Read with
  ``Prefer: outlook.timezone="UTC"``. All-day events are floating dates, busy from local midnight to local
  midnight in the calendar's zone.
* Colours: one master category per palette colour, "Rentcal · <colour>", with the palette's Outlook preset.
  (Per colour, not per booking status: a category's colour belongs to the whole mailbox, and companies choose
  their status colours.)
* Reminders: Graph keeps one reminder per event. The popup reminder (1 hour before) becomes
  ``reminderMinutesBeforeStart``; the 1-day reminder is the e-mail Rentcal itself sends to customers and staff
  (calendars.mail.reminders), so nothing of it is lost.
* Status: our "tentative" is ``showAs: tentative``; "confirmed" is ``showAs: busy``. Busy time read back:
  ``free`` and ``workingElsewhere`` are not busy, nor are cancelled events or ones the owner declined.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tzlocal.windows_tz import tz_win, win_tz

from calendars.palette import PALETTE
from calendars.providers.base import EventData, RemoteEvent
from calendars.providers.registry import Notification, Parsed

# Our own property set (a fixed GUID: ids already written to mailboxes must never change).
PROPERTY_SET = "{6f3b2c1a-9e4d-4b7a-8c5e-72656e746361}"
KEY_PROPERTY = f"String {PROPERTY_SET} Name rentcalKey"
ORIGIN_PROPERTY = f"String {PROPERTY_SET} Name rentcalOrigin"
EXPAND = f"singleValueExtendedProperties($filter=id eq '{KEY_PROPERTY}' or id eq '{ORIGIN_PROPERTY}')"
TRANSACTION_NAMESPACE = uuid.UUID("1b7c5d0e-3f7a-4e62-9a51-72656e74636c")
CATEGORY_PREFIX = "Rentcal · "
NOT_BUSY = frozenset({"free", "workingElsewhere"})


def transaction_id(idempotency_key: str) -> str:
    """Our deterministic transactionId for a key (a GUID string)."""
    return str(uuid.uuid5(TRANSACTION_NAMESPACE, idempotency_key))


def category_name(color: str) -> str:
    return CATEGORY_PREFIX + PALETTE[color].label


def windows_zone(iana: str) -> str | None:
    """The Windows name CLDR maps an IANA zone to (None when it has none)."""
    return tz_win.get(iana)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(win_tz.get(name, name))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def wire_time(moment: datetime, iana: str) -> dict[str, str]:
    """``{dateTime, timeZone}``: the wall-clock time in the company's zone under its Windows name, or UTC when
    no Windows zone gives the same instant (e.g. a zone Windows does not know, or one whose rules differ)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: Graph needs an instant")
    windows = windows_zone(iana)
    if windows and windows in win_tz:
        try:
            local = moment.astimezone(ZoneInfo(iana))
        except (ZoneInfoNotFoundError, ValueError):
            local = None
        if local is not None:
            wall = local.replace(tzinfo=None)
            if wall.replace(tzinfo=ZoneInfo(win_tz[windows]), fold=local.fold).astimezone(UTC) == moment:
                return {"dateTime": wall.isoformat(timespec="seconds"), "timeZone": windows}
    wall = moment.astimezone(UTC).replace(tzinfo=None)
    return {"dateTime": wall.isoformat(timespec="seconds"), "timeZone": "UTC"}


def parse_wire_time(value: Any) -> datetime | None:
    """An instant from ``{dateTime, timeZone}`` (Graph writes up to 7 fractional digits)."""
    if not isinstance(value, Mapping) or not value.get("dateTime"):
        return None
    local = datetime.fromisoformat(str(value["dateTime"]))
    if local.tzinfo is not None:
        return local
    return local.replace(tzinfo=_zone(str(value.get("timeZone") or "UTC"))).astimezone(UTC)


def popup_minutes(event: EventData) -> int | None:
    """The one reminder Graph keeps: the earliest popup reminder (e-mail reminders are Rentcal's own mails)."""
    popups = [r.minutes for r in event.reminders if r.method == "popup"]
    return min(popups) if popups else None


def event_body(event: EventData, *, create_key: str | None = None) -> dict[str, Any]:
    """Our fields of an event, for a create (with its transactionId) and for a PATCH (top-level properties are
    replaced; what a person added, such as attendees or their own categories' events, stays)."""
    minutes = popup_minutes(event)
    body: dict[str, Any] = {
        "subject": event.summary,
        "body": {"contentType": "text", "content": event.description},
        "location": {"displayName": event.location},
        "start": wire_time(event.starts_at, event.timezone),
        "end": wire_time(event.ends_at, event.timezone),
        "isAllDay": False,
        "showAs": "tentative" if event.status == "tentative" else "busy",
        "categories": [category_name(event.color)] if event.color in PALETTE else [],
        "isReminderOn": minutes is not None,
    }
    if minutes is not None:
        body["reminderMinutesBeforeStart"] = minutes
    properties = []
    if event.key:
        properties.append({"id": KEY_PROPERTY, "value": event.key})
    if event.origin:
        properties.append({"id": ORIGIN_PROPERTY, "value": event.origin})
    if properties:
        body["singleValueExtendedProperties"] = properties
    if create_key is not None:
        body["transactionId"] = transaction_id(create_key)
    return body


def extended(item: Mapping[str, Any]) -> dict[str, str] | None:
    """Our extended properties by id, or None when the item was read without them."""
    if "singleValueExtendedProperties" not in item:
        return None
    return {str(p.get("id")): str(p.get("value")) for p in item.get("singleValueExtendedProperties") or []}


def _property(props: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()  # Graph may return the id in another case
    return next((value for key, value in props.items() if key.lower() == wanted), None)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def _parse_utc(value: Any) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def remote_event(
    item: Mapping[str, Any], zone: ZoneInfo | None = None, props: Mapping[str, str] | None = None
) -> RemoteEvent:
    """A Graph event (or a delta ``@removed`` row) as a RemoteEvent; `props` are its extended properties when
    they were looked up separately, `zone` the calendar's zone for all-day events."""
    if "@removed" in item:
        return RemoteEvent(id=str(item["id"]), etag="", status="cancelled", busy=False)
    props = props if props is not None else (extended(item) or {})
    all_day_start = all_day_end = None
    starts_at, ends_at = parse_wire_time(item.get("start")), parse_wire_time(item.get("end"))
    if item.get("isAllDay") and starts_at is not None and ends_at is not None:
        # floating dates: the date part as written, at midnight of the calendar's zone
        all_day_start = date.fromisoformat(str(item["start"]["dateTime"])[:10])
        all_day_end = date.fromisoformat(str(item["end"]["dateTime"])[:10])
        calendar_zone = zone or ZoneInfo("UTC")
        starts_at, ends_at = _midnight(all_day_start, calendar_zone), _midnight(all_day_end, calendar_zone)
    show_as = str(item.get("showAs") or "busy")
    cancelled = bool(item.get("isCancelled"))
    status = "cancelled" if cancelled else ("tentative" if show_as == "tentative" else "confirmed")
    declined = (item.get("responseStatus") or {}).get("response") == "declined"
    transparent = show_as in NOT_BUSY
    return RemoteEvent(
        id=str(item["id"]),
        etag=str(item.get("@odata.etag") or ""),
        status=status,
        summary=str(item.get("subject") or ""),
        starts_at=starts_at,
        ends_at=ends_at,
        all_day_start=all_day_start,
        all_day_end=all_day_end,
        key=_property(props, KEY_PROPERTY),
        transparent=transparent,
        updated=_parse_utc(item.get("lastModifiedDateTime")),
        origin=_property(props, ORIGIN_PROPERTY),
        busy=not cancelled and not transparent and not declined and starts_at is not None,
        series_id=item.get("seriesMasterId") or None,
    )


def matches(item: Mapping[str, Any], event: EventData) -> bool:
    """Whether an event read back already holds our fields as `event` wants them (a retried create that
    found the first attempt's event needs no PATCH then)."""
    wanted = event_body(event)
    return (
        item.get("subject") == wanted["subject"]
        and parse_wire_time(item.get("start")) == event.starts_at
        and parse_wire_time(item.get("end")) == event.ends_at
        and not item.get("isAllDay")
        and (item.get("location") or {}).get("displayName", "") == event.location
        and (item.get("body") or {}).get("content", "") == event.description
        and item.get("showAs") == wanted["showAs"]
        and list(item.get("categories") or []) == wanted["categories"]
        and bool(item.get("isReminderOn")) == wanted["isReminderOn"]
        and (
            not wanted["isReminderOn"]
            or item.get("reminderMinutesBeforeStart") == wanted.get("reminderMinutesBeforeStart")
        )
    )


LIFECYCLE_KINDS: dict[str, Literal["renew", "removed", "missed"]] = {
    "reauthorizationRequired": "renew",
    "subscriptionRemoved": "removed",
    "missed": "missed",
}


def parse_notification(headers: Mapping[str, str], query: Mapping[str, str], body: bytes) -> Parsed:
    """Graph's validation handshake (``?validationToken=…``: echo it as text/plain) or a batch of change and
    lifecycle notifications (``{"value": [...]}``), one Notification per subscription and kind."""
    token = query.get("validationToken")
    if token is not None:
        return token
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return []
    items = data.get("value") if isinstance(data, dict) else None
    found: dict[tuple[str, str, str], Notification] = {}
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or not item.get("subscriptionId"):
            continue
        lifecycle = item.get("lifecycleEvent")
        kind: Literal["changed", "renew", "removed", "missed"] = (
            LIFECYCLE_KINDS.get(str(lifecycle), "missed") if lifecycle else "changed"
        )
        notification = Notification(str(item["subscriptionId"]), str(item.get("clientState") or ""), kind)
        found.setdefault((notification.subscription_id, notification.secret, kind), notification)
    return list(found.values())
