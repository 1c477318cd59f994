"""REST API v1: products and their availability calendars."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, Response, get, put
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter

from portal.deps import API_DEPENDENCIES
from portal.guards import SIGNED_IN
from rental import cached, catalogue
from rental.schemas import Product, ProductCalendar, ProductRules
from rental.tenants import Tenant


class ProductsApi(Controller):
    path = "/api/v1/products"
    dependencies = API_DEPENDENCIES
    guards = [SIGNED_IN]
    tags = ["products"]

    @get("/")
    async def index(self, tenant: NamedDependency[Tenant]) -> list[Product]:
        return await catalogue.list_products(tenant)

    @put("/{product_id:int}/rules")
    async def rules(
        self, tenant: NamedDependency[Tenant], product_id: FromPath[int], data: JSONBody[ProductRules]
    ) -> Product:
        """Minimum and maximum rental length the widget offers (days, pickup and return day included)."""
        return await catalogue.set_rules(tenant, product_id, data)

    @get("/{product_id:int}/calendar", responses={200: ResponseSpec(data_container=ProductCalendar)})
    async def calendar(
        self,
        tenant: NamedDependency[Tenant],
        product_id: FromPath[int],
        from_: Annotated[date, QueryParameter(name="from")],
        to: Annotated[date, QueryParameter(name="to")],
    ) -> Response[bytes]:
        answer = await cached.calendar(tenant, product_id, from_, to, public_only=False)
        return Response(answer.body, media_type="application/json")
