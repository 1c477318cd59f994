"""Connect Apple iCloud / CalDAV from the portal's form in Chromium, against a real password-checked Radicale."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Page, expect

from calendars.tables import CalendarIntegration
from rental import bookings
from rental.schemas import BookingCreate, CustomerIn
from rentcal.caldav_demo import DEMO_PASSWORD
from tests.factories import make_product, make_staff, make_tenant
from tests.support.caldav_server import ACCOUNTS, Account, caldav_server  # noqa: F401
from tests.support.google_flow import eventually
from tests.support.worker import WorkerHandle

pytestmark = pytest.mark.e2e


async def test_connect_caldav_through_the_form_and_see_a_booking_arrive(
    page: Page,
    live_server: str,
    worker_process: WorkerHandle,
    caldav_server: str,  # noqa: F811
) -> None:
    tenant = await make_tenant()
    staff_id, email = await make_staff(tenant, "manager")
    product, _ = await make_product(tenant, units=1)
    account = Account(caldav_server, sorted(ACCOUNTS)[-1])  # the integration tests take them from the front

    await page.goto(f"{live_server}/login")
    await page.fill("#email", email)
    await page.fill("#password", "secret-pass")
    await page.click("button[type=submit]")
    await page.get_by_role("link", name="Calendar integrations").click()
    form = page.locator("#caldav-connect")
    await expect(form).to_contain_text("app-specific password")
    await expect(form.get_by_role("link", name="app-specific password")).to_have_attribute(
        "href", "https://support.apple.com/en-us/102654"
    )
    await expect(form).to_contain_text("read periodically, every 5 minutes")
    await expect(page.locator("#caldav-presets option[value='https://caldav.icloud.com']")).to_have_count(1)

    # a wrong password: a readable error, and what was typed (but the password) is kept
    await page.fill("#caldav-server", caldav_server)
    await page.fill("#caldav-user", account.user)
    await page.fill("#caldav-password", "wrong")
    await page.get_by_role("button", name="Connect Apple iCloud / CalDAV").click()
    await expect(page.get_by_role("alert")).to_contain_text("refused the user name or password")
    await expect(page.locator("#caldav-user")).to_have_value(account.user)
    assert await CalendarIntegration.count().where(CalendarIntegration.user == staff_id) == 0

    await page.fill("#caldav-password", DEMO_PASSWORD)
    await page.get_by_role("button", name="Connect Apple iCloud / CalDAV").click()
    await expect(page.get_by_role("status")).to_contain_text("Apple iCloud / CalDAV connected")
    section = page.locator("section[data-status=active]")
    await expect(section).to_contain_text(account.user)
    await expect(section).to_contain_text("CalDAV calendars are read periodically")
    integration = await CalendarIntegration.select().where(CalendarIntegration.user == staff_id).first()
    assert integration is not None and DEMO_PASSWORD not in integration["credentials"]

    # the same calendar chooser as Google's: send bookings to "Personal" instead of the first calendar
    await page.get_by_label("Write bookings to Rentcal").uncheck()
    await page.get_by_label("Write bookings to Personal").check()
    await page.get_by_role("button", name="Save", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text("Saved")

    start = datetime.now(ZoneInfo(tenant.timezone)).replace(hour=9, minute=0, second=0, microsecond=0)
    booking = await bookings.create_booking(
        tenant,
        BookingCreate(
            product_id=product,
            starts_at=start + timedelta(days=5),
            ends_at=start + timedelta(days=5, hours=8),
            customer=CustomerIn(name="Form Customer", email="form.customer@example.test"),
            assigned_staff_id=staff_id,
        ),
    )

    async def arrived() -> bool:
        stored = await account.stored(account.calendar("personal"))
        return [str(s.vevent.get("X-RENTCAL-KEY")) for s in stored] == [f"booking:{booking.id}"]

    try:
        await eventually(arrived, timeout=90, what="the booking in the Personal calendar")
        assert await account.stored(account.calendar("rentcal")) == []
    finally:
        await account.aclose()
