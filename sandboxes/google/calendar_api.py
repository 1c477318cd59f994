"""Calendar API v3: calendarList, calendars.get, colors, freeBusy and channels.stop."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from . import freebusy
from .auth import authenticate
from .colors import CALENDAR_COLORS, colors_resource
from .context import sandbox_of
from .responses import api, no_content, query_items, read_json, respond
from .store import DEFAULT_REMINDERS, Calendar

V3 = "/calendar/v3"


def calendar_entry(cal: Calendar) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "kind": "calendar#calendarListEntry",
        "etag": f'"{cal.updated_us}"',
        "id": cal.id,
        "summary": cal.summary,
        "timeZone": cal.time_zone,
        "colorId": cal.color_id,
        "backgroundColor": CALENDAR_COLORS[cal.color_id],
        "foregroundColor": "#000000",
        "selected": True,
        "accessRole": "owner",
        "defaultReminders": DEFAULT_REMINDERS if cal.primary else [],
        "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
    }
    if cal.primary:
        entry["notificationSettings"] = {
            "notifications": [
                {"type": "eventCreation", "method": "email"},
                {"type": "eventChange", "method": "email"},
                {"type": "eventCancellation", "method": "email"},
                {"type": "eventResponse", "method": "email"},
            ]
        }
        entry["primary"] = True
    return entry


def calendar_resource(cal: Calendar) -> dict[str, Any]:
    return {
        "kind": "calendar#calendar",
        "etag": f'"{cal.updated_us}"',
        "id": cal.id,
        "summary": cal.summary,
        "timeZone": cal.time_zone,
        "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
    }


@get(f"{V3}/users/me/calendarList", opt=api("calendar.calendarList.list"))
async def calendar_list(request: Request[Any, Any, Any]) -> Response[Any]:
    sb = sandbox_of(request)
    who = authenticate(sb, request, "calendar.calendarList.list")
    sb.discovery.validate_query("calendar.calendarList.list", query_items(request))
    account = sb.store.ensure_account(who.email)
    items = [calendar_entry(sb.store.calendar(cid)) for cid in account.calendar_ids]
    etag = max(int(item["etag"].strip('"')) for item in items)
    return respond(
        {"kind": "calendar#calendarList", "etag": f'"{etag}"', "nextSyncToken": f"sbx{etag}", "items": items}
    )


@get(f"{V3}/users/me/calendarList/{{calendar_id:str}}", opt=api("calendar.calendarList.get"))
async def calendar_list_get(request: Request[Any, Any, Any], calendar_id: FromPath[str]) -> Response[Any]:
    sb = sandbox_of(request)
    who = authenticate(sb, request, "calendar.calendarList.get")
    return respond(calendar_entry(sb.store.calendar_for(who.email, calendar_id)))


@get(f"{V3}/calendars/{{calendar_id:str}}", opt=api("calendar.calendars.get"))
async def calendars_get(request: Request[Any, Any, Any], calendar_id: FromPath[str]) -> Response[Any]:
    sb = sandbox_of(request)
    who = authenticate(sb, request, "calendar.calendars.get")
    return respond(calendar_resource(sb.store.calendar_for(who.email, calendar_id)))


@get(f"{V3}/colors", opt=api("calendar.colors.get"))
async def colors_get(request: Request[Any, Any, Any]) -> Response[Any]:
    authenticate(sandbox_of(request), request, "calendar.colors.get")
    return respond(colors_resource())


@post(f"{V3}/freeBusy", opt=api("calendar.freebusy.query"))
async def freebusy_query(request: Request[Any, Any, Any]) -> Response[Any]:
    sb = sandbox_of(request)
    who = authenticate(sb, request, "calendar.freebusy.query")
    body = await read_json(request)
    sb.discovery.validate_body("calendar.freebusy.query", body)
    return respond(freebusy.query(sb.store, who.email, body))


@post(f"{V3}/channels/stop", opt=api("calendar.channels.stop"))
async def channels_stop(request: Request[Any, Any, Any]) -> Response[Any]:
    sb = sandbox_of(request)
    who = authenticate(sb, request, "calendar.channels.stop")
    body = await read_json(request)
    sb.discovery.validate_body("calendar.channels.stop", body)
    sb.notifier.stop_channel(str(body.get("id", "")), body.get("resourceId"), who.email)
    return no_content()


@get("/discovery/v1/apis/calendar/v3/rest")
async def discovery_document(request: Request[Any, Any, Any]) -> Response[Any]:
    """Google's discovery document, pointed at this server (for ``discoveryServiceUrl`` clients)."""
    sb = sandbox_of(request)
    document = dict(sb.discovery.document)
    document.update(rootUrl=f"{sb.base_url}/", baseUrl=f"{sb.base_url}/calendar/v3/")
    return respond(document)


ROUTES = [
    discovery_document,
    calendar_list,
    calendar_list_get,
    calendars_get,
    colors_get,
    freebusy_query,
    channels_stop,
]
