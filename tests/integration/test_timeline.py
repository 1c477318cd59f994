"""The schedule read model over the real database, and PATCH semantics (missing = unchanged, null = unassign)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from rental import blocks, bookings, schedules, timeline
from rental.schemas import (
    BlockCreate,
    BookingCreate,
    BookingUpdate,
    CustomerIn,
    DeliveryCreate,
    DeliveryUpdate,
    MaintenanceCreate,
    MaintenanceUpdate,
)
from tests.factories import make_product, make_staff, make_tenant

LA = ZoneInfo("America/Los_Angeles")


async def test_entries_cover_every_kind_expand_recurring_blocks_and_scope_by_person() -> None:
    tenant = await make_tenant()
    product, units = await make_product(tenant, units=2, name="Boom lift")
    driver, _ = await make_staff(tenant, "driver")
    tech, _ = await make_staff(tenant, "technician")
    start = datetime(2027, 3, 1, 9, tzinfo=LA)  # a Monday
    booking = await bookings.create_booking(tenant, BookingCreate(
        product_id=product, unit_id=units[0], starts_at=start, ends_at=start + timedelta(days=2),
        customer=CustomerIn(name="Dana Driver", email="dana@example.test", phone="+1 555 0100")))  # fmt: skip
    gone = await bookings.create_booking(tenant, BookingCreate(
        product_id=product, unit_id=units[1], starts_at=start, ends_at=start + timedelta(hours=3),
        customer=CustomerIn(name="Gone", email="gone@example.test")))  # fmt: skip
    await bookings.cancel_booking(tenant, gone.id)
    maintenance = await schedules.create_maintenance(tenant, MaintenanceCreate(
        unit_id=units[1], starts_at=start + timedelta(days=1), ends_at=start + timedelta(days=1, hours=4),
        description="Oil change", technician_id=tech))  # fmt: skip
    delivery = await schedules.create_delivery(tenant, DeliveryCreate(
        booking_id=booking.id, kind="delivery", starts_at=start - timedelta(hours=2), ends_at=start,
        address="1 Main St", driver_id=driver, route_order=2))  # fmt: skip
    await blocks.create_block(tenant, BlockCreate(
        blocked_from=datetime(2027, 1, 6, tzinfo=LA), blocked_until=datetime(2027, 1, 7, tzinfo=LA),
        reason="Team day", rrule="FREQ=WEEKLY;BYDAY=WE", confirm=True))  # fmt: skip
    await blocks.create_block(tenant, BlockCreate(
        blocked_from=start, blocked_until=start + timedelta(days=5), reason="Vacation", staff_id=driver))  # fmt: skip

    found = await timeline.entries(tenant, date(2027, 3, 1), date(2027, 3, 7))
    keys = [(e.kind, e.id) for e in found]
    assert ("booking", booking.id) in keys and ("booking", gone.id) not in keys
    assert ("maintenance", maintenance.id) in keys and ("delivery", delivery.id) in keys
    team_day = [e for e in found if e.label == "Team day"]
    assert [e.starts_at.astimezone(LA) for e in team_day] == [datetime(2027, 3, 3, tzinfo=LA)]
    assert team_day[0].status == "closed" and team_day[0].unit_id is None
    run = next(e for e in found if e.kind == "delivery")
    assert (run.unit_id, run.product_name, run.staff_id, run.address, run.phone, run.route_order) == (
        units[0], "Boom lift", driver, "1 Main St", "+1 555 0100", 2)  # fmt: skip
    assert found == sorted(found, key=lambda e: (e.starts_at, e.kind, e.id))

    mine = await timeline.entries(tenant, date(2027, 3, 1), date(2027, 3, 7), timeline.Scope(staff_ids=[driver]))
    assert {(e.kind, e.label) for e in mine} == {("delivery", "Delivery · Dana Driver"), ("block", "Vacation")}
    units_only = timeline.Scope(unit_ids=[units[1]], kinds=["maintenance", "booking"])
    assert [e.key for e in await timeline.entries(tenant, date(2027, 3, 1), date(2027, 3, 7), units_only)] == [
        f"maintenance:{maintenance.id}"
    ]


async def test_patch_leaves_missing_fields_and_clears_null_people() -> None:
    tenant = await make_tenant()
    product, units = await make_product(tenant, units=1)
    manager, _ = await make_staff(tenant, "manager")
    tech, _ = await make_staff(tenant, "technician")
    driver, _ = await make_staff(tenant, "driver")
    start = datetime(2027, 4, 5, 9, tzinfo=LA)
    booking = await bookings.create_booking(tenant, BookingCreate(
        product_id=product, starts_at=start, ends_at=start + timedelta(hours=5), assigned_staff_id=manager,
        customer=CustomerIn(name="Pat", email="pat@example.test"), notes="gate 4"))  # fmt: skip
    kept = await bookings.update_booking(tenant, booking.id, BookingUpdate(pickup_location="Yard"))
    assert (kept.assigned_staff_id, kept.notes, kept.pickup_location) == (manager, "gate 4", "Yard")
    cleared = await bookings.update_booking(tenant, booking.id, BookingUpdate(assigned_staff_id=None))
    assert cleared.assigned_staff_id is None and cleared.sequence > kept.sequence

    job = await schedules.create_maintenance(tenant, MaintenanceCreate(
        unit_id=units[0], starts_at=start + timedelta(days=1), ends_at=start + timedelta(days=1, hours=2),
        technician_id=tech, description="Check"))  # fmt: skip
    assert (await schedules.update_maintenance(tenant, job.id, MaintenanceUpdate(description="Check 2"))).technician_id
    assert (
        await schedules.update_maintenance(tenant, job.id, MaintenanceUpdate(technician_id=None))
    ).technician_id is None

    run = await schedules.create_delivery(tenant, DeliveryCreate(
        booking_id=booking.id, kind="pickup", starts_at=start, ends_at=start + timedelta(hours=1), address="A",
        driver_id=driver))  # fmt: skip
    assert (await schedules.update_delivery(tenant, run.id, DeliveryUpdate(route_order=3))).driver_id == driver
    assert (await schedules.update_delivery(tenant, run.id, DeliveryUpdate(driver_id=None))).driver_id is None


async def test_a_shift_keeps_wall_clock_across_dst_and_work_cannot_leave_its_unit() -> None:
    from rental import moves
    from rental.errors import InvalidInput

    tenant = await make_tenant()
    product, units = await make_product(tenant, units=2)
    start = datetime(2027, 3, 13, 9, tzinfo=LA)  # the day before clocks go forward
    booking = await bookings.create_booking(tenant, BookingCreate(
        product_id=product, unit_id=units[0], starts_at=start, ends_at=start + timedelta(hours=8),
        customer=CustomerIn(name="Dee", email="dee@example.test")))  # fmt: skip
    before, after = await moves.move(tenant, "booking", booking.id, moves.Move(shift_minutes=1440, unit_id=units[1]))
    assert (before.starts_at, before.unit_id) == (booking.starts_at, units[0])
    assert after.starts_at.astimezone(LA) == datetime(2027, 3, 14, 9, tzinfo=LA) and after.unit_id == units[1]
    assert after.ends_at - after.starts_at == timedelta(hours=8)
    job = await schedules.create_maintenance(tenant, MaintenanceCreate(
        unit_id=units[0], starts_at=start + timedelta(days=3), ends_at=start + timedelta(days=3, hours=1)))  # fmt: skip
    try:
        await moves.move(tenant, "maintenance", job.id, moves.Move(unit_id=units[1]))
        raise AssertionError("maintenance moved to another unit")
    except InvalidInput as exc:
        assert "stays with its unit" in exc.detail
