"""Push notifications from providers: one route per provider name, answered at once, work queued.

Each provider's parser turns its request into notifications (or a validation handshake to echo);
each notification is verified against the secret of its subscription before anything is read.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.params import FromPath
from litestar.response import Response

from calendars.accounts.connections import provider_for  # noqa: F401  (registers the built-in providers)
from calendars.providers.registry import PROVIDERS
from calendars.sync import channels


@post("/webhooks/{provider:str}", status_code=200, include_in_schema=False)
async def provider_notification(request: Request[Any, Any, Any], provider: FromPath[str]) -> Response[str]:
    from tasks.sync import ensure_channel, schedule_read

    spec = PROVIDERS.get(provider)
    if spec is None or spec.parse_notification is None:
        return Response("unknown provider", status_code=404)
    parsed = spec.parse_notification(dict(request.headers), dict(request.query_params), await request.body())
    if isinstance(parsed, str):
        return Response(parsed, status_code=200, media_type="text/plain")  # validation handshake
    known = 0
    for notification in parsed:
        target_id = await channels.verify(notification.subscription_id, notification.secret)
        if target_id is None:
            continue
        known += 1
        if notification.kind in ("changed", "missed"):
            await schedule_read(target_id)
        elif notification.kind in ("renew", "removed"):
            ensure_channel.send_with_options(args=(target_id,), kwargs={"force": True})
    if parsed and not known:
        return Response("unknown subscription", status_code=404)
    return Response("", status_code=200)
