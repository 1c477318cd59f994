"""A manager's invitations, demo mailbox, feeds and reminders in a real browser, with the real worker."""

from __future__ import annotations

import re
from datetime import date, timedelta

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from calendars.mail.invitations import booking_uid
from rental.tables import Booking
from tests.factories import make_product, make_staff, make_tenant
from tests.ical_integration.helpers import unique_email
from tests.ical_integration.sink import session_sink, wait_for_mails
from tests.support.portal import log_in
from tests.support.worker import WorkerHandle

session_sink()  # before live_server / worker_process start: they inherit RENTCAL_SMTP_URL and the demo Maildir
pytestmark = pytest.mark.e2e


async def test_invitation_mailbox_feed_and_reminders(
    page: Page, browser: Browser, live_server: str, worker_process: WorkerHandle
) -> None:
    tenant = await make_tenant(name="Acme Rentals")
    product, _ = await make_product(tenant, units=1, name="Scissor lift")
    _, email = await make_staff(tenant, "manager")
    customer = unique_email("erin")
    await log_in(page, live_server, email)

    day = date.today() + timedelta(days=30)
    await page.select_option("#b-product", str(product))
    await page.fill("#b-start", f"{day}T09:00")
    await page.fill("#b-end", f"{day + timedelta(days=2)}T17:00")
    await page.fill("#b-name", "Erin Example")
    await page.fill("#b-email", customer)
    await page.click("text=Create booking")
    await expect(page.get_by_role("status")).to_contain_text("created: Scissor lift")
    booking = await Booking.select(Booking.id).where(Booking.product == product).first()
    assert booking is not None
    booking_id = booking["id"]

    await page.get_by_role("link", name=f"Booking {booking_id} details").click()
    await expect(page.get_by_role("heading", name=f"Booking #{booking_id}")).to_be_visible()
    await expect(page.locator("#booking-mails tr[data-status=sent]")).to_have_count(1, timeout=30_000)
    [mail] = await wait_for_mails(customer, 1)
    assert mail["Subject"].startswith("Booking confirmed: Scissor lift")

    await page.get_by_role("button", name="Send calendar invite").click()
    await expect(page.get_by_role("status")).to_contain_text("already sent")

    # the customer's page opens without a login
    invite_url = await page.locator("#invite-page").get_attribute("href")
    assert invite_url
    stranger = await browser.new_context()
    customer_page = await stranger.new_page()
    await customer_page.goto(invite_url)
    await expect(customer_page.get_by_role("link", name="Add to Google Calendar")).to_have_attribute(
        "href", re.compile(r"^https://calendar\.google\.com/calendar/render\?")
    )
    await expect(customer_page.get_by_role("link", name="Add to Outlook")).to_be_visible()
    await stranger.close()

    # the demo mailbox shows the mail with its calendar part
    await page.get_by_role("link", name="Mailbox (demo)").click()
    await page.get_by_role("link", name=mail["Subject"]).click()
    await expect(page.get_by_role("heading", name="Calendar part (text/calendar; method=REQUEST)")).to_be_visible()

    # a feed of all company bookings: shown once, then revoked
    await page.get_by_role("link", name="Calendar feeds").click()
    await page.select_option("#s-kind", "company")
    await page.get_by_role("button", name="Create feed link").click()
    feed_url = await page.locator("#link-https").input_value()
    assert (await page.locator("#link-webcal").input_value()).startswith("webcal://")
    async with httpx.AsyncClient() as client:
        feed = await client.get(feed_url)
        assert feed.status_code == 200 and booking_uid(booking_id).encode() in feed.content
        await (
            page.locator("#subscriptions-table tr", has_text="All company bookings")
            .get_by_role("button", name="Revoke")
            .click()
        )
        await expect(page.get_by_role("status")).to_contain_text("revoked")
        assert (await client.get(feed_url)).status_code == 404

    await page.get_by_role("link", name="Reminders").click()
    await page.fill("#r-offsets", "2h, 1d")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_contain_text("Saved")
    await expect(page.locator("#r-offsets")).to_have_value("1d, 2h")


async def test_a_driver_is_offered_only_the_feeds_a_driver_may_see(page: Page, live_server: str) -> None:
    tenant = await make_tenant()
    _, email = await make_staff(tenant, "driver")
    await log_in(page, live_server, email)
    await expect(page.get_by_role("link", name="Mailbox (demo)")).to_have_count(0)
    await page.get_by_role("link", name="Calendar feeds").click()
    options = await page.locator("#s-kind option").all_inner_texts()
    assert options == ["My assignments", "Deliveries and pickups"]
    await page.select_option("#s-kind", "deliveries")
    await page.get_by_role("button", name="Create feed link").click()
    async with httpx.AsyncClient() as client:
        assert (await client.get(await page.locator("#link-https").input_value())).status_code == 200


async def test_importing_a_feed_shows_its_status_and_keeps_good_data(
    page: Page, live_server: str, worker_process: WorkerHandle
) -> None:
    from tests.ical_integration.test_feed_import import HOLIDAYS, FeedServer

    server = FeedServer()
    try:
        tenant = await make_tenant()
        _, email = await make_staff(tenant, "manager")
        url = server.serve("/holidays.ics", HOLIDAYS)
        await log_in(page, live_server, email)
        await page.get_by_role("link", name="Calendar feeds").click()
        await page.fill("#i-url", url)
        await page.fill("#i-name", "Public holidays")
        await page.select_option("#i-scope", "company")
        await page.get_by_role("button", name="Import").click()
        # The worker reads the feed (with its deadline); the row follows until it is done.
        await expect(page.get_by_role("status")).to_contain_text("Public holidays: reading the feed in the background")
        row = page.locator("#imports-table tr", has_text="Public holidays")
        await expect(row.locator(".import-status")).to_have_text("ok", timeout=20_000)
        await expect(row).to_contain_text("company · 3")

        server.serve("/holidays.ics", b"<html><body>Please sign in</body></html>")
        await row.get_by_role("button", name="Refresh now").click()
        await expect(row.locator(".import-status")).to_contain_text("not an iCalendar feed", timeout=20_000)
        await expect(row).to_contain_text("company · 3")
    finally:
        server.httpd.shutdown()
