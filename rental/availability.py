"""The availability service: the one source of truth for every schedule view.

Portal, REST API, public widget and feeds all call these functions.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from rental.daystatus import Closure, DayStatus, Interval, compute_days, day_bounds, days_between
from rental.errors import InvalidInput, NotFound
from rental.recurrence import occurrences
from rental.tables import AvailabilityBlock, Product, Unit
from rental.tenants import Tenant

MAX_RANGE_DAYS = 366
HORIZON_DAYS = 5 * 366
"""How far from today (either way) an availability request may reach."""


async def product_units(tenant: Tenant, product_id: int) -> list[int]:
    product = (
        await Product.select(Product.id).where((Product.id == product_id) & (Product.company == tenant.id)).first()
    )
    if product is None:
        raise NotFound(f"product {product_id} not found")
    rows = (
        await Unit.select(Unit.id)
        .where(
            (Unit.product == product_id) & (Unit.active == True)  # noqa: E712
        )
        .order_by(Unit.id)
    )
    return [r["id"] for r in rows]


async def _occupancy(unit_ids: list[int], start: datetime, end: datetime) -> dict[int, list[Interval]]:
    busy: dict[int, list[Interval]] = defaultdict(list)
    if not unit_ids:
        return busy
    rows = await Unit.raw(
        """
        SELECT unit, lower(during) AS s, upper(during) AS e FROM unit_occupancy
        WHERE unit = ANY({}) AND during && tstzrange({}, {}, '[)')
        """,
        unit_ids,
        start,
        end,
    )
    for row in rows:
        busy[row["unit"]].append((row["s"], row["e"]))
    return busy


async def _blocks(
    tenant: Tenant, product_id: int, unit_ids: list[int], start: datetime, end: datetime
) -> tuple[list[Closure], dict[int, list[Interval]]]:
    """Company/product closures, and unit-level blocks as busy time per unit."""
    rows = await AvailabilityBlock.select().where(
        (AvailabilityBlock.company == tenant.id)
        & AvailabilityBlock.staff.is_null()
        & (
            (AvailabilityBlock.product.is_null() & AvailabilityBlock.unit.is_null())
            | (AvailabilityBlock.product == product_id)
            | (AvailabilityBlock.unit.is_in(unit_ids or [-1]))
        )
        & (AvailabilityBlock.blocked_from < end)
        & ((AvailabilityBlock.blocked_until > start) | AvailabilityBlock.rrule.is_not_null())
    )
    closures: list[Closure] = []
    unit_busy: dict[int, list[Interval]] = defaultdict(list)
    for row in rows:
        for s, e in occurrences(row["blocked_from"], row["blocked_until"], row["rrule"], tenant.tz, start, end):
            if row["unit"] is not None:
                unit_busy[row["unit"]].append((s, e))
            else:
                closures.append(Closure(s, e, row["reason"] or "Closed"))
    closures.sort(key=lambda c: c.starts_at)
    return closures, unit_busy


def check_range(first: date, last: date, today: date | None = None) -> None:
    """A range of at most MAX_RANGE_DAYS days within HORIZON_DAYS of today (no year 1 or 9999)."""
    if last < first:
        raise InvalidInput("'to' must not be before 'from'")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise InvalidInput(f"a date range may span at most {MAX_RANGE_DAYS} days")
    today = today or date.today()
    if abs((first - today).days) > HORIZON_DAYS or abs((last - today).days) > HORIZON_DAYS:
        raise InvalidInput(
            f"dates must lie within {HORIZON_DAYS // 366} years of today ({today.isoformat()}); "
            f"asked for {first.isoformat()} to {last.isoformat()}"
        )


async def available_dates(tenant: Tenant, product_id: int, first: date, last: date) -> list[DayStatus]:
    """Day statuses for [first, last] (inclusive, local dates in the company's zone)."""
    check_range(first, last, datetime.now(tenant.tz).date())
    unit_ids = await product_units(tenant, product_id)
    start = day_bounds(first, tenant.tz)[0]
    end = day_bounds(last, tenant.tz)[1]
    busy = await _occupancy(unit_ids, start, end)
    closures, unit_blocks = await _blocks(tenant, product_id, unit_ids, start, end)
    per_unit = {u: busy.get(u, []) + unit_blocks.get(u, []) for u in unit_ids}
    return compute_days(days_between(first, last), tenant.tz, per_unit, closures)


async def closure_for(tenant: Tenant, product_id: int, start: datetime, end: datetime) -> Closure | None:
    unit_ids = await product_units(tenant, product_id)
    closures, _ = await _blocks(tenant, product_id, unit_ids, start, end)
    return next((c for c in closures if c.starts_at < end and c.ends_at > start), None)


async def free_units(tenant: Tenant, product_id: int, start: datetime, end: datetime) -> list[int]:
    """Units of the product free for all of [start, end); none while the product is closed."""
    unit_ids = await product_units(tenant, product_id)
    closures, unit_blocks = await _blocks(tenant, product_id, unit_ids, start, end)
    if any(c.starts_at < end and c.ends_at > start for c in closures):
        return []
    busy = await _occupancy(unit_ids, start, end)
    return [u for u in unit_ids if not busy.get(u) and not unit_blocks.get(u)]


async def is_available(tenant: Tenant, product_id: int, start: datetime, end: datetime) -> bool:
    return bool(await free_units(tenant, product_id, start, end))


def default_range(today: date, days: int = 30) -> tuple[date, date]:
    return today, today + timedelta(days=days - 1)
