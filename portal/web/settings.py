"""Settings a manager needs: products and units, business hours, the team. Plain forms, POST-redirect-GET."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from portal.deps import PORTAL_DEPENDENCIES
from portal.guards import MANAGERS, SIGNED_IN
from portal.web.layout import render
from portal.web.today import pop_flash
from rental import availability, catalogue, catalogue_edits, staff_invitations, team_members
from rental.accounts import Staff
from rental.business_hours import DAY_NAMES, set_business_hours
from rental.errors import DomainError
from rental.statuses import ROLES
from rental.tenants import Tenant

Form = Body(media_type=RequestEncodingType.URL_ENCODED)


class ProductForm(msgspec.Struct):
    name: str = ""
    description: str = ""
    public: str = ""  # "1" when ticked


class UnitForm(msgspec.Struct):
    name: str = ""
    active: str = ""


class InviteForm(msgspec.Struct):
    email: str = ""
    role: str = ""


class ActiveForm(msgspec.Struct):
    active: str = ""  # "1": take bookings again; anything else: deactivate


class MemberForm(msgspec.Struct):
    role: str = ""
    active: str = ""


def _back(request: Request[Any, Any, Any], section: str, message: str | None, error: str | None = None) -> Redirect:
    flash = {"message": message} if error is None else {"error": error}
    request.set_session({**request.session, "flash": flash})
    return Redirect(f"/portal/settings#{section}", status_code=303)


class SettingsPages(Controller):
    path = "/portal/settings"
    dependencies = PORTAL_DEPENDENCIES
    guards = [SIGNED_IN, MANAGERS]
    include_in_schema = False

    @get("/")
    async def index(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff], tenant: NamedDependency[Tenant]
    ) -> Template:
        message, error = pop_flash(request)
        hours = (await availability.opening_hours(tenant)).by_weekday
        return render(
            request, staff, tenant, "portal/settings.html", message=message, error=error,
            products=await catalogue.list_products(tenant), units=await catalogue.list_units(tenant),
            days=[(key, label, hours.get(key)) for key, label in DAY_NAMES.items()],
            members=await team_members.list_members(tenant), roles=ROLES,
            invitations=await staff_invitations.pending(tenant),
        )  # fmt: skip

    @post("/products", status_code=303)
    async def add_product(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant], data: Annotated[ProductForm, Form]
    ) -> Redirect:
        try:
            await catalogue_edits.create_product(tenant, data.name, data.description, data.public == "1")
        except DomainError as exc:
            return _back(request, "products", None, f"Product not added: {exc.detail}")
        return _back(request, "products", f"Product “{data.name.strip()}” added.")

    @post("/products/{product_id:int}", status_code=303)
    async def edit_product(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        product_id: FromPath[int],
        data: Annotated[ProductForm, Form],
    ) -> Redirect:
        try:
            await catalogue_edits.update_product(tenant, product_id, data.name, data.description, data.public == "1")
        except DomainError as exc:
            return _back(request, "products", None, f"Product not saved: {exc.detail}")
        return _back(request, "products", f"Product “{data.name.strip()}” saved.")

    @post("/products/{product_id:int}/active", status_code=303)
    async def product_active(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        product_id: FromPath[int],
        data: Annotated[ActiveForm, Form],
    ) -> Redirect:
        try:
            name = await catalogue_edits.set_product_active(tenant, product_id, data.active == "1")
        except DomainError as exc:
            return _back(request, "products", None, f"Product not changed: {exc.detail}")
        if data.active == "1":
            return _back(request, "products", f"Product “{name}” takes bookings again.")
        return _back(request, "products", f"Product “{name}” deactivated: no new bookings, hidden from the widget.")

    @post("/products/{product_id:int}/units", status_code=303)
    async def add_unit(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        product_id: FromPath[int],
        data: Annotated[UnitForm, Form],
    ) -> Redirect:
        try:
            await catalogue_edits.create_unit(tenant, product_id, data.name)
        except DomainError as exc:
            return _back(request, "products", None, f"Unit not added: {exc.detail}")
        return _back(request, "products", f"Unit “{data.name.strip()}” added.")

    @post("/units/{unit_id:int}", status_code=303)
    async def edit_unit(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        unit_id: FromPath[int],
        data: Annotated[UnitForm, Form],
    ) -> Redirect:
        try:
            await catalogue_edits.update_unit(tenant, unit_id, data.name, data.active == "1")
        except DomainError as exc:
            return _back(request, "products", None, f"Unit not saved: {exc.detail}")
        return _back(request, "products", f"Unit “{data.name.strip()}” saved.")

    @post("/hours", status_code=303)
    async def hours(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant], data: Annotated[dict[str, str], Form]
    ) -> Redirect:
        days = {
            key: (data.get(f"{key}_open", ""), data.get(f"{key}_close", "")) if data.get(f"{key}_on") == "1" else None
            for key in DAY_NAMES
        }
        try:
            await set_business_hours(tenant, days)
        except DomainError as exc:
            return _back(request, "hours", None, f"Business hours not saved: {exc.detail}")
        return _back(request, "hours", "Business hours saved.")

    @post("/team/{staff_id:int}", status_code=303)
    async def member(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        staff_id: FromPath[int],
        data: Annotated[MemberForm, Form],
    ) -> Redirect:
        try:
            await team_members.change_member(tenant, staff, staff_id, data.role, data.active == "1")
        except DomainError as exc:
            return _back(request, "team", None, f"Not saved: {exc.detail}")
        return _back(request, "team", "Team member saved.")

    @post("/invitations", status_code=303)
    async def invite(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        data: Annotated[InviteForm, Form],
    ) -> Redirect:
        try:
            await staff_invitations.invite(tenant, staff, data.email, data.role)
        except DomainError as exc:
            return _back(request, "team", None, f"Not invited: {exc.detail}")
        return _back(request, "team", f"Invitation sent to {data.email.strip().lower()}.")

    @post("/invitations/{invitation_id:int}/resend", status_code=303)
    async def resend(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant], invitation_id: FromPath[int]
    ) -> Redirect:
        try:
            email = await staff_invitations.resend(tenant, invitation_id)
        except DomainError as exc:
            return _back(request, "team", None, f"Not sent: {exc.detail}")
        return _back(request, "team", f"Invitation sent again to {email}; the earlier link no longer works.")

    @post("/invitations/{invitation_id:int}/withdraw", status_code=303)
    async def withdraw(
        self, request: Request[Any, Any, Any], tenant: NamedDependency[Tenant], invitation_id: FromPath[int]
    ) -> Redirect:
        try:
            email = await staff_invitations.withdraw(tenant, invitation_id)
        except DomainError as exc:
            return _back(request, "team", None, f"Not withdrawn: {exc.detail}")
        return _back(request, "team", f"Invitation to {email} withdrawn.")
