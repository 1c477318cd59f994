"""The Litestar application factory."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Litestar, Request, Response
from litestar.datastructures import State
from litestar.exceptions import HTTPException

from . import admin, delta, graph_api, identity, schedule, subscriptions_api, webview
from .context import Sandbox, Settings
from .errors import AadError, GraphError
from .middleware import sandbox_middleware
from .responses import respond

log = logging.getLogger(__name__)


def _graph_error(request: Request[Any, Any, Any], exc: GraphError) -> Response[Any]:
    return respond(exc.body(request.headers.get("client-request-id")), exc.status, exc.headers)


def _aad_error(_: Request[Any, Any, Any], exc: AadError) -> Response[Any]:
    return respond(exc.body(), exc.status)


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if exc.status_code == 404:
        segment = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        return _graph_error(request, GraphError(400, "BadRequest", f"Resource not found for the segment '{segment}'."))
    if exc.status_code == 405:
        return _graph_error(request, GraphError(405, "Request_BadRequest", "Specified HTTP method is not allowed for "
                                                "the request target."))  # fmt: skip
    return _graph_error(request, GraphError(exc.status_code, "BadRequest", str(exc.detail)))


def _crash(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _graph_error(request, GraphError(500, "InternalServerError", "An internal server error occurred."))


def create_app(
    base_url: str,
    *,
    client_id: str | None = None,
    client_secret: str | None = None,
    redirect_uris: tuple[str, ...] = (),
    token_ttl_seconds: int = 3600,
    seed_events: bool = True,
    allow_http_webhooks: bool = False,
    max_subscription_minutes: int = 4230,
) -> Litestar:
    """Build the sandbox. ``base_url`` is what it calls itself in links (webLink, nextLink, deltaLink)."""
    settings = Settings(
        base_url=base_url.rstrip("/"),
        client_id=client_id,
        client_secret=client_secret,
        redirect_uris=redirect_uris,
        token_ttl_seconds=token_ttl_seconds,
        seed_events=seed_events,
        allow_http_webhooks=allow_http_webhooks,
        max_subscription_minutes=max_subscription_minutes,
    )
    sandbox = Sandbox(settings)
    return Litestar(
        route_handlers=[
            *identity.ROUTES,
            *graph_api.ROUTES,
            *delta.ROUTES,
            *subscriptions_api.ROUTES,
            *schedule.ROUTES,
            *admin.ROUTES,
            *webview.ROUTES,
        ],
        state=State({"sandbox": sandbox}),
        middleware=[sandbox_middleware(sandbox)],
        exception_handlers={
            GraphError: _graph_error,
            AadError: _aad_error,
            HTTPException: _http_error,
            Exception: _crash,
        },
        on_startup=[sandbox.notifier.start],
        on_shutdown=[sandbox.notifier.stop],
        openapi_config=None,
    )
