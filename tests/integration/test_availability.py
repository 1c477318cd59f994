"""The availability service over real rows: bookings, maintenance, blocks, DST."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from rental import availability, blocks, bookings
from rental.errors import InvalidInput, NotFound
from rental.schemas import BlockCreate, BookingCreate, CustomerIn
from rental.tables import MaintenanceSchedule
from tests.factories import make_product, make_tenant

LA = ZoneInfo("America/Los_Angeles")


def at(d: date, hour: int = 0) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=LA)


async def book(tenant, product, start, end, unit=None):  # type: ignore[no-untyped-def]
    return await bookings.create_booking(
        tenant,
        BookingCreate(
            product_id=product,
            unit_id=unit,
            starts_at=start,
            ends_at=end,
            customer=CustomerIn(name="Bo", email="bo@example.test"),
        ),
    )


async def test_day_statuses_from_bookings_maintenance_and_blocks() -> None:
    tenant = await make_tenant()
    product, (u1, u2) = await make_product(tenant, units=2)
    d = date(2027, 4, 5)
    await book(
        tenant, product, at(d + timedelta(days=1)), at(d + timedelta(days=2)), unit=u1
    )  # day 1: one unit whole day
    await book(
        tenant, product, at(d + timedelta(days=2), 9), at(d + timedelta(days=2), 12), unit=u1
    )  # day 2 partial u1
    await MaintenanceSchedule.insert(
        MaintenanceSchedule(
            company=tenant.id, unit=u2, starts_at=at(d + timedelta(days=2)), ends_at=at(d + timedelta(days=3))
        )
    )
    await book(tenant, product, at(d + timedelta(days=3)), at(d + timedelta(days=4)), unit=u1)
    await book(tenant, product, at(d + timedelta(days=3)), at(d + timedelta(days=4)), unit=u2)
    await blocks.create_block(
        tenant,
        BlockCreate(
            blocked_from=at(d + timedelta(days=4)), blocked_until=at(d + timedelta(days=5)), reason="Inventory day"
        ),
    )
    days = await availability.available_dates(tenant, product, d, d + timedelta(days=5))
    assert [(x.status, x.available_units) for x in days] == [
        ("available", 2),
        ("available", 1),
        ("partial", 0),
        ("unavailable", 0),
        ("closed", 0),
        ("available", 2),
    ]
    assert days[4].reason == "Inventory day"


async def test_product_and_unit_blocks() -> None:
    tenant = await make_tenant()
    product, (u1, u2) = await make_product(tenant, units=2)
    other, _ = await make_product(tenant, units=1, name="Lift")
    d = date(2027, 5, 3)
    await blocks.create_block(
        tenant,
        BlockCreate(blocked_from=at(d), blocked_until=at(d + timedelta(days=1)), reason="Recall", product_id=product),
    )
    await blocks.create_block(
        tenant,
        BlockCreate(
            blocked_from=at(d + timedelta(days=1)), blocked_until=at(d + timedelta(days=2)), reason="Repair", unit_id=u1
        ),
    )
    days = await availability.available_dates(tenant, product, d, d + timedelta(days=1))
    # product and unit block-outs make the equipment unavailable (they are no closure of the shop)
    assert [(x.status, x.reason, x.available_units) for x in days] == [
        ("unavailable", None, 0),
        ("available", None, 1),
    ]
    other_days = await availability.available_dates(tenant, other, d, d)
    assert other_days[0].status == "available"  # a product block covers only that product
    assert not await availability.is_available(tenant, product, at(d, 10), at(d, 12))
    assert await availability.free_units(
        tenant, product, at(d + timedelta(days=1), 10), at(d + timedelta(days=1), 12)
    ) == [u2]


async def test_recurring_sunday_closure_across_dst() -> None:
    tenant = await make_tenant()
    product, _ = await make_product(tenant, units=1)
    await blocks.create_block(
        tenant,
        BlockCreate(
            blocked_from=at(date(2027, 1, 3)),
            blocked_until=at(date(2027, 1, 4)),
            reason="Closed on Sundays",
            rrule="FREQ=WEEKLY;BYDAY=SU",
        ),
    )
    days = await availability.available_dates(tenant, product, date(2027, 3, 13), date(2027, 3, 15))  # DST: Mar 14
    assert [x.status for x in days] == ["available", "closed", "available"]
    assert days[1].reason == "Closed on Sundays"


async def test_booking_over_the_dst_night_counts_whole_day() -> None:
    tenant = await make_tenant()
    product, _ = await make_product(tenant, units=1)
    await book(tenant, product, at(date(2027, 3, 14)), at(date(2027, 3, 15)))  # 23 hours, the whole local day
    days = await availability.available_dates(tenant, product, date(2027, 3, 13), date(2027, 3, 15))
    assert [x.status for x in days] == ["available", "unavailable", "available"]


async def test_tenant_isolation_and_range_rules() -> None:
    tenant, stranger = await make_tenant(), await make_tenant()
    product, _ = await make_product(tenant)
    with pytest.raises(NotFound):
        await availability.available_dates(stranger, product, date(2027, 1, 1), date(2027, 1, 2))
    with pytest.raises(InvalidInput):
        await availability.available_dates(tenant, product, date(2027, 1, 2), date(2027, 1, 1))
    with pytest.raises(InvalidInput):
        await availability.available_dates(tenant, product, date(2027, 1, 1), date(2028, 6, 1))
