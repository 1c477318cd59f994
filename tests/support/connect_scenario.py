"""The schedule of the "connect while notifications are live" scenarios, shared by every provider's tests:
a manager with 104 bookings on two units, a driver with 36 deliveries, and 8 bookings made during the connect."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from calendars.sync import locks
from calendars.tables import CalendarEvent, CalendarIntegration, CalendarTarget
from rental import bookings, schedules
from rental.schemas import BookingCreate, CustomerIn, DeliveryCreate
from rental.tables import Outbox
from rental.tenants import Tenant
from tests.factories import make_product, make_staff, make_tenant

LA = ZoneInfo("America/Los_Angeles")


async def book(tenant: Tenant, product: int, staff: int, start: datetime, name: str) -> int:
    booking = await bookings.create_booking(
        tenant,
        BookingCreate(
            product_id=product,
            starts_at=start,
            ends_at=start + timedelta(hours=20),
            customer=CustomerIn(name=name, email=f"{name.lower().replace(' ', '.')}@example.test"),
            assigned_staff_id=staff,
        ),
    )
    return booking.id


async def full_sync_done(integration_id: int) -> bool:
    row = (
        await CalendarIntegration.select(CalendarIntegration.last_synced_at)
        .where(CalendarIntegration.id == integration_id)
        .first()
    )
    return row is not None and row["last_synced_at"] is not None


async def sync_settled(company_id: int, integration_ids: list[int], mapped: dict[str, set[str]]) -> str | None:
    """What the worker still has to do for these integrations, or None once nothing is left: every outbox row
    of the company handled, no full sync asked for, no write waiting to be tried again, each of `mapped`'s
    keys (by calendar id) recorded as synced, and no lock held nor read asked for on their calendars. A
    worker killed mid-run leaves rows, flags or locks behind until the work is redone, so this also waits
    for that, without guessing how long it takes."""
    unhandled = await Outbox.count().where((Outbox.company == company_id) & Outbox.processed_at.is_null())
    if unhandled:
        return f"{unhandled} outbox rows not handled"
    full = await CalendarIntegration.count().where(
        CalendarIntegration.id.is_in(integration_ids) & CalendarIntegration.full_sync_requested_at.is_not_null()
    )
    if full:
        return f"{full} full syncs asked for"
    due = await CalendarEvent.raw("SELECT count(*) AS n FROM sync_due WHERE integration = ANY({})", integration_ids)
    if due[0]["n"]:
        return f"{due[0]['n']} writes due again"
    targets = await CalendarTarget.select(CalendarTarget.id, CalendarTarget.external_id).where(
        CalendarTarget.integration.is_in(integration_ids)
    )
    for target in targets:
        keys = mapped.get(target["external_id"], set())
        synced = await CalendarEvent.select(CalendarEvent.item_key).where(
            (CalendarEvent.target == target["id"]) & (CalendarEvent.state == "synced")
        )
        if missing := keys - {row["item_key"] for row in synced}:
            return f"{len(missing)} items not recorded as synced in {target['external_id']}"
        client = locks.redis()
        if held := [name async for name in client.scan_iter(f"rentcal:sync-lock:{target['id']}:*")]:
            return f"{len(held)} sync locks held on {target['external_id']}"
        if await client.exists(f"rentcal:inbound-pending:{target['id']}", f"rentcal:inbound-scheduled:{target['id']}"):
            return f"a read of {target['external_id']} is asked for"
    return None


@dataclass
class ConnectSchedule:
    tenant: Tenant
    product: int
    manager_id: int
    manager_email: str
    driver_id: int
    driver_email: str
    first: datetime  # the first booking's start
    booking_ids: list[int]
    delivery_ids: list[int]

    async def bookings_during_the_connect(self, count: int = 8) -> list[int]:
        """Bookings made while the connect runs (after half a second), 80 days on."""
        await asyncio.sleep(0.5)
        start = self.first + timedelta(days=80)
        return [
            await book(self.tenant, self.product, self.manager_id, start + timedelta(days=i), f"Late {i}")
            for i in range(count)
        ]


async def connect_schedule(bookings_count: int = 104, deliveries_count: int = 36) -> ConnectSchedule:
    """A new company whose manager holds `bookings_count` bookings and whose driver the first
    `deliveries_count` bookings' deliveries, starting the day after tomorrow at 08:00 in Los Angeles."""
    tenant = await make_tenant()
    manager_id, manager_email = await make_staff(tenant, "manager")
    driver_id, driver_email = await make_staff(tenant, "driver")
    product, _ = await make_product(tenant, units=2)
    first = datetime.now(LA).replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(days=2)
    booking_ids = [
        await book(tenant, product, manager_id, first + timedelta(days=i // 2), f"Cust {i}")
        for i in range(bookings_count)
    ]
    delivery_ids = []
    for i, booking_id in enumerate(booking_ids[:deliveries_count]):
        start = first + timedelta(days=i // 2, hours=-2)
        delivery = await schedules.create_delivery(
            tenant,
            DeliveryCreate(
                booking_id=booking_id,
                kind="delivery",
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                address=f"{i} Main St",
                driver_id=driver_id,
                route_order=i,
            ),
        )
        delivery_ids.append(delivery.id)
    return ConnectSchedule(
        tenant, product, manager_id, manager_email, driver_id, driver_email, first, booking_ids, delivery_ids
    )
