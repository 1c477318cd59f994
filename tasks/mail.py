"""Mail and feed-import actors, the outbox handler for invitations, and their periodic jobs."""

from __future__ import annotations

import dramatiq

from calendars.feeds import imports
from calendars.mail import invitations, records, reminders, sending, staff_invites, staff_notices
from calendars.mail import request_notices as request_mail
from calendars.mail.records import MailRecord
from rental import holds
from rental.outbox import OutboxEvent
from rental.tenants import Tenant
from tasks.broker import broker
from tasks.outbox import on

__all__ = ["broker", "deliver_mail", "refresh_feed_import"]

QUEUE = "mail"


@dramatiq.actor(max_retries=sending.MAX_ATTEMPTS + 2, min_backoff=2_000, max_backoff=900_000, queue_name=QUEUE)
async def deliver_mail(mail_id: int) -> None:
    await sending.deliver(mail_id)


@dramatiq.actor(max_retries=2, min_backoff=60_000, queue_name=QUEUE)
async def refresh_feed_import(feed_id: int) -> None:
    await imports.refresh(feed_id)


@on("booking.")
async def booking_invitations(event: OutboxEvent) -> None:
    for mail_id in await invitations.handle_booking_event(event):
        deliver_mail.send(mail_id)


@on("booking.")
@on("request.")
async def request_notices(event: OutboxEvent) -> None:
    """A website request received, waiting for its e-mail link, expired or declined: mail the customer."""
    for mail_id in await request_mail.handle_request_event(event):
        deliver_mail.send(mail_id)


@on("booking.")
@on("calendar.")
async def notify_staff(event: OutboxEvent) -> None:
    """A new website request, or a change from a calendar applied or refused: tell the staff concerned."""
    for mail_id in await staff_notices.handle_staff_event(event):
        deliver_mail.send(mail_id)


@on("staff.")
async def staff_invitation_mail(event: OutboxEvent) -> None:
    """A manager invited someone to the team (or sent the invitation again): mail the link."""
    for mail_id in await staff_invites.handle_invite_event(event):
        deliver_mail.send(mail_id)


async def expire_requests() -> None:
    """Periodic (every minute): website requests whose hold ran out expire and free their unit."""
    await holds.expire_due()


async def request_invite(tenant: Tenant, booking_id: int) -> MailRecord:
    """POST send_calendar_invite: record the invitation and send it unless it was already."""
    record, send = await invitations.request_invite(tenant, booking_id)
    if send:
        deliver_mail.send(record.id)
    return record


async def schedule_reminders() -> None:
    """Periodic (every minute): record due reminders and send them; send again what was lost."""
    for mail_id in await reminders.claim_due() + await records.lost():
        deliver_mail.send(mail_id)


async def schedule_feed_imports() -> None:
    """Periodic: refresh imported feeds not read for RENTCAL_FEED_IMPORT_MINUTES."""
    for feed_id in await imports.due_imports():
        refresh_feed_import.send(feed_id)
