"""Test-only admin endpoints under /_sandbox (no auth): faults, stats, reset, grants, data, lifecycle events."""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, Response, delete, get, patch, post
from litestar.params import FromPath

from . import schema, views, zones
from .context import sandbox_of
from .errors import bad_request
from .faults import FaultConfig
from .responses import respond
from .tokens import normalise_scopes

ADMIN = "/_sandbox"
CAL_EVENTS = ADMIN + "/calendars/{calendar_id:str}/events"
DEFAULT_SCOPE = "offline_access Calendars.ReadWrite User.Read openid email"


async def _json(request: Request[Any, Any, Any]) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw) if raw.strip() else {}
    except ValueError as exc:
        raise bad_request("body must be JSON") from exc
    if not isinstance(body, dict):
        raise bad_request("body must be a JSON object")
    return body


def _email(body: dict[str, Any]) -> str:
    email = str(body.get("email") or "").strip().lower()
    if "@" not in email:
        raise bad_request("email is required")
    return email


@post(f"{ADMIN}/reset")
async def reset(request: Request[Any, Any, Any]) -> Response[Any]:
    sandbox_of(request).reset()
    return respond({"ok": True})


@get(f"{ADMIN}/health")
async def health(request: Request[Any, Any, Any]) -> Response[Any]:
    return respond({"ok": True, "baseUrl": sandbox_of(request).base_url})


@get(f"{ADMIN}/faults")
async def faults_get(request: Request[Any, Any, Any]) -> Response[Any]:
    return respond(sandbox_of(request).faults.config.to_json())


@post(f"{ADMIN}/faults")
async def faults_set(request: Request[Any, Any, Any]) -> Response[Any]:
    try:
        config = FaultConfig.from_json(await _json(request))
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
            {"email": a.email, "name": a.name, "oid": a.oid, "tid": a.tid,
             "calendars": [{"id": c.id, "name": c.name, "isDefaultCalendar": c.is_default}
                           for c in (store.calendars[cid] for cid in a.calendar_ids)]}
            for a in store.accounts.values()
        ]  # fmt: skip
    return respond({"items": items})


@post(f"{ADMIN}/accounts")
async def accounts_create(request: Request[Any, Any, Any]) -> Response[Any]:
    body = await _json(request)
    account = sandbox_of(request).store.ensure_account(_email(body), body.get("name"))
    return respond({"email": account.email, "oid": account.oid, "tid": account.tid,
                    "calendarIds": account.calendar_ids}, 201)  # fmt: skip


@post(f"{ADMIN}/tokens")
async def tokens_issue(request: Request[Any, Any, Any]) -> Response[Any]:
    """A token response for an account without the consent screen."""
    sb = sandbox_of(request)
    body = await _json(request)
    email = _email(body)
    sb.store.ensure_account(email)
    scopes = normalise_scopes(str(body.get("scope") or DEFAULT_SCOPE))
    return respond(sb.tokens.issue_direct(email, scopes, str(body.get("client_id") or "sandbox-client")))


@post(f"{ADMIN}/tokens/expire")
async def tokens_expire(request: Request[Any, Any, Any]) -> Response[Any]:
    body = await _json(request)
    return respond({"expired": sandbox_of(request).tokens.expire_access_tokens(body.get("email"))})


@post(f"{ADMIN}/grants/revoke")
async def grants_revoke(request: Request[Any, Any, Any]) -> Response[Any]:
    """The user removed the app (or an admin revoked sessions): refresh → AADSTS50173, access tokens → 401."""
    return respond({"revoked": sandbox_of(request).tokens.revoke(_email(await _json(request)))})


@post(f"{ADMIN}/grants/expire")
async def grants_expire(request: Request[Any, Any, Any]) -> Response[Any]:
    """Refresh tokens of the account expire (inactivity): refresh → AADSTS700082."""
    return respond({"expired": sandbox_of(request).tokens.expire_refresh_tokens(_email(await _json(request)))})


@post(ADMIN + "/calendars/{calendar_id:str}/expire_delta_tokens")
async def expire_delta_tokens(request: Request[Any, Any, Any], calendar_id: FromPath[str]) -> Response[Any]:
    return respond({"epoch": sandbox_of(request).store.expire_delta_tokens(calendar_id)})


def _zone(request: Request[Any, Any, Any]) -> zones.Zone:
    name = request.query_params.get("timeZone")
    return zones.resolve(name) if name else zones.UTC_ZONE


@get(CAL_EVENTS)
async def events_dump(request: Request[Any, Any, Any], calendar_id: FromPath[str]) -> Response[Any]:
    """Every event of a calendar (deleted ones flagged), extended properties included, in UTC."""
    sb = sandbox_of(request)
    cal = sb.store.calendar(calendar_id)
    account = sb.store.ensure_account(cal.owner)
    with sb.store.lock:
        events = sorted(cal.events.values(), key=lambda e: (e.created, e.id))
        items = [{**views.event(sb.base_url, account, e, None, _zone(request), expand={"*"}), "deleted": e.deleted}
                 for e in events]  # fmt: skip
    return respond({"calendarId": calendar_id, "owner": cal.owner, "items": items})


@post(CAL_EVENTS)
async def events_create(request: Request[Any, Any, Any], calendar_id: FromPath[str]) -> Response[Any]:
    """Create an event as the mailbox owner would in Outlook (same validation and notifications)."""
    sb = sandbox_of(request)
    cal = sb.store.calendar(calendar_id)
    body = schema.validate("event", await _json(request))
    stored, _ = sb.store.create_event(cal, body)
    return respond(views.event(sb.base_url, sb.store.ensure_account(cal.owner), stored, None, zones.UTC_ZONE), 201)


@patch(CAL_EVENTS + "/{event_id:str}")
async def events_change(
    request: Request[Any, Any, Any], calendar_id: FromPath[str], event_id: FromPath[str]
) -> Response[Any]:
    sb = sandbox_of(request)
    cal = sb.store.calendar(calendar_id)
    body = schema.validate("event", await _json(request))
    _, stored, occ = sb.store.locate(cal.owner, event_id, cal)
    stored, occ = sb.store.update_event(cal, stored, occ, body, None)
    return respond(views.event(sb.base_url, sb.store.ensure_account(cal.owner), stored, occ, zones.UTC_ZONE))


@delete(CAL_EVENTS + "/{event_id:str}", status_code=204)
async def events_remove(request: Request[Any, Any, Any], calendar_id: FromPath[str], event_id: FromPath[str]) -> None:
    sb = sandbox_of(request)
    cal = sb.store.calendar(calendar_id)
    _, stored, occ = sb.store.locate(cal.owner, event_id, cal)
    sb.store.delete_event(cal, stored, occ, None)


@get(f"{ADMIN}/subscriptions")
async def subscriptions_list(request: Request[Any, Any, Any]) -> Response[Any]:
    subs = sandbox_of(request).notifier.listed()
    return respond({"items": [{**s.resource_json(), "owner": s.owner, "calendarId": s.calendar_id,
                               "needsReauthorization": s.needs_reauthorization} for s in subs]})  # fmt: skip


@post(ADMIN + "/subscriptions/{subscription_id:str}/lifecycle")
async def lifecycle(request: Request[Any, Any, Any], subscription_id: FromPath[str]) -> Response[Any]:
    """Send a lifecycle event: {"event": "reauthorizationRequired" | "subscriptionRemoved" | "missed"}."""
    sb = sandbox_of(request)
    body = await _json(request)
    sub = sb.notifier.get(subscription_id)
    sb.notifier.lifecycle(sub, str(body.get("event")))
    return respond({"ok": True, "sent": bool(sub.lifecycle_url)})


@get(f"{ADMIN}/notifications")
async def notifications_list(request: Request[Any, Any, Any]) -> Response[Any]:
    notifier = sandbox_of(request).notifier
    with notifier.lock:
        items = list(notifier.log)
    return respond({"items": items})


ROUTES = [
    reset, health, faults_get, faults_set, faults_reset, stats_get, stats_reset, accounts_list, accounts_create,
    tokens_issue, tokens_expire, grants_revoke, grants_expire, expire_delta_tokens, events_dump, events_create,
    events_change, events_remove, subscriptions_list, lifecycle, notifications_list,
]  # fmt: skip
