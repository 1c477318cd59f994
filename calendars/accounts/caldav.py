"""CalDAV accounts (Apple iCloud, Fastmail, Nextcloud, any server): from a password grant to a ready adapter.

The grant (server address, user name, app-specific password, what discovery found) is sealed by the
vault like OAuth credentials. Every request goes through the SSRF guard (``netguard.GuardedTransport``)
unless RENTCAL_ALLOW_PRIVATE_FETCH=1, because the server address is typed in by a person.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from calendars import netguard, vault
from calendars.providers.base import NeedsReconnect, ProviderError, RemoteCalendar, RetryableError
from calendars.providers.caldav import (
    AddressRefused,
    CaldavProvider,
    NotCaldavServer,
    ServerUnreachable,
    WrongCredentials,
)
from calendars.providers.caldav_model import Discovery, PasswordGrant
from rentcal.settings import get_settings

_clients: dict[tuple[int, bool], httpx.AsyncClient] = {}


class ConnectFailed(Exception):
    """Connecting a CalDAV account failed; the message is for people."""


@dataclass(frozen=True)
class Connected:
    credentials: vault.PasswordCredentials
    account: str  # shown to people: the user name
    calendars: list[RemoteCalendar]


def caldav_client() -> httpx.AsyncClient:
    """One pooled client per event loop, through the SSRF guard unless private addresses are allowed."""
    allow_private = get_settings().allow_private_fetch
    key = (id(asyncio.get_running_loop()), allow_private)
    client = _clients.get(key)
    if client is None or client.is_closed:
        client = httpx.AsyncClient(
            timeout=httpx.Timeout(20.0, connect=5.0),
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=10),
            transport=netguard.transport(allow_private),
        )
        _clients[key] = client
    return client


def provider_from(credentials: vault.PasswordCredentials, **options: Any) -> CaldavProvider:
    discovery = (
        Discovery(credentials.principal_url, list(credentials.home_urls), frozenset(credentials.addresses))
        if credentials.principal_url and credentials.home_urls
        else None
    )
    grant = PasswordGrant(credentials.server_url, credentials.username, credentials.password)
    return CaldavProvider(grant, caldav_client(), zone=credentials.zone, discovery=discovery, **options)


def build_caldav(integration: dict[str, Any]) -> CaldavProvider:
    """The registry's build: an adapter for an integration row (the grant comes from the vault)."""
    if integration.get("status") in ("needs_reconnect", "disconnected") or not integration.get("credentials"):
        raise NeedsReconnect("the CalDAV connection must be renewed")
    try:
        credentials = vault.open_password(str(integration["credentials"]))
    except vault.VaultError as exc:
        raise NeedsReconnect(str(exc)) from exc
    return provider_from(credentials)


def with_primary(calendars: list[RemoteCalendar]) -> list[RemoteCalendar]:
    """CalDAV has no primary calendar: the first writable one stands for it (it gets the role's default kind)."""
    writable = [c for c in calendars if c.writable]
    first = writable[0].id if writable else None
    return [RemoteCalendar(c.id, c.name, c.id == first, c.writable, c.timezone, c.color) for c in calendars]


async def discover_account(server_url: str, username: str, password: str, zone: str) -> Connected:
    """Discovery (RFC 6764) and the account's event calendars; ConnectFailed with a readable reason."""
    server_url, username = server_url.strip().rstrip("/"), username.strip()
    if not server_url or not username or not password:
        raise ConnectFailed("Enter the server address, the user name and the password.")
    credentials = vault.PasswordCredentials(server_url, username, password, zone=zone)
    provider = provider_from(credentials, max_attempts=2, backoff_base=0.2, backoff_max=1.0, max_wait=5.0)
    try:
        discovery = await provider.discover()
        calendars = await provider.list_calendars()
    except WrongCredentials as exc:
        raise ConnectFailed(str(exc)) from exc
    except AddressRefused as exc:
        raise ConnectFailed(
            f"{exc}. Use the public address of your calendar server (for iCloud: https://caldav.icloud.com)."
        ) from exc
    except ServerUnreachable as exc:
        raise ConnectFailed(f"{exc}. Check the server address and try again.") from exc
    except NotCaldavServer as exc:
        raise ConnectFailed(f"This address does not answer as a CalDAV calendar server: {exc}.") from exc
    except RetryableError as exc:
        raise ConnectFailed(f"The CalDAV server is not answering properly right now ({exc}). Try again later.") from exc
    except ProviderError as exc:
        raise ConnectFailed(f"The CalDAV server refused the connection: {exc}") from exc
    if not calendars:
        raise ConnectFailed(f"The account {username} has no calendars for events on this server.")
    found = vault.PasswordCredentials(
        server_url,
        username,
        password,
        principal_url=discovery.principal_url,
        home_urls=tuple(discovery.home_urls),
        addresses=tuple(sorted(discovery.addresses)),
        zone=zone,
    )
    return Connected(found, username, with_primary(calendars))
