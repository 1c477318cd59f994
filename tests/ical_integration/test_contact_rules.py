"""One rule for addresses and names at the API edge, shared with the iCalendar layer (issue 10).

What the API, the portal form or the widget accept is mailed as an invitation the customer can open;
what the invitation could not carry is refused at the edge with a message for people, nothing written.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from icalendar import Calendar

from calendars.ical.invites import build_invite
from calendars.ical.models import InviteEvent
from calendars.mail import invitations
from rental.tables import Booking, Company, Customer
from rentcal.contacts import ContactError, email_address, person_name
from tests.factories import make_api_token, make_product, make_staff, make_tenant
from tests.ical_integration.helpers import LA, invite_parts
from tests.ical_integration.sink import wait_for_mails
from tests.security.conftest import portal_client
from tests.support.worker import WorkerHandle
from tests.widget.conftest import client_address
from tests.widget.test_widget_pages import token_of

HOURS = {d: ["07:30", "18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
REFUSED_NAMES = ["Jo\nHn", "Jo\r\nHn", "Bell\x07", "Line\u2028Sep", "Tab\there"]


def a_monday_ahead(weeks: int = 2) -> date:
    day = datetime.now(LA).date() + timedelta(days=7 * weeks)
    return day + timedelta(days=-day.weekday() % 7)


def booking_body(product: int, day: date, name: str, email: str) -> dict[str, Any]:
    return {
        "product_id": product,
        "starts_at": datetime.combine(day, time(8), tzinfo=LA).isoformat(),
        "ends_at": datetime.combine(day + timedelta(days=1), time(17), tzinfo=LA).isoformat(),
        "customer": {"name": name, "email": email},
    }


def tag() -> str:
    return uuid.uuid4().hex[:8]


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("o'brien@example.com", "o'brien@example.com"),
        ("kim+rentals@example.com", "kim+rentals@example.com"),
        ("  Pat@Example.COM ", "Pat@Example.COM"),
        ("kunde@bücher.example", "kunde@xn--bcher-kva.example"),
        ("a.b-c_d@sub.example.org", "a.b-c_d@sub.example.org"),
    ],
)
def test_addresses_rfc_5322_allows_are_kept_with_an_ascii_domain(given: str, stored: str) -> None:
    assert email_address(given) == stored


@pytest.mark.parametrize("given", ["jo;hn@example.com", "jo hn@example.com", "no-at.example.com", "a@b", "", "a@@b.c"])
def test_addresses_an_invitation_cannot_carry_are_refused(given: str) -> None:
    with pytest.raises(ContactError):
        email_address(given)


def test_names_are_trimmed_and_one_line() -> None:
    assert person_name("  Zoë O'Brien-Łukasz  ") == "Zoë O'Brien-Łukasz"
    for name in [*REFUSED_NAMES, "   ", "x" * 201]:
        with pytest.raises(ContactError):
            person_name(name)


def test_the_icalendar_layer_applies_the_same_rule() -> None:
    fields: dict[str, Any] = dict(
        uid="rule@rentcal.test",
        sequence=0,
        dtstamp=datetime(2027, 1, 1, tzinfo=LA),
        starts_at=datetime(2027, 1, 4, 8, tzinfo=LA),
        ends_at=datetime(2027, 1, 5, 17, tzinfo=LA),
        timezone="America/Los_Angeles",
        summary="Excavator",
        organizer_email="calendar@rentcal.test",
        organizer_name="Acme",
        attendee_name="Seán O'Brien",
    )
    with pytest.raises(ValueError, match="invalid characters before the @-sign"):
        InviteEvent(**fields, attendee_email="jo;hn@example.com")
    ics = build_invite(InviteEvent(**fields, attendee_email="o'brien+x@example.com"), "REQUEST")
    [event] = Calendar.from_ical(ics).walk("VEVENT")
    assert str(event["ATTENDEE"]) == "mailto:o'brien+x@example.com"


async def test_api_refuses_bad_addresses_and_names_with_a_message_and_writes_nothing(live_server: str) -> None:
    tenant = await make_tenant()
    product, _ = await make_product(tenant, units=1)
    headers = {"Authorization": f"Bearer {await make_api_token(tenant)}"}
    day = a_monday_ahead()
    async with httpx.AsyncClient(base_url=live_server, headers=headers) as client:
        bad_address = await client.post("/api/v1/bookings", json=booking_body(product, day, "Jo", "jo;hn@example.com"))
        assert bad_address.status_code == 422
        assert bad_address.headers["content-type"] == "application/problem+json"
        assert "jo;hn@example.com is not a valid e-mail address" in bad_address.json()["detail"]
        assert "invalid characters before the @-sign" in bad_address.json()["detail"]
        for name in REFUSED_NAMES:
            refused = await client.post("/api/v1/bookings", json=booking_body(product, day, name, "jo@example.com"))
            assert refused.status_code == 422, name
            assert "name must be one line of text" in refused.json()["detail"]
    assert await Booking.count().where(Booking.company == tenant.id) == 0
    assert await Customer.count().where(Customer.company == tenant.id) == 0


@pytest.mark.parametrize(
    "local", ["o'brien-{tag}@example.com", "kim+rentals-{tag}@example.com", "kunde-{tag}@bücher.example"]
)
async def test_addresses_rfc_5322_allows_work_end_to_end(
    live_server: str, worker_process: WorkerHandle, local: str
) -> None:
    tenant = await make_tenant(name="Acme Rentals")
    product, _ = await make_product(tenant, units=1, name="Mini excavator")
    headers = {"Authorization": f"Bearer {await make_api_token(tenant)}"}
    given = local.format(tag=tag())
    address = email_address(given)
    async with httpx.AsyncClient(base_url=live_server, headers=headers) as client:
        made = await client.post(
            "/api/v1/bookings", json=booking_body(product, a_monday_ahead(), "  Seán O'Brien  ", f"  {given}  ")
        )
        assert made.status_code == 201, made.text
        booking = made.json()
        assert booking["customer"]["name"] == "Seán O'Brien"  # trimmed
        assert booking["customer"]["email"] == address
        [mail] = await wait_for_mails(address, 1)
        _, calendar = invite_parts(mail)
        assert isinstance(calendar, Calendar)
        [event] = calendar.walk("VEVENT")
        assert str(event["ATTENDEE"]) == f"mailto:{address}"
        assert str(event["ATTENDEE"].params["CN"]) == "Seán O'Brien"
        page = await client.get(invitations.invite_urls(booking["id"])["page"])
        assert page.status_code == 200 and "Mini excavator" in page.text


async def test_portal_form_uses_the_same_rule(live_server: str) -> None:
    tenant = await make_tenant()
    product, _ = await make_product(tenant, units=1)
    _, manager = await make_staff(tenant, "manager")
    day = a_monday_ahead()
    form = {
        "product_id": str(product),
        "starts_at": f"{day}T08:00",
        "ends_at": f"{day + timedelta(days=1)}T17:00",
        "customer_name": "Jo",
        "customer_email": "jo;hn@example.com",
    }
    async with portal_client(live_server, manager) as client:
        refused = await client.post("/portal/bookings", data=form, headers={"HX-Request": "true"})
        named = await client.post(
            "/portal/bookings",
            data={**form, "customer_email": "jo@example.com", "customer_name": "Jo\nHn"},
            headers={"HX-Request": "true"},
        )
        assert await Booking.count().where(Booking.company == tenant.id) == 0
        made = await client.post(
            "/portal/bookings",
            data={**form, "customer_email": " o'brien@example.com ", "customer_name": " Seán O'Brien "},
            headers={"HX-Request": "true"},
        )
    assert "jo;hn@example.com is not a valid e-mail address" in refused.text
    assert "$." not in refused.text and "customer.email" not in refused.text
    assert "name must be one line of text" in named.text
    assert "created" in made.text, made.text[:500]
    customer = await Customer.select().where(Customer.company == tenant.id).first()
    assert customer is not None and (customer["name"], customer["email"]) == ("Seán O'Brien", "o'brien@example.com")


async def test_widget_request_uses_the_same_rule(live_server: str) -> None:
    tenant = await make_tenant(name="Hire & Co")
    await Company.update({Company.business_hours: HOURS}).where(Company.id == tenant.id)
    product, _ = await make_product(tenant, units=1, name="Trencher")
    monday = a_monday_ahead()
    base = f"/widget/{tenant.slug}/{product}"
    range_ = {"pickup": str(monday), "return": str(monday + timedelta(days=1))}
    async with httpx.AsyncClient(base_url=live_server, headers=client_address()) as client:
        token = token_of((await client.get(f"{base}/request", params=range_)).text)
        bad = await client.post(
            f"{base}/request", data={**range_, "token": token, "name": "Jo\nHn", "email": "jo;hn@example.com"}
        )
        assert bad.status_code == 422
        assert "Please enter a valid e-mail address." in bad.text
        assert "Please enter your name on one line" in bad.text
        assert await Booking.count().where(Booking.product == product) == 0
        good = await client.post(
            f"{base}/request",
            data={**range_, "token": token, "name": "  Seán O'Brien ", "email": " o'brien@example.com "},
        )
    assert good.status_code == 201, good.text
    booking = await Booking.select().where(Booking.product == product).first()
    assert booking is not None
    customer = await Customer.select().where(Customer.id == booking["customer"]).first()
    assert customer is not None and (customer["name"], customer["email"]) == ("Seán O'Brien", "o'brien@example.com")
