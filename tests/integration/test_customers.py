"""Customers are not overwritten: each booking keeps the name and contact given with it."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import httpx
import pytest

from rental.tables import Booking, Customer
from tests.factories import make_api_token, make_product, make_tenant
from tests.widget.test_widget_pages import LA, a_monday_ahead, company_with_hours, token_of

pytestmark = pytest.mark.usefixtures("live_server")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def booking(product: int, day: int, name: str, email: str, phone: str = "") -> dict[str, object]:
    return {
        "product_id": product,
        "starts_at": f"2027-09-{day:02d}T09:00:00-07:00",
        "ends_at": f"2027-09-{day:02d}T17:00:00-07:00",
        "customer": {"name": name, "email": email, "phone": phone},
    }


async def test_a_shared_office_address_keeps_each_bookings_name(live_server: str) -> None:
    tenant = await make_tenant()
    token = await make_api_token(tenant)
    product, _ = await make_product(tenant, units=1)
    async with httpx.AsyncClient(base_url=live_server, headers=auth(token)) as client:
        ann = (
            await client.post("/api/v1/bookings", json=booking(product, 6, "Ann Office", "office@b2b.test", "1"))
        ).json()
        bob = (
            await client.post("/api/v1/bookings", json=booking(product, 7, "Bob Office", "Office@B2B.test", "2"))
        ).json()
        ann_later = (await client.get(f"/api/v1/bookings/{ann['id']}")).json()
        listed = (await client.get("/api/v1/bookings")).json()
    assert ann["customer"]["id"] == bob["customer"]["id"]  # one customer record, linked
    assert (ann_later["customer"]["name"], ann_later["customer"]["phone"]) == ("Ann Office", "1")
    assert (bob["customer"]["name"], bob["customer"]["email"], bob["customer"]["phone"]) == (
        "Bob Office",
        "Office@B2B.test",
        "2",
    )
    assert [b["customer"]["name"] for b in listed] == ["Ann Office", "Bob Office"]
    record = await Customer.select().where(Customer.id == ann["customer"]["id"]).first()
    assert record is not None and record["name"] == "Ann Office"  # the record is not renamed either


async def test_an_anonymous_widget_request_cannot_rename_a_customer(live_server: str) -> None:
    tenant, product = await company_with_hours()
    token = await make_api_token(tenant)
    monday = a_monday_ahead()
    async with httpx.AsyncClient(base_url=live_server, headers=auth(token)) as staff:
        first = await staff.post(
            "/api/v1/bookings",
            json={
                "product_id": product,
                "starts_at": datetime.combine(monday, time(8), tzinfo=LA).isoformat(),
                "ends_at": datetime.combine(monday, time(17), tzinfo=LA).isoformat(),
                "customer": {"name": "Real Person", "email": "real@example.test"},
            },
        )
        assert first.status_code == 201, first.text
    base = f"/widget/{tenant.slug}/{product}"
    day = monday + timedelta(days=1)
    async with httpx.AsyncClient(base_url=live_server, headers={"X-Forwarded-For": "198.18.0.7"}) as visitor:
        form = token_of((await visitor.get(f"{base}/request", params={"pickup": day, "return": day})).text)
        data = {
            "pickup": str(day),
            "return": str(day),
            "name": "Prankster",
            "email": "real@example.test",
            "token": form,
        }
        assert (await visitor.post(f"{base}/request", data=data)).status_code == 201
    rows = (
        await Booking.select(Booking.customer_name, Booking.customer)
        .where(Booking.product == product)
        .order_by(Booking.id)
    )
    assert [r["customer_name"] for r in rows] == ["Real Person", "Prankster"]
    assert rows[0]["customer"] == rows[1]["customer"]
    async with httpx.AsyncClient(base_url=live_server, headers=auth(token)) as staff:
        again = (await staff.get(f"/api/v1/bookings/{first.json()['id']}")).json()
    assert again["customer"]["name"] == "Real Person"
