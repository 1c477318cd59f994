"""REST API v1: bookings."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from calendars.mail.records import MailRecord
from portal.deps import API_DEPENDENCIES
from portal.guards import SIGNED_IN
from portal.openapi import problems
from rental import bookings
from rental.schemas import Booking, BookingCreate, BookingStatus, BookingUpdate
from rental.tenants import Tenant


class BookingsApi(Controller):
    path = "/api/v1/bookings"
    dependencies = API_DEPENDENCIES
    guards = [SIGNED_IN]
    tags = ["bookings"]

    @post("/", status_code=201, opt=problems(409))
    async def create(self, tenant: NamedDependency[Tenant], data: JSONBody[BookingCreate]) -> Booking:
        return await bookings.create_booking(tenant, data)

    @get("/")
    async def index(
        self,
        tenant: NamedDependency[Tenant],
        from_: Annotated[date | None, QueryParameter(name="from")] = None,
        to: FromQuery[date | None] = None,
        status: FromQuery[BookingStatus | None] = None,
    ) -> list[Booking]:
        return await bookings.list_bookings(tenant, first=from_, last=to, status=status)

    @get("/{booking_id:int}")
    async def show(self, tenant: NamedDependency[Tenant], booking_id: FromPath[int]) -> Booking:
        return await bookings.get_booking(tenant, booking_id)

    @patch("/{booking_id:int}", opt=problems(409))
    async def change(
        self, tenant: NamedDependency[Tenant], booking_id: FromPath[int], data: JSONBody[BookingUpdate]
    ) -> Booking:
        return await bookings.update_booking(tenant, booking_id, data)

    @post("/{booking_id:int}/cancel", status_code=200, opt=problems(409))
    async def cancel(self, tenant: NamedDependency[Tenant], booking_id: FromPath[int]) -> Booking:
        return await bookings.cancel_booking(tenant, booking_id)

    @post("/{booking_id:int}/send_calendar_invite", status_code=202, opt=problems(409))
    async def send_calendar_invite(self, tenant: NamedDependency[Tenant], booking_id: FromPath[int]) -> MailRecord:
        """Mail the customer the invitation for the booking's current SEQUENCE (once; a failed one is retried).

        202 with the mail record; 404 for another company's booking; 409 unless confirmed or picked up.
        """
        from tasks.mail import request_invite

        return await request_invite(tenant, booking_id)
