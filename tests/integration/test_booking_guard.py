"""The database itself refuses double bookings and overlaps with maintenance."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from rental import bookings
from rental.errors import Conflict, InvalidInput
from rental.schemas import BookingCreate, BookingUpdate, CustomerIn
from rental.tables import Booking, Customer, MaintenanceSchedule, Outbox
from tests.factories import make_product, make_tenant

LA = ZoneInfo("America/Los_Angeles")
T0 = datetime(2027, 2, 1, 8, tzinfo=LA)


def request(product: int, start: datetime, days: int = 2, unit: int | None = None) -> BookingCreate:
    return BookingCreate(
        product_id=product,
        unit_id=unit,
        starts_at=start,
        ends_at=start + timedelta(days=days),
        customer=CustomerIn(name="Ada", email="ada@example.test"),
    )


async def raw_booking(
    tenant_id: int, product: int, unit: int, customer: int, start: datetime, status: str = "confirmed"
) -> None:
    await Booking.insert(
        Booking(
            company=tenant_id,
            product=product,
            unit=unit,
            customer=customer,
            starts_at=start,
            ends_at=start + timedelta(days=1),
            status=status,
        )
    )


async def test_overlapping_rows_are_refused_by_postgres_itself() -> None:
    tenant = await make_tenant()
    product, (unit, _) = await make_product(tenant)
    customer = (await Customer.insert(Customer(company=tenant.id, name="X", email="x@x.test")).returning(Customer.id))[
        0
    ]["id"]
    await raw_booking(tenant.id, product, unit, customer, T0)
    with pytest.raises(asyncpg.ExclusionViolationError):
        await raw_booking(tenant.id, product, unit, customer, T0 + timedelta(hours=12))
    # a cancelled booking occupies nothing; back-to-back bookings are fine ([) ranges)
    await raw_booking(tenant.id, product, unit, customer, T0 + timedelta(hours=12), status="cancelled")
    await raw_booking(tenant.id, product, unit, customer, T0 + timedelta(days=1))
    with pytest.raises(asyncpg.ExclusionViolationError):
        await MaintenanceSchedule.insert(
            MaintenanceSchedule(company=tenant.id, unit=unit, starts_at=T0, ends_at=T0 + timedelta(hours=2))
        )


async def test_service_picks_a_free_unit_then_reports_what_it_clashed_with() -> None:
    tenant = await make_tenant()
    product, units = await make_product(tenant, units=2)
    first = await bookings.create_booking(tenant, request(product, T0))
    second = await bookings.create_booking(tenant, request(product, T0))
    assert {first.unit_id, second.unit_id} == set(units)
    with pytest.raises(Conflict) as caught:
        await bookings.create_booking(tenant, request(product, T0 + timedelta(hours=3)))
    assert "no unit is free" in caught.value.detail
    assert {c["id"] for c in caught.value.extra["clashes"]} == {first.id, second.id}


async def test_maintenance_makes_the_unit_unavailable_for_booking() -> None:
    tenant = await make_tenant()
    product, (unit,) = await make_product(tenant, units=1)
    await MaintenanceSchedule.insert(
        MaintenanceSchedule(
            company=tenant.id, unit=unit, starts_at=T0, ends_at=T0 + timedelta(hours=4), description="oil"
        )
    )
    with pytest.raises(Conflict) as caught:
        await bookings.create_booking(tenant, request(product, T0 - timedelta(hours=1), days=1))
    assert caught.value.extra["clashes"][0]["kind"] == "maintenance"


async def test_move_keeps_unit_or_switches_to_a_free_one() -> None:
    tenant = await make_tenant()
    product, units = await make_product(tenant, units=2)
    a = await bookings.create_booking(tenant, request(product, T0, unit=units[0]))
    b = await bookings.create_booking(tenant, request(product, T0 + timedelta(days=5), unit=units[1]))
    moved = await bookings.update_booking(
        tenant, b.id, BookingUpdate(starts_at=T0 + timedelta(days=1), ends_at=T0 + timedelta(days=2))
    )
    assert moved.unit_id == units[1] and moved.sequence == b.sequence + 1
    # move b onto a's unit explicitly: refused with a conflict naming booking a
    with pytest.raises(Conflict) as caught:
        await bookings.update_booking(tenant, b.id, BookingUpdate(unit_id=units[0]))
    assert caught.value.extra["clashes"][0]["id"] == a.id


async def test_status_rules_and_cancel_frees_the_unit() -> None:
    tenant = await make_tenant()
    product, _ = await make_product(tenant, units=1)
    booking = await bookings.create_booking(tenant, request(product, T0))
    with pytest.raises(Conflict, match="cannot go from confirmed to returned"):
        await bookings.update_booking(tenant, booking.id, BookingUpdate(status="returned"))
    cancelled = await bookings.cancel_booking(tenant, booking.id)
    assert cancelled.status == "cancelled" and cancelled.sequence == booking.sequence + 1
    again = await bookings.create_booking(tenant, request(product, T0))
    assert again.unit_id == booking.unit_id
    with pytest.raises(Conflict, match="can no longer be changed"):
        await bookings.update_booking(tenant, booking.id, BookingUpdate(starts_at=T0 + timedelta(days=30)))


async def test_each_change_and_its_outbox_record_commit_together() -> None:
    tenant = await make_tenant()
    product, _ = await make_product(tenant, units=1)
    booking = await bookings.create_booking(tenant, request(product, T0))
    await bookings.update_booking(tenant, booking.id, BookingUpdate(ends_at=T0 + timedelta(days=3)))
    await bookings.cancel_booking(tenant, booking.id)
    rows = await Outbox.select(Outbox.topic).where(Outbox.aggregate_id == booking.id).order_by(Outbox.id)
    assert [r["topic"] for r in rows] == ["booking.created", "booking.updated", "booking.cancelled"]
    # a refused change writes nothing at all
    before = await Outbox.count().where(Outbox.company == tenant.id)
    with pytest.raises(InvalidInput):
        await bookings.create_booking(tenant, request(product, T0, days=-1))
    assert await Outbox.count().where(Outbox.company == tenant.id) == before
