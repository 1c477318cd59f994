"""Booking changes beyond times and status: places, notes, staff, units of the product, closures,
no-op updates (no new SEQUENCE, nothing for calendars) and cancelling twice."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from rental import blocks, bookings
from rental.errors import Conflict, InvalidInput
from rental.schemas import BlockCreate, BookingCreate, BookingUpdate, CustomerIn
from rental.tables import Outbox
from tests.factories import make_product, make_staff, make_tenant

LA = ZoneInfo("America/Los_Angeles")
T0 = datetime(2027, 4, 5, 8, tzinfo=LA)  # a Monday


def create(product: int, **extra: object) -> BookingCreate:
    return BookingCreate(
        product_id=product,
        starts_at=T0,
        ends_at=T0 + timedelta(days=1),
        customer=CustomerIn(name="Ada", email="ada@example.test"),
        **extra,  # type: ignore[arg-type]
    )


async def booking_topics(booking_id: int) -> list[tuple[str, list[str]]]:
    rows = (
        await Outbox.select(Outbox.topic, Outbox.payload)
        .where((Outbox.aggregate_id == booking_id) & Outbox.topic.like("booking.%"))
        .order_by(Outbox.id)
    )
    payloads = [json.loads(r["payload"]) if isinstance(r["payload"], str) else r["payload"] for r in rows]
    return [(r["topic"], payload.get("changes", [])) for r, payload in zip(rows, payloads, strict=True)]


async def test_places_notes_and_staff_change_with_the_right_significance() -> None:
    tenant, other = await make_tenant(), await make_tenant()
    product, _ = await make_product(tenant)
    driver, _ = await make_staff(tenant, "driver")
    outsider, _ = await make_staff(other, "driver")
    with pytest.raises(InvalidInput, match=f"assigned_staff_id {outsider} is not a member of this company"):
        await bookings.create_booking(tenant, create(product, assigned_staff_id=outsider))
    booking = await bookings.create_booking(tenant, create(product))

    noted = await bookings.update_booking(tenant, booking.id, BookingUpdate(notes="bring the trailer"))
    assert noted.notes == "bring the trailer" and noted.sequence == booking.sequence  # notes are not news

    placed = await bookings.update_booking(
        tenant, booking.id, BookingUpdate(pickup_location="Yard 2", assigned_staff_id=driver)
    )
    assert (placed.pickup_location, placed.assigned_staff_id) == ("Yard 2", driver)
    assert placed.sequence == booking.sequence + 1

    same = await bookings.update_booking(tenant, booking.id, BookingUpdate(pickup_location="Yard 2"))
    assert same == placed  # nothing changed: no write, no outbox row
    assert await booking_topics(booking.id) == [
        ("booking.created", []),
        ("booking.updated", []),
        ("booking.updated", ["place", "staff"]),
    ]

    cancelled = await bookings.cancel_booking(tenant, booking.id)
    assert cancelled.status == "cancelled"
    assert await bookings.cancel_booking(tenant, booking.id) == cancelled  # twice: still one cancellation
    assert [t for t, _ in await booking_topics(booking.id)].count("booking.cancelled") == 1


async def test_units_must_belong_to_the_product_and_closures_refuse_a_move() -> None:
    tenant = await make_tenant()
    product, [unit, _] = await make_product(tenant)
    _, [foreign_unit] = await make_product(tenant, units=1, name="Lift")
    with pytest.raises(InvalidInput, match=f"unit {foreign_unit} is not a unit of product {product}"):
        await bookings.create_booking(tenant, create(product, unit_id=foreign_unit))
    booking = await bookings.create_booking(tenant, create(product, unit_id=unit))

    sunday = T0 + timedelta(days=6)
    await blocks.create_block(
        tenant,
        BlockCreate(blocked_from=sunday.replace(hour=0), blocked_until=sunday.replace(hour=23), reason="Closed"),
    )
    with pytest.raises(Conflict, match="no pickup on Sun 2027-04-11: Closed"):
        await bookings.update_booking(
            tenant, booking.id, BookingUpdate(starts_at=sunday, ends_at=sunday + timedelta(hours=4))
        )
    unchanged = await bookings.get_booking(tenant, booking.id)
    assert unchanged.starts_at == booking.starts_at
