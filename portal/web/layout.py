"""What every portal page needs: the signed-in user, the tenant, role-aware navigation."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template

from calendars.mail import staff_notices
from calendars.sync import conflicts
from rental import requests
from rental.accounts import Staff
from rental.cached import tenant_by_id
from rental.statuses import FIELD_ROLES, MANAGER_ROLES, ROLES
from rental.tenants import Tenant
from rentcal.settings import get_settings

ALL = ROLES
MANAGERS = MANAGER_ROLES

# (label, path, roles that see it). Later features add entries here.
NAVIGATION: list[tuple[str, str, tuple[str, ...]]] = [
    ("Today", "/portal/today", MANAGERS),
    ("My day", "/portal/my", FIELD_ROLES),
    ("Requests", "/portal/requests", MANAGERS),
    ("Conflicts", "/portal/conflicts", MANAGERS),
    ("Notifications", "/portal/notifications", ALL),
    ("Team calendar", "/portal/team", ALL),
    ("Bookings", "/portal/bookings", ALL),
    ("Products & units", "/portal/products", ALL),
    ("Calendar integrations", "/portal/integrations", ALL),
    ("Block-outs", "/portal/blocks", MANAGERS),
    ("Embed on your website", "/portal/embed", MANAGERS),
    ("Calendar feeds", "/portal/feeds", ALL),
    ("Reminders", "/portal/reminders", MANAGERS),
    *([("Mailbox (demo)", "/portal/mailbox", MANAGERS)] if get_settings().demo_maildir else []),
]


async def nav_counts(staff: Staff) -> dict[str, int]:
    """What waits behind the navigation links: open requests and conflicts (managers), unread notifications."""
    counts = {"/portal/notifications": await staff_notices.count_unread(staff.id)}
    if staff.is_manager:
        tenant = await tenant_by_id(staff.company_id)
        counts["/portal/requests"] = await requests.count_open(tenant)
        counts["/portal/conflicts"] = await conflicts.count_open(tenant)
    return counts


def render(
    request: Request[Any, Any, Any],
    staff: Staff,
    tenant: Tenant,
    page: str,
    fragment: str | None = None,
    status_code: int = 200,
    **context: Any,
) -> Template:
    """Render the full page, or only `fragment` for an HTMX request (same data, same partial)."""
    nav = [(label, path) for label, path, roles in NAVIGATION if staff.role in roles]
    counts = getattr(request.state, "nav_counts", None) or {}
    context.update(staff=staff, tenant=tenant, nav=nav, nav_counts=counts, current=request.url.path)
    name = fragment if fragment and request.headers.get("hx-request") else page
    return Template(name, context=context, status_code=status_code)
