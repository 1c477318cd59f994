"""Bearer-token authentication and delegated-permission checks for Graph calls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request

from .context import Sandbox
from .errors import access_denied, unauthenticated

READ = frozenset({"Calendars.Read", "Calendars.ReadWrite", "Calendars.ReadBasic"})
WRITE = frozenset({"Calendars.ReadWrite"})
PROFILE = frozenset({"User.Read", "openid", "profile", "email"})


@dataclass(frozen=True)
class Principal:
    email: str
    client_id: str
    scopes: frozenset[str]


def bearer_token(request: Request[Any, Any, Any]) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def authenticate(sb: Sandbox, request: Request[Any, Any, Any], needs: frozenset[str] = READ) -> Principal:
    token = bearer_token(request)
    if token is None:
        raise unauthenticated("Access token is empty.")
    access = sb.tokens.lookup(token)
    if access is None:
        if sb.tokens.known(token):
            raise unauthenticated("Lifetime validation failed, the token is expired.")
        raise unauthenticated("IDX14100: JWT is not well formed, there are no dots (.).")
    scopes = frozenset(access.grant.scopes)
    if not scopes & needs:
        raise access_denied()
    return Principal(access.grant.email, access.grant.client_id, scopes)
