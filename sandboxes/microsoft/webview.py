"""A small server-rendered web view: accounts → calendars → events; move or delete like an Outlook user.

Changes made here go through the same store code as Graph writes, so they bump change keys, show up in
calendarView/delta and send change notifications exactly like an edit in Outlook would.
"""

from __future__ import annotations

from html import escape
from itertools import count
from typing import Any
from urllib.parse import parse_qsl, quote

from litestar import Request, Response, get, post
from litestar.enums import MediaType
from litestar.response import Redirect

from . import pages, zones
from .categories import hex_colour
from .context import Sandbox, sandbox_of
from .errors import GraphError
from .store import CALENDAR_HEX, Account, Calendar, StoredEvent

ROW_HEAD = "<tr><th>Event</th><th>Start</th><th>End</th><th>Show as</th><th>Change</th></tr>"


def _html(content: str, status: int = 200) -> Response[Any]:
    return Response(content=content, status_code=status, media_type=MediaType.HTML)


def _field(label: str, ident: str, name: str, kind: str = "text", value: str = "", extra: str = "") -> str:
    return (
        f"<div><label for='{ident}'>{escape(label)}</label><input id='{ident}' name='{name}' type='{kind}' "
        f"value='{escape(value)}' {extra}></div>"
    )


def _local(stored: StoredEvent, which: str, zone: zones.Zone) -> str:
    timing = stored.timing
    if timing.all_day:
        return (timing.start_local if which == "start" else timing.end_local).date().isoformat()
    moment = timing.start if which == "start" else timing.end
    return moment.astimezone(zone.tz).strftime("%Y-%m-%dT%H:%M")


def _chips(account: Account, names: list[str]) -> str:
    colours = {c["displayName"].lower(): c["color"] for c in account.categories}
    return "".join(
        f"<span class='chip' style='background:{hex_colour(colours.get(n.lower(), 'none'))}' "
        f"title='{escape(colours.get(n.lower(), 'not a master category'))}'>{escape(n)}</span>"
        for n in names
    )


def _event_row(account: Account, cal: Calendar, stored: StoredEvent, zone: zones.Zone, ids: count[int]) -> str:
    props = stored.props
    subject = escape(str(props.get("subject") or "(No subject)"))
    kind = "date" if stored.timing.all_day else "datetime-local"
    start, end = _local(stored, "start", zone), _local(stored, "end", zone)
    n = next(ids)
    hidden = (
        f"<input type='hidden' name='calendar_id' value='{escape(cal.id)}'>"
        f"<input type='hidden' name='event_id' value='{escape(stored.id)}'>"
    )
    series = " <span class='muted'>(series)</span>" if stored.recurrence else ""
    actions = (
        f"<form method='post' action='/_web/events/move' class='row-form' aria-label='Move {subject}'>{hidden}"
        + _field("Start", f"start-{n}", "start", kind, start, "required")
        + _field("End", f"end-{n}", "end", kind, end, "required")
        + _field("Time zone", f"tz-{n}", "time_zone", "text", zone.name, "size='22'")
        + "<button type='submit'>Move</button></form>"
        + f"<form method='post' action='/_web/events/delete' aria-label='Delete {subject}'>{hidden}"
        + "<button type='submit'>Delete</button></form>"
    )
    return (
        f"<tr id='event-{escape(stored.id)}'><td>{subject}{series} {_chips(account, props.get('categories') or [])}"
        f"<div class='muted'>{escape(stored.id)}</div></td><td>{escape(start.replace('T', ' '))}</td>"
        f"<td>{escape(end.replace('T', ' '))}</td><td>{escape(str(props.get('showAs')))}</td><td>{actions}</td></tr>"
    )


def _calendar_section(sb: Sandbox, account: Account, cal: Calendar, zone: zones.Zone, ids: count[int]) -> str:
    events = sorted(sb.store.live_events(cal), key=lambda e: (e.timing.start, e.id))
    rows = "".join(_event_row(account, cal, e, zone, ids) for e in events)
    rows = rows or "<tr><td colspan='5' class='muted'>No events</td></tr>"
    colour = CALENDAR_HEX.get(cal.color) or "#0078d4"
    return (
        f"<section class='card' aria-label='{escape(cal.name)}'><h3><span class='swatch' style='background:{colour}'>"
        f"</span>{escape(cal.name)} <span class='muted'>{escape(cal.id)}</span></h3>"
        f"<table><thead>{ROW_HEAD}</thead><tbody>{rows}</tbody></table></section>"
    )


@get("/")
async def index(request: Request[Any, Any, Any]) -> Response[Any]:
    sb = sandbox_of(request)
    only = (request.query_params.get("account") or "").lower()
    try:
        zone = zones.resolve(request.query_params.get("tz") or sb.settings.seed_time_zone)
    except GraphError:
        zone = zones.UTC_ZONE
    ids = count(1)
    with sb.store.lock:
        accounts = sorted(sb.store.accounts.values(), key=lambda a: a.email)
    nav = "".join(f"<li><a href='/?account={quote(a.email)}'>{escape(a.email)}</a></li>" for a in accounts)
    parts = [f"<h1>Outlook calendar sandbox</h1><p class='muted'>Times in {escape(zone.name)}</p>"
             f"<nav class='card' aria-label='Accounts'><ul>{nav}</ul></nav>"]  # fmt: skip
    for account in accounts:
        if only and account.email != only:
            continue
        sections = "".join(
            _calendar_section(sb, account, sb.store.calendar(c), zone, ids) for c in account.calendar_ids
        )
        parts.append(f"<h2 id='account-{escape(account.email)}'>{escape(account.email)}</h2>{sections}")
    return _html(pages.page("Outlook calendar sandbox", "".join(parts)))


@get("/calendar/item")
async def item_page(request: Request[Any, Any, Any]) -> Response[Any]:
    """Where an event's webLink points."""
    sb = sandbox_of(request)
    wanted = request.query_params.get("itemid", "")
    for cal in list(sb.store.calendars.values()):
        stored = cal.events.get(wanted)
        if stored is not None and not stored.deleted:
            account = sb.store.ensure_account(cal.owner)
            zone = zones.resolve(sb.settings.seed_time_zone)
            row = _event_row(account, cal, stored, zone, count(1))
            body = (f"<h1>{escape(str(stored.props.get('subject') or '(No subject)'))}</h1><section class='card'>"
                    f"<table><thead>{ROW_HEAD}</thead><tbody>{row}</tbody></table></section>"
                    "<p><a href='/'>All calendars</a></p>")  # fmt: skip
            return _html(pages.page("Event", body))
    return _html(pages.error_page("ErrorItemNotFound", "The specified object was not found in the store."), 404)


async def _form(request: Request[Any, Any, Any]) -> dict[str, str]:
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))


def _when(value: str, zone: str) -> dict[str, str]:
    if len(value) == 10:
        value += "T00:00"
    if len(value) == 16:
        value += ":00"
    return {"dateTime": value, "timeZone": zone}


def _failed(exc: GraphError) -> Response[Any]:
    return _html(pages.error_page(exc.code, exc.message), exc.status)


@post("/_web/events/move")
async def move_event(request: Request[Any, Any, Any]) -> Response[Any]:
    sb = sandbox_of(request)
    form = await _form(request)
    try:
        cal = sb.store.calendar(form.get("calendar_id", ""))
        zone = form.get("time_zone", "").strip() or sb.settings.seed_time_zone
        _, stored, occ = sb.store.locate(cal.owner, form.get("event_id", ""), cal)
        body = {"start": _when(form.get("start", ""), zone), "end": _when(form.get("end", ""), zone)}
        sb.store.update_event(cal, stored, occ, body, None)
    except GraphError as exc:
        return _failed(exc)
    return Redirect(f"/?account={quote(cal.owner)}#event-{quote(stored.id)}", status_code=303)


@post("/_web/events/delete")
async def delete_event(request: Request[Any, Any, Any]) -> Response[Any]:
    sb = sandbox_of(request)
    form = await _form(request)
    try:
        cal = sb.store.calendar(form.get("calendar_id", ""))
        _, stored, occ = sb.store.locate(cal.owner, form.get("event_id", ""), cal)
        sb.store.delete_event(cal, stored, occ, None)
    except GraphError as exc:
        return _failed(exc)
    return Redirect(f"/?account={quote(cal.owner)}", status_code=303)


ROUTES = [index, item_page, move_event, delete_event]
