"""The requests inbox: website requests waiting for staff, accepted (on a unit, with a person) or declined.

A website request is a booking created with a hold (`hold_until`); staff answering it clears the hold.
Declining records the reason in the outbox with the cancellation, in one transaction, so the customer's
mail (calendars.mail) always carries it and is sent once.
"""

from __future__ import annotations

from msgspec import UNSET

from rental import availability, bookings, outbox
from rental.errors import Conflict, InvalidInput
from rental.schemas import Booking, BookingUpdate
from rental.statuses import REQUEST_WAITING
from rental.tables import Booking as BookingTable
from rental.tenants import Tenant

REASON_MAX = 1000


def _waiting(tenant: Tenant) -> object:
    return (
        (BookingTable.company == tenant.id)
        & BookingTable.hold_until.is_not_null()
        & BookingTable.status.is_in(list(REQUEST_WAITING))
    )


async def open_requests(tenant: Tenant, limit: int = 200) -> list[Booking]:
    """Requests still waiting for an answer, oldest first."""
    rows = await BookingTable.select(BookingTable.id).where(_waiting(tenant)).order_by(BookingTable.id).limit(limit)  # type: ignore[arg-type]
    return [await bookings.get_booking(tenant, r["id"]) for r in rows]


async def count_open(tenant: Tenant) -> int:
    return int(await BookingTable.count().where(_waiting(tenant)))  # type: ignore[arg-type]


async def unit_choices(tenant: Tenant, request: Booking) -> list[int]:
    """The request's own unit first, then the product's other units free for its times."""
    free = await availability.free_units(tenant, request.product_id, request.starts_at, request.ends_at)
    return [request.unit_id, *[u for u in free if u != request.unit_id]]


async def _waiting_request(tenant: Tenant, booking_id: int) -> Booking:
    request = await bookings.get_booking(tenant, booking_id)
    if request.hold_until is None or request.status not in REQUEST_WAITING:
        raise Conflict(f"request {booking_id} was already answered (it is {request.status})")
    return request


async def accept(tenant: Tenant, booking_id: int, unit_id: int | None, staff_id: int | None) -> Booking:
    """Confirm a request, on `unit_id` (None: the unit it holds) and assigned to `staff_id`."""
    request = await _waiting_request(tenant, booking_id)
    if request.status == "unverified":
        raise Conflict(f"request {booking_id} waits for the customer to confirm their e-mail address")
    update = BookingUpdate(
        status="confirmed",
        unit_id=UNSET if unit_id is None or unit_id == request.unit_id else unit_id,
        assigned_staff_id=staff_id,
    )
    return await bookings.update_booking(tenant, booking_id, update)


async def decline(tenant: Tenant, booking_id: int, reason: str) -> Booking:
    """Cancel a request; the customer is mailed the reason."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("please give the customer a reason")
    if len(reason) > REASON_MAX:
        raise InvalidInput(f"the reason is longer than {REASON_MAX} characters")
    await _waiting_request(tenant, booking_id)
    async with BookingTable._meta.db.transaction():
        declined = await bookings.update_booking(tenant, booking_id, BookingUpdate(status="cancelled"))
        await outbox.record(tenant.id, "request.declined", booking_id, {"reason": reason})
    return declined
