"""REST API v1: products and their availability calendars."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, get, put
from litestar.params import QueryParameter

from portal.deps import API_DEPENDENCIES
from portal.guards import SIGNED_IN
from rental import availability, catalogue
from rental.schemas import CalendarDay, Product, ProductCalendar, ProductRules
from rental.tenants import Tenant


class ProductsApi(Controller):
    path = "/api/v1/products"
    dependencies = API_DEPENDENCIES
    guards = [SIGNED_IN]
    tags = ["products"]

    @get("/")
    async def index(self, tenant: Tenant) -> list[Product]:
        return await catalogue.list_products(tenant)

    @put("/{product_id:int}/rules")
    async def rules(self, tenant: Tenant, product_id: int, data: ProductRules) -> Product:
        """Minimum and maximum rental length the widget offers (days, pickup and return day included)."""
        return await catalogue.set_rules(tenant, product_id, data)

    @get("/{product_id:int}/calendar")
    async def calendar(
        self,
        tenant: Tenant,
        product_id: int,
        from_: Annotated[date, QueryParameter(name="from")],
        to: Annotated[date, QueryParameter(name="to")],
    ) -> ProductCalendar:
        return await product_calendar(tenant, product_id, from_, to)


async def product_calendar(tenant: Tenant, product_id: int, first: date, last: date) -> ProductCalendar:
    days = await availability.available_dates(tenant, product_id, first, last)
    return ProductCalendar(
        product_id=product_id,
        timezone=tenant.timezone,
        days=[CalendarDay(d.day, d.status, d.available_units, d.total_units, d.reason) for d in days],  # type: ignore[arg-type]
    )
