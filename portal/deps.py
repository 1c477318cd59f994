"""Request-scoped dependencies: who is calling, and for which tenant."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import Provide

from portal.problems import LoginRequired
from rental.accounts import Staff, staff_by_id, staff_for_token
from rental.errors import Forbidden, NotAuthenticated
from rental.tenants import Tenant, tenant_by_id


async def api_staff(request: Request[Any, Any, Any]) -> Staff:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("send an API token as 'Authorization: Bearer <token>'")
    return await staff_for_token(token.strip())


async def portal_staff(request: Request[Any, Any, Any]) -> Staff:
    staff_id = request.session.get("staff_id") if request.session else None
    staff = await staff_by_id(int(staff_id)) if staff_id else None
    if staff is None:
        raise LoginRequired()
    return staff


async def api_tenant(api_staff: Staff) -> Tenant:
    return await tenant_by_id(api_staff.company_id)


async def portal_tenant(staff: Staff) -> Tenant:
    return await tenant_by_id(staff.company_id)


def require_manager(staff: Staff) -> None:
    if not staff.is_manager:
        raise Forbidden("this needs a manager or admin account")


API_DEPENDENCIES = {"api_staff": Provide(api_staff), "tenant": Provide(api_tenant)}
PORTAL_DEPENDENCIES = {"staff": Provide(portal_staff), "tenant": Provide(portal_tenant)}
