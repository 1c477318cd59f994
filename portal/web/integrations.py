"""Portal page "Calendar integrations": connect Google, choose calendars, test, sync, disconnect."""

from __future__ import annotations

import logging
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template

from calendars.accounts import integrations
from calendars.accounts.oauth import AuthorizationFailed
from calendars.colors import STATUSES, booking_colors, set_booking_colors
from calendars.providers.base import ProviderError
from calendars.schemas import CalendarSetting, IntegrationSettings
from calendars.sync import conflicts
from portal import oauth_flow
from portal.deps import PORTAL_DEPENDENCIES
from portal.guards import MANAGERS, SIGNED_IN
from portal.web.layout import render
from rental.accounts import Staff, staff_by_id
from rental.errors import DomainError
from rental.tenants import Tenant
from rentcal.settings import get_settings

KINDS = ("bookings", "maintenance", "deliveries")
log = logging.getLogger("rentcal.portal")
EXPIRED = "The connection request expired, please try again"
REFUSED = (
    "This Google connection was started by another person or in another browser, so nothing was connected. "
    "To connect your own calendar, use Connect Google Calendar on this page."
)


def _settings_from_form(form: Any) -> IntegrationSettings:
    calendar_ids = {int(v) for v in form.getall("calendar_ids", []) if str(v).isdigit()}
    return IntegrationSettings(
        direction=form.get("direction") or None,
        on_remote_delete=form.get("on_remote_delete") or None,
        include_all_bookings=form.get("include_all_bookings") == "on",
        keep_removed_events=form.get("keep_removed_events") == "on",
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
            conflicts=await conflicts.open_conflicts(tenant) if staff.is_manager else [],  # as people read them
            colors=await booking_colors(tenant),
            statuses=STATUSES,
            kinds=KINDS,
            caldav_poll_minutes=get_settings().caldav.poll_minutes,
            caldav_demo_url=get_settings().caldav.demo_url,
            **{"message": None, "error": None, "caldav_form": None, **extra},
        )

    @get("/")
    async def index(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        message: FromQuery[str | None] = None,
        error: FromQuery[str | None] = None,
    ) -> Template:
        return await self._page(request, staff, tenant, message=message, error=error)

    @post("/google/connect", status_code=303)
    async def connect_google(self, request: Request[Any, Any, Any], staff: NamedDependency[Staff]) -> Redirect:
        binding, session = oauth_flow.session_binding(request.session or {})
        request.set_session(session)
        pending = integrations.begin_google()
        await oauth_flow.remember_authorization(pending, staff.id, binding)
        return Redirect(pending.url, status_code=303)

    @post("/caldav/connect", status_code=200)
    async def connect_caldav(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff], tenant: NamedDependency[Tenant]
    ) -> Template | Redirect:
        from tasks.sync import request_full_sync

        form = await request.form()
        entered = {"server_url": str(form.get("server_url") or ""), "username": str(form.get("username") or "")}
        try:
            integration_id = await integrations.connect_caldav(
                tenant, staff, entered["server_url"], entered["username"], str(form.get("password") or "")
            )
        except DomainError as exc:
            return await self._page(request, staff, tenant, error=exc.detail, caldav_form=entered)
        await request_full_sync(integration_id)
        return Redirect(
            "/portal/integrations?"
            + urlencode({"message": "Apple iCloud / CalDAV connected"})
            + f"#integration-{integration_id}",
            status_code=303,
        )

    @post("/{provider:str}/connect", status_code=303)
    async def connect_provider(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff], provider: FromPath[str]
    ) -> Redirect:
        """Connect any OAuth provider (Outlook / Microsoft 365: /portal/integrations/microsoft/connect)."""
        binding, session = oauth_flow.session_binding(request.session or {})
        request.set_session(session)
        try:
            pending = integrations.begin_oauth(provider)
        except DomainError as exc:
            return _back(error=exc.detail)
        await oauth_flow.remember_authorization(pending, staff.id, binding, provider)
        return Redirect(pending.url, status_code=303)

    # The forms below are POST-redirect-GET: a reload of the page they lead to posts nothing again.
    @post("/{integration_id:int}/settings", status_code=303)
    async def save(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        integration_id: FromPath[int],
    ) -> Redirect:
        from tasks.sync import request_full_sync

        try:
            await integrations.configure(tenant, staff, integration_id, _settings_from_form(await request.form()))
        except DomainError as exc:
            return _back(error=exc.detail)
        await request_full_sync(integration_id)
        return _back(message="Saved. Calendars are being synchronised.")

    @post("/{integration_id:int}/test", status_code=303)
    async def test(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        integration_id: FromPath[int],
    ) -> Redirect:
        result = await integrations.test_connection(tenant, staff, integration_id)
        outcome = {"message": result.detail} if result.ok else {"error": result.detail}
        return _back(**outcome)

    @post("/{integration_id:int}/sync", status_code=303)
    async def sync_now(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        integration_id: FromPath[int],
    ) -> Redirect:
        from tasks.sync import request_full_sync

        await integrations.get_integration(tenant, staff, integration_id)
        await request_full_sync(integration_id)
        return _back(message="Synchronisation started.")

    @post("/{integration_id:int}/disconnect", status_code=303)
    async def disconnect(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        integration_id: FromPath[int],
    ) -> Redirect:
        form = await request.form()
        remove = form.get("remove_events") == "on"
        removed = await integrations.disconnect(tenant, staff, integration_id, remove_events=remove)
        message = (
            f"Disconnected. {removed} event(s) Rentcal had put in the calendar were removed."
            if remove
            else "Disconnected. Events already in the calendar stay."
        )
        return _back(message=message)

    @post("/{integration_id:int}/audit", status_code=303)
    async def audit(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        integration_id: FromPath[int],
    ) -> Redirect:
        from tasks.sync import audit_integration

        await integrations.get_integration(tenant, staff, integration_id)
        audit_integration.send(integration_id)
        return _back(message="Checking every event in this calendar; reload in a moment for the result.")

    @post("/colors", status_code=303, guards=[MANAGERS])
    async def save_colors(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff], tenant: NamedDependency[Tenant]
    ) -> Redirect:
        from tasks.sync import request_full_sync

        form = await request.form()
        try:
            _, to_resync = await set_booking_colors(tenant, {s: str(form.get(s)) for s in STATUSES if form.get(s)})
        except DomainError as exc:
            return _back(error=exc.detail)
        for integration_id in to_resync:
            await request_full_sync(integration_id)
        return _back(message="Booking colours saved; calendars are being updated.")

    @post("/conflicts/{conflict_id:int}/resolve", status_code=303, guards=[MANAGERS])
    async def resolve(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        conflict_id: FromPath[int],
    ) -> Redirect:
        await integrations.resolve_conflict(tenant, conflict_id)
        return _back(message="Conflict marked as handled.")


def _back(**query: str) -> Redirect:
    return Redirect("/portal/integrations?" + urlencode(query), status_code=303)


@get("/oauth/google/callback", include_in_schema=False)
async def google_callback(
    request: Request[Any, Any, Any],
    oauth_state: Annotated[str, QueryParameter(name="state")] = "",
    code: FromQuery[str] = "",
    error: FromQuery[str] = "",
) -> Redirect:
    """Google redirects here after consent."""
    return await _finish_oauth(request, "google", oauth_state, code, error)


@get("/oauth/{provider:str}/callback", include_in_schema=False)
async def provider_callback(
    request: Request[Any, Any, Any],
    provider: FromPath[str],
    oauth_state: Annotated[str, QueryParameter(name="state")] = "",
    code: FromQuery[str] = "",
    error: FromQuery[str] = "",
) -> Redirect:
    """Any OAuth provider redirects here after consent (Microsoft: /oauth/microsoft/callback)."""
    return await _finish_oauth(request, provider, oauth_state, code, error)


async def _finish_oauth(
    request: Request[Any, Any, Any], provider: str, oauth_state: str, code: str, error: str
) -> Redirect:
    """The state must belong to this browser's session (or, when the API started it, to the staff member logged
    in here) and to this provider; only then is it used up, once."""
    from calendars.providers.registry import PROVIDERS
    from rental.tenants import tenant_by_id
    from tasks.sync import request_full_sync

    pending = await oauth_flow.peek_authorization(oauth_state) if oauth_state else None
    if pending is None or pending.provider != provider or provider not in PROVIDERS:
        return _back(error=EXPIRED)
    label = PROVIDERS[provider].label
    verdict = oauth_flow.check(pending, request.session)
    if verdict is oauth_flow.Verdict.LOGIN:
        return Redirect("/login?" + urlencode({"next": f"{request.url.path}?{request.url.query}"}), status_code=303)
    if verdict is oauth_flow.Verdict.MISMATCH:
        log.warning("OAuth callback refused: opened by another session than staff %s started", pending.staff_id)
        return _back(error=REFUSED)
    if await oauth_flow.take_authorization(oauth_state) is None:  # used up meanwhile by the rightful callback
        return _back(error=EXPIRED)
    if error or not code:
        return _back(error=f"{label} did not grant access")
    staff = await staff_by_id(pending.staff_id)
    if staff is None:
        return Redirect("/login", status_code=303)
    try:
        integration_id = await integrations.complete_oauth(
            provider, await tenant_by_id(staff.company_id), staff, code, pending.code_verifier
        )
    except AuthorizationFailed as exc:
        return _back(
            error=str(exc) if exc.error in ("insufficient_scope", "no_refresh_token") else f"Connecting failed: {exc}"
        )
    except ProviderError as exc:
        log.warning("connecting %s for staff %s failed: %s", provider, staff.id, exc)
        return _back(error=f"{label} did not answer as expected, so the connection is not finished. Please try again.")
    except DomainError as exc:
        return _back(error=f"Connecting failed: {exc}")
    await request_full_sync(integration_id)
    connected = f"{label} connected"
    if not await integrations.has_calendars(integration_id):
        connected += f". {label} asked Rentcal to slow down, so your calendars will appear here in a minute"
    message = urlencode({"message": connected})
    return Redirect(f"/portal/integrations?{message}#integration-{integration_id}")
