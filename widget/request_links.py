"""The link in the "please confirm your request" mail: the hold starts when the customer opens it."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get
from litestar.datastructures import CacheControlHeader
from litestar.params import FromPath
from litestar.response import Template

from calendars.mail.request_notices import booking_id_for_confirm_token
from calendars.mail.texts import when
from rental import holds
from rental.bookings import get_booking
from rental.errors import Conflict, NotFound
from rental.tenants import tenant_by_slug
from widget.http import NO_SESSION
from widget.ratelimit import rate_limit


class RequestLinks(Controller):
    path = "/widget/{company_slug:str}/requests"
    middleware = [rate_limit]
    cache_control = CacheControlHeader(no_store=True)
    include_in_schema = False
    opt = NO_SESSION

    @get("/{token:str}")
    async def confirm(self, company_slug: FromPath[str], token: FromPath[str]) -> Template:
        """Confirm a request from the e-mail link (opening it twice is harmless)."""
        tenant = await tenant_by_slug(company_slug)
        booking_id = booking_id_for_confirm_token(token)
        context: dict[str, Any] = {"tenant": tenant, "ok": False, "booking": None, "until": ""}
        if booking_id is None:
            return Template("widget/request_link.html", context=context, status_code=404)
        try:
            until = await holds.start_hold(tenant, booking_id)
            booking = await get_booking(tenant, booking_id)
        except NotFound:
            return Template("widget/request_link.html", context=context, status_code=404)
        except Conflict:
            booking = await get_booking(tenant, booking_id)
            return Template("widget/request_link.html", context={**context, "booking": booking}, status_code=409)
        context.update(ok=True, booking=booking, until=when(until, tenant.tz))
        return Template("widget/request_link.html", context=context)
