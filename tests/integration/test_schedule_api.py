"""GET /api/v1/schedule (the team calendar's JSON twin) and PATCH unassign, over real HTTP."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from calendars.tables import CalendarIntegration, CalendarTarget, ExternalBusy
from rental import bookings, schedules
from rental.accounts import create_api_token
from rental.schemas import BookingCreate, CustomerIn, DeliveryCreate
from tests.factories import make_api_token, make_product, make_staff, make_tenant

pytestmark = pytest.mark.usefixtures("live_server")
LA = ZoneInfo("America/Los_Angeles")
DAY = datetime(2027, 5, 10, tzinfo=LA)  # a Monday


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def connected_calendar(tenant_id: int, staff_id: int, *, read_error: str = "") -> int:
    integration = await CalendarIntegration.insert(
        CalendarIntegration(company=tenant_id, user=staff_id, provider="google", account_email="x@example.test")
    ).returning(CalendarIntegration.id)
    target = await CalendarTarget.insert(
        CalendarTarget(
            company=tenant_id,
            integration=integration[0]["id"],
            external_id="primary",
            name="Work",
            read_busy=True,
            last_read_at=datetime.now(UTC),
            read_error=read_error,
        )
    ).returning(CalendarTarget.id)
    return int(target[0]["id"])


async def test_schedule_shows_work_busy_time_clashes_and_is_scoped_by_role(live_server: str) -> None:
    tenant = await make_tenant()
    token = await make_api_token(tenant, "manager")
    product, units = await make_product(tenant, units=2, name="Forklift")
    driver, driver_email = await make_staff(tenant, "driver")
    tech, _ = await make_staff(tenant, "technician")
    booking = await bookings.create_booking(tenant, BookingCreate(
        product_id=product, unit_id=units[0], starts_at=DAY + timedelta(hours=8), ends_at=DAY + timedelta(days=2),
        customer=CustomerIn(name="Robin Renter", email="robin@example.test")))  # fmt: skip
    first = await schedules.create_delivery(tenant, DeliveryCreate(
        booking_id=booking.id, kind="delivery", starts_at=DAY + timedelta(hours=7), ends_at=DAY + timedelta(hours=8),
        address="5 Dock Rd", driver_id=driver))  # fmt: skip
    second = await schedules.create_delivery(tenant, DeliveryCreate(
        booking_id=booking.id, kind="pickup", starts_at=DAY + timedelta(hours=7, minutes=30),
        ends_at=DAY + timedelta(hours=9), address="7 Pier St", driver_id=driver))  # fmt: skip
    target = await connected_calendar(tenant.id, driver)
    await ExternalBusy.insert(ExternalBusy(company=tenant.id, staff=driver, target=target, external_id="ev1",
                                           starts_at=DAY + timedelta(hours=8, minutes=30),
                                           ends_at=DAY + timedelta(hours=10)))  # fmt: skip
    await connected_calendar(tenant.id, tech, read_error="401 from the provider")

    params = {"from": "2027-05-10", "to": "2027-05-16", "by": "staff"}
    async with httpx.AsyncClient(base_url=live_server, headers=auth(token)) as client:
        response = await client.get("/api/v1/schedule", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["from"], body["to"], body["timezone"]) == ("2027-05-10", "2027-05-16", "America/Los_Angeles")
        assert {(e["kind"], e["id"]) for e in body["entries"]} == {
            ("booking", booking.id), ("delivery", first.id), ("delivery", second.id)}  # fmt: skip
        assert {r["label"] for r in body["rows"]} >= {"Unassigned"}
        kinds = {(c["kind"], tuple(c["keys"])) for c in body["clashes"]}
        assert ("double_booked", (f"delivery:{first.id}", f"delivery:{second.id}")) in kinds
        assert ("external_busy", (f"delivery:{second.id}",)) in kinds
        assert [(b["staff_id"], b["starts_at"]) for b in body["busy"]] == [(driver, "2027-05-10T15:30:00Z")]
        assert body["unknown"] == {str(tech): ["Work could not be read"]}

        filtered = (await client.get("/api/v1/schedule", params={**params, "kind": "booking"})).json()
        assert [e["kind"] for e in filtered["entries"]] == ["booking"]
        bad = await client.get("/api/v1/schedule", params={**params, "to": "2027-05-01"})
        assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
        assert "must not be before" in bad.json()["detail"]

    driver_token = await create_api_token(driver_email)
    async with httpx.AsyncClient(base_url=live_server, headers=auth(driver_token)) as client:
        mine = (await client.get("/api/v1/schedule", params={**params, "by": "unit"})).json()
    assert mine["by"] == "staff" and [r["id"] for r in mine["rows"]] == [driver]
    assert {e["kind"] for e in mine["entries"]} == {"delivery"}


async def test_patch_null_unassigns_and_missing_fields_stay(live_server: str) -> None:
    tenant = await make_tenant()
    token = await make_api_token(tenant, "manager")
    product, _ = await make_product(tenant, units=1)
    helper, _ = await make_staff(tenant, "driver")
    booking = await bookings.create_booking(tenant, BookingCreate(
        product_id=product, starts_at=DAY, ends_at=DAY + timedelta(hours=4), assigned_staff_id=helper,
        customer=CustomerIn(name="Sam", email="sam@example.test"), notes="call first"))  # fmt: skip
    async with httpx.AsyncClient(base_url=live_server, headers=auth(token)) as client:
        kept = await client.patch(f"/api/v1/bookings/{booking.id}", json={"pickup_location": "Gate B"})
        assert kept.status_code == 200 and kept.json()["assigned_staff_id"] == helper
        assert kept.json()["notes"] == "call first"
        cleared = await client.patch(f"/api/v1/bookings/{booking.id}", json={"assigned_staff_id": None})
        assert cleared.status_code == 200 and cleared.json()["assigned_staff_id"] is None
        refused = await client.patch(f"/api/v1/bookings/{booking.id}", json={"starts_at": None})
        assert refused.status_code == 422
