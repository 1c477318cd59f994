"""Graph v1.0: /me, calendars, events (create/get/update/delete), calendarView, master categories."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, delete, get, patch, post
from litestar.params import FromPath

from . import schema, views
from .auth import PROFILE, READ, WRITE, Principal, authenticate
from .categories import NONE_COLOR, PRESETS
from .context import Sandbox, sandbox_of
from .errors import bad_request
from .query import Options, options
from .responses import graph, read_json, respond
from .store import Calendar
from .zones import parse_query_instant

V1 = "/v1.0"
CAL = V1 + "/me/calendars/{calendar_id:str}"
DEFAULT_CAL = [V1 + "/me/calendar", V1 + "/me"]  # /me/events and /me/calendar/events: the default calendar


def _calendar(sb: Sandbox, who: Principal, calendar_id: str | None) -> Calendar:
    return (
        sb.store.default_calendar(who.email) if calendar_id is None else sb.store.calendar_for(who.email, calendar_id)
    )


def _next_link(request: Request[Any, Any, Any], skip: int) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "$skip"] + [("$skip", str(skip))]
    return f"{sandbox_of(request).base_url}{request.url.path}?{urlencode(params)}"


def _page(request: Request[Any, Any, Any], opts: Options, items: list[dict[str, Any]], context: str) -> Response[Any]:
    window = items[opts.skip : opts.skip + opts.page_size]
    body: dict[str, Any] = {"@odata.context": f"https://graph.microsoft.com/v1.0/$metadata#{context}", "value": window}
    if opts.skip + opts.page_size < len(items):
        body["@odata.nextLink"] = _next_link(request, opts.skip + opts.page_size)
    return respond(body, headers=opts.applied())


# ---- /me and calendars ------------------------------------------------------------------------------------


@get(V1 + "/me", opt=graph("me.get"))
async def me(request: Request[Any, Any, Any]) -> Response[Any]:
    sb = sandbox_of(request)
    who = authenticate(sb, request, PROFILE)
    return respond(views.user(sb.store.ensure_account(who.email)))


@get(V1 + "/me/calendars", opt=graph("calendars.list"))
async def calendars_list(request: Request[Any, Any, Any]) -> Response[Any]:
    sb = sandbox_of(request)
    who = authenticate(sb, request, READ)
    account = sb.store.ensure_account(who.email)
    items = [views.calendar(sb.store.calendar(cid), account) for cid in account.calendar_ids]
    return _page(request, options(request), items, "users('me')/calendars")


@get([CAL, V1 + "/me/calendar"], opt=graph("calendars.get"))
async def calendar_get(request: Request[Any, Any, Any], calendar_id: FromPath[str | None] = None) -> Response[Any]:
    sb = sandbox_of(request)
    who = authenticate(sb, request, READ)
    return respond(views.calendar(_calendar(sb, who, calendar_id), sb.store.ensure_account(who.email)))


# ---- events ---------------------------------------------------------------------------------------------------


@get([CAL + "/events", *(p + "/events" for p in DEFAULT_CAL)], opt=graph("events.list"))
async def events_list(request: Request[Any, Any, Any], calendar_id: FromPath[str | None] = None) -> Response[Any]:
    sb = sandbox_of(request)
    who = authenticate(sb, request, READ)
    cal = _calendar(sb, who, calendar_id)
    opts = options(request, filters=True)
    account = sb.store.ensure_account(who.email)
    events = sorted(sb.store.live_events(cal), key=lambda e: (e.created, e.id))
    if opts.extended_filter:
        prop_id, value = opts.extended_filter
        events = [e for e in events if prop_id in e.extended and value in (None, e.extended[prop_id]["value"])]
    items = [views.event(sb.base_url, account, e, None, opts.zone, expand=opts.expand, select=opts.select)
             for e in events]  # fmt: skip
    return _page(request, opts, items, "users('me')/calendars('id')/events")


@post([CAL + "/events", *(p + "/events" for p in DEFAULT_CAL)], opt=graph("events.create"))
async def events_create(request: Request[Any, Any, Any], calendar_id: FromPath[str | None] = None) -> Response[Any]:
    sb = sandbox_of(request)
    who = authenticate(sb, request, WRITE)
    cal = _calendar(sb, who, calendar_id)
    opts = options(request)
    body = schema.validate("event", await read_json(request))
    stored, _created = sb.store.create_event(cal, body)
    account = sb.store.ensure_account(who.email)
    out = views.event(sb.base_url, account, stored, None, opts.zone, expand=opts.expand)
    headers = {**opts.applied(), "Location": f"{sb.base_url}{V1}/me/events/{stored.id}"}
    return respond(out, 201, headers)


EVENT = [CAL + "/events/{event_id:str}", *(p + "/events/{event_id:str}" for p in DEFAULT_CAL)]


def _locate(sb: Sandbox, who: Principal, calendar_id: str | None, event_id: str) -> Any:
    cal = sb.store.calendar_for(who.email, calendar_id) if calendar_id else None
    return sb.store.locate(who.email, event_id, cal)


@get(EVENT, opt=graph("events.get"))
async def event_get(
    request: Request[Any, Any, Any], event_id: FromPath[str], calendar_id: FromPath[str | None] = None
) -> Response[Any]:
    sb = sandbox_of(request)
    who = authenticate(sb, request, READ)
    _, stored, occ = _locate(sb, who, calendar_id, event_id)
    opts = options(request)
    account = sb.store.ensure_account(who.email)
    out = views.event(sb.base_url, account, stored, occ, opts.zone, expand=opts.expand, select=opts.select)
    return respond(out, headers=opts.applied())


@patch(EVENT, opt=graph("events.update"))
async def event_update(
    request: Request[Any, Any, Any], event_id: FromPath[str], calendar_id: FromPath[str | None] = None
) -> Response[Any]:
    sb = sandbox_of(request)
    who = authenticate(sb, request, WRITE)
    opts = options(request)
    body = schema.validate("event", await read_json(request))
    if "transactionId" in body:
        raise bad_request("The property 'transactionId' can only be set when the event is created.")
    cal, stored, occ = _locate(sb, who, calendar_id, event_id)
    stored, occ = sb.store.update_event(cal, stored, occ, body, request.headers.get("if-match"))
    account = sb.store.ensure_account(who.email)
    return respond(
        views.event(sb.base_url, account, stored, occ, opts.zone, expand=opts.expand), headers=opts.applied()
    )


@delete(EVENT, opt=graph("events.delete"), status_code=204)
async def event_delete(
    request: Request[Any, Any, Any], event_id: FromPath[str], calendar_id: FromPath[str | None] = None
) -> None:
    sb = sandbox_of(request)
    who = authenticate(sb, request, WRITE)
    cal, stored, occ = _locate(sb, who, calendar_id, event_id)
    sb.store.delete_event(cal, stored, occ, request.headers.get("if-match"))


# ---- calendarView ---------------------------------------------------------------------------------------------------


@get([CAL + "/calendarView", V1 + "/me/calendarView", V1 + "/me/calendar/calendarView"], opt=graph("calendarView"))
async def calendar_view(request: Request[Any, Any, Any], calendar_id: FromPath[str | None] = None) -> Response[Any]:
    sb = sandbox_of(request)
    who = authenticate(sb, request, READ)
    cal = _calendar(sb, who, calendar_id)
    start = parse_query_instant(request.query_params.get("startDateTime"), "startDateTime")
    end = parse_query_instant(request.query_params.get("endDateTime"), "endDateTime")
    opts = options(request)
    account = sb.store.ensure_account(who.email)
    items = [views.event(sb.base_url, account, e, o, opts.zone, expand=opts.expand, select=opts.select)
             for e, o in sb.store.view(cal, start, end)]  # fmt: skip
    return _page(request, opts, items, "users('me')/calendars('id')/calendarView")


# ---- master categories ----------------------------------------------------------------------------------------------

CATEGORIES = V1 + "/me/outlook/masterCategories"


@get(CATEGORIES, opt=graph("masterCategories.list"))
async def categories_list(request: Request[Any, Any, Any]) -> Response[Any]:
    sb = sandbox_of(request)
    who = authenticate(sb, request, READ)
    items = [dict(c) for c in sb.store.ensure_account(who.email).categories]
    return respond({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users('me')/outlook/masterCategories",
                    "value": items})  # fmt: skip


@post(CATEGORIES, opt=graph("masterCategories.create"))
async def categories_create(request: Request[Any, Any, Any]) -> Response[Any]:
    sb = sandbox_of(request)
    who = authenticate(sb, request, WRITE)
    body = schema.validate("outlookCategory", await read_json(request))
    name, color = body.get("displayName"), body.get("color", NONE_COLOR)
    if not isinstance(name, str) or not name.strip():
        raise bad_request("displayName is required.")
    if color not in PRESETS and color != NONE_COLOR:
        raise bad_request(f"Requested value '{color}' was not found.", code="RequestBodyRead")
    return respond(sb.store.add_category(who.email, name.strip(), color), 201)


@delete(CATEGORIES + "/{category_id:str}", opt=graph("masterCategories.delete"), status_code=204)
async def categories_delete(request: Request[Any, Any, Any], category_id: FromPath[str]) -> None:
    sb = sandbox_of(request)
    who = authenticate(sb, request, WRITE)
    sb.store.delete_category(who.email, category_id)


ROUTES = [
    me, calendars_list, calendar_get, events_list, events_create, event_get, event_update, event_delete,
    calendar_view, categories_list, categories_create, categories_delete,
]  # fmt: skip
