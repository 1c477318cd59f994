"""Maintenance windows (CAL-104) and delivery/pickup runs (CAL-109), with outbox records."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
from msgspec import UNSET

from rental import outbox
from rental.bookings import describe_clashes, given
from rental.errors import Conflict, InvalidInput, NotFound
from rental.schemas import (
    Delivery,
    DeliveryCreate,
    DeliveryUpdate,
    Maintenance,
    MaintenanceCreate,
    MaintenanceUpdate,
)
from rental.statuses import MANAGER_ROLES
from rental.tables import Booking, StaffUser, Unit
from rental.tables import Delivery as DeliveryTable
from rental.tables import MaintenanceSchedule as MaintenanceTable
from rental.tenants import Tenant


def _window(starts_at: datetime, ends_at: datetime) -> tuple[datetime, datetime]:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise InvalidInput("times must be RFC 3339 date-times with a UTC offset")
    if ends_at <= starts_at:
        raise InvalidInput("ends_at must be after starts_at")
    return starts_at.astimezone(UTC), ends_at.astimezone(UTC)


async def _staff(tenant: Tenant, staff_id: int | None, role: str) -> int | None:
    if staff_id is None:
        return None
    row = (
        await StaffUser.select(StaffUser.role)
        .where((StaffUser.id == staff_id) & (StaffUser.company == tenant.id))
        .first()
    )
    if row is None:
        raise InvalidInput(f"staff member {staff_id} is not in this company")
    if row["role"] != role and row["role"] not in MANAGER_ROLES:
        raise InvalidInput(f"staff member {staff_id} is not a {role}")
    return staff_id


def _maintenance(row: dict[str, Any]) -> Maintenance:
    return Maintenance(row["id"], row["unit"], row["starts_at"], row["ends_at"], row["description"], row["technician"])


def _delivery(row: dict[str, Any]) -> Delivery:
    return Delivery(
        row["id"],
        row["booking"],
        row["kind"],
        row["starts_at"],
        row["ends_at"],
        row["address"],
        row["driver"],
        row["route_order"],
    )


async def get_maintenance(tenant: Tenant, maintenance_id: int) -> Maintenance:
    row = (
        await MaintenanceTable.select()
        .where((MaintenanceTable.id == maintenance_id) & (MaintenanceTable.company == tenant.id))
        .first()
    )
    if row is None:
        raise NotFound(f"maintenance {maintenance_id} not found")
    return _maintenance(row)


async def create_maintenance(tenant: Tenant, data: MaintenanceCreate) -> Maintenance:
    start, end = _window(data.starts_at, data.ends_at)
    unit = await Unit.select(Unit.id).where((Unit.id == data.unit_id) & (Unit.company == tenant.id)).first()
    if unit is None:
        raise InvalidInput(f"unknown unit_id {data.unit_id}")
    technician = await _staff(tenant, data.technician_id, "technician")
    try:
        async with MaintenanceTable._meta.db.transaction():
            rows = await MaintenanceTable.insert(
                MaintenanceTable(
                    company=tenant.id,
                    unit=data.unit_id,
                    technician=technician,
                    starts_at=start,
                    ends_at=end,
                    description=data.description,
                )
            ).returning(*MaintenanceTable.all_columns())
            await outbox.record(tenant.id, "maintenance.created", rows[0]["id"], {})
    except asyncpg.ExclusionViolationError:
        clashes = await describe_clashes(tenant, [data.unit_id], start, end)
        raise Conflict("the unit is booked or in maintenance at that time", clashes=clashes) from None
    return _maintenance(rows[0])


async def update_maintenance(tenant: Tenant, maintenance_id: int, data: MaintenanceUpdate) -> Maintenance:
    current = await get_maintenance(tenant, maintenance_id)
    start, end = _window(given(data.starts_at, current.starts_at), given(data.ends_at, current.ends_at))
    values: dict[Any, Any] = {
        MaintenanceTable.starts_at: start,
        MaintenanceTable.ends_at: end,
        MaintenanceTable.sequence: MaintenanceTable.sequence + 1,
        MaintenanceTable.updated_at: datetime.now(UTC),
    }
    if data.description is not UNSET:
        values[MaintenanceTable.description] = data.description
    if data.technician_id is not UNSET:
        values[MaintenanceTable.technician] = await _staff(tenant, data.technician_id, "technician")
    try:
        async with MaintenanceTable._meta.db.transaction():
            await MaintenanceTable.update(values).where(MaintenanceTable.id == maintenance_id)
            await outbox.record(tenant.id, "maintenance.updated", maintenance_id, {})
    except asyncpg.ExclusionViolationError:
        clashes = await describe_clashes(tenant, [current.unit_id], start, end)
        raise Conflict("the unit is booked or in maintenance at that time", clashes=clashes) from None
    return await get_maintenance(tenant, maintenance_id)


async def delete_maintenance(tenant: Tenant, maintenance_id: int) -> None:
    async with MaintenanceTable._meta.db.transaction():
        rows = (
            await MaintenanceTable.delete()
            .where((MaintenanceTable.id == maintenance_id) & (MaintenanceTable.company == tenant.id))
            .returning(MaintenanceTable.id)
        )
        if not rows:
            raise NotFound(f"maintenance {maintenance_id} not found")
        await outbox.record(tenant.id, "maintenance.deleted", maintenance_id, {})


async def get_delivery(tenant: Tenant, delivery_id: int) -> Delivery:
    row = (
        await DeliveryTable.select()
        .where((DeliveryTable.id == delivery_id) & (DeliveryTable.company == tenant.id))
        .first()
    )
    if row is None:
        raise NotFound(f"delivery {delivery_id} not found")
    return _delivery(row)


async def create_delivery(tenant: Tenant, data: DeliveryCreate) -> Delivery:
    start, end = _window(data.starts_at, data.ends_at)
    booking = (
        await Booking.select(Booking.id).where((Booking.id == data.booking_id) & (Booking.company == tenant.id)).first()
    )
    if booking is None:
        raise InvalidInput(f"unknown booking_id {data.booking_id}")
    driver = await _staff(tenant, data.driver_id, "driver")
    async with DeliveryTable._meta.db.transaction():
        rows = await DeliveryTable.insert(
            DeliveryTable(
                company=tenant.id,
                booking=data.booking_id,
                driver=driver,
                kind=data.kind,
                starts_at=start,
                ends_at=end,
                address=data.address,
                route_order=data.route_order,
            )
        ).returning(*DeliveryTable.all_columns())
        await outbox.record(tenant.id, "delivery.created", rows[0]["id"], {})
    return _delivery(rows[0])


async def update_delivery(tenant: Tenant, delivery_id: int, data: DeliveryUpdate) -> Delivery:
    current = await get_delivery(tenant, delivery_id)
    start, end = _window(given(data.starts_at, current.starts_at), given(data.ends_at, current.ends_at))
    values: dict[Any, Any] = {
        DeliveryTable.starts_at: start,
        DeliveryTable.ends_at: end,
        DeliveryTable.sequence: DeliveryTable.sequence + 1,
        DeliveryTable.updated_at: datetime.now(UTC),
    }
    if data.address is not UNSET:
        values[DeliveryTable.address] = data.address
    if data.route_order is not UNSET:
        values[DeliveryTable.route_order] = data.route_order
    if data.driver_id is not UNSET:
        values[DeliveryTable.driver] = await _staff(tenant, data.driver_id, "driver")
    async with DeliveryTable._meta.db.transaction():
        await DeliveryTable.update(values).where(DeliveryTable.id == delivery_id)
        await outbox.record(tenant.id, "delivery.updated", delivery_id, {})
    return await get_delivery(tenant, delivery_id)


async def delete_delivery(tenant: Tenant, delivery_id: int) -> None:
    async with DeliveryTable._meta.db.transaction():
        rows = (
            await DeliveryTable.delete()
            .where((DeliveryTable.id == delivery_id) & (DeliveryTable.company == tenant.id))
            .returning(DeliveryTable.id)
        )
        if not rows:
            raise NotFound(f"delivery {delivery_id} not found")
        await outbox.record(tenant.id, "delivery.deleted", delivery_id, {})
