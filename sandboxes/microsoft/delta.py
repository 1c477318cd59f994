"""calendarView/delta: full then incremental reads of one calendar in a fixed window.

The window (startDateTime, endDateTime) belongs to the round: it is kept in the state behind every
``$skiptoken``/``$deltatoken`` and parameters sent again with a token are ignored, as in Graph. A state
remembers which items the client was told about, so an item that left the window or was deleted comes back
as ``{"id", "@removed": {"reason": "deleted"}}``. Tokens are opaque keys to server-side state; expiring them
(admin endpoint) or an unknown token answers 410 ``syncStateNotFound``.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath

from . import views
from .auth import READ, authenticate
from .context import sandbox_of
from .delta_state import DeltaState, Page
from .errors import bad_request, sync_state_not_found
from .graph_api import CAL, V1, _calendar
from .query import options
from .responses import graph, respond
from .zones import parse_query_instant

_NOT_WITH_DELTA = ("$select", "$expand", "$filter", "$orderby", "$search", "$top")


def _changes(sb: Any, state: DeltaState) -> tuple[list[tuple[str, Any]], dict[str, int]]:
    cal = sb.store.calendar(state.calendar_id)
    current = sb.store.view(cal, state.start, state.end)
    now_seen: dict[str, int] = {}
    rows: list[tuple[str, Any]] = []
    for stored, occ in current:
        item_id = occ.id if occ else stored.id
        now_seen[item_id] = stored.rev
        if state.seen.get(item_id) != stored.rev:
            rows.append(("item", (stored, occ)))
    rows += [("removed", item_id) for item_id in state.seen if item_id not in now_seen]
    return rows, now_seen


@get([CAL + "/calendarView/delta", V1 + "/me/calendarView/delta", V1 + "/me/calendar/calendarView/delta"],
     opt=graph("calendarView.delta"))  # fmt: skip
async def calendar_view_delta(
    request: Request[Any, Any, Any], calendar_id: FromPath[str | None] = None
) -> Response[Any]:
    sb = sandbox_of(request)
    who = authenticate(sb, request, READ)
    tokens = sb.delta_tokens
    q = request.query_params
    unsupported = [name for name in _NOT_WITH_DELTA if name in q]
    if unsupported:
        raise bad_request(
            "The following parameters are not supported with change tracking over the 'CalendarView' resource: "
            f"'{', '.join(unsupported)}'.",
            code="ErrorInvalidUrlQuery",
        )
    opts = options(request, default_page=10)
    skip_token, delta_token = q.get("$skiptoken"), q.get("$deltatoken")
    if skip_token:
        with tokens.lock:
            page = tokens.pages.get(skip_token)
        if page is None or page.state.owner != who.email:
            raise sync_state_not_found()
        state, rows = page.state, page.rows
    else:
        if delta_token:
            with tokens.lock:
                state_or_none = tokens.deltas.get(delta_token)
            if state_or_none is None or state_or_none.owner != who.email:
                raise sync_state_not_found()
            state = DeltaState(state_or_none.calendar_id, state_or_none.owner, state_or_none.start,
                               state_or_none.end, state_or_none.epoch, dict(state_or_none.seen))  # fmt: skip
        else:
            cal = _calendar(sb, who, calendar_id)
            start = parse_query_instant(q.get("startDateTime"), "startDateTime")
            end = parse_query_instant(q.get("endDateTime"), "endDateTime")
            state = DeltaState(cal.id, who.email, start, end, cal.delta_epoch)
        rows, seen = _changes(sb, state)
        state.seen = seen
    if sb.store.calendar(state.calendar_id).delta_epoch != state.epoch:
        raise sync_state_not_found()
    here, rest = rows[: opts.page_size], rows[opts.page_size :]
    account = sb.store.ensure_account(who.email)
    value: list[dict[str, Any]] = []
    for kind, payload in here:
        if kind == "removed":
            value.append({"@odata.type": "#microsoft.graph.event", "id": payload, "@removed": {"reason": "deleted"}})
        else:
            stored, occ = payload
            value.append(views.event(sb.base_url, account, stored, occ, opts.zone))
    link = f"{sb.base_url}{request.url.path}"
    body: dict[str, Any] = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(event)",
                            "value": value}  # fmt: skip
    if rest:
        body["@odata.nextLink"] = f"{link}?$skiptoken={tokens.put_page(Page(state, rest))}"
    else:
        body["@odata.deltaLink"] = f"{link}?$deltatoken={tokens.put_delta(state)}"
    return respond(body, headers=opts.applied())


ROUTES = [calendar_view_delta]
