"""Portal products and units page."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from portal.deps import PORTAL_DEPENDENCIES
from portal.guards import SIGNED_IN
from portal.web.layout import render
from rental import availability, catalogue
from rental.accounts import Staff
from rental.tenants import Tenant


class ProductPages(Controller):
    path = "/portal/products"
    dependencies = PORTAL_DEPENDENCIES
    guards = [SIGNED_IN]
    include_in_schema = False

    @get("/")
    async def index(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff], tenant: NamedDependency[Tenant]
    ) -> Template:
        return render(
            request,
            staff,
            tenant,
            "portal/products.html",
            products=await catalogue.list_products(tenant),
            units=await catalogue.list_units(tenant),
        )

    @get("/{product_id:int}")
    async def show(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        product_id: FromPath[int],
        from_: Annotated[date | None, QueryParameter(name="from")] = None,
    ) -> Template:
        today = datetime.now(tenant.tz).date()
        first = from_ or today
        availability.check_range(first, first, today)  # before any date arithmetic near year 9999
        days = await availability.available_dates(tenant, product_id, first, first + timedelta(days=41))
        return render(
            request,
            staff,
            tenant,
            "portal/product.html",
            "partials/availability_grid.html",
            product=await catalogue.get_product(tenant, product_id),
            units=await catalogue.list_units(tenant, product_id),
            days=days,
            prev=first - timedelta(days=42),
            next=first + timedelta(days=42),
        )
