"""Portal page "Calendar integrations": connect Google, choose calendars, test, sync, disconnect."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from calendars import integrations
from calendars.colors import STATUSES, booking_colors, set_booking_colors
from calendars.providers.base import ProviderError
from calendars.schemas import CalendarSetting, IntegrationSettings
from portal.deps import PORTAL_DEPENDENCIES
from portal.guards import MANAGERS, SIGNED_IN
from portal.oauth_flow import remember_authorization, take_authorization
from portal.web.layout import render
from rental.accounts import Staff, staff_by_id
from rental.errors import DomainError
from rental.tenants import Tenant

KINDS = ("bookings", "maintenance", "deliveries")


def _settings_from_form(form: Any) -> IntegrationSettings:
    calendar_ids = {int(v) for v in form.getall("calendar_ids", []) if str(v).isdigit()}
    return IntegrationSettings(
        direction=form.get("direction") or None,
        on_remote_delete=form.get("on_remote_delete") or None,
        include_all_bookings=form.get("include_all_bookings") == "on",
        calendars=[
            CalendarSetting(
                id=cid,
                write_kinds=[k for k in KINDS if form.get(f"write_{cid}_{k}") == "on"],  # type: ignore[misc]
                read_busy=form.get(f"read_{cid}") == "on",
            )
            for cid in sorted(calendar_ids)
        ],
    )


class IntegrationPages(Controller):
    path = "/portal/integrations"
    dependencies = PORTAL_DEPENDENCIES
    guards = [SIGNED_IN]
    include_in_schema = False

    async def _page(self, request: Request[Any, Any, Any], staff: Staff, tenant: Tenant, **extra: Any) -> Template:
        return render(
            request,
            staff,
            tenant,
            "portal/integrations.html",
            integrations=await integrations.list_integrations(tenant, staff),
            conflicts=await integrations.open_conflicts(tenant) if staff.is_manager else [],
            colors=await booking_colors(tenant),
            statuses=STATUSES,
            kinds=KINDS,
            **{"message": None, "error": None, **extra},
        )

    @get("/")
    async def index(
        self,
        request: Request[Any, Any, Any],
        staff: Staff,
        tenant: Tenant,
        message: str | None = None,
        error: str | None = None,
    ) -> Template:
        return await self._page(request, staff, tenant, message=message, error=error)

    @post("/google/connect", status_code=303)
    async def connect_google(self, staff: Staff) -> Redirect:
        pending = integrations.begin_google()
        await remember_authorization(pending, staff.id)
        return Redirect(pending.url, status_code=303)

    @post("/{integration_id:int}/settings", status_code=200)
    async def save(
        self, request: Request[Any, Any, Any], staff: Staff, tenant: Tenant, integration_id: int
    ) -> Template:
        from tasks.sync import full_sync

        try:
            await integrations.configure(tenant, staff, integration_id, _settings_from_form(await request.form()))
        except DomainError as exc:
            return await self._page(request, staff, tenant, error=exc.detail)
        full_sync.send(integration_id)
        return await self._page(request, staff, tenant, message="Saved. Calendars are being synchronised.")

    @post("/{integration_id:int}/test", status_code=200)
    async def test(
        self, request: Request[Any, Any, Any], staff: Staff, tenant: Tenant, integration_id: int
    ) -> Template:
        result = await integrations.test_connection(tenant, staff, integration_id)
        return await self._page(
            request,
            staff,
            tenant,
            message=result.detail if result.ok else None,
            error=None if result.ok else result.detail,
        )

    @post("/{integration_id:int}/sync", status_code=200)
    async def sync_now(
        self, request: Request[Any, Any, Any], staff: Staff, tenant: Tenant, integration_id: int
    ) -> Template:
        from tasks.sync import full_sync

        await integrations.get_integration(tenant, staff, integration_id)
        full_sync.send(integration_id)
        return await self._page(request, staff, tenant, message="Synchronisation started.")

    @post("/{integration_id:int}/disconnect", status_code=200)
    async def disconnect(
        self, request: Request[Any, Any, Any], staff: Staff, tenant: Tenant, integration_id: int
    ) -> Template:
        await integrations.disconnect(tenant, staff, integration_id)
        return await self._page(request, staff, tenant, message="Disconnected. Events already in the calendar stay.")

    @post("/colors", status_code=200, guards=[MANAGERS])
    async def save_colors(self, request: Request[Any, Any, Any], staff: Staff, tenant: Tenant) -> Template:
        from tasks.sync import full_sync

        form = await request.form()
        try:
            _, to_resync = await set_booking_colors(tenant, {s: str(form.get(s)) for s in STATUSES if form.get(s)})
        except DomainError as exc:
            return await self._page(request, staff, tenant, error=exc.detail)
        for integration_id in to_resync:
            full_sync.send(integration_id)
        return await self._page(request, staff, tenant, message="Booking colours saved; calendars are being updated.")

    @post("/conflicts/{conflict_id:int}/resolve", status_code=200, guards=[MANAGERS])
    async def resolve(
        self, request: Request[Any, Any, Any], staff: Staff, tenant: Tenant, conflict_id: int
    ) -> Template:
        await integrations.resolve_conflict(tenant, conflict_id)
        return await self._page(request, staff, tenant, message="Conflict marked as handled.")


@get("/oauth/google/callback", include_in_schema=False)
async def google_callback(
    oauth_state: Annotated[str, QueryParameter(name="state")] = "", code: str = "", error: str = ""
) -> Redirect:
    """Google redirects here after consent. The state (single use) identifies who started it."""
    from rental.tenants import tenant_by_id
    from tasks.sync import full_sync

    pending = await take_authorization(oauth_state) if oauth_state else None
    if pending is None:
        return Redirect("/portal/integrations?error=The+connection+request+expired%2C+please+try+again")
    if error or not code:
        return Redirect("/portal/integrations?error=Google+did+not+grant+access")
    staff = await staff_by_id(pending[0])
    if staff is None:
        return Redirect("/login")
    try:
        integration_id = await integrations.complete_google(
            await tenant_by_id(staff.company_id), staff, code, pending[1]
        )
    except (ProviderError, DomainError) as exc:
        return Redirect("/portal/integrations?" + urlencode({"error": f"Connecting failed: {exc}"}))
    full_sync.send(integration_id)
    return Redirect(f"/portal/integrations?message=Google+Calendar+connected#integration-{integration_id}")
