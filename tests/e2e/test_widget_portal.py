"""Managers' portal pages for the widget: block-outs (CAL-105) and "Embed on your website" (CAL-113)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import Page, expect

from rental.tables import AvailabilityBlock
from tests.factories import make_product, make_staff, make_tenant
from tests.support.portal import log_in

pytestmark = pytest.mark.e2e
LA = ZoneInfo("America/Los_Angeles")


def a_saturday_ahead() -> date:
    day = datetime.now(LA).date() + timedelta(days=10)
    return day + timedelta(days=(5 - day.weekday()) % 7)


async def statuses(live_server: str, slug: str, product: int, first: date, last: date) -> list[str]:
    async with httpx.AsyncClient(base_url=live_server) as client:
        response = await client.get(
            f"/public/v1/{slug}/products/{product}/availability", params={"from": first, "to": last}
        )
    return [d["status"] for d in response.json()["days"]]


async def test_blocks_for_products_units_and_staff_with_repeats(page: Page, live_server: str) -> None:
    tenant = await make_tenant()
    product, units = await make_product(tenant, units=1, name="Cherry picker")
    _, email = await make_staff(tenant, "manager")
    driver_id, _ = await make_staff(tenant, "driver")
    saturday = a_saturday_ahead()
    await log_in(page, live_server, email)
    await page.get_by_role("link", name="Block-outs").click()
    await expect(page.get_by_role("heading", name="Block-outs")).to_be_visible()

    # weekends closed for the product, from a Monday to a Saturday two weeks later
    await page.select_option("#k-applies", f"product:{product}")
    await page.fill("#k-from", str(saturday - timedelta(days=5)))
    await page.fill("#k-to", str(saturday + timedelta(days=14)))
    await page.select_option("#k-repeat", "weekly")
    await page.check("input[name=weekdays][value=SA]")
    await page.check("input[name=weekdays][value=SU]")
    await page.select_option("#k-blocks", "handover")  # no pickup or return of this product at weekends
    await page.fill("#k-reason", "Weekend")
    await page.click("text=Add block")
    await expect(page.get_by_role("status")).to_contain_text("added")
    row = page.locator("#blocks-table tr", has_text="Weekend")
    await expect(row).to_contain_text("Cherry picker")
    await expect(row).to_contain_text(f"every Sat, Sun until {saturday + timedelta(days=14)}")
    window = (saturday - timedelta(days=1), saturday + timedelta(days=15))
    expected = ["closed" if d.weekday() >= 5 else "available" for d in _days(*window)]
    expected[-1] = "available"  # the Sunday after 'To' is not blocked
    assert await statuses(live_server, tenant.slug, product, *window) == expected

    # the unit is in the workshop on one day: a unit block makes the day unavailable, not closed
    await page.select_option("#k-applies", f"unit:{units[0]}")
    await page.fill("#k-from", str(saturday + timedelta(days=3)))
    await page.select_option("#k-repeat", "none")
    await page.fill("#k-reason", "Service")
    await page.click("text=Add block")
    await expect(page.locator("#blocks-table tr", has_text="Service")).to_contain_text("Cherry picker #1")
    day = saturday + timedelta(days=3)
    assert await statuses(live_server, tenant.slug, product, day, day) == ["unavailable"]

    # a driver's vacation does not change product availability
    await page.select_option("#k-applies", f"staff:{driver_id}")
    await page.fill("#k-from", str(saturday + timedelta(days=7)))
    await page.fill("#k-to", str(saturday + timedelta(days=8)))
    await page.fill("#k-reason", "Vacation")
    await page.click("text=Add block")
    await expect(page.locator("#blocks-table tr", has_text="Vacation")).to_contain_text(
        f"{saturday + timedelta(days=7):%a %d %b %Y} – {saturday + timedelta(days=8):%a %d %b %Y}"
    )
    assert await AvailabilityBlock.count().where(AvailabilityBlock.staff == driver_id) == 1

    # bad input: an inline error and the form keeps what was typed
    await page.fill("#k-from", str(saturday))
    await page.fill("#k-to", str(saturday - timedelta(days=2)))
    await page.fill("#k-reason", "Backwards")
    await page.click("text=Add block")
    await expect(page.get_by_role("alert")).to_have_text("'To' must not be before 'From'")
    await expect(page.locator("#k-reason")).to_have_value("Backwards")

    # removing the weekend rule opens the weekends again at once
    page.on("dialog", lambda dialog: dialog.accept())
    await row.get_by_role("button", name="Remove").click()
    await expect(page.locator("#blocks-table")).not_to_contain_text("Weekend")
    assert "closed" not in await statuses(live_server, tenant.slug, product, *window)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


async def test_embed_page_previews_and_copies_the_snippet(page: Page, live_server: str) -> None:
    tenant = await make_tenant()
    await make_product(tenant, units=1, name="Aerial lift")
    compactor, _ = await make_product(tenant, units=1, name="Compactor")
    await make_product(tenant, units=1, name="Hidden crane", public=False)
    _, email = await make_staff(tenant, "manager")
    await page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    await log_in(page, live_server, email)
    await page.get_by_role("link", name="Embed on your website").click()
    await expect(page.locator("#e-product option")).to_have_text(["Aerial lift", "Compactor"])

    await page.select_option("#e-product", str(compactor))
    await page.select_option("#e-locale", "de")
    await page.select_option("#e-first-day", "1")
    await page.locator("#e-accent").fill("#aa3300")
    snippet = (
        f'<script src="{live_server}/widget/embed.js" data-company="{tenant.slug}" data-product="{compactor}" '
        'data-locale="de" data-accent="#aa3300" data-first-day="1" async></script>'
    )
    await expect(page.locator("#embed-snippet")).to_have_value(snippet)
    assert await page.locator("#embed-snippet").get_attribute("readonly") is not None
    preview = page.frame_locator("#embed-frame")
    await expect(preview.locator("h1")).to_contain_text("Compactor")
    await expect(preview.locator("#rc-help")).to_contain_text("Wählen Sie einen Abholtag")
    await expect(preview.locator("th").first).to_have_text("Mo")
    accent = await preview.locator("html").evaluate("e => getComputedStyle(e).getPropertyValue('--rc-accent')")
    assert accent.strip() == "#aa3300"

    await page.click("#copy-snippet")
    await expect(page.locator("#copy-status")).to_have_text("Copied to the clipboard.")
    assert await page.evaluate("navigator.clipboard.readText()") == snippet


async def test_only_managers_see_the_widget_pages(page: Page, live_server: str) -> None:
    tenant = await make_tenant()
    _, email = await make_staff(tenant, "driver")
    await log_in(page, live_server, email)
    await expect(page.get_by_role("link", name="Block-outs")).to_have_count(0)
    await expect(page.get_by_role("link", name="Embed on your website")).to_have_count(0)
    for path in ("/portal/blocks", "/portal/embed"):
        response = await page.request.get(f"{live_server}{path}")
        assert response.status == 403, path
