"""Roles as Litestar guards, declared on controllers and routes (never remembered in handler bodies).

Every API and portal controller carries `SIGNED_IN`; routes only managers may use add `MANAGERS`.
`tests/security/test_roles.py` sends every route as every role and checks the outcome.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from portal.problems import LoginRequired
from portal.sessions import check_csrf_binding
from rental import audit
from rental.accounts import ROLES, Staff, staff_by_id
from rental.cached import staff_for_token
from rental.errors import Forbidden, NotAuthenticated

MANAGER_ROLES = ("admin", "manager")
_SCOPE_KEY = "rentcal_staff"


async def _api_staff(connection: ASGIConnection[Any, Any, Any, Any]) -> Staff:
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("send an API token as 'Authorization: Bearer <token>'")
    return await staff_for_token(token.strip())


async def _portal_staff(connection: ASGIConnection[Any, Any, Any, Any]) -> Staff:
    session = connection.scope.get("session")
    staff_id = session.get("staff_id") if isinstance(session, dict) else None
    staff = await staff_by_id(int(staff_id)) if isinstance(staff_id, int) else None
    if staff is None:
        raise LoginRequired()
    check_csrf_binding(connection)  # type: ignore[arg-type]
    return staff


async def current_staff(connection: ASGIConnection[Any, Any, Any, Any]) -> Staff:
    """Who is calling: an API token under /api/, the portal session elsewhere (once per request)."""
    scope: Any = connection.scope
    if _SCOPE_KEY not in scope:
        api = scope["path"].startswith("/api/")
        scope[_SCOPE_KEY] = await (_api_staff(connection) if api else _portal_staff(connection))
        # the booking history says who did it and from where (this request runs in its own context)
        audit.set_actor(audit.Actor(scope[_SCOPE_KEY].name, "api" if api else "portal", scope[_SCOPE_KEY].id))
    staff: Staff = scope[_SCOPE_KEY]
    return staff


def allow(*roles: str) -> Guard:
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        staff = await current_staff(connection)
        if staff.role not in roles:
            names = " or ".join(roles)
            article = "an" if names[0] in "aeiou" else "a"
            raise Forbidden(f"this needs {article} {names} account; you are signed in as {staff.role}")

    guard.__name__ = f"allow_{'_'.join(roles)}"
    return guard


SIGNED_IN = allow(*ROLES)
MANAGERS = allow(*MANAGER_ROLES)
