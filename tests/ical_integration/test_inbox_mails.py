"""The requests inbox and staff notifications on real parts (PostgreSQL, the outbox, the SMTP sink): a website
request is acknowledged to the customer and announced to the managers once; accepting puts it on the chosen unit
with a person; declining mails the reason; a change from a calendar refused or applied notifies the item's person
and the managers (portal list and e-mail), once per event."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage

import pytest

from calendars.ical_tables import BookingMail
from calendars.mail import request_notices, staff_notices
from calendars.mail import sending as mailer
from calendars.providers.base import RemoteEvent
from calendars.sync import store
from calendars.tables import CalendarIntegration, CalendarTarget, StaffNotification
from rental import bookings, holds, outbox, requests
from rental.errors import Conflict, InvalidInput
from rental.schemas import BookingCreate, CustomerIn
from rental.tables import Booking, Outbox
from rental.tenants import Tenant
from tests.factories import make_product, make_staff, make_tenant
from tests.ical_integration.helpers import unique_email
from tests.ical_integration.sink import mails_to, wait_for_mails


async def website_request(tenant: Tenant, product: int, email: str, days_ahead: int = 20) -> int:
    day = datetime.now(tenant.tz).date() + timedelta(days=days_ahead)
    created = await bookings.create_booking(
        tenant,
        BookingCreate(
            product_id=product,
            starts_at=datetime.combine(day, time(9), tzinfo=tenant.tz),
            ends_at=datetime.combine(day + timedelta(days=1), time(17), tzinfo=tenant.tz),
            customer=CustomerIn(name="Robin Request", email=email),
            status="pending",
        ),
        hold_until=holds.hold_until(),
    )
    return created.id


async def run_handlers(company_id: int, aggregate_id: int, prefix: str = "") -> list[int]:
    """What the worker's outbox handlers do with the item's events (a worker may have done it already: both
    are idempotent); then send what is queued. Returns the mail ids recorded by this call."""
    rows = await Outbox.select(Outbox.id).where(
        (Outbox.company == company_id) & (Outbox.aggregate_id == aggregate_id) & Outbox.topic.like(f"{prefix}%")
    )
    recorded: list[int] = []
    for row in rows:
        event = await outbox.load(row["id"])
        assert event is not None
        recorded += await request_notices.handle_request_event(event)
        recorded += await staff_notices.handle_staff_event(event)
    queued = await BookingMail.select(BookingMail.id).where(
        (BookingMail.company == company_id) & (BookingMail.status == "queued")
    )
    for mail in queued:
        await mailer.deliver(mail["id"])
    return recorded


async def test_a_request_is_acknowledged_announced_and_accepted_on_the_chosen_unit() -> None:
    tenant = await make_tenant()
    product, units = await make_product(tenant, units=2, name="Scissor lift")
    _, manager_email = await make_staff(tenant, "manager")
    driver, driver_email = await make_staff(tenant, "driver")
    customer = unique_email("inbox")
    booking_id = await website_request(tenant, product, customer)

    first = await run_handlers(tenant.id, booking_id)
    assert len(first) == 2  # the customer's acknowledgment and the one manager's notice; not the driver
    assert await run_handlers(tenant.id, booking_id) == []  # a retried event records nothing more
    (ack,) = await wait_for_mails(customer, 1, settle=0.5)
    assert ack["Subject"] == f"We received your request #{booking_id} for Scissor lift"
    assert "We hold the dates for you until" in ack.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    (notice,) = await wait_for_mails(manager_email, 1, settle=0.5)
    assert notice["Subject"] == f"New website request: Booking {booking_id}"
    body = notice.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Robin Request asks for Scissor lift" in body
    assert f"/portal/bookings/{booking_id}" in body
    assert mails_to(driver_email) == []

    assert await requests.count_open(tenant) == 1
    held = await bookings.get_booking(tenant, booking_id)
    other_unit = next(u for u in units if u != held.unit_id)
    assert await requests.unit_choices(tenant, held) == [held.unit_id, other_unit]
    accepted = await requests.accept(tenant, booking_id, other_unit, driver)
    assert (accepted.status, accepted.unit_id, accepted.assigned_staff_id) == ("confirmed", other_unit, driver)
    assert accepted.hold_until is None
    assert await requests.count_open(tenant) == 0
    with pytest.raises(Conflict, match="already answered"):
        await requests.accept(tenant, booking_id, None, None)


async def test_declining_needs_a_reason_and_mails_it_to_the_customer_once() -> None:
    tenant = await make_tenant()
    product, _ = await make_product(tenant, units=1, name="Tile saw")
    customer = unique_email("decline")
    booking_id = await website_request(tenant, product, customer, days_ahead=30)
    with pytest.raises(InvalidInput, match="reason"):
        await requests.decline(tenant, booking_id, "   ")
    assert (await bookings.get_booking(tenant, booking_id)).status == "pending"  # nothing half-written

    declined = await requests.decline(tenant, booking_id, "Both saws are away for repair that week.")
    assert declined.status == "cancelled"
    await run_handlers(tenant.id, booking_id)
    await run_handlers(tenant.id, booking_id)
    mails = await wait_for_mails(customer, 2, settle=0.5)
    (sorry,) = [m for m in mails if "could not be accepted" in m["Subject"]]
    assert sorry["Subject"] == f"Your request #{booking_id} for Tile saw could not be accepted"
    assert "Why: Both saws are away for repair that week." in sorry.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    with pytest.raises(Conflict):
        await requests.decline(tenant, booking_id, "again")


async def _target(tenant: Tenant, owner: int) -> store.Target:
    integration = await CalendarIntegration.insert(
        CalendarIntegration(company=tenant.id, user=owner, provider="google", account_email="m@example.test")
    ).returning(CalendarIntegration.id)
    row = await CalendarTarget.insert(
        CalendarTarget(company=tenant.id, integration=integration[0]["id"], external_id="primary", name="Work")
    ).returning(CalendarTarget.id)
    target = await store.target(row[0]["id"])
    assert target is not None
    return target


async def _until(read: Callable[[], Awaitable[int]], wanted: int, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while (found := await read()) != wanted:
        assert asyncio.get_running_loop().time() < deadline, f"{found} instead of {wanted}"
        await asyncio.sleep(0.05)


async def _mails_about(address: str, subject: str) -> list[EmailMessage]:
    """The mails to `address` whose subject starts so (others, e.g. about the request itself, may arrive too)."""

    def about() -> list[EmailMessage]:
        return [m for m in mails_to(address) if str(m["Subject"]).startswith(subject)]

    await _until(lambda: _count(about()), 1)
    await asyncio.sleep(0.5)  # a duplicate would arrive meanwhile
    return about()


async def _count(found: list[EmailMessage]) -> int:
    return len(found)


async def test_a_refused_or_applied_calendar_change_notifies_the_person_and_the_managers() -> None:
    tenant = await make_tenant()
    product, _ = await make_product(tenant, units=1, name="Trencher")
    manager, manager_email = await make_staff(tenant, "manager")
    driver, driver_email = await make_staff(tenant, "driver")
    _, tech_email = await make_staff(tenant, "technician")
    booking_id = await website_request(tenant, product, unique_email("moved"), days_ahead=40)
    await Booking.update({Booking.assigned_staff: driver, Booking.hold_until: None}).where(Booking.id == booking_id)
    target = await _target(tenant, manager)
    wanted = datetime.now(UTC).replace(microsecond=0) + timedelta(days=41)
    remote = RemoteEvent(id="ev1", etag="1", status="confirmed", starts_at=wanted, ends_at=wanted + timedelta(hours=5))
    key = f"booking:{booking_id}"

    await store.record_conflict(target, key, "move_refused", "no unit is free: Trencher 1 …", remote)
    (conflict_event,) = await Outbox.select(Outbox.aggregate_id).where(
        (Outbox.company == tenant.id) & (Outbox.topic == "calendar.change_refused")
    )
    # a worker of another test in this session may handle the event first: the outcome is the same
    await run_handlers(tenant.id, conflict_event["aggregate_id"], "calendar.")
    assert await run_handlers(tenant.id, conflict_event["aggregate_id"], "calendar.") == []  # once per event
    for address in (manager_email, driver_email):
        (mail,) = await _mails_about(address, "A change from a calendar")
        assert mail["Subject"] == f"A change from a calendar was refused: Booking {booking_id}"
        body = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "could not follow (no unit is free)" in body and "Trencher 1" not in body
    assert mails_to(tech_email) == []
    assert await staff_notices.count_unread(driver) == 1
    (listed,) = await staff_notices.notifications_of(driver)
    assert listed.kind == "change_refused" and listed.link == f"/portal/bookings/{booking_id}"

    await store.record_applied(target, key, remote)
    await run_handlers(tenant.id, booking_id, "calendar.")
    await _until(lambda: staff_notices.count_unread(driver), 2)
    newest = (await staff_notices.notifications_of(driver))[0]
    assert newest.kind == "change_applied" and "Rentcal applied the move" in newest.message
    assert await staff_notices.mark_read(driver, newest.id) == 1
    assert await staff_notices.count_unread(driver) == 1
    assert await staff_notices.mark_read(driver) == 1
    assert await staff_notices.count_unread(driver) == 0
    changes = StaffNotification.kind.is_in(["change_refused", "change_applied"])  # (not the request's own notice)
    assert await StaffNotification.count().where((StaffNotification.staff == manager) & changes) == 2
