"""The availability service: the one source of truth for every schedule view.

Portal, REST API, public widget and feeds all call these functions.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from rental import handover
from rental.daystatus import DayStatus, Interval, compute_days, day_bounds, days_between
from rental.errors import InvalidInput, NotFound
from rental.handover import CLOSED_REASON, Closure, Limits, OpeningHours, Refusal, ReturnOption, window_refusal
from rental.recurrence import occurrences
from rental.tables import AvailabilityBlock, Company, Product, Unit
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
    """Handover closures, and equipment block-outs as busy time per unit (product-wide ones on every unit)."""
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
        for s, e in occurrences(
            row["blocked_from"], row["blocked_until"], row["rrule"], tenant.tz, start, end, row["all_day"]
        ):
            if row["blocks"] == "handover" and row["unit"] is None:
                closures.append(Closure(s, e, row["reason"] or CLOSED_REASON))
            else:
                for unit in [row["unit"]] if row["unit"] is not None else unit_ids:
                    unit_busy[unit].append((s, e))
    closures.sort(key=lambda c: c.starts_at)
    return closures, unit_busy


async def opening_hours(tenant: Tenant) -> OpeningHours:
    row = await Company.select(Company.business_hours).where(Company.id == tenant.id).output(load_json=True).first()
    hours = row["business_hours"] if row else None
    return OpeningHours(hours if isinstance(hours, dict) else {})


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
    hours = await opening_hours(tenant)
    return compute_days(days_between(first, last), tenant.tz, per_unit, closures, hours)


async def handover_refusal(tenant: Tenant, product_id: int, start: datetime, end: datetime) -> Refusal | None:
    """Why the pickup at `start` or the return at `end` cannot happen; None when both can."""
    unit_ids = await product_units(tenant, product_id)
    lower = day_bounds(handover.handover_day(start, tenant.tz, "pickup"), tenant.tz)[0]
    upper = day_bounds(handover.handover_day(end, tenant.tz, "return"), tenant.tz)[1]
    closures, _ = await _blocks(tenant, product_id, unit_ids, lower, upper)
    return window_refusal(start, end, tenant.tz, await opening_hours(tenant), closures)


async def free_units(tenant: Tenant, product_id: int, start: datetime, end: datetime) -> list[int]:
    """Units of the product free for all of [start, end): no booking, maintenance or equipment block-out."""
    unit_ids = await product_units(tenant, product_id)
    _, unit_blocks = await _blocks(tenant, product_id, unit_ids, start, end)
    busy = await _occupancy(unit_ids, start, end)
    return [u for u in unit_ids if not busy.get(u) and not unit_blocks.get(u)]


async def is_available(tenant: Tenant, product_id: int, start: datetime, end: datetime) -> bool:
    return (
        bool(await free_units(tenant, product_id, start, end))
        and (await handover_refusal(tenant, product_id, start, end)) is None
    )


async def return_options(
    tenant: Tenant, product_id: int, pickup: date, last: date, limits: Limits
) -> tuple[Refusal | None, list[ReturnOption]]:
    """For a pickup day: why it cannot be one, or which return days up to `last` can be booked."""
    unit_ids = await product_units(tenant, product_id)
    hours = await opening_hours(tenant)
    start = day_bounds(pickup, tenant.tz)[0]
    end = day_bounds(last, tenant.tz)[1]
    closures, unit_blocks = await _blocks(tenant, product_id, unit_ids, start, end)
    busy = await _occupancy(unit_ids, start, end)
    per_unit = {u: busy.get(u, []) + unit_blocks.get(u, []) for u in unit_ids}
    refusal = handover.pickup_refusal(pickup, tenant.tz, hours, closures, limits, per_unit)
    if refusal is not None:
        return refusal, []
    return None, handover.return_options(pickup, last, tenant.tz, hours, closures, per_unit, limits)


def default_range(today: date, days: int = 30) -> tuple[date, date]:
    return today, today + timedelta(days=days - 1)
