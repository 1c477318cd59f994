"""From an integration row to a ready provider: the token source over the vault, and the HTTP client."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from redis.asyncio import Redis
from redis.exceptions import LockError, RedisError

from calendars import vault
from calendars.accounts.caldav import build_caldav
from calendars.accounts.oauth import OAuthConfig, OAuthTokenSource, microsoft_oauth_config
from calendars.accounts.quota import QuotaPacer
from calendars.providers.base import CalendarProvider, Credentials, NeedsReconnect, RetryableError
from calendars.providers.google import GoogleCalendarProvider
from calendars.providers.google import parse_notification as google_parse_notification
from calendars.providers.microsoft import CategoryCache, MicrosoftCalendarProvider
from calendars.providers.microsoft_wire import parse_notification as microsoft_parse_notification
from calendars.providers.registry import ProviderSpec, register, spec_for
from calendars.tables import CalendarIntegration
from rentcal.settings import get_settings

log = logging.getLogger("rentcal.calendars")
REFRESH_LOCK_SECONDS = 30  # a refresh is one request to the token endpoint (20 s timeout)
_clients: dict[int, httpx.AsyncClient] = {}
_redis_clients: dict[int, Redis] = {}
# One token source per integration in this process: its credentials are the in-process access-token cache
# (no query and no decryption per provider call). It holds no loop-bound state, so every loop can share it.
_token_sources: dict[int, OAuthTokenSource] = {}
# A mailbox's master categories per integration in this process (else every push reads them first).
_category_caches: dict[int, CategoryCache] = {}


def http_client() -> httpx.AsyncClient:
    """One pooled client per event loop (the web process and each worker have their own loop)."""
    loop_id = id(asyncio.get_running_loop())
    client = _clients.get(loop_id)
    if client is None or client.is_closed:
        client = httpx.AsyncClient(
            timeout=httpx.Timeout(20.0, connect=5.0),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        )
        _clients[loop_id] = client
    return client


def _redis() -> Redis:
    loop_id = id(asyncio.get_running_loop())
    if loop_id not in _redis_clients:
        _redis_clients[loop_id] = Redis.from_url(get_settings().redis_url)
    return _redis_clients[loop_id]


def google_oauth_config() -> OAuthConfig:
    settings = get_settings()
    return OAuthConfig(
        client_id=settings.google.client_id or "rentcal-local",
        client_secret=settings.google.client_secret or "rentcal-local-secret",
        authorize_url=settings.google.authorize_url,
        token_url=settings.google.token_url,
        revoke_url=settings.google.revoke_url,
        userinfo_url=settings.google.userinfo_url,
        redirect_uri=f"{settings.base_url}/oauth/google/callback",
    )


def outlook_oauth_config() -> OAuthConfig:
    """Microsoft identity platform v2 (the local sandbox's client when RENTCAL_MICROSOFT_CLIENT_ID is unset)."""
    settings = get_settings()
    return microsoft_oauth_config(
        settings.microsoft.authority_url,
        settings.microsoft.tenant,
        settings.microsoft.client_id or "rentcal-local",
        settings.microsoft.client_secret or "rentcal-local-secret",
        f"{settings.base_url}/oauth/microsoft/callback",
    )


OAUTH_CONFIGS = {"google": google_oauth_config, "microsoft": outlook_oauth_config}


def oauth_config_for(provider: str) -> OAuthConfig:
    try:
        return OAUTH_CONFIGS[provider]()
    except KeyError:
        raise LookupError(f"{provider!r} does not connect through OAuth") from None


async def mark_needs_reconnect(integration_id: int, detail: str) -> None:
    await CalendarIntegration.update(
        {CalendarIntegration.status: "needs_reconnect", CalendarIntegration.status_detail: detail}
    ).where(CalendarIntegration.id == integration_id)
    log.warning("integration %s needs to be reconnected: %s", integration_id, detail)


async def stored_credentials(integration_id: int) -> Credentials:
    """The integration's credentials as sealed in the vault; NeedsReconnect when it has none usable."""
    row = (
        await CalendarIntegration.select(CalendarIntegration.credentials, CalendarIntegration.status)
        .where(CalendarIntegration.id == integration_id)
        .first()
    )
    if row is None or row["status"] in ("needs_reconnect", "disconnected") or not row["credentials"]:
        raise NeedsReconnect("the calendar connection must be renewed")
    return vault.open_credentials(str(row["credentials"]))


async def seal_credentials(integration_id: int, credentials: Credentials) -> None:
    await CalendarIntegration.update({CalendarIntegration.credentials: vault.seal_credentials(credentials)}).where(
        CalendarIntegration.id == integration_id
    )


@asynccontextmanager
async def refresh_lock(integration_id: int) -> AsyncIterator[None]:
    """One refresh per integration at a time across every process (Microsoft rotates refresh tokens)."""
    lock = _redis().lock(
        f"rentcal:token-refresh:{integration_id}",
        timeout=REFRESH_LOCK_SECONDS,
        blocking_timeout=REFRESH_LOCK_SECONDS + 5,
    )
    try:
        acquired = await lock.acquire()
    except RedisError as exc:
        raise RetryableError(f"token refresh lock unavailable: {type(exc).__name__}") from exc
    if not acquired:
        raise RetryableError("another process is refreshing this connection's token for too long")
    try:
        yield
    finally:
        try:
            await lock.release()
        except (LockError, RedisError):
            log.warning("token refresh lock of integration %s expired before release", integration_id)


def token_source(integration_id: int, config: OAuthConfig | None = None) -> OAuthTokenSource:
    """A new token source over the vault for one integration (its own cache; `provider_for` shares one)."""

    async def reload() -> Credentials:
        return await stored_credentials(integration_id)

    async def on_refresh(credentials: Credentials) -> None:
        await seal_credentials(integration_id, credentials)

    async def on_lost(detail: str) -> None:
        await mark_needs_reconnect(integration_id, detail)

    return OAuthTokenSource(
        config or google_oauth_config(),
        reload=reload,
        lock=lambda: refresh_lock(integration_id),
        on_refresh=on_refresh,
        on_lost=on_lost,
    )


def forget_tokens(integration_id: int) -> None:
    """Drop this process's cached token source and what it knew of the mailbox (after reconnecting or
    disconnecting: the connection may now be another account)."""
    _token_sources.pop(integration_id, None)
    _category_caches.pop(integration_id, None)


def _google(integration: dict[str, Any]) -> CalendarProvider:
    tokens = _token_sources.get(integration["id"])
    if tokens is None:
        tokens = _token_sources[integration["id"]] = token_source(integration["id"])
    return GoogleCalendarProvider(
        get_settings().google.api_url, tokens, http_client(), pacer=_google_pacer(), account=str(integration["id"])
    )


def _google_pacer() -> QuotaPacer:
    google = get_settings().google
    return QuotaPacer(
        _redis, f"google:{google.client_id or 'rentcal-local'}", google.quota_per_user, google.quota_per_project
    )


register(ProviderSpec("google", "Google Calendar", "oauth2", _google, google_parse_notification))
register(ProviderSpec("caldav", "Apple iCloud / CalDAV", "password", build_caldav, None))  # no push: read periodically


def _microsoft(integration: dict[str, Any]) -> CalendarProvider:
    tokens = _token_sources.get(integration["id"])
    if tokens is None:
        tokens = _token_sources[integration["id"]] = token_source(integration["id"], outlook_oauth_config())
    company_id = int(integration["company"])

    async def company_zone() -> str:
        from rental.tenants import tenant_by_id

        return (await tenant_by_id(company_id)).timezone

    categories = _category_caches.setdefault(integration["id"], CategoryCache())
    return MicrosoftCalendarProvider(
        get_settings().microsoft.graph_url, tokens, http_client(), calendar_zone=company_zone, categories=categories
    )


register(ProviderSpec("microsoft", "Outlook / Microsoft 365", "oauth2", _microsoft, microsoft_parse_notification))


def provider_for(integration: dict[str, Any]) -> CalendarProvider:
    return spec_for(integration["provider"]).build(integration)
