"""Security headers on every response.

Everything except the widget's iframe pages refuses to be framed (CSP frame-ancestors 'none' and
X-Frame-Options DENY) and may run scripts from this origin only: the portal has no inline script
or event handler (see portal/static/portal.js). Styles may be inline (style attributes), which
cannot run code. The widget pages are meant to be framed by customers' sites and keep their own
policy. Every response gets nosniff and a Referrer-Policy that never sends paths to other sites
(feed and invite links carry secrets in their paths).
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
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


def headers_for(path: str) -> dict[str, str]:
    if path.startswith(FRAMEABLE_PREFIXES):
        return COMMON
    return {**COMMON, **NOT_FRAMEABLE}


def security_headers(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        extra = headers_for(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                for name, value in extra.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware
