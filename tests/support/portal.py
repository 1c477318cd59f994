"""Portal steps shared by browser tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
from playwright.async_api import Page, expect

PASSWORD = "secret-pass"


async def log_in(page: Page, live_server: str, email: str) -> None:
    """Log in and land on the bookings list."""
    await page.goto(f"{live_server}/login?next=/portal/bookings")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page.get_by_role("heading", name="Bookings", exact=True)).to_be_visible()


async def portal_client(live_server: str, email: str) -> httpx.AsyncClient:
    """An HTTP client logged in to the portal through the login form, sending the session's CSRF token."""
    client = httpx.AsyncClient(base_url=live_server, follow_redirects=True)
    await client.get("/login")
    logged = await client.post(
        "/login", data={"email": email, "password": PASSWORD, "_csrf_token": client.cookies.get("csrftoken", "")}
    )
    assert logged.status_code == 200
    client.headers["x-csrftoken"] = client.cookies.get("csrftoken") or ""  # the token issued for this session
    return client


@contextlib.asynccontextmanager
async def signed_in(live_server: str, email: str) -> AsyncIterator[httpx.AsyncClient]:
    """`portal_client`, closed at the end of the block."""
    client = await portal_client(live_server, email)
    try:
        yield client
    finally:
        await client.aclose()
