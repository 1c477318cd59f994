"""ASGI plumbing of the sandboxes' middleware: the route a request matched, its headers, a JSON reply."""

from __future__ import annotations

import json
from typing import Any

from litestar.types import Scope, Send


def route_of(scope: Scope) -> tuple[dict[str, Any], str]:
    """The matched handler's ``opt`` (stats key, fault scope) and the route as stats show it ("GET /path")."""
    handler = scope.get("route_handler")
    opt: dict[str, Any] = getattr(handler, "opt", {}) or {}
    paths = sorted(getattr(handler, "paths", None) or [scope["path"]])
    return opt, f"{scope.get('method', 'GET')} {paths[0]}"


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


async def send_json(
    send: Send, status: int, body: dict[str, Any], headers: dict[str, str], *, content_type: bytes
) -> None:
    payload = json.dumps(body).encode()
    raw = [(b"content-type", content_type), (b"content-length", str(len(payload)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload, "more_body": False})
