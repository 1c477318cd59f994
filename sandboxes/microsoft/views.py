"""JSON renderings of Graph resources (event, calendar, user, category) as v1.0 returns them."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import quote

from . import event_model as em
from . import zones
from .store import CALENDAR_HEX, Account, Calendar, StoredEvent

GRAPH = "https://graph.microsoft.com/v1.0"


def event(
    base_url: str,
    account: Account,
    stored: StoredEvent,
    occ: em.Occurrence | None,
    zone: zones.Zone,
    *,
    expand: set[str] | None = None,
    select: set[str] | None = None,
) -> dict[str, Any]:
    props = {**stored.props, **(occ.props if occ else {})}
    timing = occ.timing if occ else stored.timing
    start, end = timing.render(zone)
    change_key = (occ.change_key if occ and occ.change_key else None) or stored.change_key
    kind = "singleInstance"
    if stored.recurrence:
        kind = ("exception" if occ.exception else "occurrence") if occ else "seriesMaster"
    event_id = occ.id if occ else stored.id
    body = props["body"] or {}
    out: dict[str, Any] = {
        "@odata.etag": f'W/"{change_key}"',
        "id": event_id,
        "createdDateTime": zones.format_utc(stored.created),
        "lastModifiedDateTime": zones.format_utc(stored.modified),
        "changeKey": change_key,
        "categories": list(props["categories"]),
        "transactionId": stored.props.get("transactionId"),
        "originalStartTimeZone": stored.timing.start_zone.windows,
        "originalEndTimeZone": stored.timing.end_zone.windows,
        "iCalUId": stored.ical_uid,
        "reminderMinutesBeforeStart": props["reminderMinutesBeforeStart"],
        "isReminderOn": props["isReminderOn"],
        "hasAttachments": False,
        "subject": props["subject"],
        "bodyPreview": em.body_preview(body),
        "importance": props["importance"],
        "sensitivity": props["sensitivity"],
        "isAllDay": timing.all_day,
        "isCancelled": False,
        "isOrganizer": True,
        "responseRequested": props["responseRequested"],
        "seriesMasterId": stored.id if occ else None,
        "showAs": props["showAs"],
        "type": kind,
        "webLink": f"{base_url}/calendar/item?itemid={quote(event_id, safe='')}",
        "onlineMeetingUrl": None,
        "isOnlineMeeting": props["isOnlineMeeting"],
        "onlineMeetingProvider": props["onlineMeetingProvider"],
        "allowNewTimeProposals": props["allowNewTimeProposals"],
        "isDraft": False,
        "hideAttendees": props["hideAttendees"],
        "responseStatus": {"response": "organizer", "time": "0001-01-01T00:00:00Z"},
        "body": copy.deepcopy(body),
        "start": start,
        "end": end,
        "location": copy.deepcopy(props["location"]),
        "locations": copy.deepcopy(props["locations"]),
        "recurrence": copy.deepcopy(stored.recurrence) if not occ else None,
        "attendees": copy.deepcopy(props["attendees"]),
        "organizer": {"emailAddress": {"name": account.name, "address": account.email}},
        "onlineMeeting": None,
    }
    if select:
        out = {k: v for k, v in out.items() if k in select or k in ("@odata.etag", "id")}
    if expand is not None:
        matched = [dict(p) for key, p in stored.extended.items() if key in expand or "*" in expand]
        if matched:  # Graph leaves the property out when no extended property matches the filter
            out["singleValueExtendedProperties"] = matched
    return out


def calendar(cal: Calendar, account: Account) -> dict[str, Any]:
    return {
        "@odata.id": f"{GRAPH}/users('{account.oid}')/calendars('{cal.id}')",
        "id": cal.id,
        "name": cal.name,
        "color": cal.color,
        "hexColor": CALENDAR_HEX.get(cal.color, ""),
        "isDefaultCalendar": cal.is_default,
        "changeKey": cal.change_key,
        "canShare": True,
        "canViewPrivateItems": True,
        "canEdit": True,
        "allowedOnlineMeetingProviders": ["teamsForBusiness"],
        "defaultOnlineMeetingProvider": "teamsForBusiness",
        "isTallyingResponses": True,
        "isRemovable": not cal.is_default,
        "owner": {"name": account.name, "address": account.email},
    }


def user(account: Account) -> dict[str, Any]:
    given, _, surname = account.name.partition(" ")
    return {
        "@odata.context": f"{GRAPH}/$metadata#users/$entity",
        "businessPhones": [],
        "displayName": account.name,
        "givenName": given,
        "jobTitle": None,
        "mail": account.email,
        "mobilePhone": None,
        "officeLocation": None,
        "preferredLanguage": "en-US",
        "surname": surname or None,
        "userPrincipalName": account.email,
        "id": account.oid,
    }
