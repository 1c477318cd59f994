"""Portal bookings page: list with filters, create, move, cancel (HTMX partial updates)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, QueryParameter
from litestar.response import Template

from calendars.sync.busy import staff_busy
from portal.deps import PORTAL_DEPENDENCIES
from portal.guards import SIGNED_IN
from portal.web.booking_query import SORT_LABELS, default_query, list_query, page_href
from portal.web.forms import local_datetime, optional_int, people_detail
from portal.web.layout import render
from rental import bookings, catalogue
from rental.accounts import Staff, staff_of_company
from rental.booking_search import BookingQuery, search_bookings
from rental.errors import DomainError
from rental.schemas import Booking, BookingCreate, BookingUpdate, CustomerIn
from rental.statuses import BOOKING_STATUSES
from rental.tenants import Tenant

STATUSES = BOOKING_STATUSES
Form = Body(media_type=RequestEncodingType.URL_ENCODED)


class BookingForm(msgspec.Struct):
    product_id: str = ""
    unit_id: str = ""
    starts_at: str = ""
    ends_at: str = ""
    customer_name: str = ""
    customer_email: str = ""
    customer_phone: str = ""
    status: str = "confirmed"
    pickup_location: str = ""
    assigned_staff_id: str = ""
    confirm_past: str = ""  # "1" once the staff member has confirmed a time in the past


class MoveForm(msgspec.Struct):
    starts_at: str = ""
    ends_at: str = ""
    confirm_past: str = ""


# What to do about a customer field msgspec refused (its message quotes the pattern: not for people).
CUSTOMER_FIELD_HELP = {
    "name": "enter the customer's name (up to 200 characters)",
    "email": "enter the customer's e-mail address, like name@example.com",
    "phone": "enter a phone number of up to 40 characters",
}


def _needs_past(exc: DomainError) -> bool:
    return exc.extra.get("needs") == "confirm_past"


def to_create(form: BookingForm, tenant: Tenant) -> BookingCreate:
    product_id = optional_int(form.product_id)
    if product_id is None:
        from rental.errors import InvalidInput

        raise InvalidInput("choose a product")
    try:
        customer = msgspec.convert(
            {"name": form.customer_name, "email": form.customer_email, "phone": form.customer_phone},
            CustomerIn,
        )  # trimmed and checked there, by the rule the API and the widget use
    except msgspec.ValidationError as exc:
        from rental.errors import InvalidInput

        text = str(exc)
        field = text.rpartition("$.")[2].rstrip("`") if "$." in text else ""
        raise InvalidInput(CUSTOMER_FIELD_HELP.get(field) or f"Customer: {text.split(' - at ')[0]}") from None
    return BookingCreate(
        product_id=product_id,
        unit_id=optional_int(form.unit_id),
        starts_at=local_datetime(form.starts_at, tenant.tz, "Pickup"),
        ends_at=local_datetime(form.ends_at, tenant.tz, "Return"),
        customer=customer,
        status="pending" if form.status == "pending" else "confirmed",
        pickup_location=form.pickup_location.strip(),
        assigned_staff_id=optional_int(form.assigned_staff_id),
        confirm_past=form.confirm_past == "1",
    )


async def _assignment_warning(booking: Booking) -> str | None:
    """Assigning someone who is busy is allowed, but said out loud (unknown counts as busy)."""
    if booking.assigned_staff_id is None:
        return None
    report = await staff_busy(booking.assigned_staff_id, booking.starts_at, booking.ends_at, ignore_booking=booking.id)
    if report.free:
        return None
    return "The assigned staff member may not be available: " + "; ".join(report.clashes + report.unknown)


class BookingPages(Controller):
    path = "/portal/bookings"
    dependencies = PORTAL_DEPENDENCIES
    guards = [SIGNED_IN]
    include_in_schema = False

    async def _list_context(self, tenant: Tenant, query: BookingQuery) -> dict[str, Any]:
        result = await search_bookings(tenant, query)
        return {
            "result": result,
            "bookings": result.items,
            "previous_page": page_href(query, result.page - 1) if result.page > 1 else None,
            "next_page": page_href(query, result.page + 1) if result.page < result.pages else None,
            "query": query,
            "statuses": STATUSES,
            "sorts": SORT_LABELS,
        }

    async def _form_context(self, tenant: Tenant) -> dict[str, Any]:
        return {
            "products": [p for p in await catalogue.list_products(tenant) if p.active],  # new bookings only
            "units": await catalogue.list_units(tenant),
            "staff_members": await staff_of_company(tenant.id),
        }

    @get("/")
    async def index(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        from_: Annotated[str, QueryParameter(name="from")] = "",
        to: FromQuery[str] = "",
        status: FromQuery[str] = "",
        q: FromQuery[str] = "",
        sort: FromQuery[str] = "",
        order: FromQuery[str] = "",
        page: FromQuery[str] = "",
    ) -> Template:
        # Every field arrives as text, empty when left blank: an empty "To" is no filter, not an error.
        today = datetime.now(tenant.tz).date()
        first_visit = not request.query_params and not request.headers.get("hx-request")
        query = list_query(from_, to, status, q, sort, order, page, first_visit=first_visit, today=today)
        context = await self._list_context(tenant, query)
        context.update(await self._form_context(tenant), form=BookingForm(), error=None, message=None)
        return render(request, staff, tenant, "portal/bookings.html", "partials/bookings_table.html", **context)

    @post("/", status_code=200)
    async def create(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        data: Annotated[BookingForm, Form],
    ) -> Template:
        context = await self._form_context(tenant)
        try:
            booking = await bookings.create_booking(tenant, to_create(data, tenant))
        except DomainError as exc:
            context.update(form=data, error=people_detail(exc, tenant.tz), message=None, past=_needs_past(exc))
            if not request.headers.get("hx-request"):  # a plain form post gets the whole page
                context.update(await self._list_context(tenant, default_query(tenant)))
            return render(request, staff, tenant, "portal/bookings.html", "partials/booking_form.html", **context)
        context.update(
            form=BookingForm(),
            error=None,
            warning=await _assignment_warning(booking),
            message=f"Booking #{booking.id} created: {booking.product_name}, {booking.unit_name}",
        )
        context.update(await self._list_context(tenant, default_query(tenant)), oob=True)
        return render(request, staff, tenant, "portal/bookings.html", "partials/booking_form.html", **context)

    @get("/{booking_id:int}/row")
    async def row(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        booking_id: FromPath[int],
    ) -> Template:
        booking = await bookings.get_booking(tenant, booking_id)
        return render(request, staff, tenant, "partials/booking_row.html", "partials/booking_row.html", b=booking)

    @get("/{booking_id:int}/edit")
    async def edit(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        booking_id: FromPath[int],
    ) -> Template:
        booking = await bookings.get_booking(tenant, booking_id)
        return render(
            request, staff, tenant, "partials/booking_edit.html", "partials/booking_edit.html", b=booking, error=None
        )

    @post("/{booking_id:int}/move", status_code=200)
    async def move(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        booking_id: FromPath[int],
        data: Annotated[MoveForm, Form],
    ) -> Template:
        try:
            change = BookingUpdate(
                starts_at=local_datetime(data.starts_at, tenant.tz, "Pickup"),
                ends_at=local_datetime(data.ends_at, tenant.tz, "Return"),
                confirm_past=data.confirm_past == "1",
            )
            booking = await bookings.update_booking(tenant, booking_id, change)
        except DomainError as exc:
            booking = await bookings.get_booking(tenant, booking_id)
            return render(
                request,
                staff,
                tenant,
                "partials/booking_edit.html",
                "partials/booking_edit.html",
                b=booking,
                error=people_detail(exc, tenant.tz),
                past=_needs_past(exc),
                typed=data,
            )
        return render(request, staff, tenant, "partials/booking_row.html", "partials/booking_row.html", b=booking)

    @post("/{booking_id:int}/status", status_code=200)
    async def set_status(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        booking_id: FromPath[int],
        data: Annotated[dict[str, str], Form],
    ) -> Template:
        error = None
        try:
            status = data.get("status", "")
            if status not in STATUSES:
                from rental.errors import InvalidInput

                raise InvalidInput("unknown status")
            booking = await bookings.update_booking(tenant, booking_id, BookingUpdate(status=status))  # type: ignore[arg-type]
        except DomainError as exc:
            booking = await bookings.get_booking(tenant, booking_id)
            error = exc.detail
        return render(
            request, staff, tenant, "partials/booking_row.html", "partials/booking_row.html", b=booking, error=error
        )
