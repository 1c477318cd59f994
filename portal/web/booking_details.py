"""A booking's page: edit unit, customer details, assignee, locations and notes; its history from the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect

from portal.deps import PORTAL_DEPENDENCIES
from portal.guards import MANAGERS, SIGNED_IN
from portal.web.bookings import CUSTOMER_FIELD_HELP
from portal.web.filters import localdt
from portal.web.forms import optional_int
from rental import audit, bookings, catalogue
from rental.accounts import Staff, staff_of_company
from rental.errors import DomainError, InvalidInput
from rental.schemas import BookingUpdate
from rental.tenants import Tenant


class DetailsForm(msgspec.Struct):
    unit_id: str = ""
    customer_name: str = ""
    customer_email: str = ""
    customer_phone: str = ""
    assigned_staff_id: str = ""  # empty: nobody
    pickup_location: str = ""
    return_location: str = ""
    notes: str = ""


def to_update(form: DetailsForm) -> BookingUpdate:
    fields = {
        "customer": {
            "name": form.customer_name.strip(),
            "email": form.customer_email.strip(),
            "phone": form.customer_phone.strip(),
        },
        "pickup_location": form.pickup_location.strip(),
        "return_location": form.return_location.strip(),
        "notes": form.notes.replace("\r\n", "\n").strip(),
        "assigned_staff_id": optional_int(form.assigned_staff_id),
    }
    unit = optional_int(form.unit_id)
    if unit is not None:
        fields["unit_id"] = unit
    try:
        return msgspec.convert(fields, BookingUpdate)
    except msgspec.ValidationError as exc:
        message, _, where = str(exc).partition(" - at `$.")
        where = where.rstrip("`")
        field = where.removeprefix("customer.")
        if where == "customer":  # the contact rule refused it, in words for people
            raise InvalidInput(message) from None
        if where.startswith("customer."):
            raise InvalidInput(CUSTOMER_FIELD_HELP.get(field, "check the customer's details")) from None
        raise InvalidInput(f"{field.replace('_', ' ')}: too long or not allowed") from None


class HistoryLine(msgspec.Struct):
    at: datetime
    who: str
    via: str
    what: list[str]


async def history_lines(tenant: Tenant, booking_id: int) -> list[HistoryLine]:
    """The audit trail in words: local times, unit and staff names instead of ids."""
    units = {u["id"]: f"{u['product_name']} · {u['name']}" for u in await catalogue.list_units(tenant)}
    people = {p.id: p.name for p in await staff_of_company(tenant.id)}

    def shown(field: str, value: Any) -> str:
        if value in (None, ""):
            return "nothing" if field == "assigned staff" else "empty"
        if field == "unit":
            return units.get(value, "a removed unit")
        if field == "assigned staff":
            return people.get(value, "a former staff member")
        if field in ("pickup", "return"):
            return localdt(datetime.fromisoformat(value), tenant.tz)
        return str(value).replace("_", " ")

    lines = []
    for change in await audit.history(tenant.id, booking_id):
        if change.action == "created":
            what = [f"created ({shown('status', change.changes.get('status', [None, ''])[1])}, "
                    f"{shown('unit', change.changes.get('unit', [None, None])[1])})"]  # fmt: skip
        else:
            what = [
                f"{field}: {shown(field, old)} → {shown(field, new)}" for field, (old, new) in change.changes.items()
            ]
        via = audit.VIA_LABELS.get(change.via, change.via)
        lines.append(HistoryLine(change.at, change.actor, via, what))
    return lines


class BookingEditPages(Controller):
    path = "/portal/bookings"
    dependencies = PORTAL_DEPENDENCIES
    guards = [SIGNED_IN, MANAGERS]
    include_in_schema = False

    @post("/{booking_id:int}/details", status_code=303)
    async def save(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        booking_id: FromPath[int],
        data: Annotated[DetailsForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Redirect:
        """POST-redirect-GET: the booking page shows the outcome; a reload does not post again."""
        try:
            booking = await bookings.update_booking(tenant, booking_id, to_update(data))
            flash = {"message": f"Booking {booking.id} saved."}
        except DomainError as exc:
            await bookings.get_booking(tenant, booking_id)  # an unknown booking is a 404, not a flash
            flash = {"error": f"Not saved: {exc.detail}", "typed": msgspec.to_builtins(data)}
        request.set_session({**request.session, "flash": flash})
        return Redirect(f"/portal/bookings/{booking_id}", status_code=303)
