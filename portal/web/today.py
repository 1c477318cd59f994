"""The day's work: "Today" for managers, "My day / My week" for drivers and technicians, and the
check-out / check-in buttons (picked up, returned) that go through the booking service and its outbox."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template

from calendars.accounts.integrations import open_conflicts
from calendars.tables import CalendarIntegration
from portal.deps import PORTAL_DEPENDENCIES
from portal.guards import SIGNED_IN
from portal.web.auth import safe_next
from portal.web.layout import render
from rental import bookings, timeline
from rental.accounts import Staff, staff_of_company
from rental.daystatus import day_bounds
from rental.errors import DomainError, Forbidden, InvalidInput
from rental.schemas import BookingUpdate
from rental.tenants import Tenant
from rental.timeline import Entry, Scope

# What each button may do, and who may press it (drivers hand equipment over; only managers confirm or decline).
ACTIONS: dict[str, tuple[str, str, bool]] = {
    "confirm": ("confirmed", "confirmed", True),
    "decline": ("cancelled", "declined", True),
    "picked_up": ("picked_up", "marked as picked up", False),
    "returned": ("returned", "marked as returned", False),
}


class ActionForm(msgspec.Struct):
    action: str
    next: str = "/portal/today"


def pop_flash(request: Request[Any, Any, Any]) -> tuple[str | None, str | None]:
    flash = request.session.pop("flash", None) if request.session else None
    if not flash:
        return None, None
    request.set_session(dict(request.session))
    return flash.get("message"), flash.get("error")


async def _today(tenant: Tenant) -> dict[str, Any]:
    now = datetime.now(UTC)
    today = now.astimezone(tenant.tz).date()
    start, end = day_bounds(today, tenant.tz)
    entries = await timeline.entries(tenant, today, today, Scope(kinds=["booking", "maintenance", "delivery"]))
    names = {p.id: p.name for p in await staff_of_company(tenant.id)}
    out = await bookings.list_bookings(tenant, status="picked_up", limit=500)
    requests = await bookings.list_bookings(tenant, first=today, status="pending", limit=200)
    conflicts = await open_conflicts(tenant)
    failing = await CalendarIntegration.count().where(
        (CalendarIntegration.company == tenant.id) & (CalendarIntegration.status == "needs_reconnect")
    )
    return {
        "today": today,
        "names": names,
        "pickups": [e for e in entries if e.kind == "booking" and start <= e.starts_at < end],
        "returns": [b for b in out if b.ends_at < end],
        "now": now,
        "runs": sorted(
            (e for e in entries if e.kind == "delivery"), key=lambda e: (names.get(e.staff_id or 0, "~"), e.route_order)
        ),
        "maintenance": [e for e in entries if e.kind == "maintenance"],
        "requests": [b for b in requests if b.ends_at > now],
        "conflicts": len(conflicts),
        "failing": failing,
    }


async def _mine(tenant: Tenant, staff: Staff, first: date, days: int) -> list[tuple[date, list[Entry]]]:
    last = first + timedelta(days=days - 1)
    kinds = ["booking", "maintenance", "delivery", "block"]
    entries = await timeline.entries(tenant, first, last, Scope(kinds=kinds, staff_ids=[staff.id]))
    by_day: dict[date, list[Entry]] = defaultdict(list)
    for e in entries:
        for offset in range(days):
            day = first + timedelta(days=offset)
            s, t = day_bounds(day, tenant.tz)
            if e.starts_at < t and e.ends_at > s:
                by_day[day].append(e)
    order = {"delivery": 0, "maintenance": 1, "booking": 2, "block": 3}
    return [
        (day, sorted(by_day[day], key=lambda e: (order[e.kind], e.route_order, e.starts_at)))
        for day in (first + timedelta(days=i) for i in range(days))
    ]


class TodayPages(Controller):
    dependencies = PORTAL_DEPENDENCIES
    include_in_schema = False
    guards = [SIGNED_IN]

    @get("/portal/today")
    async def today(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff], tenant: NamedDependency[Tenant]
    ) -> Template | Redirect:
        if not staff.is_manager:
            return Redirect("/portal/my")
        message, error = pop_flash(request)
        context = await _today(tenant)
        return render(request, staff, tenant, "portal/today.html", message=message, error=error, **context)

    @get("/portal/my")
    async def mine(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        view: FromQuery[str] = "day",
        from_: Annotated[date | None, QueryParameter(name="from")] = None,
    ) -> Template:
        view = "week" if view == "week" else "day"
        today = datetime.now(tenant.tz).date()
        first = from_ or today
        length = 7 if view == "week" else 1
        message, error = pop_flash(request)
        return render(
            request, staff, tenant, "portal/my.html", days=await _mine(tenant, staff, first, length), view=view,
            first=first, prev=first - timedelta(days=length), next=first + timedelta(days=length), today=today,
            message=message, error=error,
        )  # fmt: skip

    @post("/portal/bookings/{booking_id:int}/action", status_code=303)
    async def act(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        booking_id: FromPath[int],
        data: Annotated[ActionForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Redirect:
        """POST, then redirect back (a reload never presses the button twice)."""
        flash: dict[str, str]
        try:
            if data.action not in ACTIONS:
                raise InvalidInput("unknown action")
            status, done, managers_only = ACTIONS[data.action]
            if managers_only and not staff.is_manager:  # the action, not the route, decides (one form, several buttons)
                raise Forbidden("only managers can confirm or decline requests")
            booking = await bookings.update_booking(tenant, booking_id, BookingUpdate(status=status))  # type: ignore[arg-type]
            flash = {"message": f"Booking {booking.id} ({booking.customer.name}) {done}."}
        except DomainError as exc:
            flash = {"error": f"Booking {booking_id}: {exc.detail}"}
        request.set_session({**request.session, "flash": flash})
        return Redirect(safe_next(data.next), status_code=303)
