"""Maintenance windows and delivery runs through their service functions: validation, the database's
overlap guard, company scoping and the outbox records calendars learn from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from rental import bookings, schedules
from rental.errors import Conflict, InvalidInput, NotFound
from rental.schemas import (
    BookingCreate,
    CustomerIn,
    DeliveryCreate,
    DeliveryUpdate,
    MaintenanceCreate,
    MaintenanceUpdate,
)
from rental.tables import Outbox
from rental.tenants import Tenant
from tests.factories import make_product, make_staff, make_tenant

LA = ZoneInfo("America/Los_Angeles")
T0 = datetime(2027, 3, 1, 8, tzinfo=LA)


async def topics(tenant: Tenant, kind: str, aggregate_id: int) -> list[str]:
    rows = (
        await Outbox.select(Outbox.topic)
        .where((Outbox.company == tenant.id) & (Outbox.aggregate_id == aggregate_id) & Outbox.topic.like(f"{kind}.%"))
        .order_by(Outbox.id)
    )
    return [row["topic"] for row in rows]


async def test_maintenance_lifecycle_with_technicians_and_the_overlap_guard() -> None:
    tenant = await make_tenant()
    product, [unit, _] = await make_product(tenant)
    technician, _ = await make_staff(tenant, "technician")
    driver, _ = await make_staff(tenant, "driver")

    window = await schedules.create_maintenance(
        tenant, MaintenanceCreate(unit_id=unit, starts_at=T0, ends_at=T0 + timedelta(hours=4), technician_id=technician)
    )
    assert window.starts_at == T0.astimezone(UTC) and window.technician_id == technician
    assert await schedules.get_maintenance(tenant, window.id) == window

    with pytest.raises(InvalidInput, match=f"staff member {driver} is not a technician"):
        await schedules.update_maintenance(tenant, window.id, MaintenanceUpdate(technician_id=driver))
    moved = await schedules.update_maintenance(
        tenant,
        window.id,
        MaintenanceUpdate(starts_at=T0 + timedelta(hours=1), description="new tracks", technician_id=technician),
    )
    assert moved.starts_at == (T0 + timedelta(hours=1)).astimezone(UTC)
    assert moved.ends_at == (T0 + timedelta(hours=4)).astimezone(UTC)  # unchanged end
    assert moved.description == "new tracks"

    await bookings.create_booking(
        tenant,
        BookingCreate(
            product_id=product,
            unit_id=unit,
            starts_at=T0 + timedelta(days=3),
            ends_at=T0 + timedelta(days=4),
            customer=CustomerIn(name="Ada", email="ada@example.test"),
        ),
    )
    with pytest.raises(Conflict, match="booked or in maintenance") as clash:
        await schedules.create_maintenance(
            tenant, MaintenanceCreate(unit_id=unit, starts_at=T0 + timedelta(days=3), ends_at=T0 + timedelta(days=5))
        )
    assert clash.value.extra["clashes"]
    with pytest.raises(Conflict, match="booked or in maintenance"):
        await schedules.update_maintenance(
            tenant, window.id, MaintenanceUpdate(starts_at=T0 + timedelta(days=3), ends_at=T0 + timedelta(days=5))
        )

    await schedules.delete_maintenance(tenant, window.id)
    with pytest.raises(NotFound):
        await schedules.get_maintenance(tenant, window.id)
    with pytest.raises(NotFound):
        await schedules.delete_maintenance(tenant, window.id)
    assert await topics(tenant, "maintenance", window.id) == [
        "maintenance.created",
        "maintenance.updated",
        "maintenance.deleted",
    ]


async def test_maintenance_input_is_checked() -> None:
    tenant, other = await make_tenant(), await make_tenant()
    _, [unit] = await make_product(tenant, units=1)
    outsider, _ = await make_staff(other, "technician")
    end = T0 + timedelta(hours=2)
    with pytest.raises(InvalidInput, match="unknown unit_id"):
        await schedules.create_maintenance(tenant, MaintenanceCreate(unit_id=unit + 10_000, starts_at=T0, ends_at=end))
    with pytest.raises(InvalidInput, match="ends_at must be after starts_at"):
        await schedules.create_maintenance(tenant, MaintenanceCreate(unit_id=unit, starts_at=end, ends_at=T0))
    with pytest.raises(ValueError, match="UTC offset"):  # the schema itself refuses it (a 422 at the API edge)
        MaintenanceCreate(unit_id=unit, starts_at=datetime(2027, 3, 1, 8), ends_at=datetime(2027, 3, 2))
    with pytest.raises(InvalidInput, match="is not in this company"):
        await schedules.create_maintenance(
            tenant, MaintenanceCreate(unit_id=unit, starts_at=T0, ends_at=end, technician_id=outsider)
        )
    window = await schedules.create_maintenance(tenant, MaintenanceCreate(unit_id=unit, starts_at=T0, ends_at=end))
    with pytest.raises(NotFound):  # another company's window does not exist for them
        await schedules.get_maintenance(other, window.id)
    with pytest.raises(NotFound):
        await schedules.delete_maintenance(other, window.id)


async def test_delivery_runs_are_planned_moved_and_removed() -> None:
    tenant, other = await make_tenant(), await make_tenant()
    product, _ = await make_product(tenant)
    driver, _ = await make_staff(tenant, "driver")
    manager, _ = await make_staff(tenant, "manager")
    technician, _ = await make_staff(tenant, "technician")
    booking = await bookings.create_booking(
        tenant,
        BookingCreate(
            product_id=product,
            starts_at=T0,
            ends_at=T0 + timedelta(days=2),
            customer=CustomerIn(name="Ada", email="ada@example.test"),
        ),
    )
    run = await schedules.create_delivery(
        tenant,
        DeliveryCreate(
            booking_id=booking.id,
            kind="delivery",
            starts_at=T0 - timedelta(hours=2),
            ends_at=T0 - timedelta(hours=1),
            address="1 Site Rd",
            driver_id=driver,
        ),
    )
    assert (run.kind, run.address, run.driver_id, run.route_order) == ("delivery", "1 Site Rd", driver, 0)
    with pytest.raises(InvalidInput, match="is not a driver"):
        await schedules.update_delivery(tenant, run.id, DeliveryUpdate(driver_id=technician))
    moved = await schedules.update_delivery(
        tenant,
        run.id,
        DeliveryUpdate(ends_at=T0, address="2 Other St", route_order=3, driver_id=manager),
    )
    assert (moved.address, moved.route_order, moved.driver_id) == ("2 Other St", 3, manager)  # managers may drive
    assert moved.ends_at == T0.astimezone(UTC) and moved.starts_at == run.starts_at
    assert await schedules.get_delivery(tenant, run.id) == moved

    with pytest.raises(NotFound):
        await schedules.get_delivery(other, run.id)
    with pytest.raises(NotFound):
        await schedules.delete_delivery(other, run.id)
    with pytest.raises(InvalidInput, match="unknown booking_id"):
        await schedules.create_delivery(
            other,
            DeliveryCreate(
                booking_id=booking.id, kind="pickup", starts_at=T0, ends_at=T0 + timedelta(hours=1), address="x"
            ),
        )
    with pytest.raises(InvalidInput, match="ends_at must be after starts_at"):
        await schedules.update_delivery(tenant, run.id, DeliveryUpdate(starts_at=T0 + timedelta(hours=5)))

    await schedules.delete_delivery(tenant, run.id)
    with pytest.raises(NotFound):
        await schedules.get_delivery(tenant, run.id)
    assert await topics(tenant, "delivery", run.id) == ["delivery.created", "delivery.updated", "delivery.deleted"]
