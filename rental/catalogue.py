"""Products and their units."""

from __future__ import annotations

from typing import Any

from rental.errors import NotFound
from rental.schemas import Product
from rental.tables import Product as ProductTable
from rental.tables import Unit
from rental.tenants import Tenant

_LIST = """
SELECT p.id, p.name, p.description, count(u.id) FILTER (WHERE u.active) AS unit_count
FROM product p LEFT JOIN unit u ON u.product = p.id
WHERE p.company = {} {}
GROUP BY p.id ORDER BY p.name, p.id
"""


async def list_products(tenant: Tenant, public_only: bool = False) -> list[Product]:
    rows = await ProductTable.raw(_LIST.replace("{} {}", "{} " + ("AND p.public" if public_only else "")), tenant.id)
    return [Product(id=r["id"], name=r["name"], unit_count=r["unit_count"], description=r["description"]) for r in rows]


async def get_product(tenant: Tenant, product_id: int, public_only: bool = False) -> Product:
    for product in await list_products(tenant, public_only):
        if product.id == product_id:
            return product
    raise NotFound(f"product {product_id} not found")


async def list_units(tenant: Tenant, product_id: int | None = None) -> list[dict[str, object]]:
    query = Unit.select(Unit.id, Unit.name, Unit.active, Unit.product, Unit.product.name.as_alias("product_name"))
    condition: Any = Unit.company == tenant.id
    if product_id is not None:
        condition &= Unit.product == product_id
    return list(await query.where(condition).order_by(Unit.product).order_by(Unit.name))
