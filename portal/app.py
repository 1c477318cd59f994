"""Litestar application factory: REST API, staff portal, widget, feeds."""

from __future__ import annotations

import asyncio
from pathlib import Path

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.stores.redis import RedisStore
from litestar.template.config import TemplateConfig
from redis.asyncio import Redis as AsyncRedis

from portal.api.blocks import BlocksApi
from portal.api.bookings import BookingsApi
from portal.api.integrations import IntegrationsApi
from portal.api.products import ProductsApi
from portal.api.schedule import ScheduleApi
from portal.api.schedules import DeliveriesApi, MaintenanceApi
from portal.api.settings import SettingsApi
from portal.feeds_public import ROUTES as PUBLIC_CALENDAR_ROUTES
from portal.headers import security_headers
from portal.openapi import SECURITY_SCHEMES, document_errors
from portal.problems import HANDLERS
from portal.sessions import HardenedSessionConfig
from portal.web import ROUTES as WEB_ROUTES
from portal.web.filters import FILTERS
from portal.webhooks import provider_notification
from rental import changes
from rentcal.db import close_pool, database_url, open_pool
from rentcal.paths import templates_dir
from rentcal.settings import Settings, get_settings
from widget import ROUTES as WIDGET_ROUTES
from widget.fastpath import public_fast_path

_background: set[asyncio.Task[None]] = set()


async def _startup() -> None:
    await open_pool()
    # LISTEN for committed changes, so the in-process caches (rental.cached) are never stale.
    _background.add(asyncio.create_task(changes.listen(database_url())))


async def _shutdown() -> None:
    for task in _background:
        task.cancel()
    await close_pool()


def register_filters(engine: JinjaTemplateEngine) -> None:
    engine.engine.filters.update(FILTERS)


# Paths authenticated by bearer tokens or public by design: no CSRF cookie involved.
CSRF_EXEMPT = ["/api/", "/public/", "/widget/", "/feeds/", "/webhooks/", "/health"]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    settings.validate()
    from rentcal.embedded import ensure_services

    ensure_services(settings.data_dir)
    settings = get_settings()
    store = RedisStore(AsyncRedis.from_url(settings.redis_url), namespace="rentcal:sessions")
    sessions = HardenedSessionConfig(
        store="sessions",
        max_age=60 * 60 * 12,
        secure=settings.is_production,
        samesite="lax",
        httponly=True,
    )
    app = Litestar(
        route_handlers=[
            ProductsApi,
            BookingsApi,
            BlocksApi,
            IntegrationsApi,
            MaintenanceApi,
            DeliveriesApi,
            SettingsApi,
            provider_notification,
            ScheduleApi,
            *WEB_ROUTES,
            *WIDGET_ROUTES,
            *PUBLIC_CALENDAR_ROUTES,
            create_static_files_router(path="/static", directories=[Path(__file__).parent / "static"]),
        ],
        stores={"sessions": store},
        middleware=[security_headers, public_fast_path, sessions.middleware],
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_secure=settings.is_production,
            cookie_samesite="lax",
            header_name="x-csrftoken",
            exclude=[f"^{p}" for p in CSRF_EXEMPT],
        ),
        template_config=TemplateConfig(
            directory=templates_dir(), engine=JinjaTemplateEngine, engine_callback=register_filters
        ),
        openapi_config=OpenAPIConfig(
            title="Rentcal API",
            version="1.0.0",
            path="/schema",
            components=Components(security_schemes=SECURITY_SCHEMES),
        ),
        exception_handlers=HANDLERS,
        on_startup=[_startup],
        on_shutdown=[_shutdown],
    )
    document_errors(app)
    return app
