"""Connect Google Calendar from the portal through the sandbox's consent screen, in Chromium."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Page, expect

from calendars.tables import CalendarIntegration, CalendarTarget
from rental import bookings
from rental.schemas import BookingCreate, CustomerIn
from tests.factories import make_product, make_staff, make_tenant
from tests.support.google_flow import eventually, sandbox_events
from tests.support.worker import WorkerHandle

pytestmark = pytest.mark.e2e


async def test_connect_choose_calendars_and_see_a_booking_arrive(
    page: Page, live_server: str, worker_process: WorkerHandle, google_sandbox: str
) -> None:
    tenant = await make_tenant()
    staff_id, email = await make_staff(tenant, "manager")
    product, _ = await make_product(tenant, units=1)
    account = f"{tenant.slug}.e2e@gmail.test"

    await page.goto(f"{live_server}/login")
    await page.fill("#email", email)
    await page.fill("#password", "secret-pass")
    await page.click("button[type=submit]")
    await page.get_by_role("link", name="Calendar integrations").click()
    await page.get_by_role("button", name="Connect Google Calendar").click()

    # the provider's consent screen (sandbox), with its account picker
    await expect(page.get_by_role("button", name="Allow")).to_be_visible()
    await page.fill("#other-email", account)
    await page.get_by_role("button", name="Allow").click()

    await expect(page.get_by_role("status")).to_contain_text("Google Calendar connected")
    section = page.locator("section[data-status=active]")
    await expect(section).to_contain_text(account)
    integration = await CalendarIntegration.select().where(CalendarIntegration.account_email == account).first()
    assert integration is not None and integration["user"] == staff_id
    assert account not in integration["credentials"] and "ya29" not in integration["credentials"]  # encrypted

    deliveries = (
        await CalendarTarget.select()
        .where((CalendarTarget.integration == integration["id"]) & (CalendarTarget.name == "Deliveries"))
        .first()
    )
    assert deliveries is not None
    await page.get_by_label("Write deliveries to Deliveries").check()
    await page.get_by_role("button", name="Save", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text("Saved")
    saved = await CalendarTarget.select().where(CalendarTarget.id == deliveries["id"]).first()
    assert saved is not None and "deliveries" in str(saved["write_kinds"])

    await page.get_by_role("button", name="Test connection").click()
    await expect(page.get_by_role("status")).to_contain_text(f"connected to {account}")

    start = datetime.now(ZoneInfo(tenant.timezone)).replace(microsecond=0) + timedelta(days=3)
    booking = await bookings.create_booking(
        tenant,
        BookingCreate(
            product_id=product,
            starts_at=start,
            ends_at=start + timedelta(hours=6),
            customer=CustomerIn(name="Pia Portal", email="pia@example.test"),
            assigned_staff_id=staff_id,
        ),
    )

    async def arrived() -> bool:
        return any(
            e.get("extendedProperties", {}).get("private", {}).get("rentcal_key") == f"booking:{booking.id}"
            for e in await sandbox_events(google_sandbox, account)
        )

    await eventually(arrived, what="the booking in the connected calendar")

    # CAL-108: the company recolours confirmed bookings; the event already in Google follows
    await page.get_by_label("Confirmed").select_option(label="Sage")
    await page.get_by_role("button", name="Save colours").click()
    await expect(page.get_by_role("status")).to_contain_text("Booking colours saved")

    async def recoloured() -> bool:
        return any(
            e.get("extendedProperties", {}).get("private", {}).get("rentcal_key") == f"booking:{booking.id}"
            and e.get("colorId") == "2"
            for e in await sandbox_events(google_sandbox, account)
        )

    await eventually(recoloured, what="the new colour in Google")
