"""HTTP details of the public JSON: open CORS for GET, strong ETags, 304 on If-None-Match."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from rental import cached

CACHE_CONTROL = "public, max-age=60"
# Route opt for the portal's session middleware: public pages need no session, and skipping it
# saves two Redis round trips and a Set-Cookie (which would also make the answers uncacheable).
NO_SESSION = {"skip_session": True}
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET",
    "Access-Control-Allow-Headers": "If-None-Match",
    "Access-Control-Expose-Headers": "ETag, Retry-After",
    "Access-Control-Max-Age": "86400",
}


CORS_RAW = [(name.lower().encode(), value.encode()) for name, value in CORS_HEADERS.items()]
_CORS_NAMES = {name for name, _ in CORS_RAW}


def open_cors(app: ASGIApp) -> ASGIApp:
    """Middleware: CORS headers on every response of the public API, errors and 429s included."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [pair for pair in message.get("headers") or [] if pair[0].lower() not in _CORS_NAMES]
                message["headers"] = headers + CORS_RAW
            await send(message)

        await app(scope, receive, send_with_cors)

    return middleware


strong_etag = cached.strong_etag


def matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison, as If-None-Match asks for."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(candidate.strip().removeprefix("W/") == etag for candidate in if_none_match.split(","))


def cached_bytes(
    request: Request[Any, Any, Any], body: bytes, media_type: str, cache_control: str = CACHE_CONTROL
) -> Response[bytes]:
    """The body with a strong ETag, or an empty 304 when the client already has it."""
    return tagged_bytes(request, body, strong_etag(body), media_type, cache_control)


def tagged_bytes(
    request: Request[Any, Any, Any], body: bytes, etag: str, media_type: str, cache_control: str = CACHE_CONTROL
) -> Response[bytes]:
    """Like cached_bytes, for a body whose ETag was computed with it (and cached with it)."""
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if matches(request.headers.get("if-none-match"), etag):
        return Response(b"", status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def cached_json(request: Request[Any, Any, Any], value: Any) -> Response[bytes]:
    return cached_bytes(request, msgspec.json.encode(value), "application/json")
