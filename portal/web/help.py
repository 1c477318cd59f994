"""Help pages: for staff in the portal, and one for customers opened from their booking page and mails."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from calendars.colors import booking_colors
from calendars.palette import DELIVERY_COLOR, MAINTENANCE_COLOR, PALETTE
from portal.deps import PORTAL_DEPENDENCIES
from portal.guards import SIGNED_IN
from portal.web.layout import render
from rental.accounts import Staff
from rental.tenants import Tenant

NO_SESSION = {"skip_session": True}
STAFF_TOPICS = {
    "calendars": "Connecting a calendar (Google, Outlook, Apple iCloud and CalDAV)",
    "colours": "What the colours mean",
    "conflicts": "Handling conflicts",
}


class HelpPages(Controller):
    path = "/portal/help"
    dependencies = PORTAL_DEPENDENCIES
    guards = [SIGNED_IN]
    include_in_schema = False

    @get("/")
    async def index(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff], tenant: NamedDependency[Tenant]
    ) -> Template:
        return render(request, staff, tenant, "portal/help/index.html", topics=STAFF_TOPICS)

    @get("/calendars")
    async def calendars(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff], tenant: NamedDependency[Tenant]
    ) -> Template:
        return render(request, staff, tenant, "portal/help/calendars.html", topics=STAFF_TOPICS)

    @get("/colours")
    async def colours(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff], tenant: NamedDependency[Tenant]
    ) -> Template:
        chosen = (await booking_colors(tenant)).colors
        statuses = [(status.replace("_", " "), PALETTE[name]) for status, name in chosen.items()]
        others = [("maintenance", PALETTE[MAINTENANCE_COLOR]), ("delivery or collection", PALETTE[DELIVERY_COLOR])]
        return render(
            request, staff, tenant, "portal/help/colours.html", topics=STAFF_TOPICS, swatches=statuses + others
        )

    @get("/conflicts")
    async def conflicts(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff], tenant: NamedDependency[Tenant]
    ) -> Template:
        return render(request, staff, tenant, "portal/help/conflicts.html", topics=STAFF_TOPICS)


@get("/help/your-rental", include_in_schema=False, opt=NO_SESSION)
async def customer_help() -> Template:
    """For customers: adding the rental to their calendar, and the reminders they will get."""
    return Template("public/help.html")
