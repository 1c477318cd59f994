"""CAL-110: reminders are due once, sent once (even with concurrent runs), and stale ones are skipped."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from calendars.mail import records, reminders, sending
from calendars.mail.records import Skip
from calendars.mail.reminders import Candidate, ReminderConfig, due_reminders, format_offset, parse_offsets
from rental.errors import InvalidInput
from rental.tables import Booking as BookingTable
from tests.factories import make_product, make_staff, make_tenant
from tests.ical_integration.helpers import quiet_booking, unique_email
from tests.ical_integration.sink import mails_to, wait_for_mails

NOW = datetime(2027, 3, 1, 12, tzinfo=UTC)


def candidate(
    pickup_in: timedelta, return_in: timedelta = timedelta(days=5), status: str = "confirmed", company: int = 1
) -> Candidate:
    return Candidate(7, company, status, NOW + pickup_in, NOW + return_in, "c@example.test", "s@example.test")


def due(*candidates: Candidate, **config: object) -> list[tuple[str, int, str]]:
    found = due_reminders(NOW, candidates, {1: ReminderConfig(**config)})  # type: ignore[arg-type]
    return [(r.reminder, r.offset_minutes, r.recipient_role) for r in found]


def test_due_windows_and_grace() -> None:
    one_day = [("pickup", 1440, "customer"), ("pickup", 1440, "staff")]
    assert due(candidate(timedelta(days=1) - timedelta(minutes=1))) == one_day
    assert due(candidate(timedelta(days=1) + timedelta(minutes=1))) == []  # not yet
    assert due(candidate(timedelta(hours=20))) == one_day  # 4 h late after downtime: still useful
    assert due(candidate(timedelta(hours=17))) == []  # 7 h late: more than the 6 h grace
    assert due(candidate(timedelta(minutes=50))) == [("pickup", 60, "customer"), ("pickup", 60, "staff")]
    assert due(candidate(timedelta(minutes=30))) == []  # 30 min late: more than a quarter of an hour
    assert due(candidate(-timedelta(minutes=1), timedelta(minutes=59), status="picked_up")) == [
        ("return", 60, "customer"),
        ("return", 60, "staff"),
    ]
    assert due(candidate(timedelta(minutes=59), status="picked_up")) == []  # no pickup reminder once picked up
    assert due(candidate(timedelta(minutes=59), status="pending")) == []
    assert due(candidate(timedelta(minutes=59)), enabled=False) == []
    assert due(candidate(timedelta(minutes=59)), notify_staff=False) == [("pickup", 60, "customer")]
    assert due(candidate(timedelta(minutes=29)), offsets_minutes=(30,)) == [
        ("pickup", 30, "customer"),
        ("pickup", 30, "staff"),
    ]


def test_offsets_are_parsed_and_described() -> None:
    assert parse_offsets("1d, 1h") == (1440, 60)
    assert parse_offsets("90 2h 2h 15m") == (120, 90, 15)
    for bad in ("", "soon", "8d", "0m", "1d 2d 3d 4d 5d 6d 7d"):
        with pytest.raises(InvalidInput):
            parse_offsets(bad)
    assert [format_offset(m) for m in (1440, 60, 90, 2880)] == ["1 day", "1 hour", "1 hour 30 minutes", "2 days"]


async def test_due_reminders_go_out_once_with_two_concurrent_runs() -> None:
    tenant = await make_tenant()
    product, units = await make_product(tenant, units=3)
    staff_id, staff_email = await make_staff(tenant, "driver")
    now = datetime.now(UTC)
    due_customer, stale_customer, return_customer = unique_email(), unique_email(), unique_email()
    soon = await quiet_booking(
        tenant,
        product,
        units[0],
        now + timedelta(days=1) - timedelta(minutes=2),
        now + timedelta(days=3),
        email=due_customer,
        staff=staff_id,
    )
    stale = await quiet_booking(
        tenant,
        product,
        units[1],
        now + timedelta(minutes=30),
        now + timedelta(days=3),
        email=stale_customer,
        staff=staff_id,
    )
    out = await quiet_booking(
        tenant,
        product,
        units[2],
        now - timedelta(days=1),
        now + timedelta(minutes=50),
        email=return_customer,
        status="picked_up",
    )

    first, second = await asyncio.gather(reminders.claim_due(), reminders.claim_due())
    assert not set(first) & set(second)
    mine = {b.id for b in (soon, stale, out)}
    rows = [m for b in mine for m in await records.mails_of_booking(b)]
    assert sorted((m.booking_id, m.reminder, m.offset_minutes, m.recipient) for m in rows) == sorted(
        [
            (soon.id, "pickup", 1440, due_customer),
            (soon.id, "pickup", 1440, staff_email),
            (out.id, "return", 60, return_customer),
        ]
    )
    # deliver what this test claimed, each twice at once (a running worker delivers what it claimed)
    ours = [m.id for m in rows if m.id in set(first) | set(second)]
    await asyncio.gather(*(sending.deliver(i) for i in ours + ours))
    assert len(await wait_for_mails(due_customer, 1, settle=1.0)) == 1
    assert len(await wait_for_mails(return_customer, 1)) == 1
    [staff_mail] = [m for m in await wait_for_mails(staff_email, 1) if f"#{soon.id}" in m.get_body().get_content()]  # type: ignore[union-attr]
    assert staff_mail["Subject"].startswith("Reminder: pickup of Excavator XL in 1 day")
    assert mails_to(stale_customer) == []
    assert not {i for i in await reminders.claim_due() if i in {m.id for m in rows}}
    assert {m.status for b in mine for m in await records.mails_of_booking(b)} == {"sent"}


async def test_a_moved_or_late_reminder_is_skipped_and_the_new_time_gets_one() -> None:
    """Far in the future with explicit clocks, so the running worker's own minute job never sees it."""
    tenant = await make_tenant()
    product, units = await make_product(tenant, units=1)
    start = datetime(2027, 6, 1, 17, tzinfo=UTC)
    booking = await quiet_booking(tenant, product, units[0], start, start + timedelta(days=2))
    await reminders.save_config(tenant.id, ReminderConfig(offsets_minutes=(60,), notify_staff=False))
    [mail_id] = await reminders.claim_due(now=start - timedelta(minutes=55))
    assert await reminders.claim_due(now=start - timedelta(minutes=50)) == []
    mail = await records.get_mail(mail_id)
    assert mail is not None and mail.target_at == start
    message = await reminders.compose_reminder(mail, now=start - timedelta(minutes=50))
    assert not isinstance(message, Skip) and "Pickup of Excavator XL" in message.get_body().get_content()  # type: ignore[union-attr]
    late = await reminders.compose_reminder(mail, now=start - timedelta(minutes=10))
    assert isinstance(late, Skip) and "too late" in late.reason

    moved = start + timedelta(hours=3)
    await BookingTable.update({BookingTable.starts_at: moved}).where(BookingTable.id == booking.id)
    outdated = await reminders.compose_reminder(mail, now=start - timedelta(minutes=50))
    assert isinstance(outdated, Skip) and "moved" in outdated.reason
    [new_id] = await reminders.claim_due(now=moved - timedelta(minutes=59))
    new = await records.get_mail(new_id)
    assert new is not None and new.target_at == moved and new.id != mail_id


async def test_reminders_switched_off_send_nothing() -> None:
    tenant = await make_tenant()
    product, units = await make_product(tenant, units=1)
    start = datetime(2027, 6, 2, 17, tzinfo=UTC)
    booking = await quiet_booking(tenant, product, units[0], start, start + timedelta(days=1))
    await reminders.save_config(tenant.id, ReminderConfig(enabled=False))
    await reminders.claim_due(now=start - timedelta(minutes=58))
    assert await records.mails_of_booking(booking.id) == []
    assert (await reminders.get_config(tenant.id)).enabled is False
    await reminders.save_config(tenant.id, ReminderConfig())
    assert len(await reminders.claim_due(now=start - timedelta(minutes=58))) == 1
