"""The widget's iframe pages: month calendar, request form, confirmation (Jinja2 + HTMX)."""

from __future__ import annotations

import json
from datetime import date
from functools import partial
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, QueryParameter
from litestar.response import Template

from rental.cached import tenant_by_slug
from rental.errors import Conflict, NotFound
from rental.handover import ReturnOption
from rental.schemas import Booking, Product
from rental.tenants import Tenant
from rentcal.settings import get_settings
from widget import calendar, i18n, ranges, request_guard, tokens
from widget.booking_requests import (
    RequestForm,
    Window,
    check_window,
    contact_errors,
    request_booking,
    return_days,
    unchecked_window,
)
from widget.http import NO_SESSION
from widget.options import Options, options_from_request
from widget.public import business_hours, company_today, public_days, public_product
from widget.ratelimit import rate_limit


async def widget_tenant(company_slug: FromPath[str]) -> Tenant:
    return await tenant_by_slug(company_slug)


async def widget_product(tenant: NamedDependency[Tenant], product_id: FromPath[int]) -> Product:
    return await public_product(tenant, product_id)


def _token_subject(tenant: Tenant, product: Product) -> str:
    return f"widget-request|{tenant.id}|{product.id}"


def range_message(locale: i18n.Locale, error: ranges.RangeError) -> str:
    day = i18n.long_date(locale, error.day) if error.day else ""
    longest = error.reason if error.code == "too_long" and error.reason else ranges.MAX_DAYS
    return i18n.text(locale, error.code, date=day, max=longest, min=error.reason)


def return_day_texts(locale: i18n.Locale, options: list[ReturnOption]) -> dict[str, str | None]:
    """ISO date -> None when it can be the return day, else why not (in the widget's language)."""
    return {
        o.day.isoformat(): None
        if o.ok
        else range_message(locale, ranges.RangeError(o.code or "no_unit_free", o.day, o.reason))
        for o in options
    }


def missing_widget(request: Request[Any, Any, Any], exc: Exception) -> Template:
    """A wrong company or product in the snippet: a friendly page inside the iframe, never problem+json."""
    opts = options_from_request(request)
    context = {"opts": opts, "t": partial(i18n.text, opts.locale)}
    return Template("widget/missing.html", context=context, status_code=404)


def held_text(locale: i18n.Locale, tenant: Tenant, booking: Booking) -> str:
    if booking.hold_until is None:
        return ""
    local = booking.hold_until.astimezone(tenant.tz)
    return f"{i18n.long_date(locale, local.date())}, {i18n.clock(locale, local.time())}"


class WidgetPages(Controller):
    path = "/widget/{company_slug:str}/{product_id:int}"
    middleware = [rate_limit]
    dependencies = {
        "tenant": Provide(widget_tenant),
        "product": Provide(widget_product),
        "opts": Provide(options_from_request, sync_to_thread=False),
    }
    cache_control = CacheControlHeader(no_store=True)
    include_in_schema = False
    opt = NO_SESSION
    exception_handlers = {NotFound: missing_widget}

    def _context(self, tenant: Tenant, product: Product, opts: Options, **extra: Any) -> dict[str, Any]:
        return {
            "tenant": tenant,
            "product": product,
            "opts": opts,
            "t": partial(i18n.text, opts.locale),
            "base": f"/widget/{tenant.slug}/{product.id}",
            **extra,
        }

    async def _month(self, tenant: Tenant, product: Product, opts: Options, first: date) -> calendar.Month:
        _, last = calendar.month_bounds(first)
        days = await public_days(tenant, product.id, first, last)
        return calendar.build_month(first, days, company_today(tenant), opts.locale, opts.first_day)

    def _form(
        self,
        tenant: Tenant,
        product: Product,
        opts: Options,
        window: Window,
        form: RequestForm,
        status_code: int = 200,
        **extra: Any,
    ) -> Template:
        summary = {
            "pickup": i18n.text(
                opts.locale,
                "at_time",
                date=i18n.long_date(opts.locale, window.selection.pickup),
                time=i18n.clock(opts.locale, window.starts_at.astimezone(tenant.tz).time()),
            ),
            "return": i18n.text(
                opts.locale,
                "by_time",
                date=i18n.long_date(opts.locale, window.selection.return_date),
                time=i18n.clock(opts.locale, window.ends_at.astimezone(tenant.tz).time()),
            ),
        }
        token = tokens.issue(get_settings().secret_key, _token_subject(tenant, product))
        context = self._context(tenant, product, opts, form=form, summary=summary, token=token, **extra)
        return Template("widget/request.html", context=context, status_code=status_code)

    def _refusal(self, tenant: Tenant, product: Product, opts: Options, message: str, **extra: Any) -> Template:
        context = self._context(tenant, product, opts, form=None, error=message, **extra)
        return Template("widget/request.html", context=context, status_code=422)

    @get("/")
    async def page(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        product: NamedDependency[Product],
        opts: NamedDependency[Options],
        month: FromQuery[str | None] = None,
    ) -> Template:
        """The whole widget, or only the month grid for HTMX month navigation."""
        first = calendar.parse_month(month, company_today(tenant))
        context = self._context(
            tenant,
            product,
            opts,
            month=await self._month(tenant, product, opts, first),
            headers=i18n.weekday_headers(opts.locale, opts.first_day),
        )
        if request.headers.get("hx-request"):
            return Template("widget/month.html", context=context)
        strings = {key: i18n.STRINGS[opts.locale][key] for key in i18n.SCRIPT_KEYS}
        return Template("widget/page.html", context={**context, "script_strings": json.dumps(strings)})

    @get("/request")
    async def request_form(
        self,
        tenant: NamedDependency[Tenant],
        product: NamedDependency[Product],
        opts: NamedDependency[Options],
        pickup: FromQuery[str] = "",
        return_date: Annotated[str, QueryParameter(name="return")] = "",
    ) -> Template:
        """The contact form for a chosen range, after the server has checked the range."""
        try:
            window = await check_window(tenant, product.id, ranges.parse_selection(pickup, return_date))
        except ranges.RangeError as exc:
            return self._refusal(tenant, product, opts, range_message(opts.locale, exc))
        return self._form(tenant, product, opts, window, RequestForm(pickup=pickup, return_date=return_date))

    @get("/returns")
    async def returns(
        self,
        tenant: NamedDependency[Tenant],
        product: NamedDependency[Product],
        opts: NamedDependency[Options],
        pickup: FromQuery[str] = "",
    ) -> dict[str, Any]:
        """After a pickup day is chosen: which return days can be booked, and why the others cannot."""
        try:
            day = date.fromisoformat(pickup.strip())
        except ValueError:
            return {"pickup": pickup, "refusal": i18n.text(opts.locale, "choose_dates"), "days": {}}
        if day < company_today(tenant):
            text = range_message(opts.locale, ranges.RangeError("in_past", day))
            return {"pickup": day.isoformat(), "refusal": text, "days": {}}
        refusal, options = await return_days(tenant, product.id, day)
        if refusal is not None:
            text = range_message(opts.locale, ranges.refusal_error(refusal))
            return {"pickup": day.isoformat(), "refusal": text, "days": {}}
        return {"pickup": day.isoformat(), "refusal": None, "days": return_day_texts(opts.locale, options)}

    @post("/request", status_code=201)
    async def submit(
        self,
        request: Request[Any, Any, Any],
        tenant: NamedDependency[Tenant],
        product: NamedDependency[Product],
        opts: NamedDependency[Options],
        data: Annotated[RequestForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template:
        t = partial(i18n.text, opts.locale)
        taken = False
        try:
            selection = ranges.parse_selection(data.pickup, data.return_date)
            window = await check_window(tenant, product.id, selection)
        except ranges.RangeError as exc:
            if exc.code != "no_unit_free":
                return self._refusal(tenant, product, opts, range_message(opts.locale, exc))
            # taken since the form was shown: answered like a clash at booking time, the values kept
            window = unchecked_window(tenant, selection, await business_hours(tenant))
            taken = True
        if not tokens.verify(get_settings().secret_key, _token_subject(tenant, product), data.token):
            return self._form(tenant, product, opts, window, data, 422, error=t("expired"))
        errors = {field: t(key) for field, key in contact_errors(data).items()}
        if errors:
            return self._form(tenant, product, opts, window, data, 422, errors=errors)
        refused = await request_guard.admit(
            tenant.slug, (request.client.host if request.client else "unknown"), data.email, data.token
        )
        if refused is not None:
            return self._refusal(tenant, product, opts, t(refused))
        headers = i18n.weekday_headers(opts.locale, opts.first_day)
        month_first = selection.pickup.replace(day=1)
        try:
            if taken:
                raise Conflict("taken")
            booking = await request_booking(tenant, product.id, window, data)
        except Conflict:
            month = await self._month(tenant, product, opts, month_first)
            return self._form(
                tenant, product, opts, window, data, 409, error=t("conflict"), month=month, headers=headers
            )
        context = self._context(
            tenant,
            product,
            opts,
            booking_id=booking.id,
            unverified=booking.status == "unverified",
            held_until=held_text(opts.locale, tenant, booking),
            month=await self._month(tenant, product, opts, month_first),
            headers=headers,
        )
        trigger = json.dumps({"rentcal:booked": {"bookingId": booking.id}})
        return Template("widget/confirmation.html", context=context, status_code=201, headers={"HX-Trigger": trigger})
