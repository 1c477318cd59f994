"""CAL-111: subscription feeds through the real web server: content across DST, 304s, revocation, roles."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import httpx
import pytest
from icalendar import Calendar

from calendars.feeds import subscriptions
from calendars.ical_tables import FeedSubscription
from rental import bookings
from rental.accounts import Staff, staff_by_id
from rental.errors import Forbidden
from rental.schemas import BookingUpdate
from rental.tables import Delivery, MaintenanceSchedule, StaffUser
from rental.tenants import Tenant
from tests.factories import make_product, make_staff, make_tenant
from tests.ical_integration.helpers import LA, quiet_booking

SPRING = (datetime(2027, 3, 13, 9, tzinfo=LA), datetime(2027, 3, 15, 17, tzinfo=LA))  # 55 real hours
AUTUMN = (datetime(2027, 11, 6, 10, tzinfo=LA), datetime(2027, 11, 8, 10, tzinfo=LA))  # 49 real hours


async def staff(tenant: Tenant, role: str) -> Staff:
    staff_id, _ = await make_staff(tenant, role)
    found = await staff_by_id(staff_id)
    assert found is not None
    return found


def parse(body: bytes) -> tuple[Calendar, dict[str, Any]]:
    calendar = Calendar.from_ical(body)
    assert isinstance(calendar, Calendar)
    return calendar, {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def hours(event) -> float:  # type: ignore[no-untyped-def]
    return (event["DTEND"].dt.astimezone(UTC) - event["DTSTART"].dt.astimezone(UTC)) / timedelta(hours=1)


def uid(kind: str, item_id: int) -> str:
    return f"{kind}-{item_id}@127.0.0.1"


async def test_company_feed_matches_the_bookings_across_dst(live_server: str) -> None:
    tenant = await make_tenant(name="Acme Rentals")
    product, units = await make_product(tenant, units=3, name="Excavator XL")
    manager = await staff(tenant, "manager")
    spring = await quiet_booking(tenant, product, units[0], *SPRING, name="Alex Builder", email="alex@x.test")
    autumn = await quiet_booking(tenant, product, units[1], *AUTUMN, status="pending", name="Sam")
    gone = await quiet_booking(tenant, product, units[2], *SPRING, status="cancelled")
    link = await subscriptions.create_subscription(tenant, manager, "company")
    assert link.webcal == link.https.replace("http://", "webcal://")

    async with httpx.AsyncClient() as client:
        response = await client.get(link.https)
    assert response.status_code == 200 and response.headers["content-type"] == "text/calendar; charset=utf-8"
    calendar, events = parse(response.content)
    assert str(calendar["X-WR-CALNAME"]) == "Acme Rentals · All company bookings"
    assert str(calendar["X-WR-TIMEZONE"]) == "America/Los_Angeles"
    assert calendar.get("REFRESH-INTERVAL").dt == timedelta(minutes=15)  # type: ignore[union-attr]
    assert set(events) == {uid("booking", spring.id), uid("booking", autumn.id)}
    assert uid("booking", gone.id) not in events
    first, second = events[uid("booking", spring.id)], events[uid("booking", autumn.id)]
    assert (first["DTSTART"].dt, first["DTEND"].dt) == SPRING and hours(first) == 55
    assert (second["DTSTART"].dt, second["DTEND"].dt) == AUTUMN and hours(second) == 49
    assert first["DTSTART"].params["TZID"] == "America/Los_Angeles"
    assert (str(first["SUMMARY"]), str(first["COLOR"]), str(first["STATUS"])) == (
        "Excavator XL · Alex B.",
        "seagreen",
        "CONFIRMED",
    )
    assert (str(second["SUMMARY"]), str(second["COLOR"]), str(second["STATUS"])) == (
        "Excavator XL · Sam (pending)",
        "gold",
        "TENTATIVE",
    )
    assert int(first["SEQUENCE"]) == spring.sequence
    assert b"alex@x.test" not in response.content and b"555" not in response.content
    assert b"Builder" not in response.content


async def test_conditional_requests_answer_304(live_server: str) -> None:
    tenant = await make_tenant()
    product, units = await make_product(tenant, units=1)
    manager = await staff(tenant, "manager")
    booking = await quiet_booking(tenant, product, units[0], *SPRING)
    link = await subscriptions.create_subscription(tenant, manager, "product", product)
    async with httpx.AsyncClient() as client:
        first = await client.get(link.https)
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        assert first.status_code == 200 and etag.startswith('"')
        cached = await client.get(link.https, headers={"If-None-Match": etag})
        assert cached.status_code == 304 and cached.content == b"" and cached.headers["etag"] == etag
        assert (await client.get(link.https, headers={"If-Modified-Since": modified})).status_code == 304
        earlier = format_datetime(parsedate_to_datetime(modified) - timedelta(seconds=1), usegmt=True)
        assert (await client.get(link.https, headers={"If-Modified-Since": earlier})).status_code == 200
        assert (await client.get(link.https, headers={"If-None-Match": '"other"'})).status_code == 200

        moved = SPRING[0] + timedelta(days=1), SPRING[1] + timedelta(days=1)
        await bookings.update_booking(tenant, booking.id, BookingUpdate(starts_at=moved[0], ends_at=moved[1]))
        changed = await client.get(link.https, headers={"If-None-Match": etag, "If-Modified-Since": modified})
        assert changed.status_code == 200 and changed.headers["etag"] != etag
        [event] = parse(changed.content)[1].values()
        assert event["DTSTART"].dt == moved[0] and int(event["SEQUENCE"]) == 1
        assert (await client.get(link.https, headers={"If-None-Match": changed.headers["etag"]})).status_code == 304


async def test_revoked_replaced_or_deactivated_feeds_answer_404(live_server: str) -> None:
    tenant = await make_tenant()
    manager = await staff(tenant, "manager")
    link = await subscriptions.create_subscription(tenant, manager, "company")
    async with httpx.AsyncClient() as client:
        assert (await client.get(link.https)).status_code == 200
        await subscriptions.revoke(tenant, manager, link.subscription.id)
        gone = await client.get(link.https)
        assert gone.status_code == 404 and gone.headers["content-type"] == "application/problem+json"

        renewed = await subscriptions.regenerate(tenant, manager, link.subscription.id)
        assert (await client.get(renewed.https)).status_code == 200
        assert (await client.get(link.https)).status_code == 404
        newer = await subscriptions.regenerate(tenant, manager, link.subscription.id)
        assert (await client.get(renewed.https)).status_code == 404
        assert (await client.get(newer.https)).status_code == 200

        await StaffUser.update({StaffUser.role: "driver"}).where(StaffUser.id == manager.id)
        assert (await client.get(newer.https)).status_code == 404  # a driver may not see all bookings
        await StaffUser.update({StaffUser.role: "manager", StaffUser.active: False}).where(StaffUser.id == manager.id)
        assert (await client.get(newer.https)).status_code == 404
        await StaffUser.update({StaffUser.active: True}).where(StaffUser.id == manager.id)
        assert (await client.get(newer.https)).status_code == 200
        assert (await client.get(f"{live_server}/feeds/{secrets.token_urlsafe(32)}.ics")).status_code == 404

    [row] = await FeedSubscription.select().where(FeedSubscription.id == link.subscription.id)
    token = newer.https.rsplit("/", 1)[1].removesuffix(".ics")
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(row)


async def test_each_feed_shows_only_what_its_owner_may_see(live_server: str) -> None:
    tenant = await make_tenant()
    product, units = await make_product(tenant, units=2, name="Excavator XL")
    other_product, other_units = await make_product(tenant, units=1, name="Party tent")
    roles = ("manager", "driver", "driver", "technician")
    manager, driver, other_driver, tech = [await staff(tenant, r) for r in roles]
    mine = await quiet_booking(tenant, product, units[0], *SPRING, staff=tech.id)
    theirs = await quiet_booking(tenant, other_product, other_units[0], *SPRING)
    deliveries = {}
    for who in (driver, other_driver):
        row = await Delivery.insert(
            Delivery(
                company=tenant.id,
                booking=mine.id,
                driver=who.id,
                kind="delivery",
                starts_at=SPRING[0] - timedelta(hours=2),
                ends_at=SPRING[0],
                address="42 Site Rd, Pasadena",
                route_order=1,
            )
        ).returning(Delivery.id)
        deliveries[who.id] = row[0]["id"]
    service = await MaintenanceSchedule.insert(
        MaintenanceSchedule(
            company=tenant.id,
            unit=units[1],
            technician=tech.id,
            starts_at=AUTUMN[0],
            ends_at=AUTUMN[0] + timedelta(hours=8),
            description="Oil and filters",
        )
    ).returning(MaintenanceSchedule.id)
    service_id = service[0]["id"]

    for kind in ("company", "product", "maintenance"):
        with pytest.raises(Forbidden):
            await subscriptions.create_subscription(tenant, driver, kind, product)
    with pytest.raises(Forbidden):
        await subscriptions.create_subscription(tenant, tech, "company")
    assert subscriptions.allowed_kinds("driver") == ["assignments", "deliveries"]

    async def uids(owner: Staff, kind: str, product_id: int | None = None) -> set[str]:
        link = await subscriptions.create_subscription(tenant, owner, kind, product_id)
        async with httpx.AsyncClient() as client:
            response = await client.get(link.https)
        assert response.status_code == 200
        return set(parse(response.content)[1])

    assert await uids(driver, "deliveries") == {uid("delivery", deliveries[driver.id])}
    assert await uids(driver, "assignments") == {uid("delivery", deliveries[driver.id])}
    assert await uids(manager, "deliveries") == {uid("delivery", d) for d in deliveries.values()}
    assert await uids(tech, "assignments") == {uid("booking", mine.id), uid("maintenance", service_id)}
    assert await uids(tech, "maintenance") == {uid("maintenance", service_id)}
    assert await uids(tech, "product", product) == {uid("booking", mine.id), uid("maintenance", service_id)}
    assert await uids(manager, "company") == {uid("booking", mine.id), uid("booking", theirs.id)}
    assert {s.owner_id for s in await subscriptions.list_subscriptions(tenant, driver)} == {driver.id}
    assert {s.owner_id for s in await subscriptions.list_subscriptions(tenant, manager)} == {
        driver.id,
        manager.id,
        tech.id,
    }
    with pytest.raises(Forbidden):  # a manager may revoke anyone's feed, but not take over its link
        [theirs_link] = [s for s in await subscriptions.list_subscriptions(tenant, manager) if s.owner_id == driver.id][
            :1
        ]
        await subscriptions.regenerate(tenant, manager, theirs_link.id)


def test_tokens_never_reach_the_access_log() -> None:
    import logging

    from portal.feeds_public import RedactTokens

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", f"/feeds/{secrets.token_urlsafe(32)}.ics", "1.1", 304),
        None,
    )
    assert RedactTokens().filter(record) and record.getMessage() == '127.0.0.1:5 - "GET /feeds/*** HTTP/1.1" 304'
    assert any(isinstance(f, RedactTokens) for f in logging.getLogger("uvicorn.access").filters)
