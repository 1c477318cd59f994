"""Past times: staff confirm a booking in the past on purpose; the widget never offers a pickup that has passed."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from calendars.mail import invitations
from rental import bookings
from rental.outbox import OutboxEvent
from rental.schemas import BookingCreate, CustomerIn
from rental.tables import Booking, Company
from tests.factories import make_api_token, make_product, make_staff, make_tenant
from tests.security.conftest import portal_client
from widget.public import company_today

pytestmark = pytest.mark.usefixtures("live_server")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def body(product: int, start: datetime, end: datetime, **extra: object) -> dict[str, object]:
    return {
        "product_id": product,
        "starts_at": start.isoformat(),
        "ends_at": end.isoformat(),
        "customer": {"name": "Pat", "email": "pat@example.test"},
        **extra,
    }


async def test_a_booking_in_the_past_needs_confirm_past_and_mails_no_invitation(live_server: str) -> None:
    tenant = await make_tenant()
    token = await make_api_token(tenant)
    product, _ = await make_product(tenant, units=1)
    now = datetime.now(UTC).replace(microsecond=0)
    last_week = (now - timedelta(days=8), now - timedelta(days=6))
    async with httpx.AsyncClient(base_url=live_server, headers=auth(token)) as client:
        refused = await client.post("/api/v1/bookings", json=body(product, *last_week))
        assert refused.status_code == 409
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["needs"] == "confirm_past"
        assert "is in the past" in refused.json()["detail"] and "confirm_past" in refused.json()["detail"]
        assert await Booking.count().where(Booking.product == product) == 0
        made = await client.post("/api/v1/bookings", json=body(product, *last_week, confirm_past=True))
        assert made.status_code == 201, made.text
        booking_id = made.json()["id"]
        # an invitation to a rental that is over is not sent
        event = OutboxEvent(1, tenant.id, "booking.created", booking_id, {"status": "confirmed"}, False)
        assert await invitations.handle_booking_event(event) == []

        upcoming = await client.post(
            "/api/v1/bookings", json=body(product, now + timedelta(days=3), now + timedelta(days=4))
        )
        assert upcoming.status_code == 201
        moved_back = await client.patch(
            f"/api/v1/bookings/{upcoming.json()['id']}", json={"starts_at": (now - timedelta(days=1)).isoformat()}
        )
        assert moved_back.status_code == 409 and moved_back.json()["needs"] == "confirm_past"
        confirmed = await client.patch(
            f"/api/v1/bookings/{upcoming.json()['id']}",
            json={"starts_at": (now - timedelta(days=1)).isoformat(), "confirm_past": True},
        )
        assert confirmed.status_code == 200, confirmed.text
        # a running rental may be extended without confirming anything: its pickup does not move
        extended = await client.patch(
            f"/api/v1/bookings/{upcoming.json()['id']}", json={"ends_at": (now + timedelta(days=5)).isoformat()}
        )
        assert extended.status_code == 200, extended.text


async def test_the_widget_never_offers_a_pickup_time_that_has_passed(live_server: str) -> None:
    tenant = await make_tenant()
    # open from midnight: today's opening has always passed, tomorrow's has not
    hours = {d: ["00:00", "23:45"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    await Company.update({Company.business_hours: hours}).where(Company.id == tenant.id)
    product, _ = await make_product(tenant, units=1)
    today = company_today(tenant)
    base = f"/widget/{tenant.slug}/{product}"
    async with httpx.AsyncClient(base_url=live_server, headers={"X-Forwarded-For": "198.18.3.3"}) as client:
        now_answer = (await client.get(f"{base}/returns", params={"pickup": str(today)})).json()
        tomorrow = (await client.get(f"{base}/returns", params={"pickup": str(today + timedelta(days=1))})).json()
        form = await client.get(f"{base}/request", params={"pickup": str(today), "return": str(today)})
    assert now_answer["refusal"].endswith("is too soon for a pickup. Please choose a later day.")
    assert now_answer["days"] == {}
    assert tomorrow["refusal"] is None and tomorrow["days"][str(today + timedelta(days=1))] is None
    assert form.status_code == 422 and "too soon for a pickup" in form.text


async def test_the_widget_keeps_to_the_products_minimum_and_maximum_rental_length(live_server: str) -> None:
    tenant = await make_tenant()
    token = await make_api_token(tenant)
    product, _ = await make_product(tenant, units=1)
    pickup = company_today(tenant) + timedelta(days=10)
    base = f"/widget/{tenant.slug}/{product}"
    async with httpx.AsyncClient(base_url=live_server) as client:
        bad = await client.put(
            f"/api/v1/products/{product}/rules", json={"min_rental_days": 4, "max_rental_days": 2}, headers=auth(token)
        )
        assert bad.status_code == 422
        rules = await client.put(
            f"/api/v1/products/{product}/rules", json={"min_rental_days": 2, "max_rental_days": 5}, headers=auth(token)
        )
        assert rules.status_code == 200 and (rules.json()["min_rental_days"], rules.json()["max_rental_days"]) == (2, 5)
        answer = (
            await client.get(
                f"{base}/returns", params={"pickup": str(pickup)}, headers={"X-Forwarded-For": "198.18.4.4"}
            )
        ).json()
        too_long = await client.get(
            f"{base}/request",
            params={"pickup": str(pickup), "return": str(pickup + timedelta(days=5))},
            headers={"X-Forwarded-For": "198.18.4.4"},
        )
    days = answer["days"]
    assert list(days) == [str(pickup + timedelta(days=i)) for i in range(5)]
    assert days[str(pickup)] == "A rental of this product lasts at least 2 days."
    assert all(days[str(pickup + timedelta(days=i))] is None for i in range(1, 5))
    assert too_long.status_code == 422
    assert "A request can cover at most 5 days" in too_long.text


async def test_the_team_move_into_the_past_asks_in_words_and_moves_once_confirmed(live_server: str) -> None:
    tenant = await make_tenant()
    product, units = await make_product(tenant, units=1)
    _, manager = await make_staff(tenant, "manager")
    now = datetime.now(UTC)
    booking = await bookings.create_booking(
        tenant,
        BookingCreate(
            product_id=product,
            unit_id=units[0],
            starts_at=now + timedelta(days=2),
            ends_at=now + timedelta(days=3),
            customer=CustomerIn(name="Pat", email="pat@example.test"),
        ),
    )
    local = (now - timedelta(days=3)).astimezone(tenant.tz).replace(second=0, microsecond=0)
    move = {
        "key": f"booking:{booking.id}",
        "starts_at": local.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (local + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "staff_id": "keep",
    }
    async with portal_client(live_server, manager) as client:
        asked = await client.post("/portal/team/move", data=move, headers={"HX-Request": "true"})
        alert = re.search(r'<div class="error" role="alert" id="move-result">(.*?)</div>', asked.text, re.S)
        assert alert is not None, asked.text[:2000]
        words = html.unescape(re.sub(r"<[^>]+>", " ", alert.group(1)))
        assert f"Not moved: the pickup ({local:%a %d %b %Y %H:%M}) would be in the past." in words
        assert "confirm_past" not in words and '"' not in words
        assert "Move it into the past anyway" in words
        assert 'name="confirm_past" value="1"' in alert.group(1)
        assert (await bookings.get_booking(tenant, booking.id)).starts_at == booking.starts_at
        confirmed = await client.post(
            "/portal/team/move", data={**move, "confirm_past": "1"}, headers={"HX-Request": "true"}
        )
    assert "Moved." in confirmed.text
    assert (await bookings.get_booking(tenant, booking.id)).starts_at == local
