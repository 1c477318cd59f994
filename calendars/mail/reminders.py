"""CAL-110: reminder e-mails before pickup and return, to the customer and the assigned staff member.

The dispatcher's periodic job calls `claim_due` about once a minute. A reminder is due from
`target - offset` until its grace period (a quarter of the offset, at least 5 minutes, at most
6 hours) has passed, and never once the pickup/return itself has passed: after downtime the
useful ones still go out, stale ones are skipped. Each (booking, reminder, offset, recipient,
target time) is inserted once (ON CONFLICT DO NOTHING), so two workers never send one twice;
a booking moved to another time gets reminders for the new time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any, Literal

import msgspec

from calendars.ical_tables import ReminderSettings
from calendars.mail import records
from calendars.mail.invitations import invite_urls
from calendars.mail.records import MailRecord, NewReminder, Skip
from calendars.mail.texts import render_pair, sender, when
from rental import timeline
from rental.bookings import get_booking
from rental.errors import InvalidInput, NotFound
from rental.statuses import CONFIRMED_AHEAD
from rental.tables import Booking as BookingTable
from rental.tables import StaffUser
from rental.tenants import tenant_by_id
from rentcal.settings import get_settings

DEFAULT_OFFSETS = (1440, 60)
MAX_OFFSET_MINUTES = 7 * 1440
MAX_OFFSETS = 6
STATUSES_FOR: dict[str, tuple[str, ...]] = {"pickup": ("confirmed",), "return": CONFIRMED_AHEAD}


class ReminderConfig(msgspec.Struct, frozen=True):
    enabled: bool = True
    offsets_minutes: tuple[int, ...] = DEFAULT_OFFSETS
    notify_staff: bool = True


class Candidate(msgspec.Struct, frozen=True):
    booking_id: int
    company_id: int
    status: str
    starts_at: datetime
    ends_at: datetime
    customer_email: str
    staff_email: str | None


def grace(offset: timedelta) -> timedelta:
    return min(max(offset / 4, timedelta(minutes=5)), timedelta(hours=6))


def is_due(now: datetime, target: datetime, offset: timedelta) -> bool:
    due_at = target - offset
    return due_at <= now < min(target, due_at + grace(offset))


def due_reminders(
    now: datetime, candidates: Iterable[Candidate], configs: Mapping[int, ReminderConfig]
) -> list[NewReminder]:
    """The reminders due at `now` (pure: no I/O)."""
    due: list[NewReminder] = []
    for c in candidates:
        config = configs.get(c.company_id, ReminderConfig())
        if not config.enabled:
            continue
        recipients: list[tuple[str, Literal["customer", "staff"]]] = [(c.customer_email, "customer")]
        if config.notify_staff and c.staff_email:
            recipients.append((c.staff_email, "staff"))
        for kind, target in (("pickup", c.starts_at), ("return", c.ends_at)):
            if c.status not in STATUSES_FOR[kind]:
                continue
            for minutes in config.offsets_minutes:
                if is_due(now, target, timedelta(minutes=minutes)):
                    due += [
                        NewReminder(c.company_id, c.booking_id, kind, minutes, target, email, role)  # type: ignore[arg-type]
                        for email, role in recipients
                    ]
    return due


def parse_offsets(text: str) -> tuple[int, ...]:
    """'1d, 1h' or '1440 60' (minutes) -> (1440, 60); largest first, no duplicates."""
    units = {"d": 1440, "h": 60, "m": 1, "": 1}
    minutes: set[int] = set()
    for token in filter(None, re.split(r"[\s,;]+", text.strip().lower())):
        match = re.fullmatch(r"(\d{1,5})\s*(d|h|m|)", token)
        if match is None:
            raise InvalidInput(f"reminder offset {token!r}: write e.g. 1d, 2h or 30m")
        minutes.add(int(match[1]) * units[match[2]])
    if not minutes:
        raise InvalidInput("give at least one reminder offset, e.g. 1d, 1h")
    if len(minutes) > MAX_OFFSETS or not all(0 < m <= MAX_OFFSET_MINUTES for m in minutes):
        raise InvalidInput(f"give at most {MAX_OFFSETS} offsets, each between 1 minute and 7 days")
    return tuple(sorted(minutes, reverse=True))


def format_offset(minutes: int) -> str:
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} day{'s' * (days != 1)}"] * bool(days) + [f"{hours} hour{'s' * (hours != 1)}"] * bool(hours)
    parts += [f"{mins} minute{'s' * (mins != 1)}"] * bool(mins)
    return " ".join(parts)


def _config(row: dict[str, Any]) -> ReminderConfig:
    offsets = tuple(int(m) for m in row["offsets_minutes"] or ()) or DEFAULT_OFFSETS
    return ReminderConfig(enabled=row["enabled"], offsets_minutes=offsets, notify_staff=row["notify_staff"])


async def all_configs() -> dict[int, ReminderConfig]:
    rows = await ReminderSettings.select().output(load_json=True)
    return {row["company"]: _config(row) for row in rows}


async def get_config(company_id: int) -> ReminderConfig:
    row = await ReminderSettings.select().where(ReminderSettings.company == company_id).output(load_json=True).first()
    return _config(row) if row else ReminderConfig()


async def save_config(company_id: int, config: ReminderConfig) -> ReminderConfig:
    await ReminderSettings.raw(
        """
        INSERT INTO reminder_settings (company, enabled, offsets_minutes, notify_staff, updated_at)
        VALUES ({}, {}, {}::jsonb, {}, now())
        ON CONFLICT (company) DO UPDATE SET enabled = EXCLUDED.enabled, offsets_minutes = EXCLUDED.offsets_minutes,
            notify_staff = EXCLUDED.notify_staff, updated_at = now()
        """,
        company_id,
        config.enabled,
        msgspec.json.encode(list(config.offsets_minutes)).decode(),
        config.notify_staff,
    )
    return config


async def candidates(now: datetime, horizon: timedelta) -> list[Candidate]:
    """Bookings of every company with a pickup or return within the horizon, and their staff's addresses."""
    found = await timeline.handovers(now, now + horizon, CONFIRMED_AHEAD)
    staff_ids = list({e.staff_id for e in found if e.staff_id is not None})
    staff = (
        await StaffUser.select(StaffUser.id, StaffUser.email).where(
            StaffUser.id.is_in(staff_ids), StaffUser.active.eq(True)
        )
        if staff_ids
        else []
    )
    emails = {row["id"]: row["email"] for row in staff}
    return [
        Candidate(e.id, e.company_id, e.status, e.starts_at, e.ends_at, e.customer_email, emails.get(e.staff_id))
        for e in found
    ]


async def claim_due(now: datetime | None = None) -> list[int]:
    """Record the reminders due now; the ids of those this call recorded (and must send)."""
    now = now or datetime.now(UTC)
    configs = await all_configs()
    longest = max([m for c in configs.values() for m in c.offsets_minutes] + list(DEFAULT_OFFSETS))
    found = await candidates(now, timedelta(minutes=longest))
    return await records.record_reminders(due_reminders(now, found, configs))


async def compose_reminder(mail: MailRecord, now: datetime | None = None) -> EmailMessage | Skip:
    now = now or datetime.now(UTC)
    if mail.booking_id is None:
        return Skip("the mail is about no booking")
    row = await BookingTable.select(BookingTable.company).where(BookingTable.id == mail.booking_id).first()
    if row is None:
        return Skip("the booking no longer exists")
    tenant = await tenant_by_id(row["company"])
    try:
        booking = await get_booking(tenant, mail.booking_id)
    except NotFound:
        return Skip("the booking no longer exists")
    target = booking.starts_at if mail.reminder == "pickup" else booking.ends_at
    if booking.status not in STATUSES_FOR[mail.reminder]:
        return Skip(f"the booking is {booking.status} now")
    if mail.target_at is None or target != mail.target_at:
        return Skip("the booking was moved; reminders follow the new time")
    if not (await get_config(tenant.id)).enabled:
        return Skip("reminders are switched off for this company")
    if not is_due(now, target, timedelta(minutes=mail.offset_minutes)):
        return Skip("too late: the reminder would no longer be useful")
    context = {
        "booking": booking,
        "tenant": tenant,
        "kind": mail.reminder,
        "staff": mail.recipient_role == "staff",
        "at": when(target, tenant.tz),
        "place": (booking.pickup_location if mail.reminder == "pickup" else booking.return_location)
        or booking.pickup_location,
        "in_": format_offset(mail.offset_minutes),
        "link": f"{get_settings().base_url}/portal/bookings/{booking.id}"
        if mail.recipient_role == "staff"
        else invite_urls(booking.id)["page"],
    }
    text, html = render_pair("reminder", **context)
    message = EmailMessage()
    message["From"] = sender(tenant.name)
    message["To"] = mail.recipient
    local = target.astimezone(tenant.tz)
    what = f"{mail.reminder} of {booking.product_name} in {context['in_']}"
    message["Subject"] = f"Reminder: {what}, {local:%a %d %b %H:%M}"  # no parentheses: they upset header folding
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message
