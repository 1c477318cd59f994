"""Request-scoped dependencies: who is calling, and for which tenant (the guards in portal.guards
have already checked the role; these read the same cached staff member)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency, Provide

from calendars.mail import staff_notices
from calendars.sync import conflicts
from portal.guards import current_staff
from rental import requests
from rental.accounts import Staff
from rental.cached import tenant_by_id
from rental.tenants import Tenant


async def nav_counts(staff: Staff) -> dict[str, int]:
    """What waits behind the navigation links: open requests and conflicts (managers), unread notifications."""
    counts = {"/portal/notifications": await staff_notices.count_unread(staff.id)}
    if staff.is_manager:
        tenant = await tenant_by_id(staff.company_id)
        counts["/portal/requests"] = await requests.count_open(tenant)
        counts["/portal/conflicts"] = await conflicts.count_open(tenant)
    return counts


async def api_staff(request: Request[Any, Any, Any]) -> Staff:
    return await current_staff(request)


async def portal_staff(request: Request[Any, Any, Any]) -> Staff:
    staff = await current_staff(request)
    if not request.headers.get("hx-request"):  # full pages show counts beside the navigation
        request.state.nav_counts = await nav_counts(staff)
    return staff


async def api_tenant(api_staff: NamedDependency[Staff]) -> Tenant:
    return await tenant_by_id(api_staff.company_id)


async def portal_tenant(staff: NamedDependency[Staff]) -> Tenant:
    return await tenant_by_id(staff.company_id)


API_DEPENDENCIES = {"api_staff": Provide(api_staff), "tenant": Provide(api_tenant)}
PORTAL_DEPENDENCIES = {"staff": Provide(portal_staff), "tenant": Provide(portal_tenant)}
