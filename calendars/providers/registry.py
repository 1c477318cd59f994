"""Providers by name: what the rest of the system needs to know of each, in one place.

A new provider is one adapter module plus one `ProviderSpec` registered here; the engine, the
webhook route and the portal look providers up by the name stored on the integration.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from calendars.providers.base import CalendarProvider


@dataclass(frozen=True)
class Notification:
    """One change notification, as the provider's webhook delivered it (not yet verified)."""

    subscription_id: str
    secret: str  # Google channel token, Graph clientState
    kind: Literal["changed", "sync", "renew", "removed", "missed"]


# A handshake to answer (Graph's validationToken, echoed as text/plain) or the notifications of a request.
Parsed = str | list[Notification]
ParseNotification = Callable[[Mapping[str, str], Mapping[str, str], bytes], Parsed]
Build = Callable[[dict[str, Any]], CalendarProvider]


@dataclass(frozen=True)
class ProviderSpec:
    name: str  # stored on the integration, used in URLs (/webhooks/{name}, /oauth/{name}/callback)
    label: str  # for people: "Google Calendar"
    auth: Literal["oauth2", "password"]
    build: Build  # an adapter for an integration row (credentials come from the vault)
    parse_notification: ParseNotification | None = None  # None: no push, periodic reads only


PROVIDERS: dict[str, ProviderSpec] = {}


def register(spec: ProviderSpec) -> ProviderSpec:
    PROVIDERS[spec.name] = spec
    return spec


def spec_for(name: str) -> ProviderSpec:
    try:
        return PROVIDERS[name]
    except KeyError:
        raise LookupError(f"unknown calendar provider {name!r}") from None
