"""What every portal page needs: the signed-in user, the tenant, role-aware navigation."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template

from rental.accounts import Staff
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
    ("Settings", "/portal/settings", MANAGERS),
    ("Help", "/portal/help", ALL),
    *([("Mailbox (demo)", "/portal/mailbox", MANAGERS)] if get_settings().demo_maildir else []),
]


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
