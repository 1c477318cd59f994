"""Secrets at rest: OAuth credentials and password grants (CalDAV) encrypted with MultiFernet (first key
encrypts, all decrypt)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from calendars.providers.base import Credentials
from rentcal.settings import get_settings


class VaultError(Exception):
    """Stored secret cannot be decrypted with any configured key."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k.encode()) for k in keys])


def _current() -> MultiFernet:
    return _fernet(get_settings().encryption_keys)


def encrypt(payload: dict[str, Any]) -> str:
    return _current().encrypt(json.dumps(payload).encode()).decode()


def decrypt(token: str) -> dict[str, Any]:
    try:
        value = json.loads(_current().decrypt(token.encode()))
    except InvalidToken:
        raise VaultError("stored credentials cannot be decrypted with RENTCAL_ENCRYPTION_KEYS") from None
    return value if isinstance(value, dict) else {}


def rotate(token: str) -> str:
    """Re-encrypt with the first (newest) key."""
    return _current().rotate(token.encode()).decode()


def seal_credentials(credentials: Credentials) -> str:
    return encrypt(
        {
            "access_token": credentials.access_token,
            "refresh_token": credentials.refresh_token,
            "expires_at": credentials.expires_at.isoformat() if credentials.expires_at else None,
            "scope": credentials.scope,
            "extra": credentials.extra,
        }
    )


def open_credentials(sealed: str) -> Credentials:
    data = decrypt(sealed)
    expires = data.get("expires_at")
    return Credentials(
        access_token=str(data.get("access_token", "")),
        refresh_token=data.get("refresh_token"),
        expires_at=datetime.fromisoformat(expires) if expires else None,
        scope=str(data.get("scope", "")),
        extra=dict(data.get("extra") or {}),
    )


@dataclass(frozen=True)
class PasswordCredentials:
    """A password grant (CalDAV): where to connect, who, the (app-specific) password, and what discovery found."""

    server_url: str
    username: str
    password: str
    principal_url: str = ""
    home_urls: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()  # the account's own calendar user addresses (declined invitations)
    zone: str = "UTC"  # the company's zone when connected: all-day and floating times of calendars without one


def seal_password(credentials: PasswordCredentials) -> str:
    return encrypt(
        {
            "kind": "password",
            "server_url": credentials.server_url,
            "username": credentials.username,
            "password": credentials.password,
            "principal_url": credentials.principal_url,
            "home_urls": list(credentials.home_urls),
            "addresses": list(credentials.addresses),
            "zone": credentials.zone,
        }
    )


def open_password(sealed: str) -> PasswordCredentials:
    data = decrypt(sealed)
    if data.get("kind") != "password":
        raise VaultError("stored credentials are not a password grant")
    return PasswordCredentials(
        server_url=str(data.get("server_url", "")),
        username=str(data.get("username", "")),
        password=str(data.get("password", "")),
        principal_url=str(data.get("principal_url", "")),
        home_urls=tuple(str(h) for h in data.get("home_urls") or ()),
        addresses=tuple(str(a) for a in data.get("addresses") or ()),
        zone=str(data.get("zone") or "UTC"),
    )
