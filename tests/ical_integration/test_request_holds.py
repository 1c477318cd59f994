"""Website requests do not hold stock forever: a hold that expires (mailed), single-use form tokens,
daily limits per client and per e-mail address, and the e-mail confirmation mode. Real server,
PostgreSQL, Redis and SMTP sink."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta

import httpx

from calendars.ical_tables import BookingMail
from calendars.mail import request_notices
from calendars.mail import sending as mailer
from calendars.mail.request_notices import confirm_token
from rental import audit, availability, bookings, holds, outbox
from rental.schemas import BookingCreate, CustomerIn
from rental.tables import Booking, Outbox, Unit
from rentcal.settings import get_settings
from tasks.mail import expire_requests
from tasks.schedule import PERIODIC
from tests.ical_integration.helpers import unique_email
from tests.ical_integration.sink import mails_to, wait_for_mails
from tests.widget.test_widget_pages import LA, a_monday_ahead, company_with_hours, token_of

_clients = itertools.count(1)


def client() -> dict[str, str]:
    return {"X-Forwarded-For": f"192.0.2.{next(_clients) % 250 + 1}"}


async def _request(http: httpx.AsyncClient, base: str, pickup: object, back: object, email: str, name: str = "Robin"):  # type: ignore[no-untyped-def]
    form = await http.get(f"{base}/request", params={"pickup": str(pickup), "return": str(back)})
    token = token_of(form.text)
    data = {"pickup": str(pickup), "return": str(back), "name": name, "email": email, "token": token}
    return token, data, await http.post(f"{base}/request", data=data)


async def expire_requests_now() -> list[int]:
    """The periodic job's work (tasks.mail.expire_requests), returning what it expired."""
    before = {r["id"] for r in await Booking.select(Booking.id).where(Booking.status == "expired")}
    await expire_requests()
    return [
        r["id"] for r in await Booking.select(Booking.id).where(Booking.status == "expired") if r["id"] not in before
    ]


async def _notices(company_id: int, booking_id: int) -> list[str]:
    """What the worker does for the request's outbox rows: record the notices (once) and send them.

    A worker of the test session may have done it already; sending claims each mail atomically,
    so either way each notice goes out once. Returns the notices recorded for the booking."""
    rows = await Outbox.select(Outbox.id).where((Outbox.company == company_id) & (Outbox.aggregate_id == booking_id))
    for row in rows:
        event = await outbox.load(row["id"])
        assert event is not None
        await request_notices.handle_request_event(event)
    notices = await BookingMail.select(BookingMail.id, BookingMail.reminder, BookingMail.status).where(
        (BookingMail.booking == booking_id) & (BookingMail.kind == "notice")
    )
    for notice in notices:
        if notice["status"] == "queued":
            await mailer.deliver(notice["id"])
    return sorted(n["reminder"] for n in notices)


async def test_a_widget_request_holds_the_unit_until_its_hold_expires_then_the_customer_is_mailed(
    live_server: str,
) -> None:
    tenant, product = await company_with_hours()
    await Unit.insert(Unit(company=tenant.id, product=product, name="Trencher #2"))  # room for a second post
    monday = a_monday_ahead()
    email = unique_email("hold")
    base = f"/widget/{tenant.slug}/{product}"
    async with httpx.AsyncClient(base_url=live_server, headers=client()) as http:
        _, data, made = await _request(http, base, monday, monday + timedelta(days=1), email)
        assert made.status_code == 201, made.text
        again = await http.post(f"{base}/request", data=data)  # the same form once more
    assert "We hold the dates for you until" in made.text
    assert again.status_code == 422 and "This form has already been sent." in again.text
    row = await Booking.select().where(Booking.product == product).first()
    assert row is not None and row["status"] == "pending"
    assert await Booking.count().where(Booking.product == product) == 1  # a unit was free, yet no second one
    hold = get_settings().request_hold_hours
    assert hold == 48
    assert abs(row["hold_until"] - (datetime.now(UTC) + timedelta(hours=hold))) < timedelta(minutes=5)
    start = datetime.combine(monday, time(7, 30), tzinfo=LA)
    end = datetime.combine(monday + timedelta(days=1), time(18), tzinfo=LA)
    assert await availability.free_units(tenant, product, start, end) == [
        u for u in await availability.product_units(tenant, product) if u != row["unit"]
    ]  # held

    # the worker's periodic job: nothing is due yet, then the hold runs out
    assert (60.0, expire_requests) in PERIODIC
    assert row["id"] not in await holds.expire_due()
    # 48 hours later (the hold set back rather than the clock forward, so no other test's request expires)
    await Booking.update({Booking.hold_until: datetime.now(UTC) - timedelta(minutes=1)}).where(Booking.id == row["id"])
    assert row["id"] in await expire_requests_now()
    booking = await bookings.get_booking(tenant, row["id"])
    assert booking.status == "expired"
    assert row["unit"] in await availability.free_units(tenant, product, start, end)  # the unit is free again
    assert row["id"] not in await holds.expire_due()  # once only
    (expiry,) = [c for c in await audit.history(tenant.id, row["id"]) if c.action == "updated"]
    assert (expiry.actor, expiry.via, expiry.changes["status"]) == ("Rentcal", "system", ["pending", "expired"])
    assert await _notices(tenant.id, row["id"]) == ["expired", "received"]  # received: the acknowledgment
    assert await _notices(tenant.id, row["id"]) == ["expired", "received"]  # a retried event records nothing more
    mails = await wait_for_mails(email, 2, settle=1.0)
    (mail,) = [m for m in mails if "expired" in m["Subject"]]
    assert mail["Subject"] == f"Your request #{row['id']} for Trencher has expired"
    assert "the dates are free again" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]


async def test_requests_per_e_mail_address_and_per_client_are_limited_per_day(live_server: str) -> None:
    tenant, product = await company_with_hours()
    monday = a_monday_ahead()
    base = f"/widget/{tenant.slug}/{product}"
    email = unique_email("limit")
    weekdays = [monday + timedelta(days=7 * week + d) for week in range(4) for d in range(5)]
    async with httpx.AsyncClient(base_url=live_server, headers=client()) as http:
        codes = [(await _request(http, base, day, day, email))[2].status_code for day in weekdays[:4]]
        assert codes == [201, 201, 201, 422]
        _, _, fourth = await _request(http, base, weekdays[3], weekdays[3], email)
        assert "as many requests as we accept in one day" in fourth.text
        # the same client with other addresses: ten a day
        more = [(await _request(http, base, d, d, unique_email()))[2].status_code for d in weekdays[4:13]]
    assert more[:7] == [201] * 7 and set(more[7:]) == {422}, more
    assert await Booking.count().where(Booking.product == product) == 10


async def test_the_confirmation_mode_holds_nothing_until_the_link_is_opened(live_server: str) -> None:
    tenant, product = await company_with_hours()
    monday = a_monday_ahead() + timedelta(days=7)
    email = unique_email("confirm")
    start = datetime.combine(monday, time(7, 30), tzinfo=LA)
    end = datetime.combine(monday, time(18), tzinfo=LA)
    request = BookingCreate(
        product_id=product,
        starts_at=start,
        ends_at=end,
        customer=CustomerIn(name="Cleo", email=email),
        status="pending",
    )
    booking = await bookings.create_booking(tenant, request, hold_until=holds.hold_until(), unverified=True)
    # a second request for the same dates: unverified requests occupy nothing, so it is accepted too
    other = await bookings.create_booking(tenant, request, hold_until=holds.hold_until(), unverified=True)
    assert booking.status == "unverified"
    assert await availability.free_units(tenant, product, start, end) != []  # holds nothing yet
    assert await _notices(tenant.id, booking.id) == ["confirm"]
    await wait_for_mails(email, 1, settle=1.0)
    subject = f"Please confirm your request #{booking.id} for Trencher"
    (mail,) = [m for m in mails_to(email) if m["Subject"] == subject]  # once (the other request has its own)
    link = f"{live_server}/widget/{tenant.slug}/requests/{confirm_token(booking.id)}"
    assert link in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    async with httpx.AsyncClient() as http:
        forged = await http.get(f"{live_server}/widget/{tenant.slug}/requests/{booking.id}-forged")
        opened = await http.get(link)
        twice = await http.get(link)
    assert forged.status_code == 404
    assert opened.status_code == 200 and f"your request #{booking.id} is confirmed" in opened.text
    assert twice.status_code == 200
    held = await bookings.get_booking(tenant, booking.id)
    assert held.status == "pending" and held.hold_until is not None
    assert held.hold_until > datetime.now(UTC) + timedelta(hours=47)
    assert await availability.free_units(tenant, product, start, end) == []  # held from the click on

    # the unit went to the first one clicked, so the other's link says sorry
    async with httpx.AsyncClient() as http:
        late = await http.get(f"{live_server}/widget/{tenant.slug}/requests/{confirm_token(other.id)}")
    assert late.status_code == 409 and "can no longer be confirmed" in late.text
    assert (await bookings.get_booking(tenant, other.id)).status == "expired"
    # the booking's history tells both stories, once each (the second click changed nothing)
    confirmed = [c.changes["status"] for c in await audit.history(tenant.id, booking.id) if c.action == "updated"]
    assert confirmed == [["unverified", "pending"]]
    refused = [c.changes["status"] for c in await audit.history(tenant.id, other.id) if c.action == "updated"]
    assert refused == [["unverified", "expired"]]
