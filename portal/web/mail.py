"""Portal: a booking's page with its mails and invitation links, reminder settings, the demo mailbox."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from calendars.ical import calendar_links
from calendars.mail import demo_sink, invitations, records, reminders
from portal.deps import PORTAL_DEPENDENCIES
from portal.guards import MANAGERS, SIGNED_IN
from portal.web.booking_details import history_lines
from portal.web.layout import render
from portal.web.today import pop_flash
from rental import bookings, catalogue
from rental.accounts import Staff, staff_of_company
from rental.errors import DomainError
from rental.tables import Customer, StaffUser
from rental.tenants import Tenant
from rentcal.settings import get_settings

Form = Body(media_type=RequestEncodingType.URL_ENCODED)


class ReminderForm(msgspec.Struct):
    offsets: str = ""
    enabled: str = ""
    notify_staff: str = ""


class BookingDetailPages(Controller):
    path = "/portal/bookings"
    dependencies = PORTAL_DEPENDENCIES
    guards = [SIGNED_IN]
    include_in_schema = False

    async def _page(
        self, request: Request[Any, Any, Any], staff: Staff, tenant: Tenant, booking_id: int, **extra: Any
    ) -> Template:
        booking = await bookings.get_booking(tenant, booking_id)
        try:
            links = calendar_links(invitations.invite_event(booking, tenant, datetime.now(UTC)))
        except ValueError:  # data iCalendar refuses, e.g. an e-mail address with a quote
            links = {}
        return render(
            request,
            staff,
            tenant,
            "portal/booking.html",
            "partials/booking_mails.html",
            b=booking,
            mails=await records.mails_of_booking(booking_id),
            urls=invitations.invite_urls(booking_id),
            links=links,
            can_invite=booking.status in invitations.INVITE_STATUSES,
            units=[u for u in await catalogue.list_units(tenant, booking.product_id) if u["active"]],
            people=await staff_of_company(tenant.id),
            history=await history_lines(tenant, booking_id),
            **{"message": None, "error": None, "typed": None, **extra},
        )

    @get("/{booking_id:int}")
    async def show(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        booking_id: FromPath[int],
    ) -> Template:
        typed = (request.session or {}).get("flash", {}).get("typed")  # the details form as typed, when refused
        message, error = pop_flash(request)  # after a button or a form on this page
        return await self._page(request, staff, tenant, booking_id, message=message, error=error, typed=typed)

    @post("/{booking_id:int}/send_invite", status_code=303)
    async def send_invite(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        booking_id: FromPath[int],
    ) -> Redirect:
        """POST-redirect-GET: a reload of the page shows the outcome again, it does not send again."""
        from tasks.mail import request_invite

        try:
            mail = await request_invite(tenant, booking_id)
            done = "queued" if mail.status == "queued" else f"already {mail.status}"
            flash = {"message": f"Calendar invitation {done} (version {mail.sequence + 1} of this booking)."}
        except DomainError as exc:
            flash = {"error": exc.detail}
        request.set_session({**request.session, "flash": flash})
        return Redirect(f"/portal/bookings/{booking_id}", status_code=303)


class ReminderPages(Controller):
    path = "/portal/reminders"
    dependencies = PORTAL_DEPENDENCIES
    guards = [SIGNED_IN, MANAGERS]
    include_in_schema = False

    @get("/")
    async def show(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff], tenant: NamedDependency[Tenant]
    ) -> Template:
        config = await reminders.get_config(tenant.id)
        return render(
            request,
            staff,
            tenant,
            "portal/reminders.html",
            config=config,
            fmt=reminders.format_offset,
            offsets=", ".join(_short(m) for m in config.offsets_minutes),
            message=None,
            error=None,
        )

    @post("/", status_code=200)
    async def save(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        data: Annotated[ReminderForm, Form],
    ) -> Template:
        message = error = None
        try:
            config = await reminders.save_config(
                tenant.id,
                reminders.ReminderConfig(
                    enabled=data.enabled == "on",
                    offsets_minutes=reminders.parse_offsets(data.offsets),
                    notify_staff=data.notify_staff == "on",
                ),
            )
            message = "Saved."
        except DomainError as exc:
            config, error = await reminders.get_config(tenant.id), exc.detail
        return render(
            request,
            staff,
            tenant,
            "portal/reminders.html",
            config=config,
            fmt=reminders.format_offset,
            offsets=data.offsets if error else ", ".join(_short(m) for m in config.offsets_minutes),
            message=message,
            error=error,
        )


def _short(minutes: int) -> str:
    for unit, size in (("d", 1440), ("h", 60)):
        if minutes % size == 0:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"


async def _addresses(tenant: Tenant) -> set[str]:
    """The company's customers and staff: the demo sink is shared, each company sees its own mails."""
    customers = await Customer.select(Customer.email).where(Customer.company == tenant.id)
    staff = await StaffUser.select(StaffUser.email).where(StaffUser.company == tenant.id)
    return {r["email"].lower() for r in [*customers, *staff]}


def _to(mail: demo_sink.MailSummary) -> str:
    return parseaddr(mail.to)[1].lower()


class MailboxPages(Controller):
    path = "/portal/mailbox"
    dependencies = PORTAL_DEPENDENCIES
    guards = [SIGNED_IN, MANAGERS]
    include_in_schema = False

    @get("/")
    async def index(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff], tenant: NamedDependency[Tenant]
    ) -> Template:
        maildir = get_settings().demo_maildir
        ours = await _addresses(tenant)
        mails = [m for m in demo_sink.list_mails(maildir, limit=2000) if _to(m) in ours][:100] if maildir else []
        return render(request, staff, tenant, "portal/mailbox.html", maildir=maildir, mails=mails)

    @get("/{key:str}")
    async def show(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        key: FromPath[str],
    ) -> Template:
        maildir = get_settings().demo_maildir
        mail = demo_sink.read_mail(maildir, key) if maildir else None
        if mail is None or _to(mail.summary) not in await _addresses(tenant):
            raise NotFoundException("no such mail in the demo mailbox")
        return render(request, staff, tenant, "portal/mail.html", mail=mail)
