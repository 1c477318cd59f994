"""Bearer-token authentication and scope checks for Calendar API calls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request

from .context import Sandbox
from .errors import auth_invalid, auth_required, insufficient_scopes


@dataclass(frozen=True)
class Principal:
    email: str
    scopes: frozenset[str]


def bearer_token(request: Request[Any, Any, Any]) -> str | None:
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        return value.strip() if scheme.lower() == "bearer" and value.strip() else None
    return request.query_params.get("access_token") or request.query_params.get("oauth_token")


def authenticate(sb: Sandbox, request: Request[Any, Any, Any], method_id: str) -> Principal:
    token = bearer_token(request)
    if token is None:
        raise auth_required()
    access = sb.tokens.lookup(token)
    if access is None:
        raise auth_invalid()
    scopes = frozenset(access.grant.scope.split())
    if not scopes & set(sb.discovery.scopes(method_id)):
        raise insufficient_scopes()
    return Principal(access.grant.email, scopes)
