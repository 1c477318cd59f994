"""Notifications for staff: a new website request (managers), and a change made in a connected calendar that
was applied or refused (the item's assigned person and the managers).

Each comes from one outbox event and is recorded once per person (staff_notification, unique per event and
person) with one mail each (booking_mail kind 'staff', unique per notification): a retried event or a second
worker adds nothing. The portal lists the notifications until they are read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import msgspec

from calendars.mail.records import MailRecord, Skip
from calendars.mail.texts import render_pair, sender, when
from calendars.tables import StaffNotification
from rental.accounts import staff_of_company
from rental.bookings import get_booking
from rental.errors import NotFound
from rental.outbox import OutboxEvent
from rental.tables import Booking, Delivery, MaintenanceSchedule, StaffUser
from rental.tenants import Tenant, tenant_by_id
from rentcal.settings import get_settings

SUBJECTS = {
    "new_request": "New website request",
    "change_applied": "A change from a calendar was applied",
    "change_refused": "A change from a calendar was refused",
}
KIND_NAMES = {"booking": "Booking", "maintenance": "Maintenance", "delivery": "Delivery"}


class Notification(msgspec.Struct, frozen=True):
    id: int
    kind: str
    item_key: str
    message: str
    created_at: datetime
    read_at: datetime | None

    @property
    def link(self) -> str:
        """The page of the item (a delivery's booking; maintenance is on the team calendar)."""
        kind, _, raw_id = self.item_key.partition(":")
        if kind == "booking":
            return f"/portal/bookings/{raw_id}"
        if self.kind == "change_refused":
            return "/portal/conflicts"
        return "/portal/team"


async def _assignee(item_key: str) -> int | None:
    kind, _, raw_id = item_key.partition(":")
    if not raw_id.isdigit():
        return None
    item_id = int(raw_id)
    row: dict[str, Any] | None
    if kind == "booking":
        row = await Booking.select(Booking.assigned_staff.as_alias("person")).where(Booking.id == item_id).first()
    elif kind == "maintenance":
        row = await (
            MaintenanceSchedule.select(MaintenanceSchedule.technician.as_alias("person"))
            .where(MaintenanceSchedule.id == item_id)
            .first()
        )
    elif kind == "delivery":
        row = await Delivery.select(Delivery.driver.as_alias("person")).where(Delivery.id == item_id).first()
    else:
        row = None
    return row["person"] if row else None


def describe_item(item_key: str) -> str:
    kind, _, raw_id = item_key.partition(":")
    return f"{KIND_NAMES.get(kind, 'Item')} {raw_id}"


def change_message(tenant: Tenant, change: dict[str, Any]) -> str:
    """What happened, in words and local times (the engine's detail only up to its first colon: no raw ids)."""
    span = ""
    if change.get("starts_at") and change.get("ends_at"):
        starts, ends = (datetime.fromisoformat(change[k]) for k in ("starts_at", "ends_at"))
        span = f" to {when(starts, tenant.tz)} – {when(ends, tenant.tz)}"
    if change.get("change") == "moved":
        return f"was moved in a connected calendar{span}; Rentcal applied the move."
    if change.get("change") == "remote_deleted":
        return "was deleted in a connected calendar. Restore it or cancel it under Conflicts."
    why = str(change.get("detail", "")).partition(":")[0]
    return (
        f"was moved in a connected calendar{span}, but Rentcal could not follow ({why}), so the calendar shows "
        "our time again. Accept the new time, keep ours or cancel under Conflicts."
    )


async def _new_request_message(tenant: Tenant, booking_id: int) -> str | None:
    try:
        booking = await get_booking(tenant, booking_id)
    except NotFound:
        return None
    return (
        f"{booking.customer.name} asks for {booking.product_name} from {when(booking.starts_at, tenant.tz)} "
        f"to {when(booking.ends_at, tenant.tz)} (request #{booking.id}). Accept or decline it under Requests."
    )


async def handle_staff_event(event: OutboxEvent) -> list[int]:
    """Notifications (and their mails) an outbox event calls for; returns the ids of new mails to send."""
    payload = event.payload
    tenant = await tenant_by_id(event.company_id)
    people = await staff_of_company(tenant.id)
    managers = [p.id for p in people if p.is_manager]
    if event.topic in ("booking.created", "booking.updated") and payload.get("request"):
        if payload.get("status") != "pending":
            return []  # an unverified request waits for its e-mail link: staff hear of it once confirmed
        message = await _new_request_message(tenant, event.aggregate_id)
        if message is None:
            return []
        return await notify(tenant.id, managers, "new_request", f"booking:{event.aggregate_id}", message, event.id)
    if event.topic in ("calendar.change_applied", "calendar.change_refused"):
        item_key = str(payload.get("item_key", ""))
        assignee = await _assignee(item_key)
        recipients = [*managers, *([assignee] if assignee and assignee not in managers else [])]
        kind = event.topic.removeprefix("calendar.")
        message = f"{describe_item(item_key)} {change_message(tenant, payload)}"
        return await notify(tenant.id, recipients, kind, item_key, message, event.id)
    return []


async def notify(
    company_id: int, staff_ids: list[int], kind: str, item_key: str, message: str, source_event: int
) -> list[int]:
    """Record the notification for each person once, with its mail; ids of the mails recorded now."""
    if not staff_ids:
        return []
    async with StaffNotification._meta.db.transaction():
        rows = await StaffNotification.raw(
            """
            WITH added AS (
                INSERT INTO staff_notification (company, staff, kind, item_key, message, source_event)
                SELECT {}, s.id, {}, {}, {}, {} FROM staff_user s WHERE s.id = ANY({}) AND s.company = {}
                ON CONFLICT (source_event, staff) DO NOTHING
                RETURNING id, staff
            )
            INSERT INTO booking_mail (company, booking, notification, kind, method, sequence, reminder,
                                      offset_minutes, recipient, recipient_role, status, error, attempts, note,
                                      created_at, updated_at)
            SELECT {}, NULL, a.id, 'staff', '', 0, '', 0, s.email, 'staff', 'queued', '', 0, '', now(), now()
            FROM added a JOIN staff_user s ON s.id = a.staff
            ON CONFLICT (notification) WHERE kind = 'staff' DO NOTHING
            RETURNING id
            """,
            company_id,
            kind,
            item_key,
            message,
            source_event,
            staff_ids,
            company_id,
            company_id,
        )
    return sorted(int(r["id"]) for r in rows)


async def compose_staff(mail: MailRecord) -> EmailMessage | Skip:
    row = await StaffNotification.select().where(StaffNotification.id == mail.notification_id).first()
    if row is None:
        return Skip("the notification no longer exists")
    person = await StaffUser.select(StaffUser.name).where(StaffUser.id == row["staff"]).first()
    tenant = await tenant_by_id(row["company"])
    notice = _notification(row)
    subject = SUBJECTS.get(notice.kind, "Rentcal")
    text, html = render_pair(
        "staff_notice",
        person=person["name"] if person else "",
        message=notice.message,
        link=get_settings().base_url + notice.link,
        tenant=tenant,
        subject=subject,
    )
    message = EmailMessage()
    message["From"] = sender(tenant.name)
    message["To"] = mail.recipient
    message["Subject"] = f"{subject}: {describe_item(notice.item_key)}"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def _notification(row: dict[str, Any]) -> Notification:
    return Notification(row["id"], row["kind"], row["item_key"], row["message"], row["created_at"], row["read_at"])


async def notifications_of(staff_id: int, limit: int = 100) -> list[Notification]:
    rows = (
        await StaffNotification.select()
        .where(StaffNotification.staff == staff_id)
        .order_by(StaffNotification.id, ascending=False)
        .limit(limit)
    )
    return [_notification(r) for r in rows]


async def count_unread(staff_id: int) -> int:
    return int(
        await StaffNotification.count().where(
            (StaffNotification.staff == staff_id) & StaffNotification.read_at.is_null()
        )
    )


async def mark_read(staff_id: int, notification_id: int | None = None) -> int:
    """Mark one (or every) notification of this person read; how many changed."""
    where = (StaffNotification.staff == staff_id) & StaffNotification.read_at.is_null()
    if notification_id is not None:
        where = where & (StaffNotification.id == notification_id)
    rows = (
        await StaffNotification.update({StaffNotification.read_at: datetime.now(UTC)})
        .where(where)
        .returning(StaffNotification.id)
    )
    return len(rows)
