"""Booking requests from the widget: checked against the range rules, stored as `pending`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import msgspec

from rental import bookings
from rental.schemas import Booking, BookingCreate, CustomerIn
from rental.tenants import Tenant
from widget import ranges
from widget.public import business_hours, company_today, public_days

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NOTE = "Requested through the website widget."


class RequestForm(msgspec.Struct):
    """The posted widget form (URL-encoded); everything a string so bad input gets a friendly message."""

    token: str = ""
    pickup: str = ""
    return_date: str = msgspec.field(default="", name="return")
    name: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Window:
    selection: ranges.Selection
    starts_at: datetime
    ends_at: datetime


def contact_errors(form: RequestForm) -> dict[str, str]:
    """Field name -> message key in widget.i18n."""
    errors: dict[str, str] = {}
    if not form.name.strip() or len(form.name.strip()) > 200:
        errors["name"] = "name_required"
    if not _EMAIL.match(form.email.strip()) or len(form.email.strip()) > 254:
        errors["email"] = "email_invalid"
    if len(form.phone.strip()) > 40:
        errors["phone"] = "phone_too_long"
    return errors


async def check_window(tenant: Tenant, product_id: int, selection: ranges.Selection) -> Window:
    """Apply the range rules to live availability; raises ranges.RangeError."""
    ranges.check_selection(selection, company_today(tenant))
    starts_at, ends_at = ranges.pickup_and_return(selection, tenant.tz, await business_hours(tenant))
    days = await public_days(tenant, product_id, selection.pickup, selection.return_date)
    ranges.check_days(selection, {d.day: d.status for d in days})
    return Window(selection, starts_at, ends_at)


async def request_booking(tenant: Tenant, product_id: int, window: Window, form: RequestForm) -> Booking:
    """A pending booking for a checked window; rental.errors.Conflict when the dates were just taken."""
    customer = CustomerIn(name=form.name.strip(), email=form.email.strip(), phone=form.phone.strip())
    return await bookings.create_booking(
        tenant,
        BookingCreate(
            product_id=product_id,
            starts_at=window.starts_at,
            ends_at=window.ends_at,
            customer=customer,
            status="pending",
            notes=NOTE,
        ),
    )
