"""REST API v1: calendar integrations."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from calendars.accounts import integrations
from calendars.schemas import Accepted as AcceptedBody
from calendars.schemas import (
    AuditReport,
    AuthorizeStart,
    CaldavConnect,
    ConnectionTest,
    Integration,
    IntegrationSettings,
    MappedEvent,
)
from portal.deps import API_DEPENDENCIES
from portal.guards import SIGNED_IN
from portal.openapi import problems
from rental.accounts import Staff
from rental.tenants import Tenant


class IntegrationsApi(Controller):
    path = "/api/v1/calendar_integrations"
    dependencies = API_DEPENDENCIES
    guards = [SIGNED_IN]
    tags = ["calendar integrations"]

    @get("/")
    async def index(self, tenant: NamedDependency[Tenant], api_staff: NamedDependency[Staff]) -> list[Integration]:
        return await integrations.list_integrations(tenant, api_staff)

    @post("/google/authorize", status_code=200)
    async def authorize(self, request: Request[Any, Any, Any], api_staff: NamedDependency[Staff]) -> AuthorizeStart:
        """Start connecting Google: open authorization_url in a browser logged in to the portal as the same staff
        member (the callback is refused in anyone else's session, and asks an anonymous browser to log in)."""
        from portal.oauth_flow import remember_authorization

        pending = integrations.begin_google()
        await remember_authorization(pending, api_staff.id)
        return AuthorizeStart(pending.url, pending.state)

    @post("/caldav", status_code=201)
    async def connect_caldav(
        self, tenant: NamedDependency[Tenant], api_staff: NamedDependency[Staff], data: JSONBody[CaldavConnect]
    ) -> Integration:
        """Connect Apple iCloud / CalDAV with a server address, user name and (app-specific) password; connecting
        the same account again updates its password. Calendars without push are read periodically."""
        from tasks.sync import request_full_sync

        integration_id = await integrations.connect_caldav(
            tenant, api_staff, data.server_url, data.username, data.password
        )
        await request_full_sync(integration_id)
        return await integrations.get_integration(tenant, api_staff, integration_id)

    @post("/{provider:str}/authorize", status_code=200)
    async def authorize_provider(self, api_staff: NamedDependency[Staff], provider: FromPath[str]) -> AuthorizeStart:
        """Start connecting an OAuth provider (`microsoft`, also spelled `outlook`): open authorization_url in a
        browser logged in to the portal as the same staff member."""
        from portal.oauth_flow import remember_authorization

        name = "microsoft" if provider == "outlook" else provider
        pending = integrations.begin_oauth(name)
        await remember_authorization(pending, api_staff.id, provider=name)
        return AuthorizeStart(pending.url, pending.state)

    @get("/{integration_id:int}")
    async def show(
        self, tenant: NamedDependency[Tenant], api_staff: NamedDependency[Staff], integration_id: FromPath[int]
    ) -> Integration:
        return await integrations.get_integration(tenant, api_staff, integration_id)

    @patch("/{integration_id:int}", opt=problems(403))
    async def change(
        self,
        tenant: NamedDependency[Tenant],
        api_staff: NamedDependency[Staff],
        integration_id: FromPath[int],
        data: JSONBody[IntegrationSettings],
    ) -> Integration:
        from tasks.sync import request_full_sync

        result = await integrations.configure(tenant, api_staff, integration_id, data)
        await request_full_sync(integration_id)
        return result

    @delete("/{integration_id:int}", status_code=204, opt=problems(403))
    async def remove(
        self,
        tenant: NamedDependency[Tenant],
        api_staff: NamedDependency[Staff],
        integration_id: FromPath[int],
        remove_events: FromQuery[bool] = False,
    ) -> None:
        """Disconnect; with `?remove_events=true` the events Rentcal put in the calendars are deleted first."""
        await integrations.disconnect(tenant, api_staff, integration_id, remove_events=remove_events)

    @post("/{integration_id:int}/audit", status_code=200)
    async def audit(
        self,
        tenant: NamedDependency[Tenant],
        api_staff: NamedDependency[Staff],
        integration_id: FromPath[int],
        fix: FromQuery[bool] = False,
    ) -> AuditReport:
        """Check every event of this connection (duplicates, orphans, missing, stale); `?fix=true` repairs them."""
        from calendars.sync.audit import audit_integration

        await integrations.get_integration(tenant, api_staff, integration_id)
        return await audit_integration(integration_id, fix=fix)

    @post("/{integration_id:int}/sync", status_code=202)
    async def sync_now(
        self, tenant: NamedDependency[Tenant], api_staff: NamedDependency[Staff], integration_id: FromPath[int]
    ) -> AcceptedBody:
        from tasks.sync import request_full_sync

        await integrations.get_integration(tenant, api_staff, integration_id)
        await request_full_sync(integration_id)
        return AcceptedBody()

    @get("/{integration_id:int}/events")
    async def events(
        self, tenant: NamedDependency[Tenant], api_staff: NamedDependency[Staff], integration_id: FromPath[int]
    ) -> list[MappedEvent]:
        return await integrations.mapped_events(tenant, api_staff, integration_id)

    @post("/{integration_id:int}/test", status_code=200)
    async def test(
        self, tenant: NamedDependency[Tenant], api_staff: NamedDependency[Staff], integration_id: FromPath[int]
    ) -> ConnectionTest:
        return await integrations.test_connection(tenant, api_staff, integration_id)
