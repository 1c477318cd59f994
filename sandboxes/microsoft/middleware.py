"""ASGI middleware for Graph and token calls: stats, request-id headers, latency, injected faults, the
per-mailbox concurrency limit, and lost replies (the call is carried out, then the connection drops)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from ..common.asgi import header as _header
from ..common.asgi import route_of, send_json
from .context import Sandbox
from .faults import LOST_REPLY


class ReplyLost(Exception):
    """Raised after the response has started so the server closes the connection mid-reply."""


async def _send_json(send: Send, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
    await send_json(send, status, body, headers, content_type=b"application/json")


def _mailbox(sb: Sandbox, scope: Scope) -> str | None:
    scheme, _, value = (_header(scope, b"authorization") or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    access = sb.tokens.lookup(value.strip())
    return access.grant.email if access else None


def sandbox_middleware(sb: Sandbox) -> Any:
    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            opt, route = route_of(scope)
            operation: str | None = opt.get("graph_op")
            fault_scope = opt.get("fault_scope")
            if not fault_scope:
                await app(scope, receive, send)
                return
            client_request_id = _header(scope, b"client-request-id") or str(uuid.uuid4())
            ids = {"request-id": str(uuid.uuid4()), "client-request-id": client_request_id}
            status_seen: dict[str, int] = {}

            async def reply_error(status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
                status_seen["status"] = status
                await _send_json(send, status, body, {**headers, **ids} if fault_scope == "graph" else headers)

            mailbox = _mailbox(sb, scope) if fault_scope == "graph" else None
            if mailbox and not sb.faults.enter(mailbox):
                sb.stats.fault("mailboxConcurrency")
                error = sb.faults.graph_error("mailboxConcurrency")
                await reply_error(error.status, error.body(client_request_id), error.headers)
                sb.stats.request(operation, route, error.status)
                return
            try:
                latency_ms, kind = sb.faults.decide(fault_scope, operation)
                if latency_ms:
                    await asyncio.sleep(latency_ms / 1000)
                if kind and kind != LOST_REPLY:
                    sb.stats.fault(kind)
                    if fault_scope == "token":
                        aad = sb.faults.token_error(kind)
                        await reply_error(aad.status, aad.body(), {})
                    else:
                        error = sb.faults.graph_error(kind)
                        await reply_error(error.status, error.body(client_request_id), error.headers)
                    return
                if kind == LOST_REPLY:
                    sb.stats.fault(kind)
                    await _lose_reply(app, scope, receive, send, status_seen)
                    return

                async def capture(message: Message) -> None:
                    if message["type"] == "http.response.start":
                        status_seen["status"] = message["status"]
                        if fault_scope == "graph":
                            message["headers"] = [*message.get("headers", []),
                                                  *((k.encode(), v.encode()) for k, v in ids.items())]  # fmt: skip
                    await send(message)

                await app(scope, receive, capture)
            finally:
                if mailbox:
                    sb.faults.leave(mailbox)
                sb.stats.request(operation, route, status_seen.get("status", 500))

        return middleware

    return factory


async def _lose_reply(app: ASGIApp, scope: Scope, receive: Receive, send: Send, seen: dict[str, int]) -> None:
    """Run the request to completion (its effects commit), swallow the reply, then drop the connection."""

    async def swallow(message: Message) -> None:
        if message["type"] == "http.response.start":
            seen["status"] = message["status"]

    await app(scope, receive, swallow)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")]})  # fmt: skip
    raise ReplyLost("sandbox fault: reply lost after the request was carried out")
