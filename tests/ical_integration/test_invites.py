"""CAL-102: invitations for real bookings, sent by the real worker or the actor's plain function."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from icalendar import Calendar

from calendars.ical_tables import BookingMail
from calendars.mail import invitations, sending
from calendars.mail import records as mail_records
from calendars.mail.invitations import booking_uid, method_for
from rental import bookings
from rental.outbox import OutboxEvent
from rental.schemas import BookingUpdate
from rental.tables import Booking as BookingTable
from rentcal.settings import get_settings
from tasks import mail as mail_tasks
from tests.factories import make_api_token, make_product, make_tenant
from tests.ical_integration.helpers import (
    LA,
    booking_via_service,
    invite_parts,
    quiet_booking,
    unique_email,
    wait_for_status,
)
from tests.ical_integration.sink import mails_to, session_sink, wait_for_mails
from tests.support.worker import WorkerHandle

START = datetime(2027, 3, 13, 9, tzinfo=LA)  # the rental spans the spring-forward night of 2027-03-14
END = datetime(2027, 3, 15, 17, tzinfo=LA)


def the_event(calendar: Calendar) -> Any:
    [event] = calendar.walk("VEVENT")
    return event


def assert_imip(message: Any) -> None:
    """multipart/mixed > alternative(plain, html, calendar) + invite.ics, same bytes in both."""
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.get_payload()
    plain, html, inline = alternative.get_payload()
    assert [p.get_content_type() for p in (plain, html, inline)] == ["text/plain", "text/html", "text/calendar"]
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_payload(decode=True) == inline.get_payload(decode=True)
    method, calendar = invite_parts(message)
    assert method == str(calendar["METHOD"])


async def test_worker_sends_request_then_update_then_cancel(worker_process: WorkerHandle) -> None:
    tenant = await make_tenant(name="Acme Rentals")
    product, _ = await make_product(tenant, units=1, name="Excavator XL")
    email = unique_email()
    booking = await booking_via_service(
        tenant, product, START, END, email=email, pickup_location="Yard 3, 100 Industrial Way"
    )
    [first] = await wait_for_mails(email, 1)
    assert_imip(first)
    assert first["Subject"].startswith("Booking confirmed: Excavator XL")
    assert first["From"] == f"Acme Rentals <{get_settings().mail_from}>"
    method, calendar = invite_parts(first)
    assert method == "REQUEST"
    event = the_event(calendar)
    assert str(event["UID"]) == booking_uid(booking.id)
    assert int(event["SEQUENCE"]) == 0 and str(event["STATUS"]) == "CONFIRMED"
    assert event["DTSTART"].dt == START and event["DTEND"].dt == END
    assert event["DTSTART"].params["TZID"] == "America/Los_Angeles"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["America/Los_Angeles"]
    assert str(event["ORGANIZER"]) == f"mailto:{get_settings().mail_from}"
    assert event["ORGANIZER"].params["CN"] == "Acme Rentals"
    assert str(event["ATTENDEE"]) == f"mailto:{email}" and event["ATTENDEE"].params["RSVP"] == "FALSE"
    assert str(event["LOCATION"]) == "Yard 3, 100 Industrial Way"
    description = str(event["DESCRIPTION"])
    assert "Pickup: Sat 13 Mar 2027, 09:00 (PST)" in description
    assert "Return: Mon 15 Mar 2027, 17:00 (PDT)" in description
    assert "Excavator XL" in description and email not in description and "555" not in description
    assert sorted(a["TRIGGER"].dt for a in event.walk("VALARM")) == [timedelta(days=-1), timedelta(hours=-1)]
    plain = first.get_payload()[0].get_payload()[0].get_content()  # type: ignore[index,union-attr]
    assert invitations.invite_urls(booking.id)["ics"] in plain and "Add to Google Calendar: https://" in plain

    moved = await bookings.update_booking(
        tenant, booking.id, BookingUpdate(starts_at=START + timedelta(hours=2), ends_at=END + timedelta(hours=2))
    )
    second = (await wait_for_mails(email, 2))[1]
    assert_imip(second)
    assert second["Subject"].startswith("Booking changed")
    method, calendar = invite_parts(second)
    event = the_event(calendar)
    assert method == "REQUEST" and int(event["SEQUENCE"]) == moved.sequence == 1
    assert event["DTSTART"].dt == START + timedelta(hours=2)

    cancelled = await bookings.cancel_booking(tenant, booking.id)
    mails = await wait_for_mails(email, 3, settle=1.5)
    assert len(mails) == 3
    assert_imip(mails[2])
    method, calendar = invite_parts(mails[2])
    event = the_event(calendar)
    assert method == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == cancelled.sequence == 2 and str(event["UID"]) == booking_uid(booking.id)
    assert event.walk("VALARM") == []
    records = await mail_records.mails_of_booking(booking.id)
    assert [(r.method, r.sequence, r.status, r.recipient) for r in records] == [
        ("REQUEST", 0, "sent", email),
        ("REQUEST", 1, "sent", email),
        ("CANCEL", 2, "sent", email),
    ]


async def test_pending_bookings_get_nothing_until_confirmed(worker_process: WorkerHandle) -> None:
    tenant = await make_tenant()
    product, _ = await make_product(tenant, units=2)
    email, never = unique_email(), unique_email()
    booking = await booking_via_service(tenant, product, START, END, status="pending", email=email)
    dropped = await booking_via_service(tenant, product, START, END, status="pending", email=never)
    await bookings.cancel_booking(tenant, dropped.id)
    await bookings.update_booking(tenant, booking.id, BookingUpdate(notes="gate code 1234"))
    await bookings.update_booking(tenant, booking.id, BookingUpdate(status="confirmed"))
    [mail] = await wait_for_mails(email, 1, settle=1.5)
    method, calendar = invite_parts(mail)
    assert method == "REQUEST" and int(the_event(calendar)["SEQUENCE"]) == 1
    assert mails_to(never) == [] and await mail_records.mails_of_booking(dropped.id) == []


def test_which_changes_send_an_invitation() -> None:
    assert method_for("booking.created", {"status": "confirmed"}) == "REQUEST"
    assert method_for("booking.created", {"status": "pending"}) is None
    assert method_for("booking.updated", {"changes": ["status"], "status": "confirmed"}) == "REQUEST"
    assert method_for("booking.updated", {"changes": ["status"], "status": "picked_up"}) is None
    assert method_for("booking.updated", {"changes": ["times"], "status": "picked_up"}) == "REQUEST"
    assert method_for("booking.updated", {"changes": ["place"], "status": "confirmed"}) == "REQUEST"
    assert method_for("booking.updated", {"changes": ["times"], "status": "pending"}) is None
    assert method_for("booking.updated", {"changes": ["staff"], "status": "confirmed"}) is None
    assert method_for("booking.updated", {"changes": [], "status": "confirmed"}) is None
    assert method_for("booking.cancelled", {"changes": ["status"], "status": "cancelled"}) == "CANCEL"


async def test_the_handler_running_twice_sends_once() -> None:
    """Plain functions, no worker: two concurrent handler runs and two concurrent deliveries."""
    tenant = await make_tenant()
    product, units = await make_product(tenant, units=1)
    email = unique_email()
    booking = await quiet_booking(tenant, product, units[0], START, END, email=email)
    event = OutboxEvent(0, tenant.id, "booking.created", booking.id, {"status": "confirmed"}, False)
    first, second = await asyncio.gather(*(invitations.handle_booking_event(event) for _ in range(2)))
    assert sorted([first, second], key=len) == [[], first or second] and len(first + second) == 1
    [mail_id] = first + second
    outcomes = await asyncio.gather(sending.deliver(mail_id), sending.deliver(mail_id))
    assert sorted(outcomes, key=str) == [None, "sent"]
    assert await invitations.handle_booking_event(event) == []
    assert len(await wait_for_mails(email, 1, settle=1.0)) == 1


async def test_the_outbox_handler_twice_enqueues_once(worker_process: WorkerHandle) -> None:
    """The registered outbox handler, twice: the worker delivers one mail."""
    tenant = await make_tenant()
    product, units = await make_product(tenant, units=1)
    email = unique_email()
    booking = await quiet_booking(tenant, product, units[0], START, END, email=email)
    event = OutboxEvent(0, tenant.id, "booking.created", booking.id, {"status": "confirmed"}, False)
    await mail_tasks.booking_invitations(event)
    await mail_tasks.booking_invitations(event)
    assert len(await wait_for_mails(email, 1, settle=1.5)) == 1


@pytest.fixture
def smtp_url(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    def use(url: str) -> None:
        monkeypatch.setenv("RENTCAL_SMTP_URL", url)
        get_settings.cache_clear()

    yield use
    monkeypatch.undo()
    get_settings.cache_clear()


async def test_permanent_errors_are_not_retried_and_temporary_ones_are(smtp_url) -> None:  # type: ignore[no-untyped-def]
    tenant = await make_tenant()
    product, units = await make_product(tenant, units=2)
    email = unique_email()
    booking = await quiet_booking(tenant, product, units[0], START, END, email=email)
    record, must_send = await invitations.request_invite(tenant, booking.id)
    assert must_send and record.status == "queued"

    smtp_url(f"{session_sink().url}?starttls=1")  # the sink offers no STARTTLS: permanent
    assert await sending.deliver(record.id) == "failed"
    failed = await mail_records.get_mail(record.id)
    assert failed is not None and "STARTTLS" in failed.error and failed.attempts == 1

    again, must_send = await invitations.request_invite(tenant, booking.id)  # a failed one may be retried
    assert must_send and again.id == record.id and again.status == "queued"
    smtp_url("smtp://127.0.0.1:9")  # nothing listens: temporary
    with pytest.raises(sending.TemporaryMailError):
        await sending.deliver(record.id)
    queued = await mail_records.get_mail(record.id)
    assert queued is not None and queued.status == "queued" and "will retry" in queued.error

    smtp_url(session_sink().url)
    assert await sending.deliver(record.id) == "sent"
    assert len(await wait_for_mails(email, 1)) == 1
    assert await invitations.request_invite(tenant, booking.id) == (await mail_records.get_mail(record.id), False)


async def test_a_superseded_invitation_sends_the_newer_sequence() -> None:
    tenant = await make_tenant()
    product, units = await make_product(tenant, units=1)
    email = unique_email()
    booking = await quiet_booking(tenant, product, units[0], START, END, email=email)
    record, _ = await invitations.request_invite(tenant, booking.id)
    later = START + timedelta(days=1)
    await BookingTable.update({BookingTable.sequence: 1, BookingTable.starts_at: later}).where(
        BookingTable.id == booking.id
    )
    assert await sending.deliver(record.id) == "skipped"
    [mail] = await wait_for_mails(email, 1)
    event = the_event(invite_parts(mail)[1])
    assert int(event["SEQUENCE"]) == 1 and event["DTSTART"].dt == later
    assert [(r.sequence, r.status) for r in await mail_records.mails_of_booking(booking.id)] == [
        (0, "skipped"),
        (1, "sent"),
    ]


async def test_send_calendar_invite_endpoint(live_server: str, worker_process: WorkerHandle) -> None:
    tenant, other = await make_tenant(), await make_tenant()
    product, units = await make_product(tenant, units=2)
    other_product, other_units = await make_product(other, units=1)
    email = unique_email()
    booking = await quiet_booking(tenant, product, units[0], START, END, email=email)
    pending = await quiet_booking(tenant, product, units[1], START, END, status="pending")
    foreign = await quiet_booking(other, other_product, other_units[0], START, END)
    headers = {"Authorization": f"Bearer {await make_api_token(tenant)}"}
    async with httpx.AsyncClient(base_url=live_server, headers=headers) as client:
        url = f"/api/v1/bookings/{booking.id}/send_calendar_invite"
        response = await client.post(url)
        assert response.status_code == 202, response.text
        body = response.json()
        assert (body["booking_id"], body["method"], body["sequence"], body["recipient"]) == (
            booking.id,
            "REQUEST",
            0,
            email,
        )
        await wait_for_status(body["id"], "sent")
        again = await client.post(url)
        assert again.status_code == 202 and again.json()["id"] == body["id"] and again.json()["status"] == "sent"

        conflict = await client.post(f"/api/v1/bookings/{pending.id}/send_calendar_invite")
        assert conflict.status_code == 409 and conflict.headers["content-type"] == "application/problem+json"
        assert "pending" in conflict.json()["detail"]
        missing = await client.post(f"/api/v1/bookings/{foreign.id}/send_calendar_invite")
        assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    assert len(await wait_for_mails(email, 1, settle=1.0)) == 1


async def test_customer_links_need_no_login_and_cannot_be_guessed(live_server: str) -> None:
    tenant = await make_tenant(name="Acme Rentals")
    product, units = await make_product(tenant, units=1, name="Mini excavator")
    booking = await quiet_booking(tenant, product, units[0], START, END)
    urls = invitations.invite_urls(booking.id)
    async with httpx.AsyncClient() as client:
        ics = await client.get(urls["ics"])
        assert ics.status_code == 200 and ics.headers["content-type"] == "text/calendar; charset=utf-8"
        calendar = Calendar.from_ical(ics.content)
        assert "METHOD" not in calendar
        assert str(the_event(calendar)["UID"]) == booking_uid(booking.id)
        page = await client.get(urls["page"])
        assert page.status_code == 200
        assert "Add to Google Calendar" in page.text and "Add to Outlook" in page.text and urls["ics"] in page.text
        token = invitations.invite_token(booking.id)
        for wrong in (f"{booking.id}-{'A' * 24}", f"{booking.id + 1}-{token.split('-', 1)[1]}", "x"):
            assert (await client.get(f"{live_server}/invites/{wrong}.ics")).status_code == 404
    assert invitations.booking_id_for_token(token) == booking.id


async def test_a_mail_lost_before_it_was_enqueued_is_found_again() -> None:
    tenant = await make_tenant()
    product, units = await make_product(tenant, units=1)
    email = unique_email()
    booking = await quiet_booking(tenant, product, units[0], START, END, email=email)
    record, _ = await invitations.request_invite(tenant, booking.id)  # recorded, never enqueued: a "crash"
    assert record.id not in await mail_records.lost()
    await BookingMail.update({BookingMail.updated_at: datetime.now(UTC) - timedelta(hours=1)}).where(
        BookingMail.id == record.id
    )
    assert record.id in await mail_records.lost()
    assert await sending.deliver(record.id) in ("sent", None)  # None: a running worker's sweep was quicker
    await wait_for_status(record.id, "sent")
    assert record.id not in await mail_records.lost()
    assert len(await wait_for_mails(email, 1, settle=0.5)) == 1
