"""The Litestar application factory."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Litestar, Request, Response
from litestar.datastructures import State
from litestar.exceptions import HTTPException

from . import admin, batch, calendar_api, events_api, oauth, webview
from .context import Sandbox, Settings
from .errors import GoogleError, OAuthError
from .middleware import sandbox_middleware

log = logging.getLogger(__name__)


def _google_error(_: Request[Any, Any, Any], exc: GoogleError) -> Response[Any]:
    return Response(content=exc.body(), status_code=exc.code, headers=exc.headers)


def _oauth_error(_: Request[Any, Any, Any], exc: OAuthError) -> Response[Any]:
    return Response(content=exc.body(), status_code=exc.status_code)


def _http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    reasons = {404: "notFound", 405: "httpMethodNotAllowed", 400: "badRequest"}
    message = {404: "Not Found", 405: "Method Not Allowed"}.get(exc.status_code, str(exc.detail))
    error = GoogleError(exc.status_code, reasons.get(exc.status_code, "backendError"), message)
    return _google_error(_, error)


def _crash(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _google_error(request, GoogleError(500, "backendError", "Backend Error"))


def create_app(
    base_url: str,
    *,
    client_id: str | None = None,
    client_secret: str | None = None,
    token_ttl_seconds: int = 3600,
    time_zone: str = "Europe/Berlin",
    seed_events: bool = True,
    discovery_path: str | None = None,
    allow_http_webhooks: bool = False,
    redirect_uris: tuple[str, ...] = (),
    rotate_refresh_tokens: bool = False,
) -> Litestar:
    """Build the sandbox. ``base_url`` is what it calls itself in links (htmlLink, resourceUri, issuer)."""
    settings = Settings(
        base_url=base_url.rstrip("/"),
        client_id=client_id,
        client_secret=client_secret,
        token_ttl_seconds=token_ttl_seconds,
        time_zone=time_zone,
        seed_events=seed_events,
        discovery_path=discovery_path,
        allow_http_webhooks=allow_http_webhooks,
        redirect_uris=redirect_uris,
        rotate_refresh_tokens=rotate_refresh_tokens,
    )
    sandbox = Sandbox(settings)
    return Litestar(
        route_handlers=[
            *oauth.ROUTES,
            *calendar_api.ROUTES,
            *events_api.ROUTES,
            *batch.ROUTES,
            *admin.ROUTES,
            *webview.ROUTES,
        ],
        state=State({"sandbox": sandbox}),
        middleware=[sandbox_middleware(sandbox)],
        exception_handlers={
            GoogleError: _google_error,
            OAuthError: _oauth_error,
            HTTPException: _http_error,
            Exception: _crash,
        },
        on_startup=[sandbox.notifier.start],
        on_shutdown=[sandbox.notifier.stop],
        openapi_config=None,
    )
