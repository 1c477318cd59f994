"""Public catalogue and availability: what anyone may see, with no personal data at all."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from rental import availability, cached, catalogue
from rental.cached import CalendarAnswer
from rental.daystatus import DayStatus
from rental.errors import InvalidInput, NotFound
from rental.schemas import Product
from rental.tables import Company
from rental.tables import Product as ProductTable
from rental.tenants import Tenant

DEFAULT_DAYS = 30


def company_today(tenant: Tenant) -> date:
    return datetime.now(tenant.tz).date()


def parse_day(value: str | None, name: str) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"'{name}' must be a date like 2027-03-14, not {value!r}") from None


async def public_products(slug: str) -> list[Product]:
    return await catalogue.list_products(await cached.tenant_by_slug(slug), public_only=True)


async def public_product(tenant: Tenant, product_id: int) -> Product:
    """The product when it is shown publicly; NotFound for another company's or a hidden one."""
    return await catalogue.get_product(tenant, product_id, public_only=True)


async def ensure_public(tenant: Tenant, product_id: int) -> None:
    """Like public_product, for callers that need no more than the check (one cheap query)."""
    shown = await ProductTable.exists().where(
        (ProductTable.id == product_id)
        & (ProductTable.company == tenant.id)
        & (ProductTable.public == True)  # noqa: E712
        & (ProductTable.active == True)  # noqa: E712
    )
    if not shown:
        raise NotFound(f"product {product_id} not found")


async def public_days(tenant: Tenant, product_id: int, first: date, last: date) -> list[DayStatus]:
    await ensure_public(tenant, product_id)
    return await availability.available_dates(tenant, product_id, first, last)


async def public_calendar(slug: str, product_id: int, first: str | None, last: str | None) -> CalendarAnswer:
    """Day statuses in the shape of the staff calendar endpoint; `from` defaults to today, `to` to 30 days on.

    Served from this process's cache while no change of the company has been heard (rental.cached).
    """
    tenant = await cached.tenant_by_slug(slug)
    today = company_today(tenant)
    start = parse_day(first, "from") or today
    end = parse_day(last, "to")
    if end is None:
        availability.check_range(start, start, today)  # before any date arithmetic near year 9999
        end = start + timedelta(days=DEFAULT_DAYS - 1)
    return await cached.calendar(tenant, product_id, start, end, public_only=True)


async def business_hours(tenant: Tenant) -> dict[str, Any]:
    row = await Company.select(Company.business_hours).where(Company.id == tenant.id).output(load_json=True).first()
    hours = row["business_hours"] if row else None
    return hours if isinstance(hours, dict) else {}
