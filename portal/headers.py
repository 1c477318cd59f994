"""Security headers on every response.

Everything except the widget's iframe pages refuses to be framed (CSP frame-ancestors 'none' and
X-Frame-Options DENY) and may run scripts from this origin only: the portal has no inline script
or event handler (see portal/static/portal.js). Styles may be inline (style attributes), which
cannot run code. The widget pages are meant to be framed by customers' sites and keep their own
policy. Every response gets nosniff and a Referrer-Policy that never sends paths to other sites
(feed and invite links carry secrets in their paths).
"""

from __future__ import annotations

from litestar.types import ASGIApp, Message, Receive, Scope, Send

PORTAL_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-src 'self'",
        "base-uri 'none'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ]
)
COMMON = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "strict-origin-when-cross-origin"}
NOT_FRAMEABLE = {"Content-Security-Policy": PORTAL_CSP, "X-Frame-Options": "DENY"}
FRAMEABLE_PREFIXES = ("/widget/",)


def _encoded(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]


_FRAMEABLE = _encoded(COMMON)
_NOT_FRAMEABLE = _encoded({**COMMON, **NOT_FRAMEABLE})


def headers_for(path: str) -> dict[str, str]:
    if path.startswith(FRAMEABLE_PREFIXES):
        return COMMON
    return {**COMMON, **NOT_FRAMEABLE}


def security_headers(app: ASGIApp) -> ASGIApp:
    # Raw header tuples, encoded once: this runs on every response, the public hot path included.
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        extra = _FRAMEABLE if scope["path"].startswith(FRAMEABLE_PREFIXES) else _NOT_FRAMEABLE

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                headers.extend(pair for pair in extra if pair[0] not in present)
                message["headers"] = headers
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware
