"""Portal page "Embed on your website" (managers): choose options, preview, copy the snippet."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template
from markupsafe import escape

from portal.deps import PORTAL_DEPENDENCIES
from portal.guards import MANAGERS, SIGNED_IN
from portal.web.layout import render
from rental import catalogue
from rental.accounts import Staff
from rental.tenants import Tenant
from widget.options import Options, parse_options


def snippet(origin: str, slug: str, product_id: int, options: Options) -> str:
    attributes = {
        "src": f"{origin}/widget/embed.js",
        "data-company": slug,
        "data-product": str(product_id),
        "data-locale": options.locale,
        "data-accent": options.accent,
        "data-first-day": str(options.first_day),
    }
    rendered = " ".join(f'{name}="{escape(value)}"' for name, value in attributes.items())
    return f"<script {rendered} async></script>"


class EmbedPages(Controller):
    path = "/portal/embed"
    dependencies = PORTAL_DEPENDENCIES
    guards = [SIGNED_IN, MANAGERS]
    include_in_schema = False

    @get("/")
    async def index(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        product_id: FromQuery[int | None] = None,
        locale: FromQuery[str | None] = None,
        accent: FromQuery[str | None] = None,
        first_day: FromQuery[str | None] = None,
    ) -> Template:
        """The page; for HTMX requests (an option changed) only the preview and snippet."""
        products = await catalogue.list_products(tenant, public_only=True)
        product = next((p for p in products if p.id == product_id), products[0] if products else None)
        options = parse_options(locale, accent, first_day, "preview", None)
        origin = f"{request.url.scheme}://{request.url.netloc}"
        context: dict[str, Any] = {"products": products, "product": product, "options": options}
        if product is not None:
            context.update(
                snippet=snippet(origin, tenant.slug, product.id, options),
                preview_url=f"/widget/{tenant.slug}/{product.id}?{options.query()}",
            )
        return render(request, staff, tenant, "portal/embed.html", "partials/embed_preview.html", **context)
