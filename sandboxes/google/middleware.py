"""ASGI middleware: per-method request statistics and fault injection (latency, Google-shaped errors)."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from ..common.asgi import header, route_of, send_json
from .context import Sandbox
from .faults import AFTER_COMMIT


async def _send_json(send: Send, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
    await send_json(send, status, body, headers, content_type=b"application/json; charset=UTF-8")


def sandbox_middleware(sb: Sandbox) -> Any:
    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            opt, route = route_of(scope)
            method_id: str | None = opt.get("google_method")
            fault_scope = opt.get("fault_scope")
            if fault_scope == "api":
                authorization = header(scope, b"authorization")
                over = sb.faults.over_limit(authorization) if authorization else None
                if over:
                    error = sb.faults.api_error(over)
                    sb.stats.fault(over)
                    sb.stats.request(method_id, route, error.code)
                    await _send_json(send, error.code, error.body(), error.headers)
                    return
            if fault_scope:
                latency_ms, kind = sb.faults.decide(fault_scope, method_id)
                if latency_ms:
                    await asyncio.sleep(latency_ms / 1000)
                if kind in AFTER_COMMIT:
                    sb.stats.fault(kind)

                    async def discard(message: Message) -> None:
                        return None

                    await app(scope, receive, discard)
                    error = sb.faults.api_error(kind)
                    sb.stats.request(method_id, route, error.code)
                    await _send_json(send, error.code, error.body(), error.headers)
                    return
                if kind:
                    sb.stats.fault(kind)
                    if fault_scope == "token":
                        oauth_error = sb.faults.token_error(kind)
                        status, body, headers = oauth_error.status_code, dict(oauth_error.body()), {}
                    else:
                        error = sb.faults.api_error(kind)
                        status, body, headers = error.code, error.body(), error.headers
                    sb.stats.request(method_id, route, status)
                    await _send_json(send, status, body, headers)
                    return
            seen: dict[str, int] = {}

            async def capture(message: Message) -> None:
                if message["type"] == "http.response.start":
                    seen["status"] = message["status"]
                await send(message)

            try:
                await app(scope, receive, capture)
            finally:
                sb.stats.request(method_id, route, seen.get("status", 500))

        return middleware

    return factory
