"""Every reader of the schedule agrees with the read model: the subscription feed, the items pushed to
provider calendars, the reminders and the team calendar show the same work, in every booking status."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from calendars.feeds.content import Scope as FeedScope
from calendars.feeds.content import feed_events, fingerprint
from calendars.mail.reminders import candidates
from calendars.sync.busy import staff_busy
from calendars.sync.items import items_for_staff, load_items
from rental import blocks, bookings, schedules, timeline
from rental.schemas import BlockCreate, BookingCreate, BookingUpdate, CustomerIn, DeliveryCreate, MaintenanceCreate
from rental.statuses import CONFIRMED_AHEAD
from rental.tables import Booking
from tests.factories import make_product, make_staff, make_tenant

ALL_KINDS = {"bookings", "maintenance", "deliveries"}


async def test_feeds_pushes_reminders_and_the_team_view_read_the_same_schedule() -> None:
    tenant = await make_tenant()
    product, units = await make_product(tenant, units=6, name="Scissor lift")
    manager, _ = await make_staff(tenant, "manager")
    driver, _ = await make_staff(tenant, "driver")
    tech, _ = await make_staff(tenant, "technician")
    start = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    made: dict[str, int] = {}
    for n, status in enumerate(["pending", "confirmed", "picked_up", "returned", "cancelled", "expired"]):
        booking = await bookings.create_booking(tenant, BookingCreate(
            product_id=product, unit_id=units[n], starts_at=start + timedelta(hours=n),
            ends_at=start + timedelta(days=1, hours=n), assigned_staff_id=manager,
            status="pending" if status == "pending" else "confirmed", customer=CustomerIn(
                name=f"Robin {status.title()}", email=f"{status}@example.test", phone="+1 555 0101")))  # fmt: skip
        await schedules.create_delivery(tenant, DeliveryCreate(
            booking_id=booking.id, kind="delivery", starts_at=booking.starts_at - timedelta(hours=2),
            ends_at=booking.starts_at, address=f"{n} Main St", driver_id=driver, route_order=n))  # fmt: skip
        if status in ("picked_up", "returned"):
            await bookings.update_booking(tenant, booking.id, BookingUpdate(status="picked_up"))
        if status == "returned":
            await bookings.update_booking(tenant, booking.id, BookingUpdate(status="returned"))
        if status == "cancelled":
            await bookings.cancel_booking(tenant, booking.id)
        if status == "expired":
            await Booking.update({Booking.status: "expired"}).where(Booking.id == booking.id)
        made[status] = booking.id
    service = await schedules.create_maintenance(tenant, MaintenanceCreate(
        unit_id=units[0], starts_at=start + timedelta(days=2), ends_at=start + timedelta(days=2, hours=3),
        description="Hydraulics", technician_id=tech))  # fmt: skip
    await blocks.create_block(tenant, BlockCreate(
        blocked_from=start + timedelta(days=4), blocked_until=start + timedelta(days=4, hours=8), reason="Stocktake",
        confirm=True))  # fmt: skip

    first, last = (
        start.astimezone(tenant.tz).date() - timedelta(days=1),
        start.astimezone(tenant.tz).date() + timedelta(days=6),
    )
    schedule = await timeline.entries(tenant, first, last)
    work = {e.key for e in schedule if e.kind != "block"}
    shown = {made[s] for s in ("pending", "confirmed", "picked_up", "returned")}
    assert {e.id for e in schedule if e.kind == "booking"} == shown
    assert {e.booking_id for e in schedule if e.kind == "delivery"} == shown  # a delivery follows its booking
    assert f"maintenance:{service.id}" in work

    window = timeline.window(tenant, first, last)
    feed = FeedScope(tenant.id, tenant.tz.key, "feeds.test", window, bookings="all", deliveries="all",
                     maintenance="all", blocks="company")  # fmt: skip
    uids = {e.uid.split("@")[0] for e in await feed_events(feed)}
    assert {uid.replace("-", ":", 1) for uid in uids if not uid.startswith("block")} == work
    assert [e.summary for e in await feed_events(feed) if e.uid.startswith("block")] == ["Stocktake"]

    since = window[0]
    everything = await items_for_staff(tenant.id, manager, ALL_KINDS, True, since)
    assert {i.key for i in everything} == {e.key for e in schedule if e.kind == "booking"}
    assert {i.key for i in await items_for_staff(tenant.id, driver, ALL_KINDS, False, since)} == {
        e.key for e in schedule if e.kind == "delivery" and e.staff_id == driver
    }
    assert {i.key for i in await items_for_staff(tenant.id, tech, ALL_KINDS, False, since)} == {
        f"maintenance:{service.id}"
    }
    # the single-item loader (used for every change) says the same about what calendars show
    every_key = [f"booking:{i}" for i in made.values()] + [f"maintenance:{service.id}"]
    loaded = await load_items(every_key)
    assert {key for key, item in loaded.items() if item.visible} == work & set(every_key)
    assert not loaded[f"booking:{made['cancelled']}"].visible and "booking:0" not in await load_items(["booking:0"])

    due = [c for c in await candidates(start - timedelta(hours=1), timedelta(days=3)) if c.company_id == tenant.id]
    assert {c.booking_id for c in due} == {
        e.id for e in schedule if e.kind == "booking" and e.status in CONFIRMED_AHEAD
    }
    assert {c.customer_email for c in due} == {"confirmed@example.test", "picked_up@example.test"}

    # a change any reader shows changes the feed's fingerprint (its 304s) too
    before = await fingerprint(feed)
    await bookings.update_booking(tenant, made["confirmed"], BookingUpdate(pickup_location="Gate 2"))
    assert await fingerprint(feed) != before

    # the booking form's "may not be available" warning reads it too: active work only, said for people
    busy = await staff_busy(
        manager, start - timedelta(hours=1), start + timedelta(days=2), ignore_booking=made["confirmed"]
    )
    assert sorted(busy.clashes) == sorted(
        f"booking #{made[s]}, Scissor lift for Robin {s.title()} ({e})"
        for s, e in (("pending", _span(start, 0)), ("picked_up", _span(start, 2)))
    )
    driving = await staff_busy(
        driver, start - timedelta(days=1), start + timedelta(days=2), ignore_booking=made["pending"]
    )
    assert len(driving.clashes) == 2 and all(c.startswith("Delivery · Robin ") for c in driving.clashes)
    assert not any("Cancelled" in c or "Expired" in c or "Pending" in c for c in driving.clashes)


def _span(start: datetime, hours: int) -> str:
    """How the warning writes a booking of the test (a day long, starting `hours` after `start`), in LA time."""
    tz = ZoneInfo("America/Los_Angeles")
    begins, ends = (
        (start + timedelta(hours=hours)).astimezone(tz),
        (start + timedelta(days=1, hours=hours)).astimezone(tz),
    )
    return f"{begins:%a %d %b %H:%M}–{ends:%a %d %b %H:%M}"
