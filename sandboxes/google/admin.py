"""Test-only admin endpoints under /_sandbox (no auth): faults, stats, reset, direct data access."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, delete, get, patch, post
from litestar.params import FromPath

from .context import sandbox_of
from .errors import bad_request
from .faults import FaultConfig
from .responses import read_json, respond

ADMIN = "/_sandbox"
CAL_EVENTS = ADMIN + "/calendars/{calendar_id:str}/events"
DEFAULT_SCOPE = "openid email https://www.googleapis.com/auth/calendar"


@post(f"{ADMIN}/reset")
async def reset(request: Request[Any, Any, Any]) -> Response[Any]:
    sandbox_of(request).reset()
    return respond({"ok": True})


@get(f"{ADMIN}/faults")
async def faults_get(request: Request[Any, Any, Any]) -> Response[Any]:
    return respond(sandbox_of(request).faults.config.to_json())


@post(f"{ADMIN}/faults")
async def faults_set(request: Request[Any, Any, Any]) -> Response[Any]:
    try:
        config = FaultConfig.from_json(await read_json(request))
    except (TypeError, ValueError) as exc:
        raise bad_request(str(exc)) from exc
    return respond(sandbox_of(request).faults.configure(config).to_json())


@delete(f"{ADMIN}/faults", status_code=200)
async def faults_reset(request: Request[Any, Any, Any]) -> Response[Any]:
    return respond(sandbox_of(request).faults.reset().to_json())


@get(f"{ADMIN}/stats")
async def stats_get(request: Request[Any, Any, Any]) -> Response[Any]:
    return respond(sandbox_of(request).stats.snapshot())


@delete(f"{ADMIN}/stats", status_code=204)
async def stats_reset(request: Request[Any, Any, Any]) -> None:
    sandbox_of(request).stats.reset()


@get(f"{ADMIN}/accounts")
async def accounts_list(request: Request[Any, Any, Any]) -> Response[Any]:
    store = sandbox_of(request).store
    with store.lock:
        items = [
            {
                "email": a.email,
                "sub": a.sub,
                "name": a.name,
                "calendars": [
                    {"id": c.id, "summary": c.summary, "primary": c.primary, "timeZone": c.time_zone}
                    for c in (store.calendars[cid] for cid in a.calendar_ids)
                ],
            }
            for a in store.accounts.values()
        ]
    return respond({"items": items})


@post(f"{ADMIN}/accounts")
async def accounts_create(request: Request[Any, Any, Any]) -> Response[Any]:
    body = await read_json(request)
    if not isinstance(body, dict) or "@" not in str(body.get("email", "")):
        raise bad_request("email is required")
    account = sandbox_of(request).store.ensure_account(str(body["email"]), body.get("name"))
    return respond({"email": account.email, "sub": account.sub, "calendarIds": account.calendar_ids}, 201)


@post(f"{ADMIN}/tokens")
async def tokens_issue(request: Request[Any, Any, Any]) -> Response[Any]:
    """Mint a consented offline grant for ``email`` without the consent screen."""
    sb = sandbox_of(request)
    body = await read_json(request)
    if not isinstance(body, dict) or "@" not in str(body.get("email", "")):
        raise bad_request("email is required")
    email = sb.store.ensure_account(str(body["email"])).email
    client_id = str(body.get("client_id") or sb.settings.client_id or "sandbox-client")
    return respond(sb.tokens.issue_direct(email, str(body.get("scope") or DEFAULT_SCOPE), client_id))


@post(f"{ADMIN}/tokens/expire")
async def tokens_expire(request: Request[Any, Any, Any]) -> Response[Any]:
    body = await read_json(request)
    email = body.get("email") if isinstance(body, dict) else None
    return respond({"expired": sandbox_of(request).tokens.expire_access_tokens(email)})


@post(ADMIN + "/calendars/{calendar_id:str}/invalidate_sync_tokens")
async def invalidate_sync_tokens(request: Request[Any, Any, Any], calendar_id: FromPath[str]) -> Response[Any]:
    epoch = sandbox_of(request).store.invalidate_sync_tokens(calendar_id)
    return respond({"calendarId": calendar_id, "syncEpoch": epoch})


@get(CAL_EVENTS)
async def events_dump(request: Request[Any, Any, Any], calendar_id: FromPath[str]) -> Response[Any]:
    """Every event of a calendar, deleted ones included, in full."""
    store = sandbox_of(request).store
    events, rev = store.snapshot(store.calendar(calendar_id))
    events.sort(key=lambda e: e.order)
    return respond({"calendarId": calendar_id, "revision": rev, "items": [e.resource for e in events]})


async def _event_body(request: Request[Any, Any, Any], method_id: str) -> dict[str, Any]:
    sb = sandbox_of(request)
    body = await read_json(request)
    sb.discovery.validate_body(method_id, body)
    if not isinstance(body, dict):
        raise bad_request("body must be an object")
    return body


@post(CAL_EVENTS)
async def events_create(request: Request[Any, Any, Any], calendar_id: FromPath[str]) -> Response[Any]:
    """Create an event as the calendar's owner would in Google Calendar."""
    store = sandbox_of(request).store
    cal = store.calendar(calendar_id)
    body = await _event_body(request, "calendar.events.insert")
    return respond(store.insert_event(cal, body, cal.owner), 201)


@patch(CAL_EVENTS + "/{event_id:str}")
async def events_change(
    request: Request[Any, Any, Any], calendar_id: FromPath[str], event_id: FromPath[str]
) -> Response[Any]:
    """Change an event as a user would in Google: etag/updated/sequence bump and watch notifications."""
    store = sandbox_of(request).store
    body = await _event_body(request, "calendar.events.patch")
    return respond(store.patch_event(store.calendar(calendar_id), event_id, body))


@delete(CAL_EVENTS + "/{event_id:str}", status_code=204)
async def events_remove(request: Request[Any, Any, Any], calendar_id: FromPath[str], event_id: FromPath[str]) -> None:
    store = sandbox_of(request).store
    store.delete_event(store.calendar(calendar_id), event_id)


@get(f"{ADMIN}/channels")
async def channels_list(request: Request[Any, Any, Any]) -> Response[Any]:
    return respond({"items": sandbox_of(request).notifier.describe()})


@get(f"{ADMIN}/notifications")
async def notifications_list(request: Request[Any, Any, Any]) -> Response[Any]:
    notifier = sandbox_of(request).notifier
    with notifier.lock:
        items = list(notifier.log)
    channel = request.query_params.get("channelId")
    return respond({"items": [i for i in items if channel is None or i["channelId"] == channel]})


@get(f"{ADMIN}/health")
async def health(request: Request[Any, Any, Any]) -> Response[Any]:
    return respond({"ok": True, "baseUrl": sandbox_of(request).base_url})


ROUTES = [
    reset, faults_get, faults_set, faults_reset, stats_get, stats_reset, accounts_list, accounts_create,
    tokens_issue, tokens_expire, invalidate_sync_tokens, events_dump, events_create, events_change,
    events_remove, channels_list, notifications_list, health,
]  # fmt: skip
