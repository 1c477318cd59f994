"""Team calendar (CAL-112): units or people as rows, a week or a month, one grid in the company's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import QueryParameter
from litestar.response import Template

from calendars.colors import booking_colors
from portal.deps import PORTAL_DEPENDENCIES
from portal.schedule import By, Filters, schedule, unit_products
from portal.web.forms import optional_int
from portal.web.layout import render
from portal.web.team_grid import GOOGLE_HEX, KIND_LABELS, build_grid, window_for
from rental import catalogue
from rental.accounts import Staff, staff_of_company
from rental.tenants import Tenant


class TeamPages(Controller):
    path = "/portal/team"
    dependencies = PORTAL_DEPENDENCIES
    include_in_schema = False

    @get("/")
    async def index(
        self,
        request: Request[Any, Any, Any],
        staff: Staff,
        tenant: Tenant,
        from_: Annotated[date | None, QueryParameter(name="from")] = None,
        view: str = "week",
        by: str = "unit",
        product: str = "",
        unit: str = "",
        person: str = "",
        kind: str = "",
    ) -> Template:
        view = "month" if view == "month" else "week"
        chosen: By = "staff" if by == "staff" or not staff.is_manager else "unit"
        today = datetime.now(tenant.tz).date()
        first, last, _, _ = window_for(view, from_ or today)
        filters = Filters(optional_int(product), optional_int(unit), optional_int(person), kind or None)
        data = await schedule(tenant, staff, first, last, chosen, filters)
        colors = {s: GOOGLE_HEX.get(c, "#57606a") for s, c in (await booking_colors(tenant)).colors.items()}
        people = await staff_of_company(tenant.id)
        grid = build_grid(
            data, view, from_ or today, today, datetime.now(UTC), colors, await unit_products(tenant),
            {p.id: p.name for p in people},
        )  # fmt: skip
        return render(
            request, staff, tenant, "portal/team.html", "partials/team_grid.html", grid=grid, filters=filters,
            products=await catalogue.list_products(tenant), units=await catalogue.list_units(tenant),
            people=people if staff.is_manager else [], kinds=KIND_LABELS,
        )  # fmt: skip
