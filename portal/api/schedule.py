"""REST API v1: the team schedule, the JSON twin of /portal/team (role-scoped)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from portal.deps import API_DEPENDENCIES
from portal.guards import SIGNED_IN
from portal.schedule import By, Filters, Schedule, schedule
from rental.accounts import Staff
from rental.tenants import Tenant
from rental.timeline import Kind


class ScheduleApi(Controller):
    path = "/api/v1/schedule"
    dependencies = API_DEPENDENCIES
    tags = ["schedule"]
    guards = [SIGNED_IN]

    @get("/")
    async def index(
        self,
        api_staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        from_: Annotated[date, QueryParameter(name="from")],
        to: FromQuery[date],
        by: FromQuery[By] = "unit",
        product: FromQuery[int | None] = None,
        unit: FromQuery[int | None] = None,
        person: FromQuery[int | None] = None,
        kind: FromQuery[Kind | None] = None,
    ) -> Schedule:
        """Bookings, maintenance, deliveries and block-outs between two local dates (inclusive), with clashes,
        busy time from connected calendars (times only) and people whose calendars could not be read.
        Managers see everyone; drivers and technicians see their own work."""
        return await schedule(tenant, api_staff, from_, to, by, Filters(product, unit, person, kind))
