"""Block-outs: holidays, closures, unit downtime and staff vacations."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from rental.errors import InvalidInput, NotFound
from rental.recurrence import validate_rrule
from rental.schemas import Block, BlockCreate
from rental.tables import AvailabilityBlock, Product, StaffUser, Unit
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
    )


async def _owned(tenant: Tenant, table: Any, row_id: int | None, label: str) -> None:
    if row_id is None:
        return
    found = await table.select(table.id).where((table.id == row_id) & (table.company == tenant.id)).first()
    if found is None:
        raise InvalidInput(f"{label} {row_id} does not exist in this company")


async def create_block(tenant: Tenant, data: BlockCreate, source: str = "manual") -> Block:
    for name, value in (("blocked_from", data.blocked_from), ("blocked_until", data.blocked_until)):
        if value.tzinfo is None:
            raise InvalidInput(f"{name} must be an RFC 3339 date-time with a UTC offset")
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
        )
    ).returning(*AvailabilityBlock.all_columns())
    return _to_schema(rows[0])


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
