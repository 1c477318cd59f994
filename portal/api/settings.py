"""REST API v1: company settings that shape the calendars."""

from __future__ import annotations

from litestar import Controller, get, put
from litestar.di import NamedDependency
from litestar.params import JSONBody

from calendars.colors import BookingColors, booking_colors, set_booking_colors
from portal.deps import API_DEPENDENCIES
from portal.guards import MANAGERS, SIGNED_IN
from rental.accounts import Staff
from rental.tenants import Tenant


class SettingsApi(Controller):
    path = "/api/v1/settings"
    dependencies = API_DEPENDENCIES
    guards = [SIGNED_IN]
    tags = ["settings"]

    @get("/booking_colors")
    async def colors(self, tenant: NamedDependency[Tenant]) -> BookingColors:
        return await booking_colors(tenant)

    @put("/booking_colors", guards=[MANAGERS])
    async def set_colors(
        self, tenant: NamedDependency[Tenant], api_staff: NamedDependency[Staff], data: JSONBody[dict[str, str]]
    ) -> BookingColors:
        """Status -> Google colorId ("1".."11"); events already in calendars are recoloured."""
        from tasks.sync import request_full_sync

        result, integrations = await set_booking_colors(tenant, data)
        for integration_id in integrations:
            await request_full_sync(integration_id)
        return result
