"""Log in to the portal, create a booking, see it in the API's calendar."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import Page, expect

from rental import blocks
from rental.schemas import BlockCreate
from rental.tables import Booking
from tests.factories import make_api_token, make_product, make_staff, make_tenant

pytestmark = pytest.mark.e2e


async def test_manager_logs_in_and_creates_a_booking(page: Page, live_server: str) -> None:
    tenant = await make_tenant()
    product, _ = await make_product(tenant, units=1, name="Scissor lift")
    _, email = await make_staff(tenant, "manager")
    token = await make_api_token(tenant)

    await page.goto(f"{live_server}/portal/bookings")
    await expect(page).to_have_url(f"{live_server}/login?next=/portal/bookings")
    await page.fill("#email", email)
    await page.fill("#password", "wrong")
    await page.click("button[type=submit]")
    await expect(page.get_by_role("alert")).to_contain_text("wrong e-mail or password")
    await page.fill("#password", "secret-pass")
    await page.click("button[type=submit]")
    await expect(page.get_by_role("heading", name="Bookings", exact=True)).to_be_visible()

    day = date.today() + timedelta(days=20)
    await page.select_option("#b-product", str(product))
    await page.fill("#b-start", f"{day}T09:00")
    await page.fill("#b-end", f"{day + timedelta(days=2)}T17:00")
    await page.fill("#b-name", "Erin Example")
    await page.fill("#b-email", "erin@example.test")
    await page.click("text=Create booking")
    await expect(page.get_by_role("status")).to_contain_text("created: Scissor lift")
    row = page.locator("#bookings-table tr", has_text="Erin Example")
    await expect(row).to_contain_text("confirmed")

    # a second booking for the same time: a clear inline error, the form keeps its values
    await page.select_option("#b-product", str(product))
    await page.fill("#b-start", f"{day}T10:00")
    await page.fill("#b-end", f"{day}T12:00")
    await page.fill("#b-name", "Late Larry")
    await page.fill("#b-email", "larry@example.test")
    await page.click("text=Create booking")
    await expect(page.get_by_role("alert")).to_contain_text("no unit is free")
    await expect(page.locator("#b-name")).to_have_value("Late Larry")

    booking = await Booking.select(Booking.id, Booking.status).where(Booking.product == product).first()
    assert booking is not None and booking["status"] == "confirmed"

    # the calendar endpoint shows the booked days
    async with httpx.AsyncClient(base_url=live_server, headers={"Authorization": f"Bearer {token}"}) as client:
        days = (
            await client.get(
                f"/api/v1/products/{product}/calendar", params={"from": str(day), "to": str(day + timedelta(days=2))}
            )
        ).json()["days"]
    assert [d["status"] for d in days] == ["partial", "unavailable", "partial"]

    # assigning a driver who is on vacation: the booking is made, with a clear warning
    driver_id, _ = await make_staff(tenant, "driver")
    away = datetime.combine(day + timedelta(days=5), time(0), tzinfo=ZoneInfo(tenant.timezone))
    await blocks.create_block(
        tenant,
        BlockCreate(blocked_from=away, blocked_until=away + timedelta(days=2), reason="Vacation", staff_id=driver_id),
    )
    await page.reload()
    await page.select_option("#b-product", str(product))
    await page.fill("#b-start", f"{day + timedelta(days=5)}T09:00")
    await page.fill("#b-end", f"{day + timedelta(days=5)}T12:00")
    await page.fill("#b-name", "Vera Vacation")
    await page.fill("#b-email", "vera@example.test")
    await page.select_option("#b-staff", str(driver_id))
    await page.click("text=Create booking")
    await expect(page.get_by_role("status")).to_contain_text("created")
    await expect(page.locator("[data-kind=warning]")).to_contain_text("away: Vacation")

    # cancel through the portal (HTMX row update)
    page.on("dialog", lambda dialog: dialog.accept())
    await row.get_by_role("button", name="Cancel").click()
    await expect(page.locator(f"#booking-{booking['id']}")).to_contain_text("cancelled")
