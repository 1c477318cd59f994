"""The record of every e-mail about a booking (table booking_mail) and its small state machine.

queued -> sending -> sent | failed | skipped; a transient failure puts it back to queued.
`claim` moves one row to sending atomically, so two workers never send the same mail; a row
stuck in sending (a worker died mid-send) may be claimed again after STALE_SENDING.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

import msgspec

from calendars.ical_tables import BookingMail

MailStatus = Literal["queued", "sending", "sent", "failed", "skipped"]
STALE_SENDING_SECONDS = 600


class MailRecord(msgspec.Struct):
    id: int
    booking_id: int | None  # None for some staff mails (a notification about maintenance)
    kind: Literal["invite", "reminder", "notice", "staff", "staff_invite"]
    method: str
    sequence: int
    reminder: str
    offset_minutes: int
    target_at: datetime | None
    recipient: str
    recipient_role: Literal["customer", "staff"]
    status: MailStatus
    error: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    notification_id: int | None = None
    note: str = ""
    invitation_id: int | None = None  # kind 'staff_invite'


class NewReminder(msgspec.Struct, frozen=True):
    company_id: int
    booking_id: int
    reminder: Literal["pickup", "return"]
    offset_minutes: int
    target_at: datetime
    recipient: str
    recipient_role: Literal["customer", "staff"]


def to_record(row: dict[str, Any]) -> MailRecord:
    return MailRecord(
        id=row["id"],
        booking_id=row["booking"],
        kind=row["kind"],
        method=row["method"],
        sequence=row["sequence"],
        reminder=row["reminder"],
        offset_minutes=row["offset_minutes"],
        target_at=row["target_at"],
        recipient=row["recipient"],
        recipient_role=row["recipient_role"],
        status=row["status"],
        error=row["error"],
        attempts=row["attempts"],
        created_at=row["created_at"],
        sent_at=row["sent_at"],
        notification_id=row.get("notification"),
        invitation_id=row.get("invitation"),
        note=row.get("note") or "",
    )


async def record_invite(company_id: int, booking_id: int, method: str, sequence: int, recipient: str) -> int | None:
    """Queue an invitation; None if this (booking, method, sequence) was recorded before."""
    rows = await BookingMail.raw(
        """
        INSERT INTO booking_mail (company, booking, kind, method, sequence, reminder, offset_minutes, recipient,
                                  recipient_role, status, error, attempts, created_at, updated_at)
        VALUES ({}, {}, 'invite', {}, {}, '', 0, {}, 'customer', 'queued', '', 0, now(), now())
        ON CONFLICT (booking, method, sequence) WHERE kind = 'invite' DO NOTHING
        RETURNING id
        """,
        company_id,
        booking_id,
        method,
        sequence,
        recipient,
    )
    return int(rows[0]["id"]) if rows else None


async def record_reminders(reminders: Sequence[NewReminder]) -> list[int]:
    """Queue reminders; those recorded before (by this or another worker) are left out."""
    if not reminders:
        return []
    rows = await BookingMail.raw(
        """
        INSERT INTO booking_mail (company, booking, kind, method, sequence, reminder, offset_minutes, target_at,
                                  recipient, recipient_role, status, error, attempts, created_at, updated_at)
        SELECT company, booking, 'reminder', '', 0, reminder, offset_minutes, target_at, recipient, role,
               'queued', '', 0, now(), now()
        FROM unnest({}::int[], {}::int[], {}::text[], {}::int[], {}::timestamptz[], {}::text[], {}::text[])
             AS r(company, booking, reminder, offset_minutes, target_at, recipient, role)
        ON CONFLICT (booking, reminder, offset_minutes, recipient, target_at) WHERE kind = 'reminder' DO NOTHING
        RETURNING id
        """,
        [r.company_id for r in reminders],
        [r.booking_id for r in reminders],
        [r.reminder for r in reminders],
        [r.offset_minutes for r in reminders],
        [r.target_at for r in reminders],
        [r.recipient for r in reminders],
        [r.recipient_role for r in reminders],
    )
    return sorted(int(r["id"]) for r in rows)


async def find_invite(booking_id: int, method: str, sequence: int) -> MailRecord | None:
    row = (
        await BookingMail.select()
        .where(
            (BookingMail.booking == booking_id)
            & (BookingMail.kind == "invite")
            & (BookingMail.method == method)
            & (BookingMail.sequence == sequence)
        )
        .first()
    )
    return to_record(row) if row else None


async def request_statuses(booking_id: int) -> set[str]:
    """Statuses of the REQUEST invitations recorded for a booking."""
    rows = await BookingMail.select(BookingMail.status).where(
        (BookingMail.booking == booking_id) & (BookingMail.kind == "invite") & (BookingMail.method == "REQUEST")
    )
    return {r["status"] for r in rows}


async def request_sent_before(booking_id: int, sequence: int) -> bool:
    return await BookingMail.exists().where(
        (BookingMail.booking == booking_id)
        & (BookingMail.kind == "invite")
        & (BookingMail.method == "REQUEST")
        & (BookingMail.status == "sent")
        & (BookingMail.sequence < sequence)
    )


async def claim(mail_id: int) -> MailRecord | None:
    """queued (or long-stuck sending) -> sending, counting the attempt; None if not ours to send."""
    rows = await BookingMail.raw(
        """
        UPDATE booking_mail SET status = 'sending', attempts = attempts + 1, updated_at = now()
        WHERE id = {} AND (status = 'queued'
              OR (status = 'sending' AND updated_at < now() - make_interval(secs => {})))
        RETURNING *
        """,
        mail_id,
        STALE_SENDING_SECONDS,
    )
    return to_record(rows[0]) if rows else None


async def finish(mail_id: int, status: MailStatus, error: str = "") -> None:
    await BookingMail.raw(
        "UPDATE booking_mail SET status = {}, error = {}, updated_at = now(), "
        "sent_at = CASE WHEN {} = 'sent' THEN now() ELSE sent_at END WHERE id = {}",
        status,
        error[:2000],
        status,
        mail_id,
    )


async def requeue(mail_id: int) -> MailRecord | None:
    """A failed mail goes back to queued (a manual resend), keeping its key."""
    rows = await BookingMail.raw(
        "UPDATE booking_mail SET status = 'queued', error = '', attempts = 0, updated_at = now() "
        "WHERE id = {} AND status = 'failed' RETURNING *",
        mail_id,
    )
    return to_record(rows[0]) if rows else None


async def lost(older_than_seconds: int = 1800, limit: int = 100) -> list[int]:
    """Queued mails nobody touched for a while (a crash between recording and enqueueing, a lost message).

    Longer than the actors' largest backoff, so mails merely waiting for a retry are left alone.
    """
    rows = await BookingMail.raw(
        "SELECT id FROM booking_mail WHERE status IN ('queued', 'sending') "
        "AND updated_at < now() - make_interval(secs => {}) AND created_at > now() - interval '2 days' "
        "ORDER BY id LIMIT {}",
        older_than_seconds,
        limit,
    )
    return [int(r["id"]) for r in rows]


async def mails_of_booking(booking_id: int) -> list[MailRecord]:
    rows = await BookingMail.select().where(BookingMail.booking == booking_id).order_by(BookingMail.id)
    return [to_record(r) for r in rows]


async def get_mail(mail_id: int) -> MailRecord | None:
    row = await BookingMail.select().where(BookingMail.id == mail_id).first()
    return to_record(row) if row else None


class Skip(msgspec.Struct, frozen=True):
    """Do not send this mail (it became pointless); `follow_up` is a newer mail to send instead."""

    reason: str
    follow_up: int | None = None


class Wait(msgspec.Struct, frozen=True):
    """Not yet: try again later (Dramatiq backoff)."""

    reason: str
