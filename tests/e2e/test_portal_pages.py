"""The portal's new pages in Chromium, axe-clean: bookings list (search, filters, pages, loading indicator),
booking page (edit + history), settings, help, the friendly error page; a navigation that fits at 1280 px and
on a phone."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Page, expect

from rental import bookings
from rental.schemas import BookingCreate, CustomerIn
from tests.e2e.test_team_and_today import DESKTOP, PHONE, no_serious_axe_violations, sign_in
from tests.factories import make_product, make_staff, make_tenant

pytestmark = pytest.mark.e2e
LA = ZoneInfo("America/Los_Angeles")


async def fits(page: Page) -> None:
    """Nothing sticks out sideways, and every navigation link can be reached."""
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, overflow
    for link in await page.locator("header.top nav a").all():
        await link.scroll_into_view_if_needed()
        await expect(link).to_be_in_viewport()


async def test_bookings_list_booking_page_settings_help_and_errors(page: Page, live_server: str) -> None:
    tenant = await make_tenant()
    product, units = await make_product(tenant, units=1, name="Floor sander")
    _, email = await make_staff(tenant, "manager")
    start = datetime.combine(datetime.now(LA).date() + timedelta(days=3), time(9), tzinfo=LA)
    for n in range(27):
        made = await bookings.create_booking(tenant, BookingCreate(
            product_id=product, unit_id=units[0], starts_at=start + timedelta(days=2 * n),
            ends_at=start + timedelta(days=2 * n, hours=8),
            customer=CustomerIn(name=f"Customer {n:02d}", email=f"c{n}@example.test",
                                phone=f"+1 555 01{n:02d}")))  # fmt: skip
    await page.set_viewport_size(DESKTOP)
    await sign_in(page, live_server, email)
    await page.goto(f"{live_server}/portal/bookings")
    await fits(page)
    await expect(page.locator("#bookings-count")).to_have_text("27 bookings, page 1 of 2")
    await page.get_by_role("link", name="Next page →").click()
    await expect(page.locator("#bookings-count")).to_have_text("27 bookings, page 2 of 2")
    assert "page=2" in page.url  # the address keeps the page: reload and back work

    await page.fill("#f-q", "555 0126")  # typed: the list follows without pressing anything
    await expect(page.locator("#bookings-count")).to_have_text("1 booking, page 1 of 1")
    await expect(page.locator("#bookings-table tbody tr")).to_have_count(1)
    await expect(page.locator("#bookings-table")).to_contain_text("Customer 26")
    await page.fill("#f-q", "")
    await page.select_option("#f-status", "confirmed")  # "To" left empty: still filters
    await expect(page.locator("#bookings-count")).to_have_text("27 bookings, page 1 of 2")
    await page.select_option("#f-status", "cancelled")
    await expect(page.locator("#bookings-count")).to_have_text("0 bookings, page 1 of 1")
    await no_serious_axe_violations(page)

    await page.goto(f"{live_server}/portal/bookings/{made.id}")
    await page.fill("#d-notes", "Dust bags in the box")
    await page.get_by_role("button", name="Save details").click()
    await expect(page.get_by_role("status").filter(has_text="saved")).to_be_visible()
    await expect(page.locator("#history-table")).to_contain_text("notes: empty → Dust bags in the box")
    await page.reload()  # POST-redirect-GET: a reload shows the page, it does not post again
    await expect(page.locator("#history-table tbody tr")).to_have_count(2)
    await no_serious_axe_violations(page)

    for path in ("/portal/settings", "/portal/help", "/portal/help/colours", "/help/your-rental"):
        await page.goto(f"{live_server}{path}")
        await no_serious_axe_violations(page)

    answer = await page.goto(f"{live_server}/portal/bookings/999999999")
    assert answer is not None and answer.status == 404
    await expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    await expect(page.get_by_role("link", name="Go to the start page")).to_be_visible()
    await no_serious_axe_violations(page)

    await page.set_viewport_size(PHONE)
    await page.goto(f"{live_server}/portal/bookings")
    await fits(page)


async def test_a_driver_sees_a_friendly_403_and_a_fitting_navigation(page: Page, live_server: str) -> None:
    tenant = await make_tenant()
    _, email = await make_staff(tenant, "driver")
    await page.set_viewport_size(PHONE)
    await sign_in(page, live_server, email)
    answer = await page.goto(f"{live_server}/portal/settings")
    assert answer is not None and answer.status == 403
    await expect(page.get_by_role("heading", name="You cannot open this page")).to_be_visible()
    await expect(page.locator("main")).not_to_contain_text('"detail"')
    await no_serious_axe_violations(page)
    await page.goto(f"{live_server}/portal/my")
    await fits(page)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "phone"])
async def test_every_page_of_the_navigation_fits_and_loads_everything_it_asks_for(
    page: Page, live_server: str, viewport: dict[str, int]
) -> None:
    tenant = await make_tenant()
    await make_product(tenant, units=2, name="Scissor lift")
    _, email = await make_staff(tenant, "manager")
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    await page.set_viewport_size(viewport)
    await sign_in(page, live_server, email)
    links = await page.locator("header.top nav a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert "/portal/blocks" in links and "/portal/settings" in links
    for path in links:
        await page.goto(f"{live_server}{path}")
        await page.wait_for_load_state("networkidle")
        overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than the window"
    assert failed == []  # the favicon included
