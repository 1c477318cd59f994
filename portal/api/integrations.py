"""REST API v1: calendar integrations."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, patch, post

from calendars import integrations
from calendars.schemas import Accepted as AcceptedBody
from calendars.schemas import AuthorizeStart, ConnectionTest, Integration, IntegrationSettings, MappedEvent
from portal.deps import API_DEPENDENCIES
from portal.guards import SIGNED_IN
from rental.accounts import Staff
from rental.tenants import Tenant


class IntegrationsApi(Controller):
    path = "/api/v1/calendar_integrations"
    dependencies = API_DEPENDENCIES
    guards = [SIGNED_IN]
    tags = ["calendar integrations"]

    @get("/")
    async def index(self, tenant: Tenant, api_staff: Staff) -> list[Integration]:
        return await integrations.list_integrations(tenant, api_staff)

    @post("/google/authorize", status_code=200)
    async def authorize(self, request: Request[Any, Any, Any], api_staff: Staff) -> AuthorizeStart:
        """Start connecting Google: open authorization_url in the staff member's browser."""
        from portal.oauth_flow import remember_authorization

        pending = integrations.begin_google()
        await remember_authorization(pending, api_staff.id)
        return AuthorizeStart(pending.url, pending.state)

    @get("/{integration_id:int}")
    async def show(self, tenant: Tenant, api_staff: Staff, integration_id: int) -> Integration:
        return await integrations.get_integration(tenant, api_staff, integration_id)

    @patch("/{integration_id:int}")
    async def change(
        self, tenant: Tenant, api_staff: Staff, integration_id: int, data: IntegrationSettings
    ) -> Integration:
        from tasks.sync import full_sync

        result = await integrations.configure(tenant, api_staff, integration_id, data)
        full_sync.send(integration_id)
        return result

    @delete("/{integration_id:int}", status_code=204)
    async def remove(self, tenant: Tenant, api_staff: Staff, integration_id: int) -> None:
        await integrations.disconnect(tenant, api_staff, integration_id)

    @post("/{integration_id:int}/sync", status_code=202)
    async def sync_now(self, tenant: Tenant, api_staff: Staff, integration_id: int) -> AcceptedBody:
        from tasks.sync import full_sync

        await integrations.get_integration(tenant, api_staff, integration_id)
        full_sync.send(integration_id)
        return AcceptedBody()

    @get("/{integration_id:int}/events")
    async def events(self, tenant: Tenant, api_staff: Staff, integration_id: int) -> list[MappedEvent]:
        return await integrations.mapped_events(tenant, api_staff, integration_id)

    @post("/{integration_id:int}/test", status_code=200)
    async def test(self, tenant: Tenant, api_staff: Staff, integration_id: int) -> ConnectionTest:
        return await integrations.test_connection(tenant, api_staff, integration_id)
