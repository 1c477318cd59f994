"""The public availability answer straight from the cache, before Litestar routes the request.

Litestar's routing, signature parsing and response objects cost more CPU than a cached answer. This
middleware answers `GET /public/v1/{slug}/products/{id}/availability` only when everything it needs
is already in this process and current (`rental.cached.peek_*`, no database access) and the query is
plain (`from` / `to` at most once each, ISO dates); anything else (a miss, a bad date, a 429, an
unknown slug) goes on to the real route (`widget.public_api`), which fills the cache and owns every
error. It counts the request against the rate limit exactly as the route would, sends the same
headers (CORS, ETag, Cache-Control; the security headers are added by the middleware outside it), and
the same ETag/304 rule.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import parse_qsl

from litestar.types import ASGIApp, Receive, Scope, Send

from rental import cached
from widget.http import CACHE_CONTROL, CORS_RAW, matches
from widget.public import DEFAULT_DAYS, company_today
from widget.ratelimit import COUNTED, limiter

PATH = re.compile(r"/public/v1/([^/]+)/products/([0-9]{1,18})/availability/?")
_CACHE_CONTROL = (b"cache-control", CACHE_CONTROL.encode())
_JSON = (b"content-type", b"application/json")


def _dates(query: bytes, today: date) -> tuple[date, date] | None:
    try:
        pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True, strict_parsing=False)
    except ValueError:
        return None
    values = dict(pairs)
    if len(values) != len(pairs) or not set(values) <= {"from", "to"}:
        return None
    try:
        first = date.fromisoformat(values["from"].strip()) if values.get("from", "").strip() else today
        if values.get("to", "").strip():
            return first, date.fromisoformat(values["to"].strip())
        return first, first + timedelta(days=DEFAULT_DAYS - 1)
    except (ValueError, OverflowError):
        return None


def _cached_answer(scope: Scope) -> cached.CalendarAnswer | None:
    found = PATH.fullmatch(scope["path"])
    if found is None:
        return None
    tenant = cached.peek_tenant_by_slug(found.group(1))
    if tenant is None:
        return None
    dates = _dates(scope.get("query_string", b""), company_today(tenant))
    if dates is None:
        return None
    return cached.peek_calendar(tenant, int(found.group(2)), dates[0], dates[1], public_only=True)


def public_fast_path(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        answer = _cached_answer(scope) if scope["type"] == "http" and scope.get("method") == "GET" else None
        if answer is None:
            await app(scope, receive, send)
            return
        client = scope.get("client")
        if limiter().hit(client[0] if client else "unknown") is not None:
            scope[COUNTED] = True  # type: ignore[literal-required]  # the route answers the 429
            await app(scope, receive, send)
            return
        if_none_match = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"if-none-match"), None)
        etag = (b"etag", answer.etag.encode())
        if matches(if_none_match, answer.etag):
            headers, status, body = [etag, _CACHE_CONTROL, *CORS_RAW], 304, b""
        else:
            length = (b"content-length", str(len(answer.body)).encode())
            headers, status, body = [_JSON, length, etag, _CACHE_CONTROL, *CORS_RAW], 200, answer.body
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    return middleware
