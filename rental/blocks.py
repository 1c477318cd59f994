"""Block-outs: holidays, closures, unit downtime and staff vacations."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import msgspec

from rental.errors import Conflict, InvalidInput, NotFound
from rental.handover import day_bounds, handover_day
from rental.recurrence import occurrences, validate_rrule
from rental.schemas import ACTIVE_STATUSES, Block, BlockCreate
from rental.tables import AvailabilityBlock, Booking, Product, StaffUser, Unit
from rental.tenants import Tenant


def _scope(row: dict[str, Any]) -> str:
    for key in ("unit", "product", "staff"):
        if row[key] is not None:
            return key
    return "company"


def _to_schema(row: dict[str, Any]) -> Block:
    return Block(
        id=row["id"],
        blocked_from=row["blocked_from"],
        blocked_until=row["blocked_until"],
        reason=row["reason"],
        scope=_scope(row),  # type: ignore[arg-type]
        product_id=row["product"],
        unit_id=row["unit"],
        staff_id=row["staff"],
        rrule=row["rrule"],
        source=row["source"],
        blocks=row["blocks"],
        all_day=row["all_day"],
    )


async def _owned(tenant: Tenant, table: Any, row_id: int | None, label: str) -> None:
    if row_id is None:
        return
    found = await table.select(table.id).where((table.id == row_id) & (table.company == tenant.id)).first()
    if found is None:
        raise InvalidInput(f"{label} {row_id} does not exist in this company")


def _whole_days(data: BlockCreate, tenant: Tenant) -> BlockCreate:
    """An all-day block from the local midnight of its first day to the one after its last day."""
    start, end = data.blocked_from.astimezone(tenant.tz), data.blocked_until.astimezone(tenant.tz)
    if data.all_day is None:
        return msgspec.structs.replace(data, all_day=start.time() == end.time() == time(0))
    if not data.all_day:
        return data
    last = end.date() - timedelta(days=1) if end.time() == time(0) and end.date() > start.date() else end.date()
    try:
        return msgspec.structs.replace(
            data,
            blocked_from=datetime.combine(start.date(), time(0), tzinfo=tenant.tz),
            blocked_until=datetime.combine(last + timedelta(days=1), time(0), tzinfo=tenant.tz),
        )
    except (ValueError, OverflowError) as error:  # whole days reaching past the supported range
        raise InvalidInput(str(error)) from error


async def create_block(tenant: Tenant, data: BlockCreate, source: str = "manual") -> Block:
    for name, value in (("blocked_from", data.blocked_from), ("blocked_until", data.blocked_until)):
        if value.tzinfo is None:
            raise InvalidInput(f"{name} must be an RFC 3339 date-time with a UTC offset")
    data = _whole_days(data, tenant)
    if data.blocked_until <= data.blocked_from:
        raise InvalidInput("blocked_until must be after blocked_from")
    if sum(x is not None for x in (data.product_id, data.unit_id, data.staff_id)) > 1:
        raise InvalidInput("give at most one of product_id, unit_id and staff_id")
    await _owned(tenant, Product, data.product_id, "product")
    await _owned(tenant, Unit, data.unit_id, "unit")
    await _owned(tenant, StaffUser, data.staff_id, "staff member")
    rule = validate_rrule(data.rrule) if data.rrule else None
    kind = data.blocks or ("handover" if data.unit_id is None and data.product_id is None else "equipment")
    if kind == "handover" and data.unit_id is not None:
        raise InvalidInput("a unit block-out makes the unit unavailable: use blocks 'equipment'")
    if not data.confirm and data.staff_id is None:
        affected = await affected_bookings(tenant, data, kind, rule)
        if affected:
            raise Conflict(
                f"{len(affected)} active booking(s) have their pickup or return in this block-out"
                if kind == "handover"
                else f"{len(affected)} active booking(s) need the blocked equipment",
                affected_bookings=affected,
                hint='send "confirm": true to save the block-out anyway',
            )
    rows = await AvailabilityBlock.insert(
        AvailabilityBlock(
            company=tenant.id,
            product=data.product_id,
            unit=data.unit_id,
            staff=data.staff_id,
            blocked_from=data.blocked_from.astimezone(UTC),
            blocked_until=data.blocked_until.astimezone(UTC),
            reason=data.reason,
            rrule=rule,
            source=source,
            blocks=kind,
            all_day=bool(data.all_day),
        )
    ).returning(*AvailabilityBlock.all_columns())
    return _to_schema(rows[0])


def _hits(kind: str, start: datetime, end: datetime, windows: list[tuple[datetime, datetime]], tenant: Tenant) -> bool:
    if kind == "equipment":
        return any(s < end and e > start for s, e in windows)
    days = (
        day_bounds(handover_day(start, tenant.tz, "pickup"), tenant.tz),
        day_bounds(handover_day(end, tenant.tz, "return"), tenant.tz),
    )
    return any(s < day_end and e > day_start for day_start, day_end in days for s, e in windows)


async def affected_bookings(
    tenant: Tenant, data: BlockCreate, kind: str, rule: str | None, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Active, unfinished bookings the new block-out would hit: a pickup or return on a day it closes
    (handover), or the rental itself on a blocked unit (equipment)."""
    now = now or datetime.now(UTC)
    sql = """
        SELECT b.id, b.starts_at, b.ends_at, b.status, p.name AS product_name, u.name AS unit_name,
               c.name AS customer_name
        FROM booking b JOIN product p ON p.id = b.product JOIN unit u ON u.id = b.unit
        JOIN customer c ON c.id = b.customer
        WHERE b.company = {} AND b.status = ANY({}) AND b.ends_at > {} AND b.ends_at > {}
    """
    args: list[Any] = [tenant.id, list(ACTIVE_STATUSES), now, data.blocked_from - timedelta(days=1)]
    if rule is None:
        sql += " AND b.starts_at < {}"
        args.append(data.blocked_until + timedelta(days=1))
    if data.unit_id is not None:
        sql += " AND b.unit = {}"
        args.append(data.unit_id)
    elif data.product_id is not None:
        sql += " AND b.product = {}"
        args.append(data.product_id)
    rows = await Booking.raw(sql + " ORDER BY b.starts_at LIMIT 500", *args)
    if not rows:
        return []
    lower = min(r["starts_at"] for r in rows) - timedelta(days=1)
    upper = max(r["ends_at"] for r in rows) + timedelta(days=1)
    windows = list(occurrences(data.blocked_from, data.blocked_until, rule, tenant.tz, lower, upper, data.all_day))
    return [
        {
            "id": r["id"],
            "status": r["status"],
            "product_name": r["product_name"],
            "unit_name": r["unit_name"],
            "customer_name": r["customer_name"],
            "starts_at": r["starts_at"].astimezone(tenant.tz).isoformat(),
            "ends_at": r["ends_at"].astimezone(tenant.tz).isoformat(),
        }
        for r in rows
        if _hits(kind, r["starts_at"], r["ends_at"], windows, tenant)
    ]


async def list_blocks(tenant: Tenant) -> list[Block]:
    rows = (
        await AvailabilityBlock.select()
        .where(AvailabilityBlock.company == tenant.id)
        .order_by(AvailabilityBlock.blocked_from)
    )
    return [_to_schema(r) for r in rows]


async def delete_block(tenant: Tenant, block_id: int) -> None:
    rows = (
        await AvailabilityBlock.delete()
        .where((AvailabilityBlock.id == block_id) & (AvailabilityBlock.company == tenant.id))
        .returning(AvailabilityBlock.id)
    )
    if not rows:
        raise NotFound(f"block {block_id} not found")
