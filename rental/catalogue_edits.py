"""Managers shape the catalogue: products (in the widget or not, active or not) and their units (active or not)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rental.errors import Conflict, InvalidInput, NotFound
from rental.statuses import ACTIVE
from rental.tables import Booking, Product, Unit
from rental.tenants import Tenant


def _name(value: str, what: str, longest: int) -> str:
    name = value.strip()
    if not name or len(name) > longest or "\x00" in name:
        raise InvalidInput(f"enter a {what} name of up to {longest} characters")
    return name


def _description(value: str) -> str:
    text = value.strip()
    if len(text) > 2000 or "\x00" in text:
        raise InvalidInput("the description can be up to 2000 characters")
    return text


async def create_product(tenant: Tenant, name: str, description: str, public: bool) -> int:
    rows = await Product.insert(
        Product(
            company=tenant.id, name=_name(name, "product", 200), description=_description(description), public=public
        )
    ).returning(Product.id)
    return int(rows[0]["id"])


async def update_product(tenant: Tenant, product_id: int, name: str, description: str, public: bool) -> None:
    values: dict[Any, Any] = {
        Product.name: _name(name, "product", 200),
        Product.description: _description(description),
        Product.public: public,
    }
    rows = (
        await Product.update(values)
        .where((Product.id == product_id) & (Product.company == tenant.id))
        .returning(Product.id)
    )
    if not rows:
        raise NotFound("no such product")


async def set_product_active(tenant: Tenant, product_id: int, active: bool) -> str:
    """(De)activate a product: a deactivated one takes no new bookings and leaves the widget and the public API;
    its bookings stay as they are. Returns its name."""
    rows = (
        await Product.update({Product.active: active})
        .where((Product.id == product_id) & (Product.company == tenant.id))
        .returning(Product.name)
    )
    if not rows:
        raise NotFound("no such product")
    return str(rows[0]["name"])


async def create_unit(tenant: Tenant, product_id: int, name: str) -> int:
    owned = await Product.exists().where((Product.id == product_id) & (Product.company == tenant.id))
    if not owned:
        raise NotFound("no such product")
    rows = await Unit.insert(Unit(company=tenant.id, product=product_id, name=_name(name, "unit", 100))).returning(
        Unit.id
    )
    return int(rows[0]["id"])


async def update_unit(tenant: Tenant, unit_id: int, name: str, active: bool) -> None:
    """Rename a unit or (de)activate it; an inactive unit takes no new bookings, so one with bookings ahead stays."""
    if not active:
        ahead = await Booking.count().where(
            (Booking.unit == unit_id) & (Booking.company == tenant.id) & Booking.status.is_in(list(ACTIVE))
            & (Booking.ends_at > datetime.now(UTC))
        )  # fmt: skip
        if ahead:
            raise Conflict(
                f"this unit has {ahead} booking{'s' if ahead != 1 else ''} still to come; "
                "move them to another unit before deactivating it"
            )
    values: dict[Any, Any] = {Unit.name: _name(name, "unit", 100), Unit.active: active}
    rows = await Unit.update(values).where((Unit.id == unit_id) & (Unit.company == tenant.id)).returning(Unit.id)
    if not rows:
        raise NotFound("no such unit")
