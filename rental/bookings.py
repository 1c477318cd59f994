"""Booking rules: create, move, change status, cancel. The database guards overlaps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import asyncpg
from msgspec import UNSET, UnsetType

from rental import audit, availability, customers, outbox
from rental.errors import Conflict, InvalidInput, NotFound
from rental.handover import Refusal
from rental.schemas import Booking, BookingCreate, BookingUpdate, Customer
from rental.statuses import ACTIVE, FINISHED
from rental.tables import Booking as BookingTable
from rental.tables import Product, StaffUser, Unit
from rental.tenants import Tenant

T = TypeVar("T")

TRANSITIONS: dict[str, set[str]] = {
    "unverified": {"confirmed", "cancelled"},  # a website request waiting for its e-mail link
    "pending": {"confirmed", "cancelled"},
    "confirmed": {"pending", "picked_up", "cancelled"},
    "picked_up": {"returned"},
    "returned": set(),
    "cancelled": set(),
    "expired": set(),  # a website request whose hold ran out (rental.holds)
}
# A pickup typed as "now" is a few minutes old when it arrives: only older times need confirm_past.
PAST_GRACE = timedelta(minutes=5)

_SELECT = """
SELECT b.id, b.product AS product_id, p.name AS product_name, b.unit AS unit_id, u.name AS unit_name,
       b.status, b.starts_at, b.ends_at, b.customer AS customer_id, b.customer_name,
       b.customer_email, b.customer_phone, b.pickup_location, b.return_location,
       b.assigned_staff AS assigned_staff_id, b.notes, b.sequence, b.created_at, b.updated_at, b.hold_until
FROM booking b
JOIN product p ON p.id = b.product
JOIN unit u ON u.id = b.unit
WHERE b.company = {}
"""


def _to_schema(row: dict[str, Any]) -> Booking:
    return Booking(
        id=row["id"],
        product_id=row["product_id"],
        product_name=row["product_name"],
        unit_id=row["unit_id"],
        unit_name=row["unit_name"],
        status=row["status"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        customer=Customer(
            id=row["customer_id"],
            name=row["customer_name"],
            email=row["customer_email"],
            phone=row["customer_phone"],
        ),
        pickup_location=row["pickup_location"],
        return_location=row["return_location"],
        assigned_staff_id=row["assigned_staff_id"],
        notes=row["notes"],
        sequence=row["sequence"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        hold_until=row["hold_until"],
    )


def _require_aware(name: str, value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{name} must be an RFC 3339 date-time with a UTC offset, e.g. 2026-12-01T09:00:00-08:00")
    return value.astimezone(UTC)


def given(value: T | UnsetType, current: T) -> T:
    """A PATCH field's new value, or the current one when the field was not sent."""
    return current if value is UNSET else value


def _check_window(starts_at: datetime, ends_at: datetime) -> tuple[datetime, datetime]:
    start = _require_aware("starts_at", starts_at)
    end = _require_aware("ends_at", ends_at)
    if end <= start:
        raise InvalidInput("ends_at must be after starts_at")
    return start, end


def _check_past(tenant: Tenant, what: str, value: datetime, confirmed: bool) -> None:
    """A time in the past needs the staff member's explicit confirmation (confirm_past)."""
    if confirmed or value >= datetime.now(UTC) - PAST_GRACE:
        return
    raise Conflict(
        f"the {what} ({value.astimezone(tenant.tz):%a %Y-%m-%d %H:%M}) is in the past; "
        'send "confirm_past": true to record it anyway',
        needs="confirm_past",
        past=what,  # pickup | return: for the portal's own sentence
        at=value.isoformat(),
    )


async def get_booking(tenant: Tenant, booking_id: int) -> Booking:
    rows = await BookingTable.raw(_SELECT + " AND b.id = {}", tenant.id, booking_id)
    if not rows:
        raise NotFound(f"booking {booking_id} not found")
    return _to_schema(rows[0])


async def list_bookings(
    tenant: Tenant,
    *,
    first: date | None = None,
    last: date | None = None,
    status: str | None = None,
    limit: int = 500,
) -> list[Booking]:
    sql = _SELECT
    args: list[Any] = [tenant.id]
    if first is not None:
        sql += " AND b.ends_at > {}"
        args.append(availability.day_bounds(first, tenant.tz)[0])
    if last is not None:
        sql += " AND b.starts_at < {}"
        args.append(availability.day_bounds(last, tenant.tz)[1])
    if status:
        sql += " AND b.status = {}"
        args.append(status)
    sql += " ORDER BY b.starts_at, b.id LIMIT {}"
    args.append(limit)
    return [_to_schema(r) for r in await BookingTable.raw(sql, *args)]


async def _staff_id(tenant: Tenant, staff_id: int | None) -> int | None:
    if staff_id is None:
        return None
    row = (
        await StaffUser.select(StaffUser.id)
        .where((StaffUser.id == staff_id) & (StaffUser.company == tenant.id))
        .first()
    )
    if row is None:
        raise InvalidInput(f"assigned_staff_id {staff_id} is not a member of this company")
    return staff_id


async def describe_clashes(tenant: Tenant, unit_ids: list[int], start: datetime, end: datetime) -> list[dict[str, Any]]:
    """What occupies these units in the window (ids and times only: no personal data)."""
    rows = await BookingTable.raw(
        """
        SELECT o.unit AS unit_id, u.name AS unit_name, o.booking AS booking_id,
               o.maintenance AS maintenance_id, lower(o.during) AS starts_at, upper(o.during) AS ends_at
        FROM unit_occupancy o JOIN unit u ON u.id = o.unit
        WHERE o.company = {} AND o.unit = ANY({}) AND o.during && tstzrange({}, {}, '[)')
        ORDER BY lower(o.during) LIMIT 10
        """,
        tenant.id,
        unit_ids,
        start,
        end,
    )
    return [
        {
            "unit_id": r["unit_id"],
            "unit_name": r["unit_name"],
            "kind": "booking" if r["booking_id"] else "maintenance",
            "id": r["booking_id"] or r["maintenance_id"],
            "starts_at": r["starts_at"].astimezone(tenant.tz).isoformat(),
            "ends_at": r["ends_at"].astimezone(tenant.tz).isoformat(),
        }
        for r in rows
    ]


def describe_refusal(tenant: Tenant, refusal: Refusal) -> str:
    """The broken handover rule in words, with the local date."""
    day = f"{refusal.day:%a %Y-%m-%d}"
    if refusal.code == "no_pickup_that_day":
        return f"no pickup on {day}: {refusal.reason}"
    if refusal.code == "no_return_that_day":
        return f"no return on {day}: {refusal.reason}"
    what = "pickup" if refusal.code == "pickup_outside_hours" else "return"
    return f"the {what} on {day} is outside business hours"


async def _check_handover(tenant: Tenant, product_id: int, start: datetime, end: datetime) -> None:
    refusal = await availability.handover_refusal(tenant, product_id, start, end)
    if refusal is not None:
        raise Conflict(
            describe_refusal(tenant, refusal),
            clashes=[
                {"kind": "closure", "rule": refusal.code, "date": refusal.day.isoformat(), "reason": refusal.reason}
            ],
        )


async def _conflict(tenant: Tenant, product_id: int, unit_ids: list[int], start: datetime, end: datetime) -> Conflict:
    clashes = await describe_clashes(tenant, unit_ids, start, end)
    parts = [f"{c['unit_name']} has {c['kind']} {c['id']} from {c['starts_at']} to {c['ends_at']}" for c in clashes]
    detail = "no unit is free for the requested time"
    if parts:
        detail += ": " + "; ".join(parts)
    return Conflict(detail, clashes=clashes)


async def _unit_of_product(tenant: Tenant, product_id: int, unit_id: int) -> None:
    unit = (
        await Unit.select(Unit.id)
        .where((Unit.id == unit_id) & (Unit.product == product_id) & (Unit.company == tenant.id))
        .first()
    )
    if unit is None:
        raise InvalidInput(f"unit {unit_id} is not a unit of product {product_id}")


async def _check_product_active(product_id: int) -> None:
    row = await Product.select(Product.name, Product.active).where(Product.id == product_id).first()
    if row is not None and not row["active"]:
        raise Conflict(
            f"{row['name']} is deactivated and takes no new bookings; a manager can reactivate it under Settings"
        )


async def create_booking(
    tenant: Tenant, data: BookingCreate, *, hold_until: datetime | None = None, unverified: bool = False
) -> Booking:
    """A booking on a free unit. Website requests pass `hold_until` (the hold expires then) and,
    when they wait for the customer's e-mail link, `unverified` (holding nothing until it is clicked)."""
    start, end = _check_window(data.starts_at, data.ends_at)
    _check_past(tenant, "pickup", start, data.confirm_past)
    status = "unverified" if unverified else data.status
    try:
        all_units = await availability.product_units(tenant, data.product_id)
    except NotFound:
        raise InvalidInput(f"unknown product_id {data.product_id}") from None
    await _check_product_active(data.product_id)
    staff_id = await _staff_id(tenant, data.assigned_staff_id)
    await _check_handover(tenant, data.product_id, start, end)
    if data.unit_id is not None:
        await _unit_of_product(tenant, data.product_id, data.unit_id)
        candidates = (
            [data.unit_id] if data.unit_id in await availability.free_units(tenant, data.product_id, start, end) else []
        )
    else:
        candidates = await availability.free_units(tenant, data.product_id, start, end)
    for unit_id in candidates:
        try:
            async with BookingTable._meta.db.transaction():
                customer_id = await customers.customer_for(
                    tenant, data.customer.name, data.customer.email, data.customer.phone
                )
                rows = await BookingTable.insert(
                    BookingTable(
                        company=tenant.id,
                        product=data.product_id,
                        unit=unit_id,
                        customer=customer_id,
                        # the name and contact given with this booking, whatever the record says later
                        customer_name=data.customer.name,
                        customer_email=data.customer.email,
                        customer_phone=data.customer.phone,
                        assigned_staff=staff_id,
                        starts_at=start,
                        ends_at=end,
                        status=status,
                        hold_until=hold_until,
                        pickup_location=data.pickup_location,
                        return_location=data.return_location,
                        notes=data.notes,
                    )
                ).returning(BookingTable.id)
                booking_id = int(rows[0]["id"])
                await outbox.record(
                    tenant.id, "booking.created", booking_id, {"status": status, "request": hold_until is not None}
                )
                await audit.record(
                    tenant.id, booking_id, "created", {"status": (None, status), "unit": (None, unit_id)}
                )
        except asyncpg.ExclusionViolationError:
            continue  # another request took this unit a moment ago; try the next one
        return await get_booking(tenant, booking_id)
    raise await _conflict(tenant, data.product_id, [data.unit_id] if data.unit_id else all_units, start, end)


async def update_booking(tenant: Tenant, booking_id: int, data: BookingUpdate) -> Booking:
    current = await get_booking(tenant, booking_id)
    finished = current.status in FINISHED
    moves = any(v is not UNSET for v in (data.starts_at, data.ends_at, data.unit_id))
    status = current.status if data.status is UNSET else data.status
    if finished and (moves or status != current.status):
        raise Conflict(f"booking {booking_id} is {current.status} and can no longer be changed")
    start, end = _check_window(given(data.starts_at, current.starts_at), given(data.ends_at, current.ends_at))
    if status != current.status and status not in TRANSITIONS[current.status]:
        raise Conflict(f"a booking cannot go from {current.status} to {status}")
    changes: dict[Any, Any] = {}
    significant: list[str] = []
    if (start, end) != (current.starts_at, current.ends_at):
        if start != current.starts_at:
            _check_past(tenant, "pickup", start, data.confirm_past)
        if end != current.ends_at:
            _check_past(tenant, "return", end, data.confirm_past)
        changes[BookingTable.starts_at] = start
        changes[BookingTable.ends_at] = end
        significant.append("times")
    if status != current.status:
        changes[BookingTable.status] = status
        changes[BookingTable.hold_until] = None  # staff decided: a website request's hold no longer runs out
        significant.append("status")
    for field, column in (
        ("pickup_location", BookingTable.pickup_location),
        ("return_location", BookingTable.return_location),
        ("notes", BookingTable.notes),
    ):
        value = getattr(data, field)
        if value is not UNSET and value != getattr(current, field):
            changes[column] = value
            if field != "notes":
                significant.append("place")
    if data.customer is not UNSET:
        given_customer = (data.customer.name, data.customer.email, data.customer.phone)
        if given_customer != (current.customer.name, current.customer.email, current.customer.phone):
            changes[BookingTable.customer] = await customers.customer_for(tenant, *given_customer)
            changes[BookingTable.customer_name], changes[BookingTable.customer_email] = given_customer[:2]
            changes[BookingTable.customer_phone] = given_customer[2]
            significant.append("customer")  # invitations and calendar events carry the name
    if data.assigned_staff_id is not UNSET and data.assigned_staff_id != current.assigned_staff_id:
        changes[BookingTable.assigned_staff] = await _staff_id(tenant, data.assigned_staff_id)
        significant.append("staff")
    units = [current.unit_id]
    if data.unit_id is not UNSET and data.unit_id != current.unit_id:
        await _unit_of_product(tenant, current.product_id, data.unit_id)
        units = [data.unit_id]
    elif "times" in significant and status in ACTIVE:
        # Keep the unit when it stays free; otherwise move to another free unit of the product.
        free = await availability.free_units(tenant, current.product_id, start, end)
        units = [current.unit_id, *[u for u in free if u != current.unit_id]]
    if "times" in significant and status in ACTIVE:
        await _check_handover(tenant, current.product_id, start, end)
    if not changes and units == [current.unit_id]:
        return current
    for unit_id in units:
        try:
            async with BookingTable._meta.db.transaction():
                values = dict(changes)
                values[BookingTable.unit] = unit_id
                values[BookingTable.updated_at] = datetime.now(UTC)
                if significant or unit_id != current.unit_id:
                    values[BookingTable.sequence] = BookingTable.sequence + 1
                await BookingTable.update(values).where(
                    (BookingTable.id == booking_id) & (BookingTable.company == tenant.id)
                )
                topic = "booking.cancelled" if status == "cancelled" else "booking.updated"
                await outbox.record(tenant.id, topic, booking_id, {"changes": significant, "status": status})
                await audit.record(tenant.id, booking_id, "updated", _differences(current, values, unit_id))
        except asyncpg.ExclusionViolationError:
            continue
        return await get_booking(tenant, booking_id)
    raise await _conflict(tenant, current.product_id, units, start, end)


AUDITED: dict[str, str] = {  # column name -> the field people read in the history
    "starts_at": "pickup",
    "ends_at": "return",
    "status": "status",
    "pickup_location": "pickup location",
    "return_location": "return location",
    "notes": "notes",
    "assigned_staff": "assigned staff",
    "customer_name": "customer name",
    "customer_email": "customer e-mail",
    "customer_phone": "customer phone",
}


def _differences(current: Booking, values: dict[Any, Any], unit_id: int) -> dict[str, tuple[Any, Any]]:
    before = {
        "starts_at": current.starts_at, "ends_at": current.ends_at, "status": current.status,
        "pickup_location": current.pickup_location, "return_location": current.return_location,
        "notes": current.notes, "assigned_staff": current.assigned_staff_id, "customer_name": current.customer.name,
        "customer_email": current.customer.email, "customer_phone": current.customer.phone,
    }  # fmt: skip
    found = {
        AUDITED[column._meta.name]: (before[column._meta.name], value)
        for column, value in values.items()
        if column._meta.name in AUDITED and before[column._meta.name] != value
    }
    if unit_id != current.unit_id:
        found["unit"] = (current.unit_id, unit_id)
    return found


async def cancel_booking(tenant: Tenant, booking_id: int) -> Booking:
    current = await get_booking(tenant, booking_id)
    if current.status == "cancelled":
        return current
    return await update_booking(tenant, booking_id, BookingUpdate(status="cancelled"))
