"""Widget iframe pages over real HTTP: month grid, locales, request form, token, conflicts."""

from __future__ import annotations

import calendar
import re
import time as clock
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx

from rental.blocks import create_block
from rental.bookings import create_booking
from rental.schemas import BlockCreate, BookingCreate, CustomerIn
from rental.tables import Booking, Company, Customer
from rentcal.settings import get_settings
from tests.factories import make_product, make_tenant
from tests.widget.conftest import client_address
from widget import tokens

LA = ZoneInfo("America/Los_Angeles")
HOURS = {d: ["07:30", "18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}


def a_monday_ahead() -> date:
    """A Monday two to three weeks ahead in Los Angeles, so the dates are never in the past."""
    day = datetime.now(LA).date() + timedelta(days=14)
    return day + timedelta(days=-day.weekday() % 7)


def token_of(html: str) -> str:
    match = re.search(r'name="token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


async def company_with_hours():  # type: ignore[no-untyped-def]
    tenant = await make_tenant(name="Hire & Co")
    await Company.update({Company.business_hours: HOURS}).where(Company.id == tenant.id)
    product, _ = await make_product(tenant, units=1, name="Trencher")
    return tenant, product


async def test_month_page_marks_days_and_speaks_german(live_server: str) -> None:
    tenant = await make_tenant()
    product, _ = await make_product(tenant, units=1, name="Trencher")
    monday = a_monday_ahead()
    await create_block(
        tenant,
        BlockCreate(
            blocked_from=datetime.combine(monday, datetime.min.time(), tzinfo=LA),
            blocked_until=datetime.combine(monday + timedelta(days=1), datetime.min.time(), tzinfo=LA),
            reason="Stocktaking",
        ),
    )
    month = f"{monday:%Y-%m}"
    async with httpx.AsyncClient(base_url=live_server, headers=client_address()) as client:
        page = await client.get(f"/widget/{tenant.slug}/{product}", params={"month": month, "locale": "de"})
        fragment = await client.get(
            f"/widget/{tenant.slug}/{product}", params={"month": month, "first_day": "0"}, headers={"HX-Request": "1"}
        )
        bad_month = await client.get(f"/widget/{tenant.slug}/{product}", params={"month": "2027-13"})
        unknown = await client.get(f"/widget/nobody/{product}")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    html = page.text
    assert '<html lang="de">' in html and 'role="grid"' in html
    assert "Daten und Uhrzeiten in der Zeitzone America/Los_Angeles." in html
    assert re.search(r'<th role="columnheader"[^>]*><abbr title="Montag">Mo</abbr>', html)  # German weeks start Monday
    closed = re.search(rf'<td role="gridcell" id="rc-{monday}"[^>]*>.*?</td>', html, re.S)
    assert closed is not None
    cell = closed.group(0)
    assert 'data-status="closed"' in cell and 'aria-disabled="true"' in cell and 'title="Stocktaking"' in cell
    assert f'aria-label="Montag, {monday.day}. ' in cell and 'geschlossen: Stocktaking"' in cell
    assert '<span class="rc-reason" aria-hidden="true">Stocktaking</span>' in cell
    assert html.count('role="gridcell" id="rc-') == calendar.monthrange(monday.year, monday.month)[1]

    assert fragment.status_code == 200 and fragment.text.startswith('<div id="rc-month"')
    assert "<html" not in fragment.text and 'abbr title="Sunday">Su<' in fragment.text
    assert bad_month.status_code == 422 and "month must look like 2027-03" in bad_month.json()["detail"]
    assert unknown.status_code == 404


async def test_request_form_then_pending_booking_at_opening_and_closing_time(live_server: str) -> None:
    tenant, product = await company_with_hours()
    monday = a_monday_ahead()
    base = f"/widget/{tenant.slug}/{product}"
    range_ = {"pickup": str(monday), "return": str(monday + timedelta(days=2))}
    async with httpx.AsyncClient(base_url=live_server, headers=client_address()) as client:
        form = await client.get(f"{base}/request", params={**range_, "locale": "en"})
        assert form.status_code == 200
        assert "from 7:30 AM" in form.text and "by 6:00 PM" in form.text
        body = {**range_, "token": token_of(form.text), "name": "Nina Nguyen", "email": "nina@example.test"}
        done = await client.post(f"{base}/request", data={**body, "phone": "+1 555 0177"})
    assert done.status_code == 201, done.text
    booking = await Booking.select().where(Booking.product == product).first()
    assert booking is not None
    assert done.headers["hx-trigger"] == f'{{"rentcal:booked": {{"bookingId": {booking["id"]}}}}}'
    assert f"booking request #{booking['id']} for Trencher" in done.text and "Hire &amp; Co" in done.text
    assert 'hx-swap-oob="true"' in done.text  # the month refreshes with the new booking
    assert booking["status"] == "pending" and booking["notes"] == "Requested through the website widget."
    assert booking["starts_at"].astimezone(LA).replace(tzinfo=None) == datetime.combine(monday, time(7, 30))
    assert booking["ends_at"].astimezone(LA).replace(tzinfo=None) == datetime.combine(
        monday + timedelta(days=2), time(18)
    )
    customer = await Customer.select().where(Customer.id == booking["customer"]).first()
    assert customer is not None
    assert [customer[k] for k in ("name", "email", "phone")] == ["Nina Nguyen", "nina@example.test", "+1 555 0177"]


async def test_an_expired_or_forged_token_asks_again_and_keeps_the_values(live_server: str) -> None:
    tenant, product = await company_with_hours()
    monday = a_monday_ahead()
    base = f"/widget/{tenant.slug}/{product}"
    secret = get_settings().secret_key
    subject = f"widget-request|{tenant.id}|{product}"
    body = {"pickup": str(monday), "return": str(monday), "name": "Otto Old", "email": "otto@example.test"}
    async with httpx.AsyncClient(base_url=live_server, headers=client_address()) as client:
        for token in (
            tokens.issue(secret, subject, now=clock.time() - 2 * 3600),
            tokens.issue(secret, f"widget-request|{tenant.id}|{product + 1}"),
            tokens.issue("another-secret", subject),
            "",
        ):
            refused = await client.post(f"{base}/request", data={**body, "token": token})
            assert refused.status_code == 422
            assert "This form has expired. Please send it again." in refused.text
            assert 'value="Otto Old"' in refused.text and 'value="otto@example.test"' in refused.text
            assert await Booking.count().where(Booking.product == product) == 0
        again = await client.post(f"{base}/request", data={**body, "token": token_of(refused.text)})
    assert again.status_code == 201
    assert await Booking.count().where(Booking.product == product) == 1


async def test_taken_dates_are_a_friendly_409_with_the_values_kept(live_server: str) -> None:
    tenant, product = await company_with_hours()
    monday = a_monday_ahead()
    base = f"/widget/{tenant.slug}/{product}"
    body = {"pickup": str(monday), "return": str(monday + timedelta(days=1)), "name": "Late Lou"}
    async with httpx.AsyncClient(base_url=live_server, headers=client_address()) as client:
        token = token_of((await client.get(f"{base}/request", params=body)).text)
        # someone else books midday on the pickup day: the day turns partial, the request clashes
        await create_booking(
            tenant,
            BookingCreate(
                product_id=product,
                starts_at=datetime.combine(monday, time(12), tzinfo=LA),
                ends_at=datetime.combine(monday, time(14), tzinfo=LA),
                customer=CustomerIn(name="Early Eve", email="eve@example.test"),
            ),
        )
        taken = await client.post(f"{base}/request", data={**body, "email": "lou@example.test", "token": token})
    assert taken.status_code == 409
    assert "Sorry, these dates are no longer available. Please choose other dates." in taken.text
    assert 'value="Late Lou"' in taken.text and 'value="lou@example.test"' in taken.text
    assert "Early Eve" not in taken.text and "eve@example.test" not in taken.text
    assert f'id="rc-{monday}" class="rc-day rc-partial"' in taken.text  # the refreshed month
    assert await Booking.count().where(Booking.product == product) == 1


async def test_ranges_over_closed_or_booked_days_and_bad_contacts_are_refused(live_server: str) -> None:
    tenant, product = await company_with_hours()
    monday = a_monday_ahead()
    tuesday, sunday = monday + timedelta(days=1), monday + timedelta(days=6)
    await create_block(
        tenant,
        BlockCreate(
            blocked_from=datetime.combine(tuesday, time(0), tzinfo=LA),
            blocked_until=datetime.combine(tuesday + timedelta(days=1), time(0), tzinfo=LA),
            reason="Inventory",
        ),
    )
    base = f"/widget/{tenant.slug}/{product}"
    async with httpx.AsyncClient(base_url=live_server, headers=client_address()) as client:
        crossing = await client.get(f"{base}/request", params={"pickup": monday, "return": monday + timedelta(days=2)})
        german = await client.get(
            f"{base}/request", params={"pickup": monday, "return": monday + timedelta(days=2), "locale": "de"}
        )
        weekend = await client.get(f"{base}/request", params={"pickup": sunday, "return": sunday + timedelta(days=1)})
        backwards = await client.get(f"{base}/request", params={"pickup": monday, "return": monday - timedelta(days=1)})
        returning = await client.get(f"{base}/request", params={"pickup": monday, "return": tuesday, "locale": "de"})
        token = token_of((await client.get(f"{base}/request", params={"pickup": monday, "return": monday})).text)
        posted = await client.post(
            f"{base}/request",
            data={"pickup": str(monday), "return": str(tuesday), "token": token, "name": "X", "email": "x@ex.test"},
        )
        contacts = await client.post(
            f"{base}/request",
            data={"pickup": str(monday), "return": str(monday), "token": token, "name": " ", "email": "nope"},
        )
    day = f"{tuesday:%A}, {tuesday:%B} {tuesday.day}, {tuesday.year}"
    # a closure stops pickup and return, not the rental: Monday to Wednesday over the closed Tuesday is fine
    assert crossing.status_code == 200 and "<form" in crossing.text
    assert german.status_code == 200 and "<form" in german.text
    assert returning.status_code == 422 and "<form" not in returning.text
    assert f"Am Dienstag, {tuesday.day}. " in returning.text and "keine Rückgabe möglich" in returning.text
    sunday_text = f"{sunday:%A}, {sunday:%B} {sunday.day}, {sunday.year}"
    assert weekend.status_code == 422
    assert f"We are closed on {sunday_text}, so there is no pickup that day." in weekend.text
    assert "The return day must not be before the pickup day." in backwards.text
    assert posted.status_code == 422 and f"We are closed on {day}, so there is no return that day." in posted.text
    assert contacts.status_code == 422
    assert "Please enter your name." in contacts.text and "Please enter a valid e-mail address." in contacts.text
    assert 'aria-invalid="true" aria-describedby="rc-email-error"' in contacts.text
    assert await Booking.count().where(Booking.product == product) == 0
