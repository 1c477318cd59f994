"""A small server-rendered web view: accounts -> calendars -> events; move or delete like a Google user."""

from __future__ import annotations

from html import escape
from itertools import count
from typing import Any
from urllib.parse import parse_qsl, quote

from litestar import Request, Response, get, post
from litestar.enums import MediaType
from litestar.response import Redirect

from . import event_model as em
from . import pages, timeutil
from .colors import CALENDAR_COLORS, EVENT_COLORS
from .context import sandbox_of
from .errors import GoogleError
from .store import Calendar, Store, StoredEvent


def _html(content: str, status: int = 200) -> Response[Any]:
    return Response(content=content, status_code=status, media_type=MediaType.HTML)


def _local(stored: StoredEvent, cal: Calendar, which: str) -> str:
    value = stored.resource.get(which) or {}
    if "date" in value:
        return str(value["date"])
    moment = timeutil.parse_rfc3339(str(value.get("dateTime", "")))
    tz = timeutil.zone(value.get("timeZone") or cal.time_zone) or cal.tz
    return moment.astimezone(tz).strftime("%Y-%m-%dT%H:%M") if moment else ""


def _field(label: str, ident: str, name: str, kind: str = "text", value: str = "", extra: str = "") -> str:
    return (
        f"<div><label for='{ident}'>{escape(label)}</label><input id='{ident}' name='{name}' type='{kind}' "
        f"value='{escape(value)}' {extra}></div>"
    )


def _event_row(cal: Calendar, stored: StoredEvent, ids: count[int]) -> str:
    r = stored.resource
    color = EVENT_COLORS.get(str(r.get("colorId")), CALENDAR_COLORS[cal.color_id])
    start, end = _local(stored, cal, "start"), _local(stored, cal, "end")
    zone = (r.get("start") or {}).get("timeZone") or cal.time_zone
    kind = "date" if stored.span.all_day else "datetime-local"
    n = next(ids)
    hidden = (
        f"<input type='hidden' name='calendar_id' value='{escape(cal.id)}'>"
        f"<input type='hidden' name='event_id' value='{escape(r['id'])}'>"
    )
    summary = escape(str(r.get("summary") or "(No title)"))
    actions = ""
    if not stored.cancelled:
        actions = (
            f"<form method='post' action='/_web/events/move' class='row-form' aria-label='Move {summary}'>"
            + hidden
            + _field("Start", f"start-{n}", "start", kind, start, "required")
            + _field("End", f"end-{n}", "end", kind, end, "required")
            + _field("Time zone", f"tz-{n}", "time_zone", "text", zone, "size='14'")
            + "<button type='submit'>Move</button></form>"
            + f"<form method='post' action='/_web/events/delete' aria-label='Delete {summary}'>{hidden}"
            + "<button type='submit'>Delete</button></form>"
        )
    color_id = escape(str(r.get("colorId", "")))
    return (
        f"<tr id='event-{escape(r['id'])}' class='{'cancelled' if stored.cancelled else ''}'>"
        f"<td><span class='swatch' style='background:{color}' title='colorId {color_id}'></span>"
        f"{summary}<div class='muted'>{escape(r['id'])}</div></td>"
        f"<td>{escape(start.replace('T', ' '))}</td><td>{escape(end.replace('T', ' '))}</td>"
        f"<td>{escape(r.get('status', ''))}<div class='muted'>seq {r.get('sequence', 0)}</div></td>"
        f"<td>{actions}</td></tr>"
    )


def _calendar_section(store: Store, cal: Calendar, ids: count[int]) -> str:
    events, _ = store.snapshot(cal)
    events.sort(key=lambda e: (e.cancelled, e.span.start))
    rows = "".join(_event_row(cal, e, ids) for e in events) or "<tr><td colspan='5' class='muted'>No events</td></tr>"
    n = next(ids)
    add = (
        "<form method='post' action='/_web/events/create' class='row-form' "
        f"aria-label='Add event to {escape(cal.summary)}'>"
        f"<input type='hidden' name='calendar_id' value='{escape(cal.id)}'>"
        + _field("Title", f"summary-{n}", "summary", extra="required")
        + _field("Start", f"nstart-{n}", "start", "datetime-local", extra="required")
        + _field("End", f"nend-{n}", "end", "datetime-local", extra="required")
        + _field("Time zone", f"ntz-{n}", "time_zone", "text", cal.time_zone, "size='14'")
        + "<button type='submit'>Add event</button></form>"
    )
    return (
        f"<section class='card' aria-label='{escape(cal.summary)}'><h3><span class='swatch' "
        f"style='background:{CALENDAR_COLORS[cal.color_id]}'></span>{escape(cal.summary)} "
        f"<span class='muted'>{escape(cal.id)} · {escape(cal.time_zone)}</span></h3>"
        "<table><thead><tr><th>Event</th><th>Start</th><th>End</th><th>Status</th><th>Change</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>{add}</section>"
    )


@get("/")
async def index(request: Request[Any, Any, Any]) -> Response[Any]:
    store = sandbox_of(request).store
    only = request.query_params.get("account")
    ids = count(1)
    with store.lock:
        accounts = sorted(store.accounts.values(), key=lambda a: a.email)
    nav = "".join(f"<li><a href='/?account={quote(a.email)}'>{escape(a.email)}</a></li>" for a in accounts)
    parts = [f"<h1>Google Calendar sandbox</h1><nav class='card' aria-label='Accounts'><ul>{nav}</ul></nav>"]
    for account in accounts:
        if only and account.email != only.lower():
            continue
        sections = "".join(_calendar_section(store, store.calendar(cid), ids) for cid in account.calendar_ids)
        parts.append(f"<h2 id='account-{escape(account.email)}'>{escape(account.email)}</h2>{sections}")
    return _html(pages.page("Google Calendar sandbox", "".join(parts)))


@get("/calendar/event")
async def event_page(request: Request[Any, Any, Any]) -> Response[Any]:
    """Where an event's htmlLink points."""
    store = sandbox_of(request).store
    decoded = em.decode_eid(request.query_params.get("eid", ""))
    cal = store.calendars.get(decoded[1]) if decoded else None
    stored = cal.events.get(decoded[0]) if cal and decoded else None
    if cal is None or stored is None:
        return _html(pages.error_page(404, "not_found", "Could not find the requested event."), 404)
    rows = _event_row(cal, stored, count(1))
    body = (
        f"<h1>{escape(str(stored.resource.get('summary') or '(No title)'))}</h1><section class='card'>"
        "<table><thead><tr><th>Event</th><th>Start</th><th>End</th><th>Status</th><th>Change</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></section><p><a href='/'>All calendars</a></p>"
    )
    return _html(pages.page("Event", body))


async def _form(request: Request[Any, Any, Any]) -> dict[str, str]:
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))


def _when(value: str, zone: str) -> dict[str, Any]:
    if len(value) == 10:
        return {"date": value, "dateTime": None, "timeZone": None}
    if len(value) == 16:
        value += ":00"
    return {"dateTime": value, "timeZone": zone or None, "date": None}


def _back(cal: Calendar, anchor: str = "") -> Redirect:
    return Redirect(f"/?account={quote(cal.owner)}{anchor}", status_code=303)


def _failed(exc: GoogleError) -> Response[Any]:
    return _html(pages.error_page(exc.code, exc.reason, exc.message), exc.code)


@post("/_web/events/move")
async def move_event(request: Request[Any, Any, Any]) -> Response[Any]:
    store = sandbox_of(request).store
    form = await _form(request)
    try:
        cal = store.calendar(form.get("calendar_id", ""))
        zone = form.get("time_zone", "").strip()
        patch = {"start": _when(form.get("start", ""), zone), "end": _when(form.get("end", ""), zone)}
        store.patch_event(cal, form.get("event_id", ""), patch)
    except GoogleError as exc:
        return _failed(exc)
    return _back(cal, f"#event-{form.get('event_id', '')}")


@post("/_web/events/delete")
async def delete_event(request: Request[Any, Any, Any]) -> Response[Any]:
    store = sandbox_of(request).store
    form = await _form(request)
    try:
        cal = store.calendar(form.get("calendar_id", ""))
        store.delete_event(cal, form.get("event_id", ""))
    except GoogleError as exc:
        return _failed(exc)
    return _back(cal)


@post("/_web/events/create")
async def create_event(request: Request[Any, Any, Any]) -> Response[Any]:
    store = sandbox_of(request).store
    form = await _form(request)
    try:
        cal = store.calendar(form.get("calendar_id", ""))
        zone = form.get("time_zone", "").strip()
        body = {
            "summary": form.get("summary", ""),
            "start": _when(form.get("start", ""), zone),
            "end": _when(form.get("end", ""), zone),
        }
        created = store.insert_event(cal, body, cal.owner)
    except GoogleError as exc:
        return _failed(exc)
    return _back(cal, f"#event-{created['id']}")


ROUTES = [index, event_page, move_event, delete_event, create_event]
