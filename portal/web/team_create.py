"""Create a booking from an empty cell of the team calendar: the form starts on that day, unit and person.

The booking is made by rental.bookings.create_booking, as on the bookings page; a refusal (a clash answers
409) is shown inside the form with what was typed kept, and nothing is created."""

from __future__ import annotations

from datetime import date, datetime

import msgspec

from portal.web.bookings import BookingForm
from rental import availability, catalogue
from rental.errors import InvalidInput
from rental.handover import DEFAULT_CLOSING, DEFAULT_OPENING
from rental.tenants import Tenant


class NewBooking(msgspec.Struct):
    """The create form as typed (local wall-clock times), plus the grid to show afterwards."""

    unit_id: str = ""
    starts_at: str = ""
    ends_at: str = ""
    customer_name: str = ""
    customer_email: str = ""
    customer_phone: str = ""
    status: str = "confirmed"
    assigned_staff_id: str = ""
    confirm_past: str = ""
    view: str = "week"
    by: str = "unit"
    from_: str = msgspec.field(default="", name="from")
    product: str = ""
    unit: str = ""
    person: str = ""
    kind: str = ""


async def blank_form(tenant: Tenant, day: date, unit_id: int | None, staff_id: int | None) -> NewBooking:
    """A form for `day`, from opening to closing time (the company's default hours when closed that day)."""
    opening, closing = (await availability.opening_hours(tenant)).on(day) or (DEFAULT_OPENING, DEFAULT_CLOSING)
    return NewBooking(
        unit_id=str(unit_id or ""),
        starts_at=datetime.combine(day, opening).strftime("%Y-%m-%dT%H:%M"),
        ends_at=datetime.combine(day, closing).strftime("%Y-%m-%dT%H:%M"),
        assigned_staff_id=str(staff_id or ""),
    )


async def booking_form(tenant: Tenant, typed: NewBooking) -> BookingForm:
    """What the bookings page's form would hold: the product is the chosen unit's."""
    units = {str(u["id"]): u for u in await catalogue.list_units(tenant)}
    unit = units.get(typed.unit_id)
    if unit is None:
        raise InvalidInput("choose a unit")
    return BookingForm(
        product_id=str(unit["product"]),
        unit_id=typed.unit_id,
        starts_at=typed.starts_at,
        ends_at=typed.ends_at,
        customer_name=typed.customer_name,
        customer_email=typed.customer_email,
        customer_phone=typed.customer_phone,
        status=typed.status,
        assigned_staff_id=typed.assigned_staff_id,
        confirm_past=typed.confirm_past,
    )


def cell_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("choose a day in the calendar") from None
