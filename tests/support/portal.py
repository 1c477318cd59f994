"""Portal steps shared by browser tests."""

from __future__ import annotations

from playwright.async_api import Page, expect

PASSWORD = "secret-pass"


async def log_in(page: Page, live_server: str, email: str) -> None:
    """Log in and land on the bookings list."""
    await page.goto(f"{live_server}/login?next=/portal/bookings")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page.get_by_role("heading", name="Bookings", exact=True)).to_be_visible()
