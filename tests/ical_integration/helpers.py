"""Bookings for the iCalendar tests: through the service (with outbox) or quietly (without)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from icalendar import Calendar

from calendars.mail import records
from calendars.mail.records import MailRecord
from rental import bookings
from rental.schemas import Booking, BookingCreate, CustomerIn
from rental.tables import Booking as BookingTable
from rental.tables import Customer
from rental.tenants import Tenant

LA = ZoneInfo("America/Los_Angeles")


def unique_email(prefix: str = "cust") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.test"


async def booking_via_service(
    tenant: Tenant,
    product: int,
    start: datetime,
    end: datetime,
    *,
    status: str = "confirmed",
    email: str | None = None,
    name: str = "Alex Builder",
    **extra: object,
) -> Booking:
    """Created like the API does: the outbox row is written, so a running worker reacts."""
    return await bookings.create_booking(
        tenant,
        BookingCreate(
            product_id=product,
            starts_at=start,
            ends_at=end,
            status=status,  # type: ignore[arg-type]
            customer=CustomerIn(name=name, email=email or unique_email()),
            **extra,
        ),
    )  # type: ignore[arg-type]


async def quiet_booking(
    tenant: Tenant,
    product: int,
    unit: int,
    start: datetime,
    end: datetime,
    *,
    status: str = "confirmed",
    email: str | None = None,
    name: str = "Alex Builder",
    staff: int | None = None,
    pickup_location: str = "Yard 1, 100 Main St",
) -> Booking:
    """Inserted directly: no outbox row, so no worker sends anything for it on its own."""
    customer = await Customer.insert(
        Customer(company=tenant.id, name=name, email=email or unique_email(), phone="+1 555 0199")
    ).returning(Customer.id)
    row = await BookingTable.insert(
        BookingTable(
            company=tenant.id,
            product=product,
            unit=unit,
            customer=customer[0]["id"],
            assigned_staff=staff,
            starts_at=start,
            ends_at=end,
            status=status,
            pickup_location=pickup_location,
        )
    ).returning(BookingTable.id)
    return await bookings.get_booking(tenant, row[0]["id"])


def invite_parts(message: EmailMessage) -> tuple[str, Calendar]:
    """(the text/calendar part's method parameter, its parsed VCALENDAR)."""
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            calendar = Calendar.from_ical(part.get_payload(decode=True))  # type: ignore[arg-type]
            assert isinstance(calendar, Calendar)
            return str(part.get_param("method")), calendar
    raise AssertionError("no text/calendar part")


async def wait_for_status(mail_id: int, *statuses: str, timeout: float = 30.0) -> MailRecord:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        record = await records.get_mail(mail_id)
        if record is not None and record.status in statuses:
            return record
        assert asyncio.get_running_loop().time() < deadline, record
        await asyncio.sleep(0.1)
