"""Notices about website requests: the e-mail confirmation link, and "your request has expired".

Each is recorded once per booking (booking_mail kind 'notice', a partial unique index) from an
outbox event, so a retried event or a second worker never mails twice. A request that expired
without the customer ever confirming their address gets no mail: anyone may type any address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from email.message import EmailMessage
from typing import Literal

from calendars.ical_tables import BookingMail
from calendars.mail.records import MailRecord, Skip
from calendars.mail.texts import render_pair, sender, when
from rental.bookings import get_booking
from rental.errors import NotFound
from rental.outbox import OutboxEvent
from rental.tables import Booking as BookingTable
from rental.tenants import tenant_by_id
from rentcal.settings import get_settings

Notice = Literal["confirm", "expired"]


def confirm_token(booking_id: int) -> str:
    """`{id}-{HMAC}` for the confirmation link of a request; unguessable without the secret."""
    mac = hmac.new(get_settings().secret_key.encode(), f"request-confirm:{booking_id}".encode(), hashlib.sha256)
    return f"{booking_id}-{base64.urlsafe_b64encode(mac.digest()[:18]).decode()}"


def booking_id_for_confirm_token(token: str) -> int | None:
    raw_id = token.partition("-")[0]
    if not raw_id.isdigit() or len(raw_id) > 12:
        return None
    return int(raw_id) if hmac.compare_digest(confirm_token(int(raw_id)), token) else None


async def record_notice(company_id: int, booking_id: int, notice: Notice, recipient: str) -> int | None:
    rows = await BookingMail.raw(
        """
        INSERT INTO booking_mail (company, booking, kind, method, sequence, reminder, offset_minutes, recipient,
                                  recipient_role, status, error, attempts, created_at, updated_at)
        VALUES ({}, {}, 'notice', '', 0, {}, 0, {}, 'customer', 'queued', '', 0, now(), now())
        ON CONFLICT (booking, reminder) WHERE kind = 'notice' DO NOTHING
        RETURNING id
        """,
        company_id,
        booking_id,
        notice,
        recipient,
    )
    return int(rows[0]["id"]) if rows else None


async def handle_request_event(event: OutboxEvent) -> list[int]:
    """The notice an outbox event calls for (ids of new mails to send)."""
    if event.topic == "booking.created" and event.payload.get("status") == "unverified":
        notice: Notice = "confirm"
    elif event.topic == "booking.expired" and event.payload.get("was") == "pending":
        notice = "expired"
    else:
        return []
    tenant = await tenant_by_id(event.company_id)
    try:
        booking = await get_booking(tenant, event.aggregate_id)
    except NotFound:
        return []
    mail_id = await record_notice(tenant.id, booking.id, notice, booking.customer.email)
    return [mail_id] if mail_id else []


async def compose_notice(mail: MailRecord) -> EmailMessage | Skip:
    row = await BookingTable.select(BookingTable.company).where(BookingTable.id == mail.booking_id).first()
    if row is None:
        return Skip("the booking no longer exists")
    tenant = await tenant_by_id(row["company"])
    booking = await get_booking(tenant, mail.booking_id)
    if mail.reminder == "confirm" and booking.status != "unverified":
        return Skip(f"the request is {booking.status} now")
    settings = get_settings()
    context = {
        "booking": booking,
        "tenant": tenant,
        "pickup": when(booking.starts_at, tenant.tz),
        "return_": when(booking.ends_at, tenant.tz),
        "held_until": when(booking.hold_until, tenant.tz) if booking.hold_until else "",
        "confirm_by": when(booking.hold_until, tenant.tz) if booking.hold_until else "",
        "link": f"{settings.base_url}/widget/{tenant.slug}/requests/{confirm_token(booking.id)}",
    }
    name = "request_confirm" if mail.reminder == "confirm" else "request_expired"
    text, html = render_pair(name, **context)
    message = EmailMessage()
    message["From"] = sender(tenant.name)
    message["To"] = mail.recipient
    message["Subject"] = (
        f"Please confirm your request #{booking.id} for {booking.product_name}"
        if mail.reminder == "confirm"
        else f"Your request #{booking.id} for {booking.product_name} has expired"
    )
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message
