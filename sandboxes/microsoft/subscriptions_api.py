"""POST/GET/PATCH/DELETE /v1.0/subscriptions (+ reauthorize) for event change notifications."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response, delete, get, patch, post
from litestar.params import FromPath

from . import schema
from .auth import READ, authenticate
from .context import Sandbox, sandbox_of
from .errors import GraphError, bad_request
from .responses import graph, read_json, respond
from .subscriptions import Subscription, expiry, parse_change_type, parse_resource

SUBS = "/v1.0/subscriptions"


def _check_url(sb: Sandbox, url: Any, name: str) -> str:
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise bad_request(f"{name} must be an absolute URL.", code="InvalidRequest")
    if urlsplit(url).scheme != "https" and not sb.settings.allow_http_webhooks:
        raise bad_request(f"Subscription validation request failed. {name} must use HTTPS.", code="InvalidRequest")
    return url


@post(SUBS, opt=graph("subscriptions.create"))
async def create(request: Request[Any, Any, Any]) -> Response[Any]:
    sb = sandbox_of(request)
    who = authenticate(sb, request, READ)
    body = schema.validate("subscription", await read_json(request))
    for name in ("changeType", "notificationUrl", "resource", "expirationDateTime"):
        if not body.get(name):
            raise bad_request(f"Required property '{name}' is missing.", code="InvalidRequest")
    kinds = parse_change_type(body["changeType"])
    user, calendar_id = parse_resource(body["resource"])
    account = sb.store.ensure_account(who.email)
    if user is not None and user.lower() not in (who.email, account.oid):
        raise GraphError(403, "ExtensionError", "Operation: Create; Exception: [Status Code: Forbidden; "
                         "Reason: Access is denied.]")  # fmt: skip
    cal = sb.store.calendar_for(who.email, calendar_id) if calendar_id else sb.store.default_calendar(who.email)
    url = _check_url(sb, body["notificationUrl"], "notificationUrl")
    lifecycle = _check_url(sb, body["lifecycleNotificationUrl"], "lifecycleNotificationUrl") if body.get(
        "lifecycleNotificationUrl") else None  # fmt: skip
    until = expiry(body["expirationDateTime"], sb.settings.max_subscription_minutes)
    client_state = body.get("clientState")
    if client_state is not None and len(client_state) > 128:
        raise bad_request("clientState must be at most 128 characters.", code="InvalidRequest")
    await sb.notifier.handshake(url, sb.faults.config.handshake_timeout_seconds)
    if lifecycle:
        await sb.notifier.handshake(lifecycle, sb.faults.config.handshake_timeout_seconds)
    sub = Subscription(
        id=sb.notifier.new_id(), owner=who.email, tenant_id=account.tid, user_oid=account.oid, calendar_id=cal.id,
        resource=body["resource"], change_types=kinds, change_type=body["changeType"], notification_url=url,
        lifecycle_url=lifecycle, client_state=client_state, expires=until, application_id=who.client_id,
        tls=body.get("latestSupportedTlsVersion"),
    )  # fmt: skip
    sb.notifier.add(sub)
    return respond(sub.resource_json(), 201)


@get(SUBS, opt=graph("subscriptions.list"))
async def listing(request: Request[Any, Any, Any]) -> Response[Any]:
    sb = sandbox_of(request)
    who = authenticate(sb, request, READ)
    value = [s.resource_json() for s in sb.notifier.listed(who.client_id) if s.owner == who.email]
    for item in value:
        item.pop("@odata.context", None)
    return respond({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#subscriptions", "value": value})


@get(SUBS + "/{subscription_id:str}", opt=graph("subscriptions.get"))
async def read(request: Request[Any, Any, Any], subscription_id: FromPath[str]) -> Response[Any]:
    sb = sandbox_of(request)
    who = authenticate(sb, request, READ)
    return respond(sb.notifier.get(subscription_id, who.client_id).resource_json())


@patch(SUBS + "/{subscription_id:str}", opt=graph("subscriptions.update"))
async def renew(request: Request[Any, Any, Any], subscription_id: FromPath[str]) -> Response[Any]:
    """Renewal: only expirationDateTime (and notificationUrl) may change; it also reauthorizes."""
    sb = sandbox_of(request)
    who = authenticate(sb, request, READ)
    body = schema.validate("subscription", await read_json(request))
    sub = sb.notifier.get(subscription_id, who.client_id)
    extra = set(body) - {"expirationDateTime", "notificationUrl", "@odata.type"}
    if extra:
        raise bad_request(f"Only expirationDateTime and notificationUrl can be updated, not {sorted(extra)}.",
                          code="InvalidRequest")  # fmt: skip
    if body.get("expirationDateTime"):
        sub.expires = expiry(body["expirationDateTime"], sb.settings.max_subscription_minutes)
    if body.get("notificationUrl") and body["notificationUrl"] != sub.notification_url:
        url = _check_url(sb, body["notificationUrl"], "notificationUrl")
        await sb.notifier.handshake(url, sb.faults.config.handshake_timeout_seconds)
        sub.notification_url = url
    sub.needs_reauthorization = False
    return respond(sub.resource_json())


@post(SUBS + "/{subscription_id:str}/reauthorize", opt=graph("subscriptions.reauthorize"), status_code=204)
async def reauthorize(request: Request[Any, Any, Any], subscription_id: FromPath[str]) -> None:
    sb = sandbox_of(request)
    who = authenticate(sb, request, READ)
    sb.notifier.get(subscription_id, who.client_id).needs_reauthorization = False


@delete(SUBS + "/{subscription_id:str}", opt=graph("subscriptions.delete"), status_code=204)
async def remove(request: Request[Any, Any, Any], subscription_id: FromPath[str]) -> None:
    sb = sandbox_of(request)
    who = authenticate(sb, request, READ)
    sb.notifier.remove(sb.notifier.get(subscription_id, who.client_id).id)


ROUTES = [create, listing, read, renew, reauthorize, remove]
