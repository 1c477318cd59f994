"""Public JSON v1: catalogue and availability of a company, by slug, for anyone."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, QueryParameter

from rental.schemas import Product, ProductCalendar
from widget import public
from widget.http import NO_SESSION, cached_json, open_cors, tagged_bytes
from widget.ratelimit import rate_limit


class PublicApi(Controller):
    path = "/public/v1/{company_slug:str}/products"
    middleware = [open_cors, rate_limit]  # CORS outside, so a 429 carries it too
    tags = ["public"]
    opt = NO_SESSION

    @get("/", responses={200: ResponseSpec(data_container=list[Product])})
    async def products(self, request: Request[Any, Any, Any], company_slug: FromPath[str]) -> Response[bytes]:
        """Products the company shows publicly."""
        return cached_json(request, await public.public_products(company_slug))

    @get("/{product_id:int}/availability", responses={200: ResponseSpec(data_container=ProductCalendar)})
    async def availability(
        self,
        request: Request[Any, Any, Any],
        company_slug: FromPath[str],
        product_id: FromPath[int],
        from_: Annotated[str | None, QueryParameter(name="from", description="first date, default today")] = None,
        to: Annotated[str | None, QueryParameter(description="last date (inclusive), default from + 29 days")] = None,
    ) -> Response[bytes]:
        """Day statuses, as the staff calendar endpoint reports them; at most 366 days."""
        answer = await public.public_calendar(company_slug, product_id, from_, to)
        return tagged_bytes(request, answer.body, answer.etag, "application/json")
