"""Team calendar (CAL-112): units or people as rows, a week or a month, one grid in the company's zone.

Moves, resizes and reassignments (drag in team.js, or the form beside the grid) go through the
booking / maintenance / delivery services; a refusal (409) is shown inline and nothing moves; a move
can be undone, which is the same request with the previous placement."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery, QueryParameter
from litestar.response import Template
from msgspec import UNSET

from calendars.colors import booking_colors
from calendars.palette import PALETTE
from portal.deps import PORTAL_DEPENDENCIES
from portal.guards import MANAGERS, SIGNED_IN
from portal.schedule import By, Filters, schedule, unit_products
from portal.web.bookings import to_create
from portal.web.filters import localdt
from portal.web.forms import local_datetime, optional_int, people_detail
from portal.web.layout import render
from portal.web.team_create import NewBooking, blank_form, booking_form, cell_day
from portal.web.team_grid import KIND_LABELS, build_grid, window_for
from rental import bookings, catalogue, moves
from rental.accounts import Staff, staff_of_company
from rental.errors import DomainError, InvalidInput
from rental.tenants import Tenant


class MoveForm(msgspec.Struct):
    key: str = ""  # "booking:12"
    starts_at: str = ""  # local wall-clock; empty: keep (or shift)
    ends_at: str = ""
    shift_minutes: str = "0"
    resize_minutes: str = "0"
    unit_id: str = ""  # empty: keep
    staff_id: str = "keep"  # "keep", "none" (unassign) or an id
    confirm_past: str = ""  # "1": the manager confirmed a move into the past
    # the grid to show afterwards
    view: str = "week"
    by: str = "unit"
    from_: str = msgspec.field(default="", name="from")
    product: str = ""
    unit: str = ""
    person: str = ""
    kind: str = ""


def _minutes(value: str) -> int:
    try:
        return int(value or 0)
    except ValueError:
        raise InvalidInput("the move could not be read; try again") from None


def to_move(form: MoveForm, tenant: Tenant) -> tuple[str, int, moves.Move]:
    kind, _, raw_id = form.key.partition(":")
    if not raw_id.isdigit():
        raise InvalidInput("choose what to move")
    staff: int | Any | None = UNSET
    if form.staff_id == "none":
        staff = None
    elif form.staff_id.isdigit():
        staff = int(form.staff_id)
    unit = optional_int(form.unit_id)
    return kind, int(raw_id), moves.Move(
        starts_at=local_datetime(form.starts_at, tenant.tz, "Start") if form.starts_at else None,
        ends_at=local_datetime(form.ends_at, tenant.tz, "End") if form.ends_at else None,
        shift_minutes=_minutes(form.shift_minutes), resize_minutes=_minutes(form.resize_minutes),
        unit_id=UNSET if unit is None else unit, staff_id=staff, confirm_past=form.confirm_past == "1",
    )  # fmt: skip


def _anchor(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


class TeamPages(Controller):
    path = "/portal/team"
    dependencies = PORTAL_DEPENDENCIES
    include_in_schema = False
    guards = [SIGNED_IN]

    async def _page(
        self, request: Request[Any, Any, Any], staff: Staff, tenant: Tenant, anchor: date | None, view: str,
        by: str, filters: Filters, fragment: str = "partials/team_grid.html", **extra: Any,
    ) -> Template:  # fmt: skip
        view = "month" if view == "month" else "week"
        chosen: By = "staff" if by == "staff" or not staff.is_manager else "unit"
        today = datetime.now(tenant.tz).date()
        first, last, _, _ = window_for(view, anchor or today)
        data = await schedule(tenant, staff, first, last, chosen, filters)
        colors = {s: PALETTE[c].hex for s, c in (await booking_colors(tenant)).colors.items()}
        people = await staff_of_company(tenant.id)
        grid = build_grid(
            data, view, anchor or today, today, datetime.now(UTC), colors, await unit_products(tenant),
            {p.id: p.name for p in people},
        )  # fmt: skip
        extra = {
            "move_error": None,
            "move_message": None,
            "undo": None,
            "confirm_past_move": None,
            "create": None,
            **extra,
        }
        return render(
            request, staff, tenant, "portal/team.html", fragment, grid=grid, filters=filters,
            products=await catalogue.list_products(tenant), units=await catalogue.list_units(tenant),
            people=people if staff.is_manager else [], kinds=KIND_LABELS, **extra,
        )  # fmt: skip

    @get("/")
    async def index(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        from_: Annotated[date | None, QueryParameter(name="from")] = None,
        view: FromQuery[str] = "week",
        by: FromQuery[str] = "unit",
        product: FromQuery[str] = "",
        unit: FromQuery[str] = "",
        person: FromQuery[str] = "",
        kind: FromQuery[str] = "",
    ) -> Template:
        filters = Filters(optional_int(product), optional_int(unit), optional_int(person), kind or None)
        return await self._page(request, staff, tenant, from_, view, by, filters)

    @post("/move", status_code=200, guards=[MANAGERS])
    async def move(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        data: Annotated[MoveForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template:
        """Answers with the grid: moved (with an undo), or unchanged with the reason."""
        filters = Filters(optional_int(data.product), optional_int(data.unit), optional_int(data.person),
                          data.kind or None)  # fmt: skip
        anchor = _anchor(data.from_)
        extra: dict[str, Any] = {}
        try:
            kind, entry_id, change = to_move(data, tenant)
            before, after = await moves.move(tenant, kind, entry_id, change)
            what = {"booking": "Booking", "maintenance": "Maintenance", "delivery": "Delivery"}[kind]
            when = f"{localdt(after.starts_at, tenant.tz)} – {localdt(after.ends_at, tenant.tz)}"
            extra["move_message"] = f"Moved. {what} {entry_id} is now {when}."
            extra["undo"] = before
            extra["moved_key"] = f"{kind}:{entry_id}"
        except DomainError as exc:
            extra["move_error"] = f"Not moved: {people_detail(exc, tenant.tz)}"
            if exc.extra.get("needs") == "confirm_past":
                extra["confirm_past_move"] = data  # offered again, confirmed
        return await self._page(request, staff, tenant, anchor, data.view, data.by, filters, **extra)

    @get("/new", guards=[MANAGERS])
    async def new(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        day: FromQuery[str] = "",
        unit_id: FromQuery[str] = "",
        staff_id: FromQuery[str] = "",
    ) -> Template:
        """The create form for an empty cell (HTMX: the form alone; otherwise the page with it open)."""
        chosen = cell_day(day)
        form = await blank_form(tenant, chosen, optional_int(unit_id), optional_int(staff_id))
        by = "staff" if staff_id else "unit"
        return await self._page(
            request, staff, tenant, chosen, "week", by, Filters(None, None, None, None), "partials/team_create.html",
            create=form,
        )  # fmt: skip

    @post("/create", status_code=200, guards=[MANAGERS])
    async def create(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        data: Annotated[NewBooking, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template:
        """Answers with the grid: the new booking on it, or the form again with the reason (nothing created)."""
        filters = Filters(optional_int(data.product), optional_int(data.unit), optional_int(data.person),
                          data.kind or None)  # fmt: skip
        anchor = _anchor(data.from_)
        extra: dict[str, Any] = {}
        try:
            booking = await bookings.create_booking(tenant, to_create(await booking_form(tenant, data), tenant))
            when = f"{localdt(booking.starts_at, tenant.tz)} – {localdt(booking.ends_at, tenant.tz)}"
            extra["move_message"] = f"Booking {booking.id} created: {booking.unit_name}, {when}."
        except DomainError as exc:
            extra.update(create=data, create_error=exc.detail, create_past=exc.extra.get("needs") == "confirm_past")
        return await self._page(request, staff, tenant, anchor, data.view, data.by, filters, **extra)
