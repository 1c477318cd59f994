"""Notices about website requests: "we received your request", the e-mail confirmation link, "your request
has expired" and "we cannot accept your request" (with the reason staff gave).

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

Notice = Literal["confirm", "expired", "received", "declined"]
TEMPLATES: dict[str, str] = {
    "confirm": "request_confirm",
    "expired": "request_expired",
    "received": "request_received",
    "declined": "request_declined",
}


SUBJECTS: dict[str, str] = {
    "confirm": "Please confirm your request #{id} for {product}",
    "expired": "Your request #{id} for {product} has expired",
    "received": "We received your request #{id} for {product}",
    "declined": "Your request #{id} for {product} could not be accepted",
}


def confirm_token(booking_id: int) -> str:
    """`{id}-{HMAC}` for the confirmation link of a request; unguessable without the secret."""
    mac = hmac.new(get_settings().secret_key.encode(), f"request-confirm:{booking_id}".encode(), hashlib.sha256)
    return f"{booking_id}-{base64.urlsafe_b64encode(mac.digest()[:18]).decode()}"


def booking_id_for_confirm_token(token: str) -> int | None:
    raw_id = token.partition("-")[0]
    if not raw_id.isdigit() or len(raw_id) > 12:
        return None
    return int(raw_id) if hmac.compare_digest(confirm_token(int(raw_id)), token) else None


async def record_notice(company_id: int, booking_id: int, notice: Notice, recipient: str, note: str = "") -> int | None:
    rows = await BookingMail.raw(
        """
        INSERT INTO booking_mail (company, booking, kind, method, sequence, reminder, offset_minutes, recipient,
                                  recipient_role, status, error, attempts, note, created_at, updated_at)
        VALUES ({}, {}, 'notice', '', 0, {}, 0, {}, 'customer', 'queued', '', 0, {}, now(), now())
        ON CONFLICT (booking, reminder) WHERE kind = 'notice' DO NOTHING
        RETURNING id
        """,
        company_id,
        booking_id,
        notice,
        recipient,
        note,
    )
    return int(rows[0]["id"]) if rows else None


async def handle_request_event(event: OutboxEvent) -> list[int]:
    """The notice an outbox event calls for (ids of new mails to send)."""
    payload = event.payload
    note = ""
    if event.topic == "booking.created" and payload.get("status") == "unverified":
        notice: Notice = "confirm"
    elif (
        event.topic in ("booking.created", "booking.updated")
        and payload.get("request")
        and (payload.get("status") == "pending")
    ):
        notice = "received"  # a request arrived (or its e-mail address was confirmed): holding its unit now
    elif event.topic == "booking.expired" and payload.get("was") == "pending":
        notice = "expired"
    elif event.topic == "request.declined":
        notice, note = "declined", str(payload.get("reason", ""))
    else:
        return []
    tenant = await tenant_by_id(event.company_id)
    try:
        booking = await get_booking(tenant, event.aggregate_id)
    except NotFound:
        return []
    mail_id = await record_notice(tenant.id, booking.id, notice, booking.customer.email, note)
    return [mail_id] if mail_id else []


async def compose_notice(mail: MailRecord) -> EmailMessage | Skip:
    if mail.booking_id is None:
        return Skip("the mail is about no booking")
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
        "reason": mail.note,
    }
    text, html = render_pair(TEMPLATES[mail.reminder], **context)
    message = EmailMessage()
    message["From"] = sender(tenant.name)
    message["To"] = mail.recipient
    message["Subject"] = SUBJECTS[mail.reminder].format(id=booking.id, product=booking.product_name)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message
