"""CAL-102: calendar invitations (iTIP REQUEST/CANCEL over iMIP) for a booking's customer.

When: a booking created confirmed or moved to confirmed; a change of times or place while it is
confirmed or picked up; its cancellation (only after an invitation went out); or on request.
What: the booking as it is at sending time, with SEQUENCE = Booking.sequence. Each
(booking, method, sequence) is recorded once (booking_mail), so repeated outbox events send nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formataddr
from urllib.parse import urlsplit

from calendars.ical import build_imip_message, build_invite, calendar_links, to_caldav_object
from calendars.ical.models import EventStatus, InviteEvent, InviteMethod
from calendars.mail import records
from calendars.mail.records import MailRecord, Skip, Wait
from calendars.mail.texts import render_pair, sender, sender_address, when
from rental.bookings import get_booking
from rental.errors import Conflict, NotFound
from rental.outbox import OutboxEvent
from rental.schemas import Booking
from rental.statuses import CONFIRMED_AHEAD
from rental.tables import Booking as BookingTable
from rental.tenants import Tenant, tenant_by_id
from rentcal.settings import get_settings

INVITE_STATUSES = CONFIRMED_AHEAD


def booking_uid(booking_id: int) -> str:
    """One stable iCalendar UID per booking: booking-{id}@{host of RENTCAL_BASE_URL}."""
    return f"booking-{booking_id}@{urlsplit(get_settings().base_url).hostname or 'rentcal.invalid'}"


def invite_token(booking_id: int) -> str:
    """`{id}-{HMAC}`: opens the booking's invitation without a login; unguessable without the secret."""
    mac = hmac.new(get_settings().secret_key.encode(), f"invite:{booking_id}".encode(), hashlib.sha256).digest()
    return f"{booking_id}-{base64.urlsafe_b64encode(mac[:18]).decode()}"


def booking_id_for_token(token: str) -> int | None:
    raw_id = token.partition("-")[0]
    if not raw_id.isdigit() or len(raw_id) > 12:
        return None
    return int(raw_id) if hmac.compare_digest(invite_token(int(raw_id)), token) else None


def invite_urls(booking_id: int) -> dict[str, str]:
    base = f"{get_settings().base_url}/invites/{invite_token(booking_id)}"
    return {"page": base, "ics": f"{base}.ics"}


def describe(booking: Booking, tenant: Tenant) -> str:
    """Pickup, return and what was rented; never payment data or the customer's address."""
    pickup = f" at {booking.pickup_location}" if booking.pickup_location else ""
    back = booking.return_location or booking.pickup_location
    return "\n".join(
        [
            f"Pickup: {when(booking.starts_at, tenant.tz)}{pickup}",
            f"Return: {when(booking.ends_at, tenant.tz)}" + (f" at {back}" if back else ""),
            f"Rented: {booking.product_name} ({booking.unit_name})",
            f"Booking #{booking.id} with {tenant.name}",
        ]
    )


def invite_event(booking: Booking, tenant: Tenant, now: datetime) -> InviteEvent:
    status: EventStatus = {"cancelled": "CANCELLED", "pending": "TENTATIVE"}.get(booking.status, "CONFIRMED")  # type: ignore[assignment]
    return InviteEvent(
        uid=booking_uid(booking.id),
        sequence=booking.sequence,
        summary=f"{booking.product_name} rental · {tenant.name}",
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        timezone=tenant.timezone,
        organizer_name=tenant.name,
        organizer_email=sender_address(),
        attendee_name=booking.customer.name,
        attendee_email=booking.customer.email,
        dtstamp=now,
        location=booking.pickup_location or None,
        description=describe(booking, tenant),
        status=status,
    )


def invite_ics(booking: Booking, tenant: Tenant, now: datetime) -> bytes:
    """The booking as a calendar object to import (no METHOD), cancelled ones marked CANCELLED."""
    method: InviteMethod = "CANCEL" if booking.status == "cancelled" else "REQUEST"
    return to_caldav_object(build_invite(invite_event(booking, tenant, now), method))


async def booking_for_token(token: str) -> tuple[Booking, Tenant] | None:
    booking_id = booking_id_for_token(token)
    if booking_id is None:
        return None
    row = await BookingTable.select(BookingTable.company).where(BookingTable.id == booking_id).first()
    if row is None:
        return None
    tenant = await tenant_by_id(row["company"])
    return await get_booking(tenant, booking_id), tenant


def method_for(topic: str, payload: dict[str, object]) -> InviteMethod | None:
    """Which invitation (if any) an outbox event calls for."""
    status = payload.get("status")
    changes = payload.get("changes") or []
    if topic == "booking.created":
        return "REQUEST" if status == "confirmed" else None
    if topic == "booking.cancelled":
        return "CANCEL"
    if topic == "booking.updated" and isinstance(changes, list):
        if status == "confirmed" and "status" in changes:
            return "REQUEST"
        if status in INVITE_STATUSES and ("times" in changes or "place" in changes):
            return "REQUEST"
    return None


async def handle_booking_event(event: OutboxEvent) -> list[int]:
    """Record the invitation an outbox event calls for; the ids of new mails to send."""
    method = method_for(event.topic, event.payload)
    if method is None:
        return []
    tenant = await tenant_by_id(event.company_id)
    try:
        booking = await get_booking(tenant, event.aggregate_id)
    except NotFound:
        return []
    if method == "CANCEL":
        if booking.status != "cancelled" or not await records.request_statuses(booking.id) - {"failed", "skipped"}:
            return []
    elif booking.status not in INVITE_STATUSES:
        return []
    elif booking.ends_at <= datetime.now(UTC):
        return []  # no invitation to a rental that is already over (recorded afterwards, confirm_past)
    mail_id = await records.record_invite(tenant.id, booking.id, method, booking.sequence, booking.customer.email)
    return [mail_id] if mail_id else []


async def request_invite(tenant: Tenant, booking_id: int) -> tuple[MailRecord, bool]:
    """POST send_calendar_invite: (the invitation of the current SEQUENCE, whether it must be sent now).

    Already queued or sent: nothing new (the same invitation is never sent twice). Failed: queued again.
    """
    booking = await get_booking(tenant, booking_id)
    if booking.status not in INVITE_STATUSES:
        raise Conflict(
            f"booking {booking_id} is {booking.status}: invitations are sent for confirmed or picked-up bookings"
            + (" (confirm it first)" if booking.status == "pending" else "")
        )
    mail_id = await records.record_invite(tenant.id, booking.id, "REQUEST", booking.sequence, booking.customer.email)
    if mail_id is not None:
        record = await records.get_mail(mail_id)
        assert record is not None
        return record, True
    existing = await records.find_invite(booking.id, "REQUEST", booking.sequence)
    assert existing is not None
    if existing.status == "failed":
        requeued = await records.requeue(existing.id)
        if requeued is not None:
            return requeued, True
    return existing, False


async def compose_invite(mail: MailRecord) -> EmailMessage | Skip | Wait:
    """The e-mail for a recorded invitation, built from the booking as it is now."""
    if mail.booking_id is None:
        return Skip("the mail is about no booking")
    row = await BookingTable.select(BookingTable.company).where(BookingTable.id == mail.booking_id).first()
    if row is None:
        return Skip("the booking no longer exists")
    tenant = await tenant_by_id(row["company"])
    booking = await get_booking(tenant, mail.booking_id)
    if mail.method == "REQUEST":
        if booking.status not in INVITE_STATUSES:
            return Skip(f"the booking is {booking.status} now")
        if booking.sequence != mail.sequence:
            newer = await records.record_invite(
                tenant.id, booking.id, "REQUEST", booking.sequence, booking.customer.email
            )
            return Skip(f"superseded by SEQUENCE {booking.sequence}", follow_up=newer)
    else:
        requests = await records.request_statuses(booking.id)
        if "sent" not in requests:
            if requests & {"queued", "sending"}:
                return Wait("an invitation for this booking is still being sent")
            return Skip("no invitation was sent, so there is nothing to cancel")
    return _message(booking, tenant, mail, await records.request_sent_before(booking.id, mail.sequence))


def _message(booking: Booking, tenant: Tenant, mail: MailRecord, update: bool) -> EmailMessage:
    method: InviteMethod = "CANCEL" if mail.method == "CANCEL" else "REQUEST"
    event = invite_event(booking, tenant, datetime.now(UTC))
    headline = {"CANCEL": "Booking cancelled"}.get(method, "Booking changed" if update else "Booking confirmed")
    context = {
        "headline": headline,
        "booking": booking,
        "tenant": tenant,
        "pickup": when(booking.starts_at, tenant.tz),
        "return_": when(booking.ends_at, tenant.tz),
        "urls": invite_urls(booking.id),
        "cancelled": method == "CANCEL",
    }
    text, html = render_pair("invite", **context)
    return build_imip_message(
        event,
        method,
        from_addr=sender(tenant.name),
        to_addr=formataddr((booking.customer.name, mail.recipient)),
        subject=f"{headline}: {booking.product_name}, {booking.starts_at.astimezone(tenant.tz):%a %d %b %Y}",
        text_body=text,
        html_body=html,
        links=None if method == "CANCEL" else calendar_links(event),
    )
