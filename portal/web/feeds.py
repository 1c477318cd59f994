"""Portal page "Calendar feeds": subscription links (create, regenerate, revoke) and imported feeds.

Every form is POST-redirect-GET: the outcome (and a new link, shown once) travels in the session to the
page's next GET, so reloading the page never posts a second feed.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from calendars.feeds import imports as feed_import
from calendars.feeds import subscriptions as feeds
from calendars.feeds.subscriptions import NewLink
from portal.deps import PORTAL_DEPENDENCIES
from portal.guards import SIGNED_IN
from portal.web.forms import optional_int
from portal.web.layout import render
from rental import catalogue
from rental.accounts import Staff
from rental.errors import DomainError
from rental.tenants import Tenant

Form = Body(media_type=RequestEncodingType.URL_ENCODED)


class SubscriptionForm(msgspec.Struct):
    kind: str = "assignments"
    product_id: str = ""
    name: str = ""


class ImportForm(msgspec.Struct):
    url: str = ""
    name: str = ""
    scope: str = "personal"  # personal | company


_FLASH = "feeds_flash"


def _back(request: Request[Any, Any, Any], **outcome: Any) -> Redirect:
    """To the page, with what it should say once (message, error, new_link, polling)."""
    if isinstance(outcome.get("new_link"), NewLink):
        link: NewLink = outcome["new_link"]
        outcome["new_link"] = {"subscription": {"name": link.subscription.name}, "https": link.https,
                               "webcal": link.webcal}  # fmt: skip
    request.set_session({**(request.session or {}), _FLASH: outcome})
    return Redirect("/portal/feeds", status_code=303)


def _pop(request: Request[Any, Any, Any]) -> dict[str, Any]:
    outcome = request.session.pop(_FLASH, None) if request.session else None
    if not isinstance(outcome, dict):
        return {}
    request.set_session(dict(request.session))
    # JSON in the session store turned the feed ids into strings
    return {**outcome, "polling": {int(k): v for k, v in (outcome.get("polling") or {}).items()}}


class FeedPages(Controller):
    path = "/portal/feeds"
    dependencies = PORTAL_DEPENDENCIES
    guards = [SIGNED_IN]
    include_in_schema = False

    async def _page(
        self,
        request: Request[Any, Any, Any],
        staff: Staff,
        tenant: Tenant,
        new_link: NewLink | dict[str, Any] | None = None,
        **extra: Any,
    ) -> Template:
        return render(
            request,
            staff,
            tenant,
            "portal/feeds.html",
            subscriptions=await feeds.list_subscriptions(tenant, staff),
            imports=await feed_import.list_imports(tenant, staff),
            kinds=[(k, feeds.KINDS[k][0]) for k in feeds.allowed_kinds(staff.role)],
            allowed=feeds.allowed_kinds(staff.role),
            labels={k: label for k, (label, _) in feeds.KINDS.items()},
            products=await catalogue.list_products(tenant),
            new_link=new_link,
            **{"message": None, "error": None, "polling": {}, **extra},
        )

    @get("/")
    async def index(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff], tenant: NamedDependency[Tenant]
    ) -> Template:
        return await self._page(request, staff, tenant, **_pop(request))

    @post("/subscriptions", status_code=303)
    async def create(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        data: Annotated[SubscriptionForm, Form],
    ) -> Redirect:
        try:
            link = await feeds.create_subscription(tenant, staff, data.kind, optional_int(data.product_id), data.name)
        except DomainError as exc:
            return _back(request, error=exc.detail)
        return _back(request, new_link=link)

    @post("/subscriptions/{subscription_id:int}/regenerate", status_code=303)
    async def regenerate(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        subscription_id: FromPath[int],
    ) -> Redirect:
        try:
            link = await feeds.regenerate(tenant, staff, subscription_id)
        except DomainError as exc:
            return _back(request, error=exc.detail)
        return _back(request, new_link=link)

    @post("/subscriptions/{subscription_id:int}/revoke", status_code=303)
    async def revoke(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        subscription_id: FromPath[int],
    ) -> Redirect:
        try:
            await feeds.revoke(tenant, staff, subscription_id)
        except DomainError as exc:
            return _back(request, error=exc.detail)
        return _back(request, message="Feed revoked: its link no longer works.")

    @post("/imports", status_code=303)
    async def add_import(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        data: Annotated[ImportForm, Form],
    ) -> Redirect:
        try:
            added = await feed_import.add_import(tenant, staff, data.name, data.url, data.scope != "company")
        except DomainError as exc:
            return _back(request, error=exc.detail)
        return _back(request, **_started(added))

    @post("/imports/{feed_id:int}/refresh", status_code=303)
    async def refresh(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        feed_id: FromPath[int],
    ) -> Redirect:
        try:
            view = await feed_import.get_import(tenant, staff, feed_id)
        except DomainError as exc:
            return _back(request, error=exc.detail)
        return _back(request, **_started(view))

    @get("/imports/{feed_id:int}/row")
    async def import_row(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        feed_id: FromPath[int],
        since: FromQuery[float] = 0.0,
    ) -> Template:
        """One row of the imports table; it asks again while the worker has not read the feed since `since`."""
        view = await feed_import.get_import(tenant, staff, feed_id)
        done = view.last_attempt_at is not None and view.last_attempt_at.timestamp() >= since
        return render(
            request,
            staff,
            tenant,
            "partials/import_row.html",
            "partials/import_row.html",
            f=view,
            polling={} if done else {view.id: since},
        )

    @post("/imports/{feed_id:int}/delete", status_code=303)
    async def delete_import(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        feed_id: FromPath[int],
    ) -> Redirect:
        try:
            await feed_import.delete_import(tenant, staff, feed_id)
        except DomainError as exc:
            return _back(request, error=exc.detail)
        return _back(request, message="Imported feed removed with its blocks.")


def _started(view: feed_import.ImportView) -> dict[str, Any]:
    """Reading a feed runs in the worker (with its deadline); the row shows the result when it is done."""
    from tasks.mail import refresh_feed_import

    since = time.time()
    refresh_feed_import.send(view.id)
    return {"message": f"{view.name}: reading the feed in the background…", "error": None, "polling": {view.id: since}}
