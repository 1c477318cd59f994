"""Request-scoped dependencies: who is calling, and for which tenant (the guards in portal.guards
have already checked the role; these read the same cached staff member)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import Provide

from portal.guards import current_staff
from portal.web.layout import nav_counts
from rental.accounts import Staff
from rental.cached import tenant_by_id
from rental.tenants import Tenant


async def api_staff(request: Request[Any, Any, Any]) -> Staff:
    return await current_staff(request)


async def portal_staff(request: Request[Any, Any, Any]) -> Staff:
    staff = await current_staff(request)
    if not request.headers.get("hx-request"):  # full pages show counts beside the navigation
        request.state.nav_counts = await nav_counts(staff)
    return staff


async def api_tenant(api_staff: Staff) -> Tenant:
    return await tenant_by_id(api_staff.company_id)


async def portal_tenant(staff: Staff) -> Tenant:
    return await tenant_by_id(staff.company_id)


API_DEPENDENCIES = {"api_staff": Provide(api_staff), "tenant": Provide(api_tenant)}
PORTAL_DEPENDENCIES = {"staff": Provide(portal_staff), "tenant": Provide(portal_tenant)}
