"""Products and their units."""

from __future__ import annotations

from typing import Any

from rental.errors import InvalidInput, NotFound
from rental.schemas import Product, ProductRules
from rental.tables import Product as ProductTable
from rental.tables import Unit
from rental.tenants import Tenant

_LIST = """
SELECT p.id, p.name, p.description, p.public, p.active, p.min_rental_days, p.max_rental_days,
       count(u.id) FILTER (WHERE u.active) AS unit_count
FROM product p LEFT JOIN unit u ON u.product = p.id
WHERE p.company = {} {}
GROUP BY p.id ORDER BY p.name, p.id
"""


async def list_products(tenant: Tenant, public_only: bool = False) -> list[Product]:
    rows = await ProductTable.raw(
        _LIST.replace("{} {}", "{} " + ("AND p.public AND p.active" if public_only else "")), tenant.id
    )
    return [
        Product(
            id=r["id"],
            name=r["name"],
            unit_count=r["unit_count"],
            description=r["description"],
            public=r["public"],
            active=r["active"],
            min_rental_days=r["min_rental_days"],
            max_rental_days=r["max_rental_days"],
        )
        for r in rows
    ]


async def get_product(tenant: Tenant, product_id: int, public_only: bool = False) -> Product:
    for product in await list_products(tenant, public_only):
        if product.id == product_id:
            return product
    raise NotFound(f"product {product_id} not found")


async def set_rules(tenant: Tenant, product_id: int, rules: ProductRules) -> Product:
    """Minimum and maximum rental length of a product (what the widget offers)."""
    if rules.max_rental_days is not None and rules.max_rental_days < rules.min_rental_days:
        raise InvalidInput("max_rental_days must not be below min_rental_days")
    rows = (
        await ProductTable.update(
            {ProductTable.min_rental_days: rules.min_rental_days, ProductTable.max_rental_days: rules.max_rental_days}
        )
        .where((ProductTable.id == product_id) & (ProductTable.company == tenant.id))
        .returning(ProductTable.id)
    )
    if not rows:
        raise NotFound(f"product {product_id} not found")
    return await get_product(tenant, product_id)


async def list_units(tenant: Tenant, product_id: int | None = None) -> list[dict[str, object]]:
    query = Unit.select(Unit.id, Unit.name, Unit.active, Unit.product, Unit.product.name.as_alias("product_name"))
    condition: Any = Unit.company == tenant.id
    if product_id is not None:
        condition &= Unit.product == product_id
    return list(await query.where(condition).order_by(Unit.product).order_by(Unit.name))
