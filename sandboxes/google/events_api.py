"""Calendar API v3 events: list, insert, get, patch, update, delete, instances and watch."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, delete, get, patch, post, put
from litestar.params import FromPath

from . import event_model as em
from . import recurrence, timeutil
from .auth import authenticate
from .context import Sandbox, sandbox_of
from .errors import GoogleError, not_found
from .listing import EventQuery
from .responses import api, query_items, read_json, respond
from .store import Calendar

EVENTS = "/calendar/v3/calendars/{calendar_id:str}/events"
ONE = EVENTS + "/{event_id:str}"


def _start(
    request: Request[Any, Any, Any], method_id: str, calendar_id: str
) -> tuple[Sandbox, str, Calendar, dict[str, Any]]:
    sb = sandbox_of(request)
    who = authenticate(sb, request, method_id)
    params = sb.discovery.validate_query(method_id, query_items(request))
    return sb, who.email, sb.store.calendar_for(who.email, calendar_id), params


def _find(sb: Sandbox, cal: Calendar, event_id: str) -> dict[str, Any]:
    """An event by id, including instances of recurring events (``<masterId>_<start>``)."""
    try:
        return sb.store.get_event(cal, event_id)
    except GoogleError:
        master_id, _, _ = event_id.rpartition("_")
        events, _ = sb.store.snapshot(cal)
        for stored in events:
            if stored.resource["id"] == master_id and stored.resource.get("recurrence"):
                for instance, _span in recurrence.instances(stored.resource, stored.span, cal.tz, None, None):
                    if instance["id"] == event_id:
                        return instance
        raise


def _localised(resource: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    tz = timeutil.zone(params["timeZone"]) if params.get("timeZone") else None
    return em.localise(resource, tz) if tz else resource


@get(EVENTS, opt=api("calendar.events.list"))
async def list_events(request: Request[Any, Any, Any], calendar_id: FromPath[str]) -> Response[Any]:
    sb, _, cal, params = _start(request, "calendar.events.list", calendar_id)
    return respond(EventQuery(sb.store, cal, params).run())


@post(EVENTS, opt=api("calendar.events.insert"))
async def insert_event(request: Request[Any, Any, Any], calendar_id: FromPath[str]) -> Response[Any]:
    sb, email, cal, _ = _start(request, "calendar.events.insert", calendar_id)
    body = await read_json(request)
    sb.discovery.validate_body("calendar.events.insert", body)
    return respond(sb.store.insert_event(cal, body, email))


@get(ONE, opt=api("calendar.events.get"))
async def get_event(
    request: Request[Any, Any, Any], calendar_id: FromPath[str], event_id: FromPath[str]
) -> Response[Any]:
    sb, _, cal, params = _start(request, "calendar.events.get", calendar_id)
    resource = _find(sb, cal, event_id)
    if request.headers.get("if-none-match") == resource["etag"]:
        return Response(content=b"", status_code=304, headers={"ETag": resource["etag"]})
    return respond(_localised(resource, params))


@patch(ONE, opt=api("calendar.events.patch"))
async def patch_event(
    request: Request[Any, Any, Any], calendar_id: FromPath[str], event_id: FromPath[str]
) -> Response[Any]:
    sb, _, cal, _ = _start(request, "calendar.events.patch", calendar_id)
    body = await read_json(request)
    sb.discovery.validate_body("calendar.events.patch", body)
    return respond(sb.store.patch_event(cal, event_id, body, request.headers.get("if-match")))


@put(ONE, opt=api("calendar.events.update"))
async def update_event(
    request: Request[Any, Any, Any], calendar_id: FromPath[str], event_id: FromPath[str]
) -> Response[Any]:
    sb, _, cal, _ = _start(request, "calendar.events.update", calendar_id)
    body = await read_json(request)
    sb.discovery.validate_body("calendar.events.update", body)
    return respond(sb.store.update_event(cal, event_id, body, request.headers.get("if-match")))


@delete(ONE, opt=api("calendar.events.delete"), status_code=204)
async def delete_event(request: Request[Any, Any, Any], calendar_id: FromPath[str], event_id: FromPath[str]) -> None:
    sb, _, cal, _ = _start(request, "calendar.events.delete", calendar_id)
    sb.store.delete_event(cal, event_id, request.headers.get("if-match"))


@get(ONE + "/instances", opt=api("calendar.events.instances"))
async def event_instances(
    request: Request[Any, Any, Any], calendar_id: FromPath[str], event_id: FromPath[str]
) -> Response[Any]:
    sb, _, cal, params = _start(request, "calendar.events.instances", calendar_id)
    events, _ = sb.store.snapshot(cal)
    stored = next((e for e in events if e.resource["id"] == event_id), None)
    if stored is None:
        raise not_found()
    low = timeutil.parse_rfc3339(params["timeMin"]) if params.get("timeMin") else None
    high = timeutil.parse_rfc3339(params["timeMax"]) if params.get("timeMax") else None
    if stored.resource.get("recurrence"):
        found = [item for item, _ in recurrence.instances(stored.resource, stored.span, cal.tz, low, high)]
    else:
        found = [stored.resource]
    offset = int(params.get("pageToken") or 0) if str(params.get("pageToken") or "0").isdigit() else 0
    limit = min(int(params.get("maxResults", 250)), 2500)
    body: dict[str, Any] = {
        "kind": "calendar#events",
        "etag": stored.resource["etag"],
        "summary": cal.summary,
        "updated": stored.resource["updated"],
        "timeZone": cal.time_zone,
        "accessRole": "owner",
        "defaultReminders": [],
    }
    if offset + limit < len(found):
        body["nextPageToken"] = str(offset + limit)
    body["items"] = [_localised(item, params) for item in found[offset : offset + limit]]
    return respond(body)


@post(EVENTS + "/watch", opt=api("calendar.events.watch"))
async def watch_events(request: Request[Any, Any, Any], calendar_id: FromPath[str]) -> Response[Any]:
    sb, email, cal, _ = _start(request, "calendar.events.watch", calendar_id)
    body = await read_json(request)
    sb.discovery.validate_body("calendar.events.watch", body)
    return respond(sb.notifier.watch(cal, email, body).resource())


ROUTES = [
    list_events,
    insert_event,
    get_event,
    patch_event,
    update_event,
    delete_event,
    event_instances,
    watch_events,
]
