"""Push notifications from providers. Verified by channel token, answered at once, work queued."""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.response import Response

from calendars import channels


@post("/webhooks/google", status_code=200, include_in_schema=False)
async def google_notification(request: Request[Any, Any, Any]) -> Response[str]:
    from tasks.sync import schedule_read

    channel_id = request.headers.get("x-goog-channel-id", "")
    token = request.headers.get("x-goog-channel-token", "")
    target_id = await channels.verify(channel_id, token) if channel_id else None
    if target_id is None:
        return Response("unknown channel", status_code=404)
    if request.headers.get("x-goog-resource-state") != "sync":  # "sync" only confirms the channel
        await schedule_read(target_id)
    return Response("", status_code=200)
