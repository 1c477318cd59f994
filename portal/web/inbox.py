"""The inboxes: website requests to accept or decline, sync conflicts to resolve, and each person's
notifications. Every form posts, then redirects back with a message (a reload never posts twice)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from calendars.mail import staff_notices
from calendars.sync import conflicts
from portal.deps import PORTAL_DEPENDENCIES
from portal.guards import MANAGERS, SIGNED_IN
from portal.web.layout import render
from portal.web.today import pop_flash
from rental import catalogue, requests
from rental.accounts import Staff, staff_of_company
from rental.errors import DomainError
from rental.tenants import Tenant

URL_ENCODED = Body(media_type=RequestEncodingType.URL_ENCODED)


class AcceptForm(msgspec.Struct):
    unit_id: str = ""
    staff_id: str = ""


class DeclineForm(msgspec.Struct):
    reason: str = ""


class ResolveForm(msgspec.Struct):
    choice: str = ""


class ReadForm(msgspec.Struct):
    notification_id: str = ""


def _id(raw: str) -> int | None:
    return int(raw) if raw.strip().isdigit() else None


def _flash(request: Request[Any, Any, Any], back: str, message: str = "", error: str = "") -> Redirect:
    request.set_session({**request.session, "flash": {"message": message} if message else {"error": error}})
    return Redirect(back, status_code=303)


class InboxPages(Controller):
    dependencies = PORTAL_DEPENDENCIES
    include_in_schema = False
    guards = [SIGNED_IN]

    @get("/portal/requests", guards=[MANAGERS])
    async def requests_page(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff], tenant: NamedDependency[Tenant]
    ) -> Template:
        message, error = pop_flash(request)
        waiting = await requests.open_requests(tenant)
        units = {u["id"]: u["name"] for u in await catalogue.list_units(tenant)}
        choices = {r.id: await requests.unit_choices(tenant, r) for r in waiting if r.status == "pending"}
        return render(
            request, staff, tenant, "portal/requests.html", requests=waiting, units=units, unit_choices=choices,
            people=await staff_of_company(tenant.id), message=message, error=error,
        )  # fmt: skip

    @post("/portal/requests/{booking_id:int}/accept", status_code=303, guards=[MANAGERS])
    async def accept(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        booking_id: FromPath[int],
        data: Annotated[AcceptForm, URL_ENCODED],
    ) -> Redirect:
        try:
            booking = await requests.accept(tenant, booking_id, _id(data.unit_id), _id(data.staff_id))
        except DomainError as exc:
            return _flash(request, "/portal/requests", error=f"Request #{booking_id}: {exc.detail}")
        return _flash(
            request, "/portal/requests",
            f"Request #{booking.id} ({booking.customer.name}) accepted on {booking.unit_name}; the customer gets "
            "a calendar invitation.",
        )  # fmt: skip

    @post("/portal/requests/{booking_id:int}/decline", status_code=303, guards=[MANAGERS])
    async def decline(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        booking_id: FromPath[int],
        data: Annotated[DeclineForm, URL_ENCODED],
    ) -> Redirect:
        try:
            booking = await requests.decline(tenant, booking_id, data.reason)
        except DomainError as exc:
            return _flash(request, "/portal/requests", error=f"Request #{booking_id}: {exc.detail}")
        return _flash(
            request,
            "/portal/requests",
            f"Request #{booking.id} ({booking.customer.name}) declined; the customer is told why.",
        )

    @get("/portal/conflicts", guards=[MANAGERS])
    async def conflicts_page(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff], tenant: NamedDependency[Tenant]
    ) -> Template:
        message, error = pop_flash(request)
        return render(
            request, staff, tenant, "portal/conflicts.html", conflicts=await conflicts.open_conflicts(tenant),
            message=message, error=error,
        )  # fmt: skip

    @post("/portal/conflicts/{conflict_id:int}/resolve", status_code=303, guards=[MANAGERS])
    async def resolve(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        conflict_id: FromPath[int],
        data: Annotated[ResolveForm, URL_ENCODED],
    ) -> Redirect:
        try:
            done = await conflicts.resolve(tenant, conflict_id, data.choice)
        except DomainError as exc:
            return _flash(request, "/portal/conflicts", error=f"Could not resolve it: {exc.detail}")
        return _flash(request, "/portal/conflicts", f"Resolved: {done}.")

    @get("/portal/notifications")
    async def notifications_page(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff], tenant: NamedDependency[Tenant]
    ) -> Template:
        message, error = pop_flash(request)
        return render(
            request, staff, tenant, "portal/notifications.html",
            notifications=await staff_notices.notifications_of(staff.id), message=message, error=error,
        )  # fmt: skip

    @post("/portal/notifications/read", status_code=303)
    async def mark_read(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff], data: Annotated[ReadForm, URL_ENCODED]
    ) -> Redirect:
        changed = await staff_notices.mark_read(staff.id, _id(data.notification_id))
        return _flash(request, "/portal/notifications", f"{changed} marked as read." if changed else "Nothing new.")
