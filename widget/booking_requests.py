"""Booking requests from the widget: checked against the range rules, stored as `pending` with a hold
that expires (rental.holds), or `unverified` until the customer clicks the e-mail link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import msgspec

from rental import audit, availability, bookings, catalogue, holds
from rental.handover import Limits, Refusal, ReturnOption
from rental.schemas import Booking, BookingCreate, CustomerIn
from rental.tenants import Tenant
from rentcal import contacts
from rentcal.settings import get_settings
from widget import ranges
from widget.public import business_hours, company_today, ensure_public

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
    """Field name -> message key in widget.i18n, by the rules the API applies (rentcal.contacts)."""
    checks = {
        "name": (contacts.person_name, "name_invalid" if form.name.strip() else "name_required"),
        "email": (contacts.email_address, "email_invalid"),
        "phone": (lambda value: contacts.one_line(value, "phone number", 40), "phone_too_long"),
    }
    errors: dict[str, str] = {}
    for field, (check, key) in checks.items():
        try:
            check(getattr(form, field))
        except contacts.ContactError:
            errors[field] = key
    return errors


async def widget_limits(tenant: Tenant, product_id: int) -> Limits:
    """Earliest pickup (the next opening after now plus RENTCAL_WIDGET_LEAD_HOURS) and the product's lengths."""
    lead = timedelta(hours=get_settings().widget_lead_hours)
    product = await catalogue.get_product(tenant, product_id)
    longest = min(product.max_rental_days or ranges.MAX_DAYS, ranges.MAX_DAYS)
    return Limits(earliest=datetime.now(UTC) + lead, min_days=product.min_rental_days, max_days=longest)


async def return_days(tenant: Tenant, product_id: int, pickup: date) -> tuple[Refusal | None, list[ReturnOption]]:
    """What the widget offers once a pickup day is chosen: the domain's answer for each return day."""
    await ensure_public(tenant, product_id)
    limits = await widget_limits(tenant, product_id)
    last = pickup + timedelta(days=limits.max_days - 1)
    return await availability.return_options(tenant, product_id, pickup, last, limits)


def unchecked_window(tenant: Tenant, selection: ranges.Selection, hours: dict[str, object]) -> Window:
    starts_at, ends_at = ranges.pickup_and_return(selection, tenant.tz, hours)
    return Window(selection, starts_at, ends_at)


async def check_window(tenant: Tenant, product_id: int, selection: ranges.Selection) -> Window:
    """Apply the range rules to live availability; raises ranges.RangeError."""
    ranges.check_selection(selection, company_today(tenant))
    refusal, options = await return_days(tenant, product_id, selection.pickup)
    if refusal is not None:
        raise ranges.refusal_error(refusal)
    ranges.check_return(options, selection)
    starts_at, ends_at = ranges.pickup_and_return(selection, tenant.tz, await business_hours(tenant))
    return Window(selection, starts_at, ends_at)


async def request_booking(tenant: Tenant, product_id: int, window: Window, form: RequestForm) -> Booking:
    """A pending booking for a checked window; rental.errors.Conflict when the dates were just taken."""
    customer = CustomerIn(name=form.name, email=form.email, phone=form.phone)  # trimmed and normalised there
    audit.set_actor(audit.Actor(customer.name, "widget"))
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
        # held for RENTCAL_REQUEST_HOLD_HOURS; in the e-mail confirmation mode that time is for the link
        hold_until=holds.hold_until(),
        unverified=get_settings().request_email_confirmation,
    )
