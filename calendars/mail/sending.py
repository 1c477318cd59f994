"""Delivering one recorded mail over SMTP (RENTCAL_SMTP_URL): claim, compose, send, record the outcome.

`deliver` is the plain function behind the Dramatiq actor. It raises `TemporaryMailError` when
trying again later may help (a 4xx reply, a refused connection, an invitation still in flight);
the actor's retries with exponential backoff do that. Permanent SMTP errors are recorded as
failed and not retried.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from calendars.ical import SmtpError, send_message
from calendars.mail import records
from calendars.mail.invitations import compose_invite
from calendars.mail.records import MailRecord, MailStatus, Skip, Wait
from calendars.mail.reminders import compose_reminder
from calendars.mail.request_notices import compose_notice
from calendars.mail.staff_invites import compose_staff_invite
from calendars.mail.staff_notices import compose_staff
from calendars.mail.texts import sender_address
from rentcal.settings import get_settings

log = logging.getLogger("rentcal.mail")
MAX_ATTEMPTS = 8


class TemporaryMailError(Exception):
    """Sending failed for now; the actor retries with backoff."""


async def deliver(mail_id: int) -> MailStatus | None:
    """Send one queued mail. Returns its new status, or None if it was not this call's to send."""
    mail = await records.claim(mail_id)
    if mail is None:
        return None
    try:
        composers = {
            "invite": compose_invite,
            "reminder": compose_reminder,
            "notice": compose_notice,
            "staff": compose_staff,
            "staff_invite": compose_staff_invite,
        }
        composed = await composers[mail.kind](mail)
    except ValueError as exc:  # data the iCalendar layer refuses (e.g. an unusable e-mail address)
        await records.finish(mail.id, "failed", f"cannot build the message: {exc}")
        return "failed"
    except Exception as exc:
        await records.finish(mail.id, "queued", f"{type(exc).__name__}: {exc}")
        raise
    if isinstance(composed, Skip):
        await records.finish(mail.id, "skipped", composed.reason)
        if composed.follow_up is not None:
            await deliver(composed.follow_up)
        return "skipped"
    if isinstance(composed, Wait):
        return await _retry_later(mail, composed.reason)
    return await _send(mail, composed)


async def _send(mail: MailRecord, message: EmailMessage) -> MailStatus:
    smtp_url = get_settings().smtp_url
    if not smtp_url:
        await records.finish(mail.id, "failed", "RENTCAL_SMTP_URL is not set: no mail server to send through")
        return "failed"
    if "Date" not in message:
        message["Date"] = format_datetime(datetime.now(UTC))
    if "Message-ID" not in message:
        message["Message-ID"] = make_msgid(domain=sender_address().rpartition("@")[2] or None)
    try:
        await asyncio.to_thread(send_message, smtp_url, message)
    except SmtpError as exc:
        if exc.permanent:
            await records.finish(mail.id, "failed", str(exc))
            return "failed"
        return await _retry_later(mail, str(exc))
    await records.finish(mail.id, "sent")
    log.info("sent %s mail %s (booking %s)", mail.kind, mail.id, mail.booking_id or "-")
    return "sent"


async def _retry_later(mail: MailRecord, reason: str) -> MailStatus:
    if mail.attempts >= MAX_ATTEMPTS:
        await records.finish(mail.id, "failed", f"gave up after {mail.attempts} attempts: {reason}")
        return "failed"
    await records.finish(mail.id, "queued", f"attempt {mail.attempts} failed, will retry: {reason}")
    raise TemporaryMailError(reason)
