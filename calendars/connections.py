"""From an integration row to a ready provider: decrypted credentials, refresh, HTTP client."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from calendars import vault
from calendars.oauth import GoogleOAuthConfig, refresh
from calendars.providers.base import CalendarProvider, NeedsReconnect
from calendars.providers.google import GoogleCalendarProvider
from calendars.providers.google import parse_notification as google_parse_notification
from calendars.providers.registry import ProviderSpec, register, spec_for
from calendars.tables import CalendarIntegration
from rentcal.settings import get_settings

log = logging.getLogger("rentcal.calendars")
_clients: dict[int, httpx.AsyncClient] = {}
# Decrypted access tokens kept in this process until shortly before they expire (saves a query and a
# decryption per provider call). A refused token is dropped and refreshed from the database.
_access_tokens: dict[int, tuple[str, datetime]] = {}


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


def google_oauth_config() -> GoogleOAuthConfig:
    settings = get_settings()
    return GoogleOAuthConfig(
        client_id=settings.google_client_id or "rentcal-local",
        client_secret=settings.google_client_secret or "rentcal-local-secret",
        authorize_url=settings.google_authorize_url,
        token_url=settings.google_token_url,
        revoke_url=settings.google_revoke_url,
        userinfo_url=settings.google_userinfo_url,
        redirect_uri=f"{settings.base_url}/oauth/google/callback",
    )


async def mark_needs_reconnect(integration_id: int, detail: str) -> None:
    await CalendarIntegration.update(
        {CalendarIntegration.status: "needs_reconnect", CalendarIntegration.status_detail: detail}
    ).where(CalendarIntegration.id == integration_id)
    log.warning("integration %s needs to be reconnected: %s", integration_id, detail)


class IntegrationTokens:
    """TokenSource over the encrypted credentials of one integration, refreshing as needed."""

    def __init__(self, integration_id: int) -> None:
        self.integration_id = integration_id

    async def _sealed(self) -> str:
        row = (
            await CalendarIntegration.select(CalendarIntegration.credentials, CalendarIntegration.status)
            .where(CalendarIntegration.id == self.integration_id)
            .first()
        )
        if row is None or row["status"] in ("needs_reconnect", "disconnected") or not row["credentials"]:
            raise NeedsReconnect("the calendar connection must be renewed")
        return str(row["credentials"])

    async def access_token(self) -> str:
        cached = _access_tokens.get(self.integration_id)
        if cached is not None and cached[1] - timedelta(seconds=60) > datetime.now(UTC):
            return cached[0]
        credentials = vault.open_credentials(await self._sealed())
        if credentials.expires_at and credentials.expires_at - timedelta(seconds=60) <= datetime.now(UTC):
            return await self.refreshed_access_token()
        if credentials.expires_at:
            _access_tokens[self.integration_id] = (credentials.access_token, credentials.expires_at)
        return credentials.access_token

    async def refreshed_access_token(self) -> str:
        _access_tokens.pop(self.integration_id, None)
        credentials = vault.open_credentials(await self._sealed())
        if not credentials.refresh_token:
            await mark_needs_reconnect(self.integration_id, "no refresh token was granted")
            raise NeedsReconnect("no refresh token")
        try:
            fresh = await refresh(google_oauth_config(), credentials.refresh_token)
        except NeedsReconnect as exc:
            await mark_needs_reconnect(self.integration_id, f"Google refused the refresh token ({exc})")
            raise
        fresh.refresh_token = fresh.refresh_token or credentials.refresh_token
        fresh.extra = {**credentials.extra, **fresh.extra}
        await CalendarIntegration.update({CalendarIntegration.credentials: vault.seal_credentials(fresh)}).where(
            CalendarIntegration.id == self.integration_id
        )
        if fresh.expires_at:
            _access_tokens[self.integration_id] = (fresh.access_token, fresh.expires_at)
        return fresh.access_token


def _google(integration: dict[str, Any]) -> CalendarProvider:
    return GoogleCalendarProvider(get_settings().google_api_url, IntegrationTokens(integration["id"]), http_client())


register(ProviderSpec("google", "Google Calendar", "oauth2", _google, google_parse_notification))


def provider_for(integration: dict[str, Any]) -> CalendarProvider:
    return spec_for(integration["provider"]).build(integration)
